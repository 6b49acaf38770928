// The review a reviewer acts on. The summary: per tenant (id and name), how many leads are in
// each plan status, how many values of each field will be (or were) written, what is reported but
// not written, and what apply has done so far (written, stale, ...); counts only, no PII. The
// per-lead review (LeadReview): one lead's outcome with its values, for the export and for
// `plan --lead ID`. Filters (plan --lead, --field, --outcome) narrow both. Built from the work DB.
#pragma once
#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "plan.h"

namespace ghlb {

// What `plan --lead/--field/--outcome` narrows the printed review to; every list empty = all.
// The lists are ORed within, ANDed together.
struct ReviewFilter {
  std::vector<std::string> leads;     // lead ids
  std::vector<std::string> fields;    // kFields names: leads with a value to write, a report or an
                                      // apply result on one of them; per-field tables show only these
  std::vector<std::string> outcomes;  // reviewOutcomes(): a plan status, "ambiguous" or a report reason
  bool empty() const { return leads.empty() && fields.empty() && outcomes.empty(); }
};

// The valid --outcome values: every plan status, "ambiguous", and the reasons of plan_report.
const std::vector<std::string>& reviewOutcomes();

// Usage error (one line listing the valid values) for an unknown --field or --outcome.
void checkReviewFilter(const ReviewFilter& f);

struct AppliedField {
  std::string field;
  std::string outcome;               // apply_log.outcome: written, stale, conflict, ...
  std::optional<std::string> value;  // the value apply wrote or would have written
};

// One lead of the plan as a reviewer sees it: plan_lead with its tenant's name, its changes (in
// kFields order), its reports and what apply already did to it. Holds PII (the values).
struct LeadReview {
  std::string lead_id;
  std::string client_id;
  std::optional<std::string> client_name;  // client.name (validated by extract), nullopt: none
  std::string status;                      // plan_status
  std::string note;                        // reason code
  std::optional<std::string> contact_id;
  bool link = false;
  bool ambiguous = false;
  std::optional<std::string> other_lead;  // conflict: holder or winner; waiting: the lead waited for
  std::vector<std::string> candidates;    // ambiguous: matching contact ids, the taken one first
  std::vector<FieldChange> changes;
  std::vector<std::pair<std::string, std::string>> reports;  // (field, reason)
  std::vector<AppliedField> applied;
  bool matches(const ReviewFilter& f) const;
};

// Calls visit once per lead of the plan of the scope that matches filter, in lead id order (byte
// order), streaming: memory does not grow with the number of leads.
void forEachLeadReview(SQLite::Database& db, const std::vector<std::string>& client_ids,
                       const ReviewFilter& filter, const std::function<void(const LeadReview&)>& visit);

struct TenantReview {
  std::optional<std::string> name;                // client.name; nullopt: none known
  std::map<std::string, std::int64_t> by_status;  // plan_lead.status -> leads
  std::int64_t ambiguous = 0;                     // leads flagged ambiguous
  std::int64_t links = 0;                         // leads that will be linked
  std::map<std::string, std::int64_t> fields;     // field -> values planned (rejected ones left out)
  std::map<std::string, std::int64_t> rejected;   // field -> values rejected in review: never written
  std::map<std::string, std::int64_t> reported;   // "field:reason" -> count
  std::map<std::string, std::int64_t> applied;    // apply outcome -> fields
  std::int64_t leads = 0;
};

struct ReviewSummary {
  std::map<std::string, TenantReview> tenants;  // client id -> review
  std::int64_t plan_id = 0;                     // the plan (plan_store.h) this review shows; 0: none
  std::string fingerprint;                      // of its inputs
  ReviewFilter filter;                          // what the review was narrowed to (empty: nothing)
  std::int64_t leads_in_plan = 0;               // every lead of the scope, whatever the filter
  std::int64_t totalByStatus(const std::string& status) const;
  std::int64_t totalApplied(const std::string& outcome) const;
  std::int64_t totalToWrite() const;  // values still to write, every tenant and field
  std::string countsJson() const;     // totals for stage_run.counts
};

// The summary of the scope's plan, narrowed to the leads (and fields) filter selects.
// client.name of the tenants client_ids (empty = all) that have one (validated by extract).
std::map<std::string, std::string> tenantNames(SQLite::Database& db,
                                               const std::vector<std::string>& client_ids);

// How a table row names a tenant: its name if known, else its id, made safe for a terminal and
// cut to max_chars.
std::string tenantLabel(const std::string& client_id, const std::map<std::string, std::string>& names,
                        size_t max_chars);

ReviewSummary loadReview(SQLite::Database& db, const std::vector<std::string>& client_ids,
                         const ReviewFilter& filter = {});

// The unfiltered summary of the scope's plan from counts plan kept as it wrote the rows (per tenant:
// leads, by_status, ambiguous, links, fields, reported: what loadReview counts in SQL), completed
// from the work DB as loadReview completes its own (rejected values, apply's outcomes, names).
ReviewSummary countedReview(SQLite::Database& db, const std::vector<std::string>& client_ids,
                            std::map<std::string, TenantReview> counted);

// The summary as tables within about 100 columns: tenants named "T1".."Tn" in a legend line each
// (id and name), names cut with an ellipsis, every control character escaped.
void printReview(const ReviewSummary& s, std::ostream& out);

// Under the summary when a filter is given: one line per matching lead (ids, status, reason, no
// values), at most max_lines, then how many more. With filter.leads, each lead in detail instead,
// values included (the reviewer's terminal: PII, never to a log).
void printLeadReviews(SQLite::Database& db, const std::vector<std::string>& client_ids,
                      const ReviewFilter& filter, std::ostream& out, std::int64_t max_lines = 50);

// For the readers (review, status), before the process's first SQLite connection: each connection
// is used by one thread at a time, so SQLite takes no mutex per call (the per-column calls of a pass
// over a million-lead plan locked and unlocked one each: 12% of review's CPU). A no-op once SQLite
// is initialized.
void sqliteWithoutCallMutex();

// S for a terminal: control characters escaped (escapeControl, C1 and bidi controls too), cut to
// at most max_chars characters with a final U+2026 when longer.
std::string displayText(std::string_view s, size_t max_chars);

}  // namespace ghlb
