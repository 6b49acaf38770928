// extract --client-id's linked contact ids (extract.cpp refreshLinked): the pieces worth testing
// alone.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "snapshot_store.h"

namespace ghlb {

// A contact id in a buffer: offset and length.
using IdSpan = std::pair<std::uint32_t, std::uint32_t>;

// Sorts AT, ids in BUF, in byte order (PostgreSQL's "C", SQLite's BINARY). Each is keyed by its
// first 8 bytes as a big-endian integer (zero-padded: ids hold no NUL), so that most comparisons
// are one integer's, in the array, rather than two memcmp far apart in the buffer.
void sortContactIds(std::string_view buf, std::vector<IdSpan>& at);

// One value of a COPY ... TO STDOUT line in text format (LINE, its newline removed): LINE itself
// when it holds no backslash, else its escapes (\b \f \n \r \t \v \\, octal \ddd, hex \xhh,
// any other \c is c) decoded into SCRATCH.
std::string_view decodeCopyText(std::string_view line, std::string& scratch);

// Contact ids read together: one buffer, not a string each.
struct IdBatch {
  std::string buf;
  std::vector<IdSpan> at;
  void add(std::string_view id) {
    at.emplace_back(static_cast<std::uint32_t>(buf.size()), static_cast<std::uint32_t>(id.size()));
    buf.append(id);
  }
  std::string_view view(const IdSpan& a) const { return std::string_view(buf).substr(a.first, a.second); }
};

// Batches from the thread that reads them to the one that writes them, at most CAPACITY waiting:
// the reader waits while the writer is that far behind.
template <typename Batch>
class BatchQueue {
 public:
  explicit BatchQueue(std::size_t capacity) : capacity_(capacity) {}
  // The reader's: waits while full. False once the writer cancelled: stop reading.
  bool push(Batch&& b) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return cancelled_ || batches_.size() < capacity_; });
    if (cancelled_) return false;
    batches_.push_back(std::move(b));
    changed_.notify_all();
    return true;
  }
  // The reader's last call: the end of the batches, or FAILURE (what it threw).
  void finish(std::exception_ptr failure = nullptr) {
    const std::lock_guard<std::mutex> lock(mutex_);
    finished_ = true;
    failure_ = std::move(failure);
    changed_.notify_all();
  }
  // The writer's: the next batch; nullopt after the last. Rethrows the reader's failure.
  std::optional<Batch> pop() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return finished_ || !batches_.empty(); });
    if (failure_) std::rethrow_exception(failure_);  // what was read before it is not written
    if (batches_.empty()) return std::nullopt;
    Batch b = std::move(batches_.front());
    batches_.pop_front();
    changed_.notify_all();
    return b;
  }
  // The writer's: it stops (a stop request, an error); the reader's next push returns false.
  void cancel() {
    const std::lock_guard<std::mutex> lock(mutex_);
    cancelled_ = true;
    batches_.clear();
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Batch> batches_;
  std::size_t capacity_;
  bool finished_ = false, cancelled_ = false;
  std::exception_ptr failure_;
};
using IdQueue = BatchQueue<IdBatch>;

// What writeNewLinked wrote.
struct NewLinked {
  std::int64_t written = 0;  // contact ids
  std::int64_t wait_ms = 0;  // waiting for the reader
};
// The holders the reader looked up for some of the ids it read: contact id -> lead id, and how
// many ids it asked about (those linked no more by then are absent).
struct LinkedHolders {
  SnapshotStore::LeadContacts of;
  std::int64_t asked = 0;
};

// Fills an EMPTY linked_contact (a new work DB) with the ids of QUEUE, each batch as it comes in
// while the next ones are read, in the batch's order (byte order: appended to the B-tree when the
// batches come in that order, as from an index in "C" or a collation that agrees), every holder
// not known (storeHolders sets some next). The ids go to linked_new (SnapshotStore::
// beginNewLinked), committed every kNewLinkedBatchesPerCommit batches (100,000 ids at extract's
// default 20,000 a batch), so that the checkpointer copies them meanwhile (the close's checkpoint
// took 0.35-0.59 s after a single transaction, 0.18-0.29 s so, at load 6); the last transaction
// makes it linked_contact, with linked_sync (SINCE, the number of ids, all not known). A stop
// request seen between batches (and after each commit, around BETWEEN(ids written so far)) cancels
// the read, drops linked_new and returns nullopt; so does an error, thrown on: linked_contact and
// linked_sync stay as they were.
constexpr int kNewLinkedBatchesPerCommit = 5;
std::optional<NewLinked> writeNewLinked(SnapshotStore& store, IdQueue& queue, const std::string& since,
                                        const std::function<void(std::int64_t)>& between);
// Then, in one transaction, the holders HELD of the WRITTEN ids writeNewLinked wrote as of SINCE,
// and linked_sync's count of those not known, which it returns.
std::int64_t storeHolders(SnapshotStore& store, const LinkedHolders& held, const std::string& since,
                          std::int64_t written);

// Test hook, a no-op in normal runs: when $GHLB_TEST_LINKED_PAUSE_MS is set, calls ANNOUNCE (a
// log line the test waits for), then waits that long or until a stop request: writeNewLinked's
// caller calls it between two batches, so that an end-to-end test stops it in the middle.
void linkedTestPause(const std::function<void()>& announce);

}  // namespace ghlb
