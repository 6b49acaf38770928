#include <doctest/doctest.h>

#include "text.h"

using namespace ghlb;

TEST_CASE("missing means NULL, empty or whitespace only, with JavaScript's whitespace") {
  CHECK(isMissing(std::optional<std::string>{}));
  CHECK(isMissing(std::optional<std::string>{""}));
  CHECK(isMissing(std::optional<std::string>{" \t\r\n"}));
  CHECK(isMissing(std::optional<std::string>{"\xE3\x80\x80\xC2\xA0\xEF\xBB\xBF"}));  // U+3000 NBSP BOM
  CHECK_FALSE(isMissing(std::optional<std::string>{"\xE2\x80\x8B"}));  // U+200B is not whitespace in JS
  CHECK_FALSE(isMissing(std::optional<std::string>{" a "}));
}

TEST_CASE("jsTrim strips both ends only") {
  CHECK(jsTrim("  a b  ") == "a b");
  CHECK(jsTrim("\xE1\x9A\x80x\xE2\x80\xA9") == "x");  // U+1680, U+2029
  CHECK(jsTrim("") == "");
}

TEST_CASE("emails are trimmed and lower-cased; names trimmed; blank is absent") {
  CHECK(*normalizeEmail("  Ann.Lee@Example.COM ") == "ann.lee@example.com");
  CHECK_FALSE(normalizeEmail(" \t").has_value());
  CHECK(*normalizeText("  Ann ") == "Ann");
  CHECK_FALSE(normalizeText("   ").has_value());
}

TEST_CASE("a GHL id is 15 to 64 ASCII letters or digits") {
  CHECK(isValidGhlId("abcdefghij12345"));
  CHECK_FALSE(isValidGhlId("abcdefghij1234"));            // 14
  CHECK(isValidGhlId(std::string(64, 'a')));
  CHECK_FALSE(isValidGhlId(std::string(65, 'a')));
  CHECK_FALSE(isValidGhlId("abcdefghij-12345"));          // not alphanumeric
  CHECK_FALSE(isValidGhlId("abcdefghij/../12345"));       // never a path
  CHECK_FALSE(isValidGhlId("\xC3\xA9" "bcdefghij123456"));  // non-ASCII
}
