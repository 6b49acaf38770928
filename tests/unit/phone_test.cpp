// toStoredPhone against the application's own outputs (tests/data/stored-phone-vectors.tsv).
#include "phone.h"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <fstream>
#include <string>

namespace {

// An input starting with '"' is a JSON string literal; any other is taken literally.
std::string decodeInput(const std::string& raw) {
  if (raw.empty() || raw.front() != '"') return raw;
  rapidjson::Document d;
  d.Parse(raw.c_str(), raw.size());
  REQUIRE_MESSAGE(d.IsString(), "bad JSON literal in vectors file");
  return std::string(d.GetString(), d.GetStringLength());
}

}  // namespace

TEST_CASE("toStoredPhone matches every vector of the application's function") {
  std::ifstream in(std::string(GHLB_TEST_DATA) + "/stored-phone-vectors.tsv");
  REQUIRE(in.good());
  std::string line;
  int checked = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto tab = line.rfind('\t');
    REQUIRE(tab != std::string::npos);
    const std::string input = decodeInput(line.substr(0, tab));
    const std::string expected = line.substr(tab + 1);
    const auto got = ghlb::toStoredPhone(input);
    INFO("vector line: " << line);
    if (expected == "\\N")
      CHECK_FALSE(got.has_value());
    else {
      REQUIRE(got.has_value());
      CHECK(*got == expected);
    }
    ++checked;
  }
  CHECK(checked > 290);
}

TEST_CASE("toStoredPhone rules one by one") {
  using ghlb::toStoredPhone;
  CHECK_FALSE(toStoredPhone("123456").has_value());               // fewer than 7 digits
  CHECK(*toStoredPhone("1234567") == "1234567");                  // 7 digits, stored as digits
  CHECK(*toStoredPhone("0044 20 7946 0958") == "+442079460958");  // leading 00 dropped, international
  CHECK(*toStoredPhone("020 7946 0958") == "02079460958");        // leading 0 kept as digits
  CHECK(*toStoredPhone("1 415 555 0134") == "+14155550134");      // 11 digits, NANP shape
  CHECK(*toStoredPhone("1 115 555 0134") == "11155550134");       // area code starts with 1
  CHECK(*toStoredPhone("1 415 155 0134") == "14151550134");       // exchange starts with 1
  CHECK(*toStoredPhone("+44 20 7946 0958") == "+442079460958");
  CHECK(*toStoredPhone("\xC2\xA0+1 415 555 0134") == "+14155550134");   // NBSP trimmed as JS does
  CHECK(*toStoredPhone("\xC2\x85+44 20 7946 0958") == "442079460958");  // U+0085 is not trimmed
}
