#include "sim_request_log.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "json_write.h"
#include "sim_text.h"

namespace ghlsim {

std::string formatLogLine(const LogEntry& entry) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  using ghlb::json::member;
  w.StartObject();
  member(w, "ts_ms", entry.tsMs);
  member(w, "method", entry.method);
  member(w, "path", redactPath(entry.path));
  member(w, "location", entry.location);
  member(w, "status", entry.status);
  member(w, "emails", entry.emails);
  if (!entry.fault.empty()) member(w, "fault", entry.fault);
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

std::string formatVerboseLine(const LogEntry& entry) {
  std::string line = entry.method + " " + redactPath(entry.path) + " " +
                     (entry.status == 0 ? std::string("reset") : std::to_string(entry.status)) +
                     " location=" + entry.location.value_or("-");
  if (!entry.fault.empty()) line += " fault=" + entry.fault;
  return line;
}

RequestLog::RequestLog(const std::string& path) : out_(path, std::ios::app) {}

void RequestLog::write(const LogEntry& entry) {
  const std::string line = formatLogLine(entry) + "\n";
  const std::lock_guard lock(mu_);
  out_.write(line.data(), static_cast<std::streamsize>(line.size()));
  out_.flush();
}

}  // namespace ghlsim
