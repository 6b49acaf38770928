#include "sim_request_log.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "sim_text.h"

namespace ghlsim {

std::string formatLogLine(const LogEntry& entry) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  const auto str = [&](const std::string& s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  };
  w.StartObject();
  w.Key("ts_ms");
  w.Int64(entry.tsMs);
  w.Key("method");
  str(entry.method);
  w.Key("path");
  str(redactPath(entry.path));
  w.Key("location");
  if (entry.location) {
    str(*entry.location);
  } else {
    w.Null();
  }
  w.Key("status");
  w.Int(entry.status);
  w.Key("emails");
  w.Int(entry.emails);
  if (!entry.fault.empty()) {
    w.Key("fault");
    str(entry.fault);
  }
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
