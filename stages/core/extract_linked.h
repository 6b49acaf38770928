// extract --client-id's linked contact ids (extract.cpp refreshLinked): the pieces worth testing
// alone.
#pragma once
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace ghlb {

// A contact id in a buffer: offset and length.
using IdSpan = std::pair<std::uint32_t, std::uint32_t>;

// Sorts AT, ids in BUF, in byte order (PostgreSQL's "C", SQLite's BINARY). Each is keyed by its
// first 8 bytes as a big-endian integer (zero-padded: ids hold no NUL), so that most comparisons
// are one integer's, in the array, rather than two memcmp far apart in the buffer.
void sortContactIds(std::string_view buf, std::vector<IdSpan>& at);

}  // namespace ghlb
