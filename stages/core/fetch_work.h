// The work list of fetch: the eligible leads of the work DB's snapshot (table lead) that still
// need a GHL lookup, judged against what fetch_result holds for them. A lead needs one when it
// has no result yet, a retryable one, or one for another lookup than the snapshot now asks for
// (every lead with --refetch), or a not_found older than --recheck-not-found-after (issue 11: its
// contact may have been created since). readWorkList() sizes the list per client before a run,
// in one pass (the --client-id filter in SQL); ClientQueue reads one client's part lazily, in
// keyset pages by lead id, while the engine runs.
#pragma once
#include <SQLiteCpp/SQLiteCpp.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "clock.h"
#include "fetch_tasks.h"
#include "lead.h"
#include "options.h"
#include "work_db.h"

namespace ghlb {

// A snapshot row with what the last fetch stored for it (all unset when nothing was).
struct LeadRow {
  LeadSnapshot lead;
  std::optional<std::string> lookup, lookup_key, outcome, fetched_at;
};

// Which stored results are done with, beyond a final outcome for the current lookup.
struct WorkRule {
  bool refetch = false;  // none: every lead is fetched again
  // ISO UTC: a not_found stored before this is looked up again ("" never).
  std::string recheck_not_found_before;
};

// The rule of OPTS at wall time NOW (--refetch, --recheck-not-found-after).
WorkRule workRule(const FetchOptions& opts, std::chrono::system_clock::time_point now);

// True when ROW has no result yet, a retryable (or unreadable) one, one for another lookup or key
// than lookupFor(row.lead) now gives, or a not_found from before RULE's recheck time; always true
// with RULE.refetch.
bool needsFetch(const LeadRow& row, const WorkRule& rule);

// One client's part of the work list.
struct ClientWork {
  std::int64_t leads = 0;     // that need a fetch
  std::int64_t eligible = 0;  // eligible leads, fetched already or not
  LocationWork work{};        // gets, searches and distinct emails of the leads (with_location_work)
};

// The work list per client id with work: eligible leads in opts.common.client_ids (when given, in
// SQL), read once, in client order (distinct emails are counted one client at a time).
std::map<std::string, ClientWork> readWorkList(WorkDb& work, const WorkRule& rule,
                                               const std::vector<std::string>& client_ids,
                                               bool with_location_work);

// A run's work list with the rule it was read by.
struct WorkList {
  WorkRule rule;
  std::map<std::string, ClientWork> clients;
};

// Leads to fetch per client id (readWorkList's leads), for opts at the wall clock's now.
std::map<std::string, std::int64_t> countWork(WorkDb& work, const FetchOptions& opts, const Clock& clock);

// The statement ClientQueue pages with (eligible leads of one client after a lead id, by id).
// One statement may serve every queue of a run: a queue steps and resets it within one call.
SQLite::Statement clientPageQuery(SQLite::Database& db);

// One client's work list, read lazily in keyset pages by lead id so memory stays bounded and no
// read statement stays open while results are written. Leads that need no fetch are skipped.
class ClientQueue {
 public:
  // PAGE_QUERY comes from clientPageQuery() and must outlive the queue.
  ClientQueue(SQLite::Statement& page_query, std::string client_id, WorkRule rule);

  // The next lead, or nullptr when the list is exhausted. Valid until pop().
  const LeadSnapshot* peek();

  // Removes and returns the next lead; only after peek() returned non-null.
  LeadSnapshot pop();

 private:
  void refill();

  SQLite::Statement* query_;
  std::string client_id_;
  WorkRule rule_;
  std::string after_;  // last lead id read; "" sorts before every id
  bool exhausted_ = false;
  std::deque<LeadSnapshot> buf_;
};

}  // namespace ghlb
