// Durations written by people on a command line or in a config file: "90s", "10m", "2h", "1h30m",
// "7d"; "0" means none. Used by --time-budget (stop_signal.h) and any flag that takes an age.
#pragma once
#include <chrono>
#include <optional>
#include <string_view>

namespace ghlb {

// The expected form, for usage messages: "a duration such as 90s, 10m, 2h or 1h30m (0: none)".
inline constexpr const char* kDurationForm = "a duration such as 90s, 10m, 2h, 1h30m or 7d (0: none)";

// Parses TEXT: one or more NUMBER UNIT parts, units d, h, m, s, each at most once and in that
// order ("1h30m", never "30m1h" or "1h1h"), or a bare "0". No sign, no space, no fraction. At
// most 366 days in total. nullopt when TEXT is not of that form.
std::optional<std::chrono::seconds> parseDuration(std::string_view text);

}  // namespace ghlb
