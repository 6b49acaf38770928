#include "text.h"

#include <unicode/ustring.h>
#include <unicode/utypes.h>

#include <array>
#include <cstdio>

namespace ghlb {
namespace {

// UTF-8 encodings of the code points JavaScript's trim() removes.
constexpr std::array<std::string_view, 25> kJsWhitespace = {
    "\t",           "\n",           "\v",           "\f",           "\r",           " ",
    "\xC2\xA0",      // U+00A0
    "\xE1\x9A\x80",  // U+1680
    "\xE2\x80\x80", "\xE2\x80\x81", "\xE2\x80\x82", "\xE2\x80\x83", "\xE2\x80\x84", "\xE2\x80\x85",
    "\xE2\x80\x86", "\xE2\x80\x87", "\xE2\x80\x88", "\xE2\x80\x89",
    "\xE2\x80\x8A",                  // U+2000-U+200A
    "\xE2\x80\xA8", "\xE2\x80\xA9",  // U+2028, U+2029
    "\xE2\x80\xAF",                  // U+202F
    "\xE2\x81\x9F",                  // U+205F
    "\xE3\x80\x80",                  // U+3000
    "\xEF\xBB\xBF",                  // U+FEFF
};

// True when byte C cannot be the first or last byte of a kJsWhitespace entry: ASCII other than
// the six ASCII entries (every other entry is multi-byte, so it starts and ends with a byte >= 0x80).
bool plainAscii(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x80 && u != ' ' && (u < '\t' || u > '\r');
}

size_t leadingWhitespace(std::string_view s) {
  if (s.empty() || plainAscii(s.front())) return 0;  // the common case, without 25 comparisons
  for (const auto ws : kJsWhitespace)
    if (s.substr(0, ws.size()) == ws) return ws.size();
  return 0;
}

size_t trailingWhitespace(std::string_view s) {
  if (s.empty() || plainAscii(s.back())) return 0;
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
  if (t.empty() || !isCleanText(t)) return std::nullopt;
  bool ascii = true;
  for (const char c : t) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  std::string out(t);
  if (ascii) {  // the common case, without a round trip through UTF-16
    for (char& c : out)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
  }
  // UTF-8 -> UTF-16 -> u_strToLower(root locale "") -> UTF-8. Lower-casing may grow the text
  // (U+0130 becomes two code points): size the buffers from ICU's preflight answers.
  const auto len32 = static_cast<int32_t>(t.size());
  UErrorCode err = U_ZERO_ERROR;
  int32_t n16 = 0;
  u_strFromUTF8(nullptr, 0, &n16, t.data(), len32, &err);
  if (err != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(err)) return std::nullopt;
  std::u16string src(static_cast<size_t>(n16), u'\0');
  err = U_ZERO_ERROR;
  u_strFromUTF8(src.data(), n16, nullptr, t.data(), len32, &err);
  if (U_FAILURE(err)) return std::nullopt;
  std::u16string low(src.size() + 8, u'\0');
  for (int attempt = 0; attempt < 2; ++attempt) {
    err = U_ZERO_ERROR;
    const int32_t n = u_strToLower(low.data(), static_cast<int32_t>(low.size()), src.data(), n16, "", &err);
    if (err == U_BUFFER_OVERFLOW_ERROR) {
      low.assign(static_cast<size_t>(n), u'\0');
      continue;
    }
    if (U_FAILURE(err)) return std::nullopt;
    low.resize(static_cast<size_t>(n));
    break;
  }
  if (U_FAILURE(err)) return std::nullopt;
  int32_t n8 = 0;
  err = U_ZERO_ERROR;
  u_strToUTF8(nullptr, 0, &n8, low.data(), static_cast<int32_t>(low.size()), &err);
  if (err != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(err)) return std::nullopt;
  out.assign(static_cast<size_t>(n8), '\0');
  err = U_ZERO_ERROR;
  u_strToUTF8(out.data(), n8, nullptr, low.data(), static_cast<int32_t>(low.size()), &err);
  if (U_FAILURE(err)) return std::nullopt;
  return out;
}

bool isCleanText(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    if (c == 0) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    // Lead byte: length and the allowed range of the second byte (RFC 3629 table, section 4).
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
      len = 2;
    else if (c == 0xE0)
      len = 3, lo = 0xA0;  // no overlong 3-byte forms
    else if (c == 0xED)
      len = 3, hi = 0x9F;  // no surrogates U+D800-U+DFFF
    else if (c >= 0xE1 && c <= 0xEF)
      len = 3;
    else if (c == 0xF0)
      len = 4, lo = 0x90;  // no overlong 4-byte forms
    else if (c == 0xF4)
      len = 4, hi = 0x8F;  // nothing above U+10FFFF
    else if (c >= 0xF1 && c <= 0xF3)
      len = 4;
    else
      return false;  // 0x80-0xC1, 0xF5-0xFF
    if (n - i < len) return false;
    if (p[i + 1] < lo || p[i + 1] > hi) return false;
    for (size_t k = 2; k < len; ++k)
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return false;
    i += len;
  }
  return true;
}

std::string escapeControl(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char buf[5];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
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
