#include "fetch_work.h"

#include <set>
#include <utility>

#include "outcome.h"

namespace ghlb {
namespace {

constexpr int kPageRows = 500;  // leads read per keyset page of one client

const std::string kLeadSelect =
    std::string("SELECT ") + kLeadSnapshotColumns +
    ", f.lookup, f.lookup_key, f.outcome "
    "FROM lead l LEFT JOIN fetch_result f ON f.lead_id = l.id WHERE l.eligible = 1";

// The current row of a statement selecting kLeadSelect's columns, in its order.
LeadRow readRow(SQLite::Statement& st) {
  LeadRow r;
  r.lead = readLeadSnapshot(st);
  constexpr int f0 = kLeadSnapshotColumnCount;  // first fetch_result column
  r.lookup = optionalText(st.getColumn(f0));
  r.lookup_key = optionalText(st.getColumn(f0 + 1));
  r.outcome = optionalText(st.getColumn(f0 + 2));
  return r;
}

}  // namespace

bool needsFetch(const LeadRow& row, bool refetch) {
  if (refetch || !row.outcome) return true;
  const auto outcome = fetchOutcomeFromString(*row.outcome);
  if (!outcome || isRetryable(*outcome)) return true;
  const LookupPlan plan = lookupFor(row.lead);
  return row.lookup != toString(plan.kind) || row.lookup_key.value_or("") != plan.key;
}

std::map<std::string, std::int64_t> countWork(WorkDb& work, const FetchOptions& opts) {
  const std::set<std::string> wanted(opts.common.client_ids.begin(), opts.common.client_ids.end());
  std::map<std::string, std::int64_t> out;
  SQLite::Statement st(work.db(), kLeadSelect);
  while (st.executeStep()) {
    const LeadRow row = readRow(st);
    if (!wanted.empty() && !wanted.count(row.lead.client_id)) continue;
    if (needsFetch(row, opts.refetch)) ++out[row.lead.client_id];
  }
  return out;
}

SQLite::Statement clientPageQuery(SQLite::Database& db) {
  return SQLite::Statement(db, kLeadSelect + " AND l.client_id = ? AND l.id > ? ORDER BY l.id LIMIT ?");
}

ClientQueue::ClientQueue(SQLite::Statement& page_query, std::string client_id, bool refetch)
    : query_(&page_query), client_id_(std::move(client_id)), refetch_(refetch) {}

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
    if (needsFetch(row, refetch_)) buf_.push_back(std::move(row.lead));
  }
  q.reset();
  exhausted_ = rows < kPageRows;
}

}  // namespace ghlb
