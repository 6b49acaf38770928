#include "duration.h"

#include <array>
#include <cstdint>

namespace ghlb {
namespace {

struct Unit {
  char name;
  std::int64_t seconds;
};
constexpr std::array<Unit, 4> kUnits{{{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}}};
constexpr std::int64_t kMaxSeconds = 366 * 86400;

}  // namespace

std::optional<std::chrono::seconds> parseDuration(std::string_view text) {
  if (text == "0") return std::chrono::seconds(0);
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  size_t next_unit = 0;  // units must come in kUnits order, each once
  size_t i = 0;
  while (i < text.size()) {
    std::int64_t n = 0;
    const size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      n = n * 10 + (text[i] - '0');
      if (n > kMaxSeconds) return std::nullopt;  // too long whatever the unit
      ++i;
    }
    if (i == start || i == text.size()) return std::nullopt;  // no number, or no unit
    size_t u = next_unit;
    while (u < kUnits.size() && kUnits[u].name != text[i]) ++u;
    if (u == kUnits.size()) return std::nullopt;  // unknown unit, or out of order, or repeated
    total += n * kUnits[u].seconds;
    if (total > kMaxSeconds) return std::nullopt;
    next_unit = u + 1;
    ++i;
  }
  return std::chrono::seconds(total);
}

}  // namespace ghlb
