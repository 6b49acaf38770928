// Small text helpers shared by the simulator: whitespace trimming, GHL-style lower-casing of names
// and emails, ISO-8601 timestamp parsing, random hex trace ids, the loopback-host check, and the
// redaction applied to request paths before they reach any log.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ghlsim {

// `s` without leading and trailing ASCII whitespace (space, tab, CR, LF, VT, FF).
std::string_view trim(std::string_view s);

// Lower-cases UTF-8 text the way JavaScript's toLowerCase does for ASCII, Latin-1, Latin
// Extended-A, basic Greek and basic Cyrillic letters; every other byte sequence (including
// invalid UTF-8) is copied unchanged.
std::string toLower(std::string_view s);

// Milliseconds since the Unix epoch for "YYYY-MM-DDTHH:MM:SS[.fff...][Z|+HH:MM|-HH:MM]";
// nullopt when `s` is not such a timestamp or names an impossible date or time.
std::optional<std::int64_t> parseIsoMillis(std::string_view s);

// `chars` random lower-case hex digits (not reproducible; used for traceId only).
std::string randomHex(std::size_t chars);

// True for "localhost", "::1" and dotted-quad IPv4 addresses 127.x.x.x.
bool isLoopbackHost(std::string_view host);

// `path` with every segment that could carry personal data (contains '@' or "%40", or looks like
// a phone number: 7+ digits and only digits, '+', '-', '.', '(', ')', spaces) replaced by
// "[redacted]". Contact ids pass unchanged. Use before writing a path to any log.
std::string redactPath(std::string_view path);

}  // namespace ghlsim
