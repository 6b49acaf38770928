#include "sim_text.h"

#include <arpa/inet.h>

#include <array>
#include <chrono>
#include <random>

namespace ghlsim {

namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

char32_t lowerCodepoint(char32_t c) {
  if (c >= U'A' && c <= U'Z') return c + 32;
  if (c < 0x80) return c;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
  if (c >= 0x100 && c <= 0x137 && c % 2 == 0) return c + 1;
  if (c >= 0x139 && c <= 0x148 && c % 2 == 1) return c + 1;
  if (c >= 0x14A && c <= 0x177 && c % 2 == 0) return c + 1;
  if (c == 0x178) return 0xFF;
  if (c >= 0x179 && c <= 0x17E && c % 2 == 1) return c + 1;
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 32;
  if (c >= 0x410 && c <= 0x42F) return c + 32;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  return c;
}

void appendUtf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

// Decodes the 2- or 3-byte UTF-8 sequence at s[i] (the only lengths that hold letters we map).
// Returns the number of bytes consumed, or 0 when the bytes there are not such a sequence.
std::size_t decodeUtf8(std::string_view s, std::size_t i, char32_t& out) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const auto cont = [&](std::size_t k) { return k < s.size() && (b(k) & 0xC0) == 0x80; };
  if ((b(i) & 0xE0) == 0xC0 && b(i) >= 0xC2 && cont(i + 1)) {
    out = (static_cast<char32_t>(b(i) & 0x1F) << 6) | (b(i + 1) & 0x3F);
    return 2;
  }
  if ((b(i) & 0xF0) == 0xE0 && cont(i + 1) && cont(i + 2)) {
    out = (static_cast<char32_t>(b(i) & 0x0F) << 12) | (static_cast<char32_t>(b(i + 1) & 0x3F) << 6) |
          (b(i + 2) & 0x3F);
    return out >= 0x800 ? 3 : 0;
  }
  return 0;
}

// Parses exactly `n` decimal digits at s[pos]; advances pos.
bool digits(std::string_view s, std::size_t& pos, std::size_t n, int& value) {
  if (pos + n > s.size()) return false;
  value = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const char c = s[pos + k];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  pos += n;
  return true;
}

bool expect(std::string_view s, std::size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

bool looksLikePhone(std::string_view seg) {
  int digitCount = 0;
  for (const char c : seg) {
    if (c >= '0' && c <= '9') {
      ++digitCount;
    } else if (c != '+' && c != '-' && c != '.' && c != '(' && c != ')' && c != ' ') {
      return false;
    }
  }
  return digitCount >= 7;
}

bool containsAt(std::string_view seg) {
  if (seg.find('@') != std::string_view::npos) return true;
  const std::string lower = toLower(seg);
  return lower.find("%40") != std::string::npos;
}

// URL-decodes the few escapes that can hide phone punctuation ("%2B" '+', "%20" ' ').
std::string decodePhoneEscapes(std::string_view seg) {
  std::string out;
  for (std::size_t i = 0; i < seg.size(); ++i) {
    if (seg[i] == '%' && i + 2 < seg.size()) {
      const std::string esc = toLower(seg.substr(i + 1, 2));
      if (esc == "2b") {
        out.push_back('+');
        i += 2;
        continue;
      }
      if (esc == "20") {
        out.push_back(' ');
        i += 2;
        continue;
      }
    }
    out.push_back(seg[i]);
  }
  return out;
}

}  // namespace

std::string_view trim(std::string_view s) {
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::string toLower(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto byte = static_cast<unsigned char>(s[i]);
    if (byte < 0x80) {
      out.push_back(static_cast<char>(lowerCodepoint(byte)));
      ++i;
      continue;
    }
    char32_t cp = 0;
    const std::size_t len = decodeUtf8(s, i, cp);
    if (len == 0) {
      out.push_back(s[i]);
      ++i;
      continue;
    }
    if (cp == 0x130) {  // capital I with dot above: "i" + combining dot above, as in JavaScript
      out.push_back('i');
      appendUtf8(out, 0x307);
    } else {
      appendUtf8(out, lowerCodepoint(cp));
    }
    i += len;
  }
  return out;
}

std::optional<std::int64_t> parseIsoMillis(std::string_view s) {
  std::size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(s, pos, 4, year) || !expect(s, pos, '-') || !digits(s, pos, 2, month) || !expect(s, pos, '-') ||
      !digits(s, pos, 2, day) || !expect(s, pos, 'T') || !digits(s, pos, 2, hour) || !expect(s, pos, ':') ||
      !digits(s, pos, 2, minute) || !expect(s, pos, ':') || !digits(s, pos, 2, second)) {
    return std::nullopt;
  }
  int millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int scale = 100;
    std::size_t fracDigits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      millis += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
      ++fracDigits;
    }
    if (fracDigits == 0) return std::nullopt;
  }
  int offsetMinutes = 0;
  if (pos < s.size() && s[pos] == 'Z') {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    const int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0, om = 0;
    if (!digits(s, pos, 2, oh) || !expect(s, pos, ':') || !digits(s, pos, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offsetMinutes = sign * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  if (pos != s.size() || hour > 23 || minute > 59 || second > 60) return std::nullopt;

  const std::chrono::year_month_day ymd{std::chrono::year{year},
                                        std::chrono::month{static_cast<unsigned>(month)},
                                        std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  const auto days = std::chrono::sys_days{ymd}.time_since_epoch().count();
  const std::int64_t seconds = static_cast<std::int64_t>(days) * 86400 + hour * 3600 + minute * 60 + second -
                               static_cast<std::int64_t>(offsetMinutes) * 60;
  return seconds * 1000 + millis;
}

std::string randomHex(std::size_t chars) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string out;
  out.reserve(chars);
  std::uniform_int_distribution<std::size_t> pick(0, 15);
  for (std::size_t i = 0; i < chars; ++i) out.push_back(kHex[pick(rng)]);
  return out;
}

bool isLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "::1") return true;
  const std::string text{host};
  std::array<unsigned char, 4> addr{};
  if (inet_pton(AF_INET, text.c_str(), addr.data()) != 1) return false;
  return addr[0] == 127;
}

std::string redactPath(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = path.find('/', start);
    const std::string_view seg =
        path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (containsAt(seg) || looksLikePhone(decodePhoneEscapes(seg))) {
      out += "[redacted]";
    } else {
      out += seg;
    }
    if (slash == std::string_view::npos) break;
    out.push_back('/');
    start = slash + 1;
  }
  return out;
}

}  // namespace ghlsim
