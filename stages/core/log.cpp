#include "log.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <iostream>
#include <sstream>

#include "clock.h"
#include "text.h"

namespace ghlb {

Log::Log(std::string program, LogFormat format, bool quiet, std::ostream* out)
    : program_(std::move(program)), format_(format), quiet_(quiet), out_(out ? out : &std::cerr) {}

void Log::info(std::string_view event, std::initializer_list<LogField> fields) const {
  if (!quiet_) write("info", event, fields);
}
void Log::warn(std::string_view event, std::initializer_list<LogField> fields) const {
  if (!quiet_) write("warn", event, fields);
}
void Log::error(std::string_view event, std::initializer_list<LogField> fields) const {
  write("error", event, fields);
}

void Log::write(std::string_view level, std::string_view event, const std::vector<LogField>& fields) const {
  std::string line;
  if (format_ == LogFormat::kJson) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("ts");
    const std::string ts = isoNowUtc();
    w.String(ts.c_str(), static_cast<rapidjson::SizeType>(ts.size()));
    w.Key("program");
    w.String(program_.c_str(), static_cast<rapidjson::SizeType>(program_.size()));
    w.Key("level");
    w.String(level.data(), static_cast<rapidjson::SizeType>(level.size()));
    w.Key("event");
    w.String(event.data(), static_cast<rapidjson::SizeType>(event.size()));
    for (const auto& [key, value] : fields) {
      w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
      if (const auto* i = std::get_if<std::int64_t>(&value))
        w.Int64(*i);
      else if (const auto* d = std::get_if<double>(&value))
        w.Double(*d);
      else {
        const auto& s = std::get<std::string>(value);
        w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
      }
    }
    w.EndObject();
    line = buf.GetString();
  } else {
    std::ostringstream os;
    os << isoNowUtc() << ' ' << program_ << ": ";
    if (level != "info") os << level << ": ";
    // Values may come from outside (ids): escape control characters so none forges a line.
    os << escapeControl(event);
    for (const auto& [key, value] : fields) {
      os << ' ' << escapeControl(key) << '=';
      if (const auto* str = std::get_if<std::string>(&value))
        os << escapeControl(*str);
      else
        std::visit([&os](const auto& v) { os << v; }, value);
    }
    line = os.str();
  }
  line += '\n';
  if (before_write_) before_write_();
  (*out_) << line << std::flush;
}

}  // namespace ghlb
