// extract_linked: the linked contact ids sorted in byte order, as a plain sort of the views would,
// whatever their lengths, shared prefixes (of 8 bytes and more), case and bytes above 0x7f.
#include "extract_linked.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>

using namespace ghlb;

namespace {
std::vector<std::string> sorted(const std::string& buf, const std::vector<IdSpan>& at) {
  std::vector<std::string> out;
  for (const auto& a : at) out.push_back(buf.substr(a.first, a.second));
  return out;
}
}  // namespace

TEST_CASE("linked contact ids: sorted in byte order") {
  std::mt19937 rng(12);
  const std::string alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\x7f\xc3\xa9 ";
  std::vector<std::string> ids = {"",          "a",         "ab",      "abcdefgh", "abcdefgh0",
                                  "abcdefghZ", "abcdefgha", "abcdefg", "ABCDEFGH", "\xc3\xa9t\xc3\xa9",
                                  "zz",        "Z"};
  for (int i = 0; i < 3000; ++i) {
    std::string id = i % 3 == 0 ? "ocQHyuzH" : "";  // a shared 8-byte prefix for a third
    const auto n = std::uniform_int_distribution<int>(0, 24)(rng);
    for (int k = 0; k < n; ++k)
      id += alphabet[std::uniform_int_distribution<std::size_t>(0, alphabet.size() - 1)(rng)];
    ids.push_back(id);
  }
  std::string buf;
  std::vector<IdSpan> at;
  for (const auto& id : ids) {
    at.emplace_back(static_cast<std::uint32_t>(buf.size()), static_cast<std::uint32_t>(id.size()));
    buf += id;
  }
  sortContactIds(buf, at);
  auto want = ids;
  std::sort(want.begin(), want.end());  // std::string: byte order (char_traits<char> compares as unsigned)
  CHECK(sorted(buf, at) == want);
  sortContactIds(buf, at);  // already sorted: unchanged
  CHECK(sorted(buf, at) == want);
}
