// extract's full pass read by COPY ... TO STDOUT (extract.cpp, LeadCopy): the rows' decoding,
// worth testing alone.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "extract_linked.h"
#include "snapshot_store.h"

namespace ghlb {

// The values of a lead's COPY line: SnapshotRow's, in its order.
constexpr std::size_t kLeadCopyValues = 9;

// Leads read together, each value NUL-terminated in one buffer (SnapshotRow holds C strings).
class LeadBatch {
 public:
  // Adds the lead of LINE, one line of COPY's text format without its newline: values separated
  // by tabs, \N for NULL, escapes decoded (decodeCopyText). False, and nothing added, when LINE
  // does not hold kLeadCopyValues values, or its id or tenant is NULL.
  bool add(std::string_view line);
  std::size_t size() const { return at_.size(); }
  std::size_t bytes() const { return buf_.size(); }
  // Valid while the batch is neither changed nor destroyed.
  SnapshotRow row(std::size_t i) const;
  const char* id(std::size_t i) const { return value(i, 0); }

 private:
  static constexpr std::uint32_t kNull = UINT32_MAX;
  const char* value(std::size_t i, std::size_t k) const {
    return at_[i][k] == kNull ? nullptr : buf_.data() + at_[i][k];
  }
  std::string buf_;
  std::vector<std::array<std::uint32_t, kLeadCopyValues>> at_;  // offsets in buf_, or kNull
  std::string scratch_;
};
using LeadQueue = BatchQueue<LeadBatch>;

}  // namespace ghlb
