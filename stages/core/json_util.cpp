#include "json_util.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace ghlb {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void writeString(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

}  // namespace

std::string jsonObject(std::initializer_list<std::pair<std::string_view, JsonScalar>> fields) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  for (const auto& [key, value] : fields) {
    writeString(w, key);
    if (const auto* i = std::get_if<std::int64_t>(&value))
      w.Int64(*i);
    else if (const auto* n = std::get_if<int>(&value))
      w.Int(*n);
    else if (const auto* d = std::get_if<double>(&value))
      w.Double(*d);
    else
      writeString(w, std::get<std::string>(value));
  }
  w.EndObject();
  return buf.GetString();
}

std::string jsonObject(const std::vector<std::pair<std::string, std::int64_t>>& fields) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  for (const auto& [key, value] : fields) {
    writeString(w, key);
    w.Int64(value);
  }
  w.EndObject();
  return buf.GetString();
}

std::string jsonStringArray(const std::vector<std::string>& values) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartArray();
  for (const auto& v : values) writeString(w, v);
  w.EndArray();
  return buf.GetString();
}

std::string joinIds(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) {
    if (!out.empty()) out += ',';
    out += id;
  }
  return out;
}

}  // namespace ghlb
