// The --request-log file and the --verbose stderr line: one entry per API request with only
// non-personal facts (time, method, redacted path, location id, status, count of email filters,
// injected fault). Emails, phones, names and tokens are never written.
#pragma once
#include <cstdint>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>

namespace ghlsim {

struct LogEntry {
  std::int64_t tsMs = 0;  // wall clock, Unix epoch milliseconds
  std::string method;
  std::string path;                     // as received; redacted when formatted
  std::optional<std::string> location;  // the token's location id, when known
  int status = 0;                       // 0 when the connection was reset
  int emails = 0;                       // email eq filters in a search body
  std::string fault;                    // injected fault ("500", "reset", ...) or ""
};

// {"ts_ms":..,"method":"POST","path":"/contacts/search","location":"LOC"|null,"status":200,
//  "emails":N} plus "fault":"..." when one was injected; no trailing newline. The path goes
// through redactPath.
std::string formatLogLine(const LogEntry& entry);

// "POST /contacts/search 200 location=LOC" (+ " fault=500"), for --verbose.
std::string formatVerboseLine(const LogEntry& entry);

// Appends formatted lines to a file, one write and flush per line. Thread-safe.
class RequestLog {
 public:
  // Opens `path` for appending; check ok() afterwards.
  explicit RequestLog(const std::string& path);
  bool ok() const { return out_.is_open() && out_.good(); }
  void write(const LogEntry& entry);

 private:
  std::mutex mu_;
  std::ofstream out_;
};

}  // namespace ghlsim
