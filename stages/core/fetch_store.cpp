#include "fetch_store.h"

#include <algorithm>
#include <utility>

namespace ghlb {

ResultStore::ResultStore(SQLite::Database& db, std::int64_t run, int flush_every, Millis flush_interval,
                         SteadyTime now)
    : db_(db),
      upsert_(db,
              "INSERT INTO fetch_result(lead_id, lookup, lookup_key, outcome, http_status, detail, "
              "search_body, contact_body, attempts, fetched_at, fetch_run) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(lead_id) DO UPDATE SET "
              "lookup = excluded.lookup, lookup_key = excluded.lookup_key, outcome = excluded.outcome, "
              "http_status = excluded.http_status, detail = excluded.detail, "
              "search_body = excluded.search_body, contact_body = excluded.contact_body, "
              "attempts = excluded.attempts, fetched_at = excluded.fetched_at, "
              "fetch_run = excluded.fetch_run"),
      run_(run),
      every_(static_cast<std::size_t>(std::max(1, flush_every))),
      interval_(flush_interval),
      last_flush_(now) {}

void ResultStore::add(FetchResultRow r, SteadyTime now) {
  pending_bytes_ += r.search_body.size() + r.contact_body.size();
  pending_.push_back(std::move(r));
  if (pending_.size() >= every_ || pending_bytes_ >= kMaxPendingBytes) flush(now);
}

void ResultStore::flushIfDue(SteadyTime now) {
  if (!pending_.empty() && now - last_flush_ >= interval_) flush(now);
}

void ResultStore::flush(SteadyTime now) {
  last_flush_ = now;
  if (pending_.empty()) return;
  SQLite::Transaction tx(db_);
  for (const auto& r : pending_) write(r);
  tx.commit();
  pending_.clear();
  pending_bytes_ = 0;
}

void ResultStore::bindText(int i, const std::string& s) {
  if (s.empty())
    upsert_.bind(i);  // NULL
  else
    upsert_.bind(i, s);
}

void ResultStore::write(const FetchResultRow& r) {
  upsert_.bind(1, r.lead_id);
  upsert_.bind(2, toString(r.lookup));
  bindText(3, r.key);
  upsert_.bind(4, std::string(toString(r.outcome)));
  if (r.http_status)
    upsert_.bind(5, r.http_status);
  else
    upsert_.bind(5);
  bindText(6, r.detail);
  bindText(7, r.search_body);
  bindText(8, r.contact_body);
  upsert_.bind(9, r.attempts);
  upsert_.bind(10, r.fetched_at.empty() ? isoNowUtc() : r.fetched_at);
  upsert_.bind(11, run_);
  upsert_.exec();
  upsert_.reset();
}

}  // namespace ghlb
