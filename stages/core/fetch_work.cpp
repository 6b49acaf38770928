#include "fetch_work.h"

#include <unordered_set>
#include <utility>

#include "clock.h"
#include "outcome.h"

namespace ghlb {
namespace {

constexpr int kPageRows = 500;  // leads read per keyset page of one client

const std::string kLeadSelect =
    std::string("SELECT ") + kLeadSnapshotColumns +
    ", f.lookup, f.lookup_key, f.outcome, f.fetched_at "
    "FROM lead l LEFT JOIN fetch_result f ON f.lead_id = l.id WHERE l.eligible = 1";

// The current row of a statement selecting kLeadSelect's columns, in its order.
LeadRow readRow(SQLite::Statement& st) {
  LeadRow r;
  r.lead = readLeadSnapshot(st);
  constexpr int f0 = kLeadSnapshotColumnCount;  // first fetch_result column
  r.lookup = optionalText(st.getColumn(f0));
  r.lookup_key = optionalText(st.getColumn(f0 + 1));
  r.outcome = optionalText(st.getColumn(f0 + 2));
  r.fetched_at = optionalText(st.getColumn(f0 + 3));
  return r;
}

}  // namespace

WorkRule workRule(const FetchOptions& opts, std::chrono::system_clock::time_point now) {
  WorkRule rule;
  rule.refetch = opts.refetch;
  if (opts.recheck_not_found_after_s > 0)
    rule.recheck_not_found_before = isoUtc(now - std::chrono::seconds(opts.recheck_not_found_after_s));
  return rule;
}

bool needsFetch(const LeadRow& row, const WorkRule& rule) {
  if (rule.refetch || !row.outcome) return true;
  const auto outcome = fetchOutcomeFromString(*row.outcome);
  if (!outcome || isRetryable(*outcome)) return true;
  const LookupPlan plan = lookupFor(row.lead);
  if (row.lookup != toString(plan.kind) || row.lookup_key.value_or("") != plan.key) return true;
  // Both ISO UTC with milliseconds: the text order is the time order.
  return *outcome == FetchOutcome::kNotFound && !rule.recheck_not_found_before.empty() &&
         row.fetched_at.value_or("") < rule.recheck_not_found_before;
}

std::map<std::string, ClientWork> readWorkList(WorkDb& work, const WorkRule& rule,
                                               const std::vector<std::string>& client_ids,
                                               bool with_location_work) {
  std::string sql = kLeadSelect;
  if (!client_ids.empty()) {
    sql += " AND l.client_id IN (";
    for (size_t i = 0; i < client_ids.size(); ++i) sql += i ? ", ?" : "?";
    sql += ")";
  }
  sql += " ORDER BY l.client_id, l.id";
  SQLite::Statement st(work.db(), sql);
  for (size_t i = 0; i < client_ids.size(); ++i) st.bind(static_cast<int>(i + 1), client_ids[i]);
  std::map<std::string, ClientWork> out;
  ClientWork* current = nullptr;
  std::string current_id;
  std::unordered_set<std::string> emails;  // of the current client
  const auto close = [&] {
    if (current) current->work.emails = static_cast<std::int64_t>(emails.size());
    emails.clear();
  };
  while (st.executeStep()) {
    const LeadRow row = readRow(st);
    if (!current || row.lead.client_id != current_id) {
      close();
      current_id = row.lead.client_id;
      current = &out[current_id];
    }
    ++current->eligible;
    if (!needsFetch(row, rule)) continue;
    ++current->leads;
    if (!with_location_work) continue;
    const LookupPlan plan = lookupFor(row.lead);
    if (plan.kind == Lookup::kGet) ++current->work.gets;
    if (plan.kind == Lookup::kSearch) {
      ++current->work.searches;
      emails.insert(plan.key);
    }
  }
  close();
  return out;
}

std::map<std::string, std::int64_t> countWork(WorkDb& work, const FetchOptions& opts, const Clock& clock) {
  std::map<std::string, std::int64_t> out;
  const auto list = readWorkList(work, workRule(opts, clock.wallNow()), opts.common.client_ids, false);
  for (const auto& [client, w] : list)
    if (w.leads > 0) out[client] = w.leads;
  return out;
}

SQLite::Statement clientPageQuery(SQLite::Database& db) {
  return SQLite::Statement(db, kLeadSelect + " AND l.client_id = ? AND l.id > ? ORDER BY l.id LIMIT ?");
}

ClientQueue::ClientQueue(SQLite::Statement& page_query, std::string client_id, WorkRule rule)
    : query_(&page_query), client_id_(std::move(client_id)), rule_(std::move(rule)) {}

const LeadSnapshot* ClientQueue::peek() {
  while (buf_.empty() && !exhausted_) refill();
  return buf_.empty() ? nullptr : &buf_.front();
}

LeadSnapshot ClientQueue::pop() {
  LeadSnapshot l = std::move(buf_.front());
  buf_.pop_front();
  return l;
}

void ClientQueue::refill() {
  SQLite::Statement& q = *query_;
  q.reset();
  q.bind(1, client_id_);
  q.bind(2, after_);
  q.bind(3, kPageRows);
  int rows = 0;
  while (q.executeStep()) {
    ++rows;
    LeadRow row = readRow(q);
    after_ = row.lead.id;
    if (needsFetch(row, rule_)) buf_.push_back(std::move(row.lead));
  }
  q.reset();
  exhausted_ = rows < kPageRows;
}

}  // namespace ghlb
