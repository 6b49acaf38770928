// The review summary a reviewer acts on: per tenant, how many leads are in each plan status, how
// many values of each field will be (or were) written, what is reported but not written, and
// what apply has done so far (written, stale, ...). Built from the work DB; counts only, no PII.
#pragma once
#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

namespace ghlb {

struct TenantReview {
  std::map<std::string, std::int64_t> by_status;  // plan_lead.status -> leads
  std::int64_t ambiguous = 0;                     // leads flagged ambiguous
  std::int64_t links = 0;                         // leads that will be linked
  std::map<std::string, std::int64_t> fields;     // field -> values planned
  std::map<std::string, std::int64_t> reported;   // "field:reason" -> count
  std::map<std::string, std::int64_t> applied;    // apply outcome -> fields
  std::int64_t leads = 0;
};

struct ReviewSummary {
  std::map<std::string, TenantReview> tenants;  // client id -> review
  std::int64_t plan_id = 0;                     // the plan (plan_store.h) this review shows; 0: none
  std::string fingerprint;                      // of its inputs
  std::int64_t totalByStatus(const std::string& status) const;
  std::int64_t totalApplied(const std::string& outcome) const;
  std::int64_t totalToWrite() const;  // values still to write, every tenant and field
  std::string countsJson() const;     // totals for stage_run.counts
};

ReviewSummary loadReview(SQLite::Database& db, const std::vector<std::string>& client_ids);
void printReview(const ReviewSummary& s, std::ostream& out);

}  // namespace ghlb
