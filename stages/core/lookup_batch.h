// The OR-group task (--strategy batched): up to --search-batch distinct emails of consecutive
// email leads in one search, paged with searchAfter while GHL's total says contacts are unread.
// Each page is stored raw at once (a killed run goes on from the last stored page); the whole
// answer is then cut by normalized email, so each member lead gets exactly the contacts of its own
// email, as its own search would have answered, and is finished as a per-lead search. A server
// that rejects the group (4xx), or whose answer is unusable or too large, sends the location per
// lead.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fetch_work.h"
#include "lookup_lead.h"

namespace ghlb {

class BatchLookup final : public PagedLookup {
 public:
  // The next group from SOURCE (whose next lead is an email lead): its consecutive email leads
  // while they have at most BATCH distinct emails; leads sharing an email share its answer. A
  // group stored in part by an earlier run goes on from its last stored page; one stored whole
  // gives its results at once (nullptr: no request).
  static std::unique_ptr<BatchLookup> take(TaskContext& ctx, ClientQueue& source, int batch);

  // A group of MEMBERS (email leads), as take() builds it.
  explicit BatchLookup(std::vector<LeadLookup> members);

  HttpRequest request(const GhlTarget& target, int page_limit) const override;
  Endpoint endpoint() const override { return Endpoint::kSearch; }
  void fail(TaskContext& ctx, FetchOutcome outcome, const std::string& detail) override;

  const std::vector<std::string>& emails() const { return emails_; }
  const std::string& key() const { return key_; }

 private:
  Next onPage(TaskContext& ctx, const SearchPage& page, std::string body) override;
  Next fallBack(TaskContext& ctx, const char* reason, int status) override;
  void finish(TaskContext& ctx);  // every page is stored: each member gets its answer

  std::vector<LeadLookup> members_;
  std::vector<std::string> emails_;  // distinct, in the members' order
  std::string key_;                  // names its stored pages (lookup_batch_page)
  std::string cursor_;               // searchAfter of the next page; "" for the first
  std::int64_t seq_ = 0;             // pages stored
  std::int64_t seen_ = 0;            // contacts read over its pages
  std::size_t page_bytes_ = 0;       // their size: bounded by --max-body-bytes in all
};

// The name of an OR group's stored pages: FNV-1a 64 of its emails in order, and their count.
std::string batchKey(const std::vector<std::string>& emails);

}  // namespace ghlb
