// The application's notions of text, shared by every stage so that "missing" means the same in
// SQL and in C++: JavaScript's String.prototype.trim whitespace, missing values, email
// normalization and the shape of a GHL id.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace ghlb {

// Strips leading and trailing whitespace as JavaScript's trim() does (UTF-8 input): tab, LF, VT,
// FF, CR, space, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000, U+FEFF.
std::string_view jsTrim(std::string_view s);

// NULL, empty, or whitespace only (jsTrim's whitespace).
bool isMissing(const std::optional<std::string>& v);
bool isMissing(std::string_view v);

// A PostgreSQL ARE matching a value made only of jsTrim's whitespace (or empty). Used as a bound
// parameter: `col IS NULL OR col ~ $n`.
const std::string& pgBlankPattern();

// Trimmed and lower-cased as JavaScript's toLowerCase() does (full Unicode, root locale: not case
// folding, so 'ß' stays and final sigma becomes 'ς'); nullopt when missing, and when the input is
// not clean text (isCleanText): such a value is no usable email.
std::optional<std::string> normalizeEmail(std::string_view raw);

// Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF) without
// a NUL byte: the only values written to the application database.
bool isCleanText(std::string_view s);

// The value with backslash and every control character (C0, DEL) escaped as \\, \n, \r, \t or
// \xHH, so that a value from outside can never forge or break a line of text output.
std::string escapeControl(std::string_view s);

// Trimmed; nullopt when missing (names, company).
std::optional<std::string> normalizeText(std::string_view raw);

// 15-64 ASCII letters or digits: the only ids fetch will send to GET /contacts/{id}.
bool isValidGhlId(std::string_view id);

}  // namespace ghlb
