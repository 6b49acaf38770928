#include "fetch_store.h"

#include <algorithm>
#include <utility>

#include "contact.h"

namespace ghlb {
namespace {

constexpr const char* kInsertAnswer =
    "INSERT OR REPLACE INTO fetch_answer(lead_id, lookup, lookup_key, outcome, form) VALUES (?, ?, ?, ?, ?)";

}  // namespace

bool answerFormOf(FetchOutcome outcome, std::optional<std::string_view> search_body,
                  std::optional<std::string_view> contact_body, std::string& form) {
  form.clear();
  if (outcome != FetchOutcome::kFound) return false;
  thread_local ParsedAnswer answer;  // storage kept from row to row
  parseAnswer(search_body, contact_body, answer);
  encodeAnswer(answer, form);
  return true;
}

std::int64_t storeMissingAnswers(SQLite::Database& db) {
  SQLite::Transaction tx(db);
  SQLite::Statement q(
      db,
      "SELECT f.lead_id, f.lookup, f.lookup_key, f.outcome, f.search_body, f.contact_body "
      "FROM fetch_result f WHERE NOT EXISTS (SELECT 1 FROM fetch_answer a WHERE a.lead_id = f.lead_id)");
  SQLite::Statement ins(db, kInsertAnswer);
  const auto text = [](const SQLite::Column& c) -> std::optional<std::string_view> {
    if (c.isNull()) return std::nullopt;
    return std::string_view(c.getText(), static_cast<std::size_t>(c.getBytes()));
  };
  std::string form;
  std::int64_t n = 0;
  while (q.executeStep()) {
    const auto outcome = fetchOutcomeFromString(*text(q.getColumn(3))).value_or(FetchOutcome::kTransient);
    for (int i = 0; i < 4; ++i)
      if (q.getColumn(i).isNull())
        ins.bind(i + 1);
      else
        ins.bind(i + 1, q.getColumn(i).getString());
    if (answerFormOf(outcome, text(q.getColumn(4)), text(q.getColumn(5)), form))
      ins.bindNoCopy(5, form.data(), static_cast<int>(form.size()));
    else
      ins.bind(5);
    ins.exec();
    ins.reset();
    ++n;
  }
  tx.commit();
  return n;
}

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
      answer_(db, kInsertAnswer),
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
  // What plan reads of it, after it (fetch_result's triggers drop the lead's older row).
  answer_.bind(1, r.lead_id);
  answer_.bind(2, toString(r.lookup));
  if (r.key.empty())
    answer_.bind(3);  // NULL, as in fetch_result
  else
    answer_.bind(3, r.key);
  answer_.bind(4, std::string(toString(r.outcome)));
  const auto body = [](const std::string& b) -> std::optional<std::string_view> {
    if (b.empty()) return std::nullopt;  // stored as NULL
    return b;
  };
  if (answerFormOf(r.outcome, body(r.search_body), body(r.contact_body), form_))
    answer_.bindNoCopy(5, form_.data(), static_cast<int>(form_.size()));
  else
    answer_.bind(5);
  answer_.exec();
  answer_.reset();
}

}  // namespace ghlb
