// The location-scan task (--strategy scan): every lead of a location that needs a call is taken
// into one walk of the location's contacts, 500 a page with the searchAfter cursor, one page in
// flight at a time (one deep cursor per location). Each page is stored raw at once, so a killed
// scan resumes from its last page. Once every contact is read, each lead gets what a per-lead
// lookup would have got: an email lead the contacts of its normalized email (then finished as a
// per-lead search), a lead by id its contact's body; a lead by id whose contact the scan did not
// show, or showed without a field the lead misses, gets its GET. A server that rejects the walk,
// or an unusable page, sends the location per lead.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fetch_tasks.h"
#include "fetch_work.h"
#include "lookup_lead.h"

namespace ghlb {

inline constexpr std::int64_t kScanSlackPages = 5;  // pages a scan may read beyond total / 500

class ScanLookup final : public PagedLookup {
 public:
  // Takes every lead of SOURCE into a scan (leads needing no call are recorded at once); resumes
  // the stored pages of an unfinished scan of the location, else starts one. nullptr when the
  // stored pages finish it (no request).
  static std::unique_ptr<ScanLookup> start(TaskContext& ctx, ClientQueue& source);

  // A scan for LEADS (each needing a call), from its first page.
  explicit ScanLookup(std::vector<LeadLookup> leads);

  HttpRequest request(const GhlTarget& target, int page_limit) const override;
  Endpoint endpoint() const override { return Endpoint::kSearch; }
  void fail(TaskContext& ctx, FetchOutcome outcome, const std::string& detail) override;

  std::int64_t pagesRead() const { return seq_; }

 private:
  Next onPage(TaskContext& ctx, const SearchPage& page, std::string body) override;
  Next fallBack(TaskContext& ctx, const char* reason, int status) override;
  void finish(TaskContext& ctx);

  std::vector<LeadLookup> leads_;
  ContactIndex index_;
  std::string cursor_;       // searchAfter of the next page; "" for the first
  std::int64_t seq_ = 0;     // pages read
  std::int64_t seen_ = 0;    // contacts read
  std::int64_t total_ = -1;  // GHL's total on the first page
};

}  // namespace ghlb
