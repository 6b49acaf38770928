#include "snapshot_store.h"

#include <algorithm>

#include "work_db.h"

namespace ghlb {
namespace {

constexpr std::size_t kLinkedBatch = 10000;  // contact ids per statement of addLinked's batch
// lead_client as migration 001 makes it (keep in step): dropped during a first extract's load
// and built again after it (beginBulk, endBulk), or by the next extract when a run died between.
constexpr const char* kLeadClientIndex = "CREATE INDEX IF NOT EXISTS lead_client ON lead(client_id, id)";
// The load's page cache (see the constructor); endBulk halves it for the index build, then sets it back.
constexpr const char* kLoadCache = "PRAGMA cache_size = -16384";

// linked_contact as migration 001 makes it (keep in step), under the name linked_new: a new work
// DB's linked ids are written there, then it is renamed (beginNewLinked, swapNewLinked).
constexpr const char* kLinkedNewTable =
    "CREATE TABLE linked_new (contact_id TEXT PRIMARY KEY, lead_id TEXT NOT NULL) WITHOUT ROWID";

// Printable ASCII other than '"' and '\\' is the same text inside a JSON string: nothing to escape.
bool jsonPlain(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char ch) { return ch >= 0x20 && ch <= 0x7e && ch != '"' && ch != '\\'; });
}

void bindText(SQLite::Statement& st, int i, const char* v) {
  if (v)
    st.bindNoCopy(i, v);
  else
    st.bind(i);  // NULL
}

}  // namespace

const char* snapshotKindName(SnapshotKind k) { return k == SnapshotKind::kPages ? "pages" : "whole"; }

std::optional<SnapshotKind> parseSnapshotKind(const std::string& s) {
  if (s == "whole") return SnapshotKind::kWhole;
  if (s == "pages") return SnapshotKind::kPages;
  return std::nullopt;
}

SnapshotStore::SnapshotStore(SQLite::Database& db, std::int64_t run)
    : db_(db),
      run_(run),
      any_applied_(db.execAndGet("SELECT EXISTS(SELECT 1 FROM apply_log)").getInt() != 0),
      applied_(db, "SELECT EXISTS(SELECT 1 FROM apply_log WHERE lead_id = ?)"),
      touch_(db, "UPDATE lead SET eligible = 1, extract_run = ? WHERE id = ?"),
      insert_(
          db,
          "INSERT OR IGNORE INTO lead(id, client_id, location_id, ghl_contact_id, email, phone, first_name, "
          "last_name, company_name, enrichment_status, eligible, extract_run) "
          "VALUES (?1, ?2, ?11, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10)"),
      // A refreshed lead is nearly always still its tenant's: the first UPDATE leaves client_id
      // out of its SET list, so that SQLite does not rewrite the lead's entry in lead_client (it
      // does for a column set, even to the same value: 0.8 s against 0.1 s of CPU for 177k
      // leads); the second is for a lead that moved to another tenant.
      same_client_(
          db,
          "UPDATE lead SET location_id = ?11, "
          "ghl_contact_id = ?3, email = ?4, phone = ?5, first_name = ?6, last_name = ?7, company_name = ?8, "
          "enrichment_status = ?9, eligible = 1, extract_run = ?10 WHERE id = ?1 AND client_id = ?2"),
      update_(
          db,
          "UPDATE lead SET client_id = ?2, location_id = ?11, "
          "ghl_contact_id = ?3, email = ?4, phone = ?5, first_name = ?6, last_name = ?7, company_name = ?8, "
          "enrichment_status = ?9, eligible = 1, extract_run = ?10 WHERE id = ?1"),
      drop_(db,
            "UPDATE lead SET eligible = 0, extract_run = ?2 WHERE id = ?1 AND eligible = 1 "
            "AND NOT EXISTS (SELECT 1 FROM apply_log a WHERE a.lead_id = lead.id)"),
      linked_(db, "INSERT OR IGNORE INTO linked_contact(contact_id, lead_id) VALUES (?, ?)"),
      relink_(db,
              "INSERT INTO linked_contact(contact_id, lead_id) VALUES (?, ?) "
              "ON CONFLICT(contact_id) DO UPDATE SET lead_id = excluded.lead_id"),
      unlink_(db, "DELETE FROM linked_contact WHERE contact_id = ?"),
      holder_(db, "SELECT lead_id FROM linked_contact WHERE contact_id = ?"),
      linked_batch_(
          db,
          "INSERT OR IGNORE INTO linked_contact(contact_id, lead_id) SELECT value ->> 0, value ->> 1 "
          "FROM json_each(?)") {
  // Extract writes hundreds of thousands of rows per transaction into two B-trees of lead and
  // one of linked_contact. It reads them in byte order of their keys (id, contact id), so each
  // row lands at the right edge of its table and of the id index, and at one of the tenants'
  // places in lead_client: 16 MB of page cache holds that working set at 2M leads (measured at
  // 200k: the same time as 64 MB, half the RSS). SQLite's default 2 MB spilled dirty pages to
  // the WAL again and again when rows came in another order (37% of extract's time in pwrite).
  // A statement that may write several rows and abort (an upsert) keeps a statement journal
  // inside a transaction: in a temporary file that was one pwrite per page per row (300,000
  // system calls at 200k leads), in memory a page copy per row (11% of the time). put() uses a
  // one-row INSERT OR IGNORE, then an UPDATE only for a lead already there, which need none; the
  // rare statement that still does keeps it in memory.
  db_.exec(kLoadCache);
  db_.exec("PRAGMA temp_store = MEMORY");
  // The one foreign key these statements touch is lead.extract_run -> stage_run(id), always this
  // run, which exists: checking it per row was a B-tree search per lead for nothing. For this
  // connection only (the stage's), and it must be set outside a transaction.
  db_.exec("PRAGMA foreign_keys = OFF");
  // A checkpoint every 1,000 WAL pages (the default) meant an fsync of the file every 4 MB: 20
  // fsyncs, 0.7 s of 5 s at 200k leads. Every 64 MB instead.
  db_.exec("PRAGMA wal_autocheckpoint = 16384");
  db_.exec(kLeadClientIndex);  // a no-op, unless a first extract died while loading
}

void SnapshotStore::putClient(const std::string& id, const std::string& location_id,
                              const std::optional<std::string>& name) {
  SQLite::Statement up(db_,
                       "INSERT INTO client(id, location_id, extract_run, name) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT(id) DO UPDATE SET location_id = excluded.location_id, "
                       "extract_run = excluded.extract_run, name = excluded.name");
  up.bind(1, id);
  up.bind(2, location_id);
  up.bind(3, static_cast<std::int64_t>(run_));
  bindOptional(up, 4, name);
  up.exec();
  locations_[id] = location_id;
}

// The tenant's location: putClient's, or the client table's once per tenant, not a look-up per
// lead (a tenant in neither: NULL, which the NOT NULL column refuses).
const char* SnapshotStore::location(const char* client_id) {
  auto loc = locations_.find(std::string_view(client_id));
  if (loc == locations_.end()) {
    SQLite::Statement st(db_, "SELECT location_id FROM client WHERE id = ?");
    st.bind(1, client_id);
    if (st.executeStep()) loc = locations_.emplace(client_id, st.getColumn(0).getString()).first;
  }
  return loc == locations_.end() ? nullptr : loc->second.c_str();
}

void SnapshotStore::putMany(const std::vector<SnapshotRow>& rows, std::int64_t& added,
                            std::int64_t& refreshed, std::int64_t& kept_applied) {
  constexpr int kColumns = 10;  // bound per lead; eligible is 1, extract_run the last parameter
  if (!insert_many_) {
    std::string sql =
        "INSERT OR IGNORE INTO lead(id, client_id, location_id, ghl_contact_id, email, phone, first_name, "
        "last_name, company_name, enrichment_status, eligible, extract_run) VALUES ";
    for (int i = 0; i < kNewPerStatement; ++i) {
      sql += i ? ",(" : "(";
      for (int k = 1; k <= kColumns; ++k)
        sql += "?" + std::to_string(i * kColumns + k) + (k < kColumns ? "," : "");
      sql += ",1,?" + std::to_string(kNewPerStatement * kColumns + 1) + ")";
    }
    insert_many_.emplace(db_, sql);
    insert_many_->bind(kNewPerStatement * kColumns + 1, static_cast<std::int64_t>(run_));
  }
  const auto one = [&](const SnapshotRow& r) {
    switch (put(r)) {
      case Put::kNew:
        ++added;
        break;
      case Put::kRefreshed:
        ++refreshed;
        break;
      case Put::kKeptApplied:
        ++kept_applied;
        break;
    }
  };
  size_t i = 0;
  for (; i + kNewPerStatement <= rows.size(); i += kNewPerStatement) {
    auto& st = *insert_many_;
    for (int j = 0; j < kNewPerStatement; ++j) {
      const auto& r = rows[i + j];
      const int b = j * kColumns;
      bindText(st, b + 1, r.id);
      bindText(st, b + 2, r.client_id);
      bindText(st, b + 3, location(r.client_id));
      bindText(st, b + 4, r.contact_id);
      bindText(st, b + 5, r.email);
      bindText(st, b + 6, r.phone);
      bindText(st, b + 7, r.first_name);
      bindText(st, b + 8, r.last_name);
      bindText(st, b + 9, r.company_name);
      bindText(st, b + 10, r.enrichment_status);
    }
    const int n = st.exec();
    st.reset();
    if (n == kNewPerStatement) {
      added += n;
      continue;
    }
    // Some were there: each goes through put(), which refreshes the ones just added (not applied:
    // counted as refreshed, moved back to new here) and keeps applied ones.
    for (int j = 0; j < kNewPerStatement; ++j) one(rows[i + j]);
    added += n;
    refreshed -= n;
  }
  for (; i < rows.size(); ++i) one(rows[i]);
}

SnapshotStore::Put SnapshotStore::put(const SnapshotRow& r) {
  if (any_applied_) {
    applied_.bindNoCopy(1, r.id);
    applied_.executeStep();
    const bool applied = applied_.getColumn(0).getInt() != 0;
    applied_.reset();
    if (applied) {
      touch_.bind(1, static_cast<std::int64_t>(run_));
      touch_.bindNoCopy(2, r.id);
      touch_.exec();
      touch_.reset();
      return Put::kKeptApplied;
    }
  }
  const char* location = this->location(r.client_id);
  for (auto* st : {&insert_, &same_client_, &update_}) {
    bindText(*st, 1, r.id);
    bindText(*st, 11, location);
    bindText(*st, 2, r.client_id);
    bindText(*st, 3, r.contact_id);
    bindText(*st, 4, r.email);
    bindText(*st, 5, r.phone);
    bindText(*st, 6, r.first_name);
    bindText(*st, 7, r.last_name);
    bindText(*st, 8, r.company_name);
    bindText(*st, 9, r.enrichment_status);
    st->bind(10, static_cast<std::int64_t>(run_));
    const bool done = st->exec() > 0;
    st->reset();
    if (done) return st == &insert_ ? Put::kNew : Put::kRefreshed;
  }
  return Put::kRefreshed;  // unreachable: the last UPDATE finds the row the INSERT found
}

bool SnapshotStore::drop(const char* lead_id) {
  drop_.bindNoCopy(1, lead_id);
  drop_.bind(2, static_cast<std::int64_t>(run_));
  const bool changed = drop_.exec() > 0;
  drop_.reset();
  return changed;
}

std::int64_t SnapshotStore::markUnseen(const std::vector<std::string>& scope, std::int64_t first_run) {
  SQLite::Statement gone(db_, "UPDATE lead SET eligible = 0 WHERE extract_run < ?3 AND eligible = 1 AND " +
                                  clientScope("client_id") +
                                  " AND NOT EXISTS (SELECT 1 FROM apply_log a WHERE a.lead_id = lead.id)");
  bindClientScope(gone, scope);
  gone.bind(3, static_cast<std::int64_t>(first_run));
  return gone.exec();
}

bool SnapshotStore::prepareBulk(std::int64_t first_run) {
  SQLite::Statement st(db_, "SELECT NOT EXISTS (SELECT 1 FROM lead WHERE extract_run < ?)");
  st.bind(1, static_cast<std::int64_t>(first_run));
  const bool bulk = st.executeStep() && st.getColumn(0).getInt() != 0;
  st.reset();
  // The index build sorts every lead's key: in temporary files, not in memory (160 MB at 2M
  // leads). Settable only outside a transaction, so here.
  if (bulk) db_.exec("PRAGMA temp_store = FILE");
  return bulk;
}

void SnapshotStore::beginBulk() { db_.exec("DROP INDEX IF EXISTS lead_client"); }

void SnapshotStore::endBulk() {
  // The build's sort runs in batches the size of the page cache: with a worker thread, one batch
  // is sorted and written while the next one fills, and with half the cache each the memory is
  // what one batch took before (a second core is otherwise idle here: the server has sent every
  // row). The build alone at 2M leads in sqlite3, three alternating runs: 3.0-4.5 s against
  // 4.3-4.6 s, the same CPU; peak RSS 29 MB against 37 MB.
  db_.exec("PRAGMA threads = 1");
  db_.exec("PRAGMA cache_size = -8192");
  db_.exec(kLeadClientIndex);
  db_.exec(kLoadCache);
  db_.exec("PRAGMA threads = 0");
}

bool SnapshotStore::noLinked() {
  return db_.execAndGet("SELECT NOT EXISTS (SELECT 1 FROM linked_contact)").getInt() != 0;
}

void SnapshotStore::clearLinked() {
  db_.exec("DELETE FROM linked_contact");
  db_.exec("DELETE FROM linked_sync");
}

void SnapshotStore::addLinked(const char* contact_id, const char* lead_id) {
  linked_.bindNoCopy(1, contact_id);
  linked_.bindNoCopy(2, lead_id);
  linked_.exec();
  linked_.reset();
}

void SnapshotStore::addLinked(std::string_view contact_id, std::string_view lead_id) {
  if (lead_id.empty())
    appendLinked(contact_id, lead_id);
  else
    addLinkedNow(contact_id, lead_id);
}

void SnapshotStore::addLinkedNow(std::string_view contact_id, std::string_view lead_id) {
  flushLinked();                    // in order: the ids come sorted, and append to the B-tree
  contact_buf_.assign(contact_id);  // NUL-terminated for bindNoCopy
  lead_buf_.assign(lead_id);
  addLinked(contact_buf_.c_str(), lead_buf_.c_str());
}

void SnapshotStore::appendLinked(std::string_view contact_id, std::string_view lead_id) {
  if (jsonPlain(contact_id) && jsonPlain(lead_id)) {
    batch_ += batched_ == 0 ? "[[\"" : ",[\"";
    batch_ += contact_id;
    batch_ += "\",\"";
    batch_ += lead_id;
    batch_ += "\"]";
    if (++batched_ == kLinkedBatch) flushLinked();
    return;
  }
  addLinkedNow(contact_id, lead_id);
}

void SnapshotStore::flushLinked() {
  if (batched_ == 0) return;
  batch_ += ']';
  linked_batch_.bindNoCopy(1, batch_);
  linked_batch_.exec();
  linked_batch_.reset();
  batch_.clear();
  batched_ = 0;
}

void SnapshotStore::beginNewLinked() {
  dropNewLinked();
  db_.exec(kLinkedNewTable);
  new_one_.emplace(db_, "INSERT OR IGNORE INTO linked_new(contact_id, lead_id) VALUES (?, '')");
  new_many_.emplace(
      db_, "INSERT OR IGNORE INTO linked_new(contact_id, lead_id) SELECT value, '' FROM json_each(?)");
}

void SnapshotStore::addNewLinked(std::string_view contact_id) {
  if (jsonPlain(contact_id)) {
    new_batch_ += new_batched_ == 0 ? "[\"" : ",\"";
    new_batch_ += contact_id;
    new_batch_ += '"';
    if (++new_batched_ == kLinkedBatch) flushNewLinked();
    return;
  }
  flushNewLinked();  // in order
  contact_buf_.assign(contact_id);
  new_one_->bindNoCopy(1, contact_buf_.c_str());
  new_one_->exec();
  new_one_->reset();
}

void SnapshotStore::flushNewLinked() {
  if (new_batched_ == 0) return;
  new_batch_ += ']';
  new_many_->bindNoCopy(1, new_batch_);
  new_many_->exec();
  new_many_->reset();
  new_batch_.clear();
  new_batched_ = 0;
}

void SnapshotStore::swapNewLinked(const LinkedSync& s) {
  flushNewLinked();
  new_one_.reset(), new_many_.reset();  // no statement on linked_new is left
  db_.exec("DROP TABLE linked_contact");
  db_.exec("ALTER TABLE linked_new RENAME TO linked_contact");
  setLinkedSync(s);
}

void SnapshotStore::dropNewLinked() {
  new_one_.reset(), new_many_.reset();
  new_batch_.clear();
  new_batched_ = 0;
  db_.exec("DROP TABLE IF EXISTS linked_new");
}

std::optional<std::string> SnapshotStore::linkedHolder(std::string_view contact_id) {
  contact_buf_.assign(contact_id);
  holder_.bindNoCopy(1, contact_buf_.c_str());
  std::optional<std::string> out;
  if (holder_.executeStep()) out = holder_.getColumn(0).getString();
  holder_.reset();
  return out;
}

std::vector<std::string> SnapshotStore::linkedNotKnown(std::int64_t limit) {
  SQLite::Statement st(db_, "SELECT contact_id FROM linked_contact WHERE lead_id = '' LIMIT ?");
  st.bind(1, static_cast<std::int64_t>(limit));
  std::vector<std::string> out;
  while (st.executeStep()) out.push_back(st.getColumn(0).getString());
  return out;
}

std::optional<SnapshotStore::LinkedSync> SnapshotStore::linkedSync() {
  SQLite::Statement st(db_, "SELECT since, linked, not_known FROM linked_sync WHERE id = 1");
  if (!st.executeStep()) return std::nullopt;
  return LinkedSync{st.getColumn(0).getString(), st.getColumn(1).getInt64(), st.getColumn(2).getInt64()};
}

void SnapshotStore::setLinkedSync(const LinkedSync& s) {
  SQLite::Statement st(
      db_, "INSERT OR REPLACE INTO linked_sync(id, since, linked, not_known) VALUES (1, ?, ?, ?)");
  st.bind(1, s.since);
  st.bind(2, static_cast<std::int64_t>(s.linked));
  st.bind(3, static_cast<std::int64_t>(s.not_known));
  st.exec();
}

void SnapshotStore::setLinked(const std::string& contact_id, const std::string& lead_id) {
  relink_.bindNoCopy(1, contact_id);
  relink_.bindNoCopy(2, lead_id);
  relink_.exec();
  relink_.reset();
}

void SnapshotStore::removeLinked(const std::string& contact_id) {
  unlink_.bindNoCopy(1, contact_id);
  unlink_.exec();
  unlink_.reset();
}

SnapshotStore::LeadContacts SnapshotStore::eligibleContacts(const std::vector<std::string>& scope) {
  SQLite::Statement st(db_, "SELECT id, coalesce(ghl_contact_id, '') FROM lead WHERE eligible = 1 AND " +
                                clientScope("client_id"));
  bindClientScope(st, scope);
  LeadContacts out;
  while (st.executeStep()) out.emplace(st.getColumn(0).getString(), st.getColumn(1).getString());
  return out;
}

std::optional<ExtractPass> SnapshotStore::pass() {
  SQLite::Statement st(
      db_, "SELECT scope, snapshot, first_run, since, client_id, lead_id FROM extract_pass WHERE id = 1");
  if (!st.executeStep()) return std::nullopt;
  ExtractPass p;
  p.scope = st.getColumn(0).getString();
  const auto kind = parseSnapshotKind(st.getColumn(1).getString());
  if (!kind) return std::nullopt;  // written by a newer build: start over
  p.snapshot = *kind;
  p.first_run = st.getColumn(2).getInt64();
  p.since = st.getColumn(3).getString();
  p.client_id = st.getColumn(4).getString();
  p.lead_id = st.getColumn(5).getString();
  return p;
}

void SnapshotStore::savePass(const ExtractPass& p) {
  SQLite::Statement st(
      db_,
      "INSERT OR REPLACE INTO extract_pass(id, scope, snapshot, first_run, since, client_id, "
      "lead_id) VALUES (1, ?, ?, ?, ?, ?, ?)");
  st.bind(1, p.scope);
  st.bind(2, snapshotKindName(p.snapshot));
  st.bind(3, static_cast<std::int64_t>(p.first_run));
  st.bind(4, p.since);
  st.bind(5, p.client_id);
  st.bind(6, p.lead_id);
  st.exec();
}

void SnapshotStore::clearPass() { db_.exec("DELETE FROM extract_pass"); }

std::optional<std::string> SnapshotStore::watermark(const std::string& client_id) {
  SQLite::Statement st(db_, "SELECT since FROM extract_watermark WHERE client_id = ?");
  st.bind(1, client_id);
  if (!st.executeStep()) return std::nullopt;
  return st.getColumn(0).getString();
}

void SnapshotStore::setWatermark(const std::string& client_id, const std::string& since) {
  SQLite::Statement st(db_,
                       "INSERT INTO extract_watermark(client_id, since, run) VALUES (?, ?, ?) "
                       "ON CONFLICT(client_id) DO UPDATE SET since = excluded.since, run = excluded.run");
  st.bind(1, client_id);
  st.bind(2, since);
  st.bind(3, static_cast<std::int64_t>(run_));
  st.exec();
}

}  // namespace ghlb
