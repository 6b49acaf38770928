#include "lookup_store.h"

namespace ghlb {
namespace {

std::string text(const SQLite::Column& c) { return c.isNull() ? std::string() : c.getString(); }

void bindOptional(SQLite::Statement& st, int i, const std::string& s) {
  if (s.empty())
    st.bind(i);
  else
    st.bind(i, s);
}

// Binds PAGE's seq, cursor, next_cursor, total and body, then NOW_ISO and RUN, from parameter FIRST
// on: the column order both page tables are written in.
void bindPage(SQLite::Statement& st, int first, const ScanPage& page, const std::string& now_iso,
              std::int64_t run) {
  st.bind(first, page.seq);
  bindOptional(st, first + 1, page.cursor);
  bindOptional(st, first + 2, page.next_cursor);
  st.bind(first + 3, page.total);
  st.bind(first + 4, page.body);
  st.bind(first + 5, now_iso);
  st.bind(first + 6, run);
}

// The pages ST selects (seq, cursor, next_cursor, total, body, by seq), up to the first gap:
// only a prefix of pages can be continued from.
std::vector<ScanPage> readPages(SQLite::Statement& st) {
  std::vector<ScanPage> pages;
  while (st.executeStep()) {
    ScanPage p;
    p.seq = st.getColumn(0).getInt64();
    p.cursor = text(st.getColumn(1));
    p.next_cursor = text(st.getColumn(2));
    p.total = st.getColumn(3).getInt64();
    p.body = st.getColumn(4).getString();
    if (p.seq != static_cast<std::int64_t>(pages.size())) break;
    pages.push_back(std::move(p));
  }
  return pages;
}

}  // namespace

LookupStore::LookupStore(SQLite::Database& db) : db_(db) {}

std::optional<LookupLocation> LookupStore::location(const std::string& client_id) {
  SQLite::Statement st(
      db_,
      "SELECT location_id, contacts_total, strategy, reason, scan_complete FROM lookup_location "
      "WHERE client_id = ?");
  st.bind(1, client_id);
  if (!st.executeStep()) return std::nullopt;
  LookupLocation l;
  l.location_id = text(st.getColumn(0));
  if (!st.getColumn(1).isNull()) l.contacts_total = st.getColumn(1).getInt64();
  l.strategy = text(st.getColumn(2));
  l.reason = text(st.getColumn(3));
  l.scan_complete = st.getColumn(4).getInt() != 0;
  return l;
}

// A row for CLIENT; a row of another location is reset (its pages belong to that location).
void LookupStore::ensureRow(const std::string& client_id, const std::string& location_id,
                            const std::string& now_iso) {
  const auto known = location(client_id);
  if (known && known->location_id == location_id) return;
  for (const char* sql :
       {"DELETE FROM lookup_page WHERE client_id = ?", "DELETE FROM lookup_batch_page WHERE client_id = ?"}) {
    SQLite::Statement del(db_, sql);
    del.bind(1, client_id);
    del.exec();
  }
  SQLite::Statement st(db_,
                       "INSERT INTO lookup_location(client_id, location_id, updated_at) VALUES (?, ?, ?) "
                       "ON CONFLICT(client_id) DO UPDATE SET location_id = excluded.location_id, "
                       "contacts_total = NULL, strategy = NULL, reason = NULL, scan_complete = 0, "
                       "updated_at = excluded.updated_at");
  st.bind(1, client_id);
  st.bind(2, location_id);
  st.bind(3, now_iso);
  st.exec();
}

void LookupStore::saveTotal(const std::string& client_id, const std::string& location_id, std::int64_t total,
                            const std::string& now_iso) {
  ensureRow(client_id, location_id, now_iso);
  SQLite::Statement st(db_,
                       "UPDATE lookup_location SET contacts_total = ?, updated_at = ? WHERE client_id = ?");
  st.bind(1, total);
  st.bind(2, now_iso);
  st.bind(3, client_id);
  st.exec();
}

void LookupStore::saveChoice(const std::string& client_id, const std::string& location_id,
                             const std::string& strategy, const std::string& reason,
                             const std::string& now_iso) {
  ensureRow(client_id, location_id, now_iso);
  SQLite::Statement st(
      db_, "UPDATE lookup_location SET strategy = ?, reason = ?, updated_at = ? WHERE client_id = ?");
  st.bind(1, strategy);
  st.bind(2, reason);
  st.bind(3, now_iso);
  st.bind(4, client_id);
  st.exec();
}

void LookupStore::saveFollowUps(const std::string& client_id, const std::string& location_id,
                                const std::string& why, const std::string& now_iso) {
  ensureRow(client_id, location_id, now_iso);
  SQLite::Statement st(db_, "UPDATE lookup_location SET follow_ups = ?, updated_at = ? WHERE client_id = ?");
  st.bind(1, why);
  st.bind(2, now_iso);
  st.bind(3, client_id);
  st.exec();
}

std::vector<ScanPage> LookupStore::pendingScan(const std::string& client_id, const std::string& location_id) {
  const auto known = location(client_id);
  if (!known || known->location_id != location_id || known->scan_complete) return {};
  SQLite::Statement st(db_,
                       "SELECT seq, cursor, next_cursor, total, body FROM lookup_page WHERE client_id = ? "
                       "ORDER BY seq");
  st.bind(1, client_id);
  return readPages(st);
}

void LookupStore::beginScan(const std::string& client_id, const std::string& location_id,
                            const std::string& now_iso) {
  SQLite::Transaction tx(db_);
  ensureRow(client_id, location_id, now_iso);
  SQLite::Statement del(db_, "DELETE FROM lookup_page WHERE client_id = ?");
  del.bind(1, client_id);
  del.exec();
  SQLite::Statement st(db_,
                       "UPDATE lookup_location SET scan_complete = 0, updated_at = ? WHERE client_id = ?");
  st.bind(1, now_iso);
  st.bind(2, client_id);
  st.exec();
  tx.commit();
}

void LookupStore::addPage(const std::string& client_id, const ScanPage& page, const std::string& now_iso,
                          std::int64_t run) {
  SQLite::Statement st(db_,
                       "INSERT OR REPLACE INTO lookup_page(client_id, seq, cursor, next_cursor, total, body, "
                       "fetched_at, fetch_run) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  st.bind(1, client_id);
  bindPage(st, 2, page, now_iso, run);
  st.exec();
}

std::vector<ScanPage> LookupStore::pendingBatch(const std::string& client_id, const std::string& batch_key) {
  SQLite::Statement st(db_,
                       "SELECT seq, cursor, next_cursor, total, body FROM lookup_batch_page "
                       "WHERE client_id = ? AND batch_key = ? AND complete = 0 ORDER BY seq");
  st.bind(1, client_id);
  st.bind(2, batch_key);
  return readPages(st);
}

void LookupStore::addBatchPage(const std::string& client_id, const std::string& batch_key,
                               const ScanPage& page, const std::string& now_iso, std::int64_t run) {
  SQLite::Transaction tx(db_);
  if (page.seq == 0) {
    SQLite::Statement del(db_, "DELETE FROM lookup_batch_page WHERE client_id = ? AND batch_key = ?");
    del.bind(1, client_id);
    del.bind(2, batch_key);
    del.exec();
  }
  SQLite::Statement st(
      db_,
      "INSERT OR REPLACE INTO lookup_batch_page(client_id, batch_key, seq, cursor, next_cursor, "
      "total, body, complete, fetched_at, fetch_run) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)");
  st.bind(1, client_id);
  st.bind(2, batch_key);
  bindPage(st, 3, page, now_iso, run);
  st.exec();
  tx.commit();
}

void LookupStore::finishBatch(const std::string& client_id, const std::string& batch_key) {
  SQLite::Statement st(db_,
                       "UPDATE lookup_batch_page SET complete = 1 WHERE client_id = ? AND batch_key = ?");
  st.bind(1, client_id);
  st.bind(2, batch_key);
  st.exec();
}

void LookupStore::finishScan(const std::string& client_id, const std::string& now_iso) {
  SQLite::Statement st(db_,
                       "UPDATE lookup_location SET scan_complete = 1, updated_at = ? WHERE client_id = ?");
  st.bind(1, now_iso);
  st.bind(2, client_id);
  st.exec();
}

}  // namespace ghlb
