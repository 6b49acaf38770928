// The work list of fetch: the eligible leads of the work DB's snapshot (table lead) that still
// need a GHL lookup, judged against what fetch_result holds for them. A lead needs one when it
// has no result yet, a retryable one, or one for another lookup than the snapshot now asks for
// (every lead with --refetch). countWork() sizes the list per client before a run;
// ClientQueue reads one client's part lazily, in keyset pages by lead id, while the engine runs.
#pragma once
#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

#include "lead.h"
#include "options.h"
#include "work_db.h"

namespace ghlb {

// A snapshot row with what the last fetch stored for it (all three unset when nothing was).
struct LeadRow {
  LeadSnapshot lead;
  std::optional<std::string> lookup, lookup_key, outcome;
};

// True when ROW has no result yet, a retryable (or unreadable) one, or one for another lookup
// or key than lookupFor(row.lead) now gives; always true with REFETCH.
bool needsFetch(const LeadRow& row, bool refetch);

// Leads to fetch per client id: eligible, in opts.common.client_ids (when given), and without a
// final result for their current lookup (every lead with opts.refetch).
std::map<std::string, std::int64_t> countWork(WorkDb& work, const FetchOptions& opts);

// The statement ClientQueue pages with (eligible leads of one client after a lead id, by id).
// One statement may serve every queue of a run: a queue steps and resets it within one call.
SQLite::Statement clientPageQuery(SQLite::Database& db);

// One client's work list, read lazily in keyset pages by lead id so memory stays bounded and no
// read statement stays open while results are written. Leads that need no fetch are skipped.
class ClientQueue {
 public:
  // PAGE_QUERY comes from clientPageQuery() and must outlive the queue.
  ClientQueue(SQLite::Statement& page_query, std::string client_id, bool refetch);

  // The next lead, or nullptr when the list is exhausted. Valid until pop().
  const LeadSnapshot* peek();

  // Removes and returns the next lead; only after peek() returned non-null.
  LeadSnapshot pop();

 private:
  void refill();

  SQLite::Statement* query_;
  std::string client_id_;
  bool refetch_;
  std::string after_;  // last lead id read; "" sorts before every id
  bool exhausted_ = false;
  std::deque<LeadSnapshot> buf_;
};

}  // namespace ghlb
