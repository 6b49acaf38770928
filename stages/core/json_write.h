// One call per member for the RapidJSON writers of the JSON documents the commands print
// (status --json, review --json, revert --json, ...): member(w, "key", value) writes the key and
// the value, with std::nullopt and a null const char* written as null.
#pragma once
#include <rapidjson/document.h>
#include <rapidjson/rapidjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ghlb::json {

template <class Writer>
void value(Writer& w, bool v) {
  w.Bool(v);
}
template <class Writer>
void value(Writer& w, int v) {
  w.Int(v);
}
template <class Writer>
void value(Writer& w, std::int64_t v) {
  w.Int64(v);
}
template <class Writer>
void value(Writer& w, std::uint64_t v) {
  w.Uint64(v);
}
template <class Writer>
void value(Writer& w, double v) {
  w.Double(v);
}
template <class Writer>
void value(Writer& w, std::string_view v) {
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}
template <class Writer>
void value(Writer& w, const std::string& v) {
  value(w, std::string_view(v));
}
template <class Writer>
void value(Writer& w, const char* v) {
  if (v)
    value(w, std::string_view(v));
  else
    w.Null();
}
template <class Writer, class T>
void value(Writer& w, const std::optional<T>& v) {
  if (v)
    value(w, *v);
  else
    w.Null();
}

template <class Writer>
void key(Writer& w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}

template <class Writer, class T>
void member(Writer& w, std::string_view k, const T& v) {
  key(w, k);
  value(w, v);
}

// A JSON object the work DB stored as text (a stage's counts, a wave's selection), written back
// as an object when it parses as one, else null.
template <class Writer>
void storedObject(Writer& w, std::string_view k, const std::string& text) {
  key(w, k);
  rapidjson::Document d;
  d.Parse(text.c_str());
  if (!d.HasParseError() && d.IsObject())
    d.Accept(w);
  else
    w.Null();
}

}  // namespace ghlb::json
