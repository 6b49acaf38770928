#include "text.h"

#include <doctest/doctest.h>

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
  // Every ASCII whitespace at either end, next to text (the ASCII fast path must not skip them).
  for (const char* ws : {"\t", "\n", "\v", "\f", "\r", " "}) {
    CHECK(jsTrim(std::string(ws) + "a" + ws) == "a");
    CHECK(jsTrim(std::string("a") + ws + ws + "b" + ws + "\xE3\x80\x80") == std::string("a") + ws + ws + "b");
  }
  CHECK(jsTrim("x\xE2\x80\x8A") == "x");  // U+200A after ASCII text
}

TEST_CASE("emails are trimmed and lower-cased; names trimmed; blank is absent") {
  CHECK(*normalizeEmail("  Ann.Lee@Example.COM ") == "ann.lee@example.com");
  CHECK_FALSE(normalizeEmail(" \t").has_value());
  CHECK(*normalizeText("  Ann ") == "Ann");
  CHECK_FALSE(normalizeText("   ").has_value());
}

TEST_CASE("a GHL id is 15 to 64 ASCII letters or digits") {
  CHECK(isValidGhlId("abcdefghij12345"));
  CHECK_FALSE(isValidGhlId("abcdefghij1234"));  // 14
  CHECK(isValidGhlId(std::string(64, 'a')));
  CHECK_FALSE(isValidGhlId(std::string(65, 'a')));
  CHECK_FALSE(isValidGhlId("abcdefghij-12345"));     // not alphanumeric
  CHECK_FALSE(isValidGhlId("abcdefghij/../12345"));  // never a path
  CHECK_FALSE(
      isValidGhlId("\xC3\xA9"
                   "bcdefghij123456"));  // non-ASCII
}

TEST_CASE("emails are lower-cased as JavaScript's toLowerCase() (vectors printed by node)") {
  // node -e 'console.log(JSON.stringify(s.toLowerCase()))' for each input (ICU root locale: not
  // case folding; final sigma by context; U+0130 gives i + U+0307).
  const std::pair<const char*, const char*> vectors[] = {
      {"ÄRGER@BEISPIEL.DE", "ärger@beispiel.de"},
      {"ÉLODIE@EXAMPLE.FR", "élodie@example.fr"},
      {"ΩMEGA@EXAMPLE.GR", "ωmega@example.gr"},
      {"ΟΔΥΣΣΕΥΣ@EXAMPLE.GR", "οδυσσευς@example.gr"},  // medial σ, final ς
      {"ΣΑΣ.ΣΑΣ@EXAMPLE.GR", "σασ.σας@example.gr"},    // '.' is case-ignorable: not a word end
      {"İSTANBUL@EXAMPLE.TR", "i\xCC\x87stanbul@example.tr"},
      {"STRAẞE@EXAMPLE.DE", "straße@example.de"},  // U+1E9E -> ß
      {"straße@example.de", "straße@example.de"},  // lower-casing, not folding: ß stays
      {"ИВАН.ПЕТРОВ@ПРИМЕР.РФ", "иван.петров@пример.рф"},
      {"Ann.Lee@Example.COM", "ann.lee@example.com"},
      {"ǅUNGLA@EXAMPLE.HR", "ǆungla@example.hr"},  // titlecase digraph
      {"ΑΣ@X.GR", "ας@x.gr"},
      {"Σ@X.GR", "σ@x.gr"},  // a lone sigma is not final
      {"AİB@X",
       "ai\xCC\x87"
       "b@x"},
  };
  for (const auto& [in, want] : vectors) {
    CAPTURE(in);
    REQUIRE(normalizeEmail(in).has_value());
    CHECK(*normalizeEmail(in) == want);
  }
  CHECK(*normalizeEmail("\xE3\x80\x80 ÄB@X.DE\xC2\xA0") == "äb@x.de");  // trimmed as JS trim() first
}

TEST_CASE("an email that is not clean text is no email (never a crash)") {
  CHECK_FALSE(normalizeEmail("a\xC3@x.com").has_value());                 // truncated sequence
  CHECK_FALSE(normalizeEmail("A\xC0\xAF@X.COM").has_value());             // overlong '/'
  CHECK_FALSE(normalizeEmail("a\xED\xA0\x80@x.com").has_value());         // surrogate U+D800
  CHECK_FALSE(normalizeEmail(std::string("a\0b@x.com", 9)).has_value());  // NUL
}

TEST_CASE("isCleanText: well-formed UTF-8 (RFC 3629) without NUL") {
  CHECK(isCleanText(""));
  CHECK(isCleanText("Ann Lee"));
  CHECK(isCleanText("Zoë Ærø Ωμέγα 東京 \xF0\x9F\x98\x80"));       // 2, 3 and 4-byte forms
  CHECK(isCleanText("\xC2\x80\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF"));  // U+0080 U+07FF U+0800 U+FFFF
  CHECK(isCleanText("\xED\x9F\xBF\xEE\x80\x80"));                  // U+D7FF U+E000 around surrogates
  CHECK(isCleanText("\xF0\x90\x80\x80\xF4\x8F\xBF\xBF"));          // U+10000 U+10FFFF
  CHECK(isCleanText("tab\tand\nnewline"));                         // control characters are text
  CHECK_FALSE(isCleanText(std::string("Smith\0Jones", 11)));       // NUL
  CHECK_FALSE(isCleanText(std::string(1, '\0')));
  CHECK_FALSE(isCleanText("\x80"));              // lone continuation byte
  CHECK_FALSE(isCleanText("\xC3"));              // truncated 2-byte
  CHECK_FALSE(isCleanText("\xE2\x82"));          // truncated 3-byte
  CHECK_FALSE(isCleanText("\xF0\x9F\x98"));      // truncated 4-byte
  CHECK_FALSE(isCleanText("\xC3(x"));            // bad continuation
  CHECK_FALSE(isCleanText("\xC0\x80"));          // overlong NUL
  CHECK_FALSE(isCleanText("\xC1\xBF"));          // overlong 2-byte
  CHECK_FALSE(isCleanText("\xE0\x9F\xBF"));      // overlong 3-byte
  CHECK_FALSE(isCleanText("\xF0\x8F\xBF\xBF"));  // overlong 4-byte
  CHECK_FALSE(isCleanText("\xED\xA0\x80"));      // surrogate U+D800
  CHECK_FALSE(isCleanText("\xED\xBF\xBF"));      // surrogate U+DFFF
  CHECK_FALSE(isCleanText("\xF4\x90\x80\x80"));  // U+110000
  CHECK_FALSE(isCleanText("\xF5\x80\x80\x80"));  // lead byte F5
  CHECK_FALSE(isCleanText("\xFF"));
  CHECK_FALSE(isCleanText("\xE2\x82\xAC\xE2\x28\xA1"));  // good then bad
}

TEST_CASE("escapeControl: no raw control character or backslash survives") {
  CHECK(escapeControl("lead-1") == "lead-1");
  CHECK(escapeControl("a\nfetch: forged line") == "a\\nfetch: forged line");
  CHECK(escapeControl("\r\t\\") == "\\r\\t\\\\");
  CHECK(escapeControl("\x1b[31m") == "\\x1b[31m");
  CHECK(escapeControl(std::string("\0\x7f", 2)) == "\\x00\\x7f");
  CHECK(escapeControl("Zoë") == "Zoë");  // UTF-8 kept as is
}
