// extract's full pass read by COPY ... TO STDOUT: the rows' decoding (LeadBatch, tested alone) and
// the reader thread (LeadCopy) that extract.cpp's stream() writes from.
#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <future>
#include <optional>
#include <pqxx/transaction_base>
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

// A batch of COPY's rows as stream() reads them: only eligible leads are copied.
struct CopiedRows {
  LeadBatch leads;
  std::size_t size() const { return leads.size(); }
  const char* id(std::size_t i) const { return leads.id(i); }
  bool eligible(std::size_t) const { return true; }
  SnapshotRow row(std::size_t i) const { return leads.row(i); }
};

// The leads of QUERY by COPY (QUERY) TO STDOUT on TX, read on a thread of its own into batches of
// BATCH_ROWS leads (at most kBatchRows, or kBatchBytes) while the caller writes the ones before; nothing else
// may use TX until the copy ends (next() returns nullopt). COPY streams every row without waiting for a next
// FETCH, and unlike a cursor it lets the server run a parallel plan: at 2M leads the first row came
// after 2.8-3.3 s against 4.6-5.4 s for the same query without parallel workers. A stop or an error cancels
// the copy, which aborts TX: the caller then only rolls it back (the destructor waits for the reader on every
// way out).
class LeadCopy {
 public:
  LeadCopy(pqxx::transaction_base& tx, std::string query, std::size_t batch_rows)
      : queue_(kQueuedBatches),
        done_(std::async(std::launch::async,
                         [this, &tx, q = std::move(query), rows = std::min(batch_rows, kBatchRows)] {
                           read(tx, q, rows);
                         })) {}
  LeadCopy(const LeadCopy&) = delete;
  LeadCopy& operator=(const LeadCopy&) = delete;
  ~LeadCopy() { settle(); }
  // The next leads; nullopt at the end. Rethrows what the reader threw.
  std::optional<CopiedRows> next() {
    auto batch = queue_.pop();
    if (!batch) return std::nullopt;
    return CopiedRows{std::move(*batch)};
  }
  // Stops the copy (when it has not ended) and waits for the reader.
  void settle() {
    queue_.cancel();
    if (done_.valid()) done_.wait();
  }

 private:
  // At most about 10 MB read ahead of the writer, whatever the rows: the writer is the slower,
  // so the queue is full from the first rows on, and a larger one only took memory (peak RSS at
  // 2M leads 64-83 MB with three batches of 20,000 leads against 57 MB for the cursor).
  static constexpr std::size_t kQueuedBatches = 4;
  static constexpr std::size_t kBatchRows = 5000;
  static constexpr std::size_t kBatchBytes = std::size_t{2} << 20;
  void read(pqxx::transaction_base& tx, const std::string& query, std::size_t batch_rows);
  LeadQueue queue_;
  std::future<void> done_;  // last: the reader starts once the queue exists
};

}  // namespace ghlb
