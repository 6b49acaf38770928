// toStoredPhone: the application's phone storage format (backfill-rules.md), byte for byte the
// behaviour of the application's own TypeScript function on tests/data/stored-phone-vectors.tsv.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace ghlb {

// The stored form of a phone as GHL returns it, or nullopt when it has none (< 7 digits).
std::optional<std::string> toStoredPhone(std::string_view input);

}  // namespace ghlb
