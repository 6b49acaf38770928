#include "extract_linked.h"

#include <algorithm>

namespace ghlb {

void sortContactIds(std::string_view buf, std::vector<IdSpan>& at) {
  const auto view = [&](const IdSpan& a) { return buf.substr(a.first, a.second); };
  if (std::is_sorted(at.begin(), at.end(),
                     [&](const IdSpan& a, const IdSpan& b) { return view(a) < view(b); }))
    return;  // the index's collation order was byte order
  struct Key {
    std::uint64_t prefix;
    IdSpan at;
  };
  std::vector<Key> keys;
  keys.reserve(at.size());
  for (const auto& a : at) {
    std::uint64_t prefix = 0;
    const auto id = view(a);
    for (std::size_t i = 0; i < 8; ++i)
      prefix = (prefix << 8) | (i < id.size() ? static_cast<unsigned char>(id[i]) : 0U);
    keys.push_back({prefix, a});
  }
  std::sort(keys.begin(), keys.end(), [&](const Key& a, const Key& b) {
    return a.prefix != b.prefix ? a.prefix < b.prefix : view(a.at) < view(b.at);
  });
  for (std::size_t i = 0; i < keys.size(); ++i) at[i] = keys[i].at;
}

}  // namespace ghlb
