#include "text.h"

#include <array>

namespace ghlb {
namespace {

// UTF-8 encodings of the code points JavaScript's trim() removes.
constexpr std::array<std::string_view, 25> kJsWhitespace = {
    "\t", "\n", "\v", "\f", "\r", " ",
    "\xC2\xA0",      // U+00A0
    "\xE1\x9A\x80",  // U+1680
    "\xE2\x80\x80", "\xE2\x80\x81", "\xE2\x80\x82", "\xE2\x80\x83", "\xE2\x80\x84",
    "\xE2\x80\x85", "\xE2\x80\x86", "\xE2\x80\x87", "\xE2\x80\x88", "\xE2\x80\x89",
    "\xE2\x80\x8A",  // U+2000-U+200A
    "\xE2\x80\xA8", "\xE2\x80\xA9",  // U+2028, U+2029
    "\xE2\x80\xAF",  // U+202F
    "\xE2\x81\x9F",  // U+205F
    "\xE3\x80\x80",  // U+3000
    "\xEF\xBB\xBF",  // U+FEFF
};

size_t leadingWhitespace(std::string_view s) {
  for (const auto ws : kJsWhitespace)
    if (s.substr(0, ws.size()) == ws) return ws.size();
  return 0;
}

size_t trailingWhitespace(std::string_view s) {
  for (const auto ws : kJsWhitespace)
    if (s.size() >= ws.size() && s.substr(s.size() - ws.size()) == ws) return ws.size();
  return 0;
}

}  // namespace

std::string_view jsTrim(std::string_view s) {
  while (size_t n = leadingWhitespace(s)) s.remove_prefix(n);
  while (size_t n = trailingWhitespace(s)) s.remove_suffix(n);
  return s;
}

bool isMissing(std::string_view v) { return jsTrim(v).empty(); }

bool isMissing(const std::optional<std::string>& v) { return !v || isMissing(std::string_view(*v)); }

const std::string& pgBlankPattern() {
  // Same set as kJsWhitespace, as ARE character-entry escapes (valid inside brackets).
  static const std::string p =
      "^[\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff]*$";
  return p;
}

std::optional<std::string> normalizeEmail(std::string_view raw) {
  const auto t = jsTrim(raw);
  if (t.empty()) return std::nullopt;
  std::string out(t);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::optional<std::string> normalizeText(std::string_view raw) {
  const auto t = jsTrim(raw);
  if (t.empty()) return std::nullopt;
  return std::string(t);
}

bool isValidGhlId(std::string_view id) {
  if (id.size() < 15 || id.size() > 64) return false;
  for (const char c : id) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum) return false;
  }
  return true;
}

}  // namespace ghlb
