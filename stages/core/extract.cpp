#include "extract.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <future>
#include <iostream>
#include <mutex>
#include <optional>
#include <pqxx/stream_from>
#include <thread>
#include <unordered_map>

#include "app_db.h"
#include "app_identity.h"
#include "clock.h"
#include "error.h"
#include "extract_copy.h"
#include "extract_linked.h"
#include "json_util.h"
#include "names.h"
#include "progress.h"
#include "snapshot_store.h"
#include "stop_signal.h"
#include "text.h"
#include "work_db.h"

namespace ghlb {
namespace {

using ReadTx = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

// --incremental reads the leads whose "updatedAt" is at or past the tenant's watermark less this
// window. The watermark is the start of the snapshot that last read the tenant (the server's
// clock), not the largest "updatedAt" seen: a writer sets "updatedAt" from its own clock before
// it commits, so a transaction that commits after our snapshot was taken can carry an "updatedAt"
// older than the snapshot, and leads can share one timestamp. Reading from (watermark - window)
// with >= re-reads a few minutes of leads each time; that costs little, because every write here
// is an idempotent upsert (a lead read twice ends the same), and it catches commits up to the
// window late and clocks up to the window apart. A lead whose change commits later than that is
// caught by the next full extract (--full), which an operator runs now and then.
constexpr int kOverlapSeconds = 600;

// A SQLite transaction ends after this many rows or this long, whichever comes first: large,
// since each commit costs, yet often enough that progress is visible to `status` and a killed run
// loses little. The resume key is saved in the same transaction.
constexpr std::int64_t kCommitRows = 50000;

// --client-id's refresh of the linked contact ids (refreshLinked): holders looked up per run, and
// per query (one index probe and one row each: about 50 us on the bench's 2M-lead table at load 8).
constexpr std::int64_t kHolderLookups = 5000;
constexpr std::size_t kHolderGroup = 1000;
// Of which for holders stored as not known: only shown by review ("other lead"), and their rows
// are the least likely to be in the server's cache (up to 200 us each measured at 2M).
constexpr std::int64_t kUnknownLookups = 1000;
// It reads the leads changed since its last refresh instead of every linked id while there are at
// most (linked ids / kLinkedPerChange + kChangesAlways) of them: each costs a heap fetch on the
// server (about 10 us at 2M: 99,800 changed leads in 0.97 s, load 7) and a look-up in the work DB,
// against about 3 us per linked id to read and merge every one. kChangesBatch at a time.
constexpr std::int64_t kLinkedPerChange = 5;
constexpr std::int64_t kChangesAlways = 1000;
constexpr int kChangesBatch = 10000;
constexpr auto kCommitInterval = std::chrono::seconds(1);

// Whether COL of "Lead" (alias l) is missing: NULL or blank. PATTERN: the SQL giving
// pgBlankPattern(), a parameter ($n) or kCopyBlank. A value whose first character is printable
// ASCII other than the space is not blank (every character the pattern allows is a control, the
// space or beyond ASCII), and most values are so: ascii() spares them the regular expression
// (PostgreSQL's filter of the eligible leads at 2M, 1.9 s against 2.5 s).
std::string missing(const char* col, const std::string& pattern) {
  const std::string c = std::string("l.") + col;
  return "(" + c + " IS NULL OR (pg_catalog.ascii(" + c + ") NOT BETWEEN 33 AND 126 AND " + c + " ~ " +
         pattern + "))";
}

// COPY takes no parameters: its values come in by set_config()'s, in the same transaction
// (setCopyValues), and are read back by current_setting().
constexpr const char* kCopyBlank = "pg_catalog.current_setting('ghlb.blank')";
constexpr const char* kCopyScope = "pg_catalog.current_setting('ghlb.scope')::text[]";
// SCOPE: the tenants (pgTextArray). JIT goes off for the transaction where the server has it
// (PostgreSQL 11 on): each parallel worker compiled the query again, and the first row came
// 0.7-1.1 s later with it at 2M leads.
void setCopyValues(pqxx::transaction_base& tx, const std::string& scope) {
  tx.exec_params(
      "SELECT pg_catalog.set_config('ghlb.blank', $1, true), pg_catalog.set_config('ghlb.scope', $2, true), "
      "(SELECT pg_catalog.set_config('jit', 'off', true) "
      "WHERE pg_catalog.current_setting('jit', true) IS NOT NULL)",
      pgBlankPattern(), scope);
}

std::string eligibleCondition(const std::string& p) {
  using namespace names;
  return "(" + missing(kLeadPhone, p) + " OR " + missing(kLeadEmail, p) + " OR " +
         missing(kLeadFirstName, p) + " OR " + missing(kLeadLastName, p) + " OR " + missing(kLeadCompany, p) +
         " OR (" + missing(kLeadContactId, p) + " AND NOT " + missing(kLeadEmail, p) + "))";
}

// The columns read per lead, in SnapshotRow's order.
std::string leadColumns() {
  using namespace names;
  return std::string("l.id, l.") + kLeadClientId + ", l." + kLeadContactId + ", l." + kLeadEmail + ", l." +
         kLeadPhone + ", l." + kLeadFirstName + ", l." + kLeadLastName + ", l." + kLeadCompany + ", l." +
         kLeadEnrichmentStatus;
}
constexpr int kLeadColumnCount = 9;

// Leads are read in byte order of id (COLLATE "C"), SQLite's own order: sorting by the database's
// default collation (often ICU or a libc locale) cost PostgreSQL as much as the rest of the query,
// and the resume key must compare in the order the rows came in. $2 is the last id committed.
const std::string kAfterKey = "l.id COLLATE \"C\" > $2";

const char* text(const pqxx::field& f) { return f.is_null() ? nullptr : f.c_str(); }

SnapshotRow snapshotRow(const pqxx::row& r) {
  SnapshotRow s;
  s.id = r[0].c_str();
  s.client_id = r[1].c_str();
  s.contact_id = text(r[2]);
  s.email = text(r[3]);
  s.phone = text(r[4]);
  s.first_name = text(r[5]);
  s.last_name = text(r[6]);
  s.company_name = text(r[7]);
  s.enrichment_status = text(r[8]);
  return s;
}

// Starts a read transaction's work: the schema (pooler mode), a plan made for reading every row
// of the cursor (PostgreSQL otherwise plans a cursor for its first 10% of rows, which can pick a
// per-row index walk over a sequential scan and sort), and returns the snapshot's start on the
// server's clock in UTC, the clock "updatedAt" is written in.
std::string beginRead(AppDb& app, pqxx::transaction_base& tx) {
  app.enter(tx);
  tx.exec_params("SELECT pg_catalog.set_config('cursor_tuple_fraction', '1', true)");
  return tx.exec_params("SELECT (pg_catalog.transaction_timestamp() AT TIME ZONE 'UTC')::text")[0][0]
      .as<std::string>();
}

// One streaming pass over SQL's rows: a server-side cursor inside the caller's transaction (so
// inside its snapshot), fetched BATCH rows at a time. Each row is read once, whatever the size.
class Cursor {
 public:
  template <typename... Args>
  Cursor(pqxx::transaction_base& tx, int batch, const std::string& sql, Args&&... args)
      : tx_(tx), fetch_("FETCH " + std::to_string(batch) + " FROM ghlb_extract") {
    tx_.exec_params("DECLARE ghlb_extract NO SCROLL CURSOR FOR " + sql, std::forward<Args>(args)...);
  }
  ~Cursor() {
    try {
      if (open_) tx_.exec0("CLOSE ghlb_extract");
    } catch (...) {  // the transaction is being aborted: the cursor goes with it
    }
  }
  // The next rows; empty at the end.
  pqxx::result next() {
    auto r = tx_.exec(fetch_);
    if (r.empty() && open_) {
      tx_.exec0("CLOSE ghlb_extract");
      open_ = false;
    }
    return r;
  }

 private:
  pqxx::transaction_base& tx_;
  std::string fetch_;
  bool open_ = true;
};

// One fetch's rows as stream() reads them. eligible_column: the query gives, after leadColumns(),
// whether the lead is eligible (--incremental reads changed leads, eligible or not).
struct FetchedRows {
  pqxx::result rows;
  bool eligible_column = false;
  std::size_t size() const { return rows.size(); }
  const char* id(std::size_t i) const { return rows[static_cast<pqxx::result::size_type>(i)][0].c_str(); }
  bool eligible(std::size_t i) const {
    return !eligible_column || rows[static_cast<pqxx::result::size_type>(i)][kLeadColumnCount].as<bool>();
  }
  SnapshotRow row(std::size_t i) const { return snapshotRow(rows[static_cast<pqxx::result::size_type>(i)]); }
};

// A cursor read ahead: the next batch is fetched on another thread while the caller works on the
// current one, so that PostgreSQL's work and SQLite's overlap. The first fetch starts at
// construction (for a sorted query the server scans and sorts then, while the caller may do
// something else). Only that thread touches the connection while a fetch is pending; the
// future's destructor waits for it on every way out.
class Prefetch {
 public:
  Prefetch(Cursor& cur, bool eligible_column) : cur_(cur), eligible_column_(eligible_column) { start(); }
  ~Prefetch() { settle(); }
  // Waits for the fetch under way, if any: after this the caller may use the connection again
  // (e.g. commit), and next() must not be called.
  void settle() {
    if (pending_.valid()) pending_.wait();
  }
  // The next rows; nullopt at the end.
  std::optional<FetchedRows> next() {
    pqxx::result rows = pending_.get();
    if (rows.empty()) return std::nullopt;
    start();
    return FetchedRows{std::move(rows), eligible_column_};
  }

 private:
  void start() {
    pending_ = std::async(std::launch::async, [this] { return cur_.next(); });
  }
  Cursor& cur_;
  bool eligible_column_;
  std::future<pqxx::result> pending_;
};

// Copies the work DB's WAL into the database file while extract writes, on its own connection
// and thread: a passive checkpoint every kCheckpointEvery, which never waits for the writer. Left
// to the end (the last connection's close), that copy of every page written took a quarter of
// extract's time at 200k leads; here it overlaps the reads, and once the WAL is copied the
// writer starts it again from the beginning, so it stays small.
class WalCheckpointer {
 public:
  explicit WalCheckpointer(const std::string& path)
      : db_(path, SQLite::OPEN_READWRITE), thread_([this] { loop(); }) {}
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;
  ~WalCheckpointer() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

 private:
  static constexpr auto kCheckpointEvery = std::chrono::milliseconds(250);
  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!wake_.wait_for(lock, kCheckpointEvery, [this] { return stop_; })) {
      lock.unlock();
      try {
        db_.exec("PRAGMA wal_checkpoint(PASSIVE)");
      } catch (const std::exception&) {  // busy or failed: the writer's own checkpoints remain
      }
      lock.lock();
    }
  }
  SQLite::Database db_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

// What linkedIds read for refreshLinked: every linked contact id (all), or, when the work DB's
// linked_contact was exact as of a snapshot (linked_sync) and --full was not given, the leads
// changed since and the number of linked ids.
struct LinkedIds {
  bool all = true;
  // all: the contact ids in one buffer (not a string each: a million of them at 50% linked on 2M
  // leads), sorted in byte order.
  std::string buf;
  std::vector<IdSpan> at;
  // !all: the leads whose "updatedAt" is at or past linked_sync's since less kOverlapSeconds, each
  // with the contact it holds ("" = none: NULL or blank), and the linked ids on the server.
  std::vector<std::pair<std::string, std::string>> changes;
  std::int64_t server_linked = 0;
  std::int64_t read_ms = 0;  // reading (and sorting) them
  std::int64_t sort_ms = 0;  // of which sorting
  std::string_view view(const IdSpan& a) const { return std::string_view(buf).substr(a.first, a.second); }
};

// The run's state shared by the passes below.
struct Extractor {
  const ExtractOptions& opts;
  const Log& log;
  AppDb& app;
  WorkDb& work;
  SnapshotStore& store;
  std::int64_t run;
  StageMeter& meter;
  const Clock& clock;
  ExtractCounts c;
  std::int64_t taken = 0;  // eligible leads read this run (for --max-leads)
  // linked_sync as the run began (read before any thread starts; linkedIds may run on one).
  std::optional<SnapshotStore::LinkedSync> sync = store.linkedSync();
  // A first extract's load (SnapshotStore::prepareBulk): from the second batch on, lead_client is
  // dropped; the stream's last commit (its end, a stop, --max-leads) builds it again.
  bool bulk = false;

  // Between batches: the interrupted run is recorded, then the stop goes up.
  void checkStop() {
    if (!stopRequested()) return;
    work.finishRun(run, "interrupted",
                   jsonObject({{"leads_new", c.leads_new}, {"leads_refreshed", c.leads_refreshed}}));
    throw StopRequested();
  }

  // Begins OTHER, a read transaction on a new connection (kept in CONN) inside TX's snapshot,
  // begun like beginRead's; false when that cannot be (pooler mode, a standby, no connection to
  // spare): the caller then reads one thing after the other on TX.
  bool sameSnapshot(pqxx::transaction_base& tx, std::unique_ptr<pqxx::connection>& conn,
                    std::optional<ReadTx>& other) {
    if (app.pooler()) return false;  // the exporting session is not ours to keep
    const auto r = tx.exec_params(
        "SELECT CASE WHEN pg_catalog.pg_is_in_recovery() THEN NULL ELSE pg_catalog.pg_export_snapshot() END");
    if (r[0][0].is_null()) return false;
    // The id is the server's own (hex digits and dashes); SET TRANSACTION SNAPSHOT takes no
    // parameter, so it is checked and quoted as a literal.
    const auto id = r[0][0].as<std::string>();
    if (id.empty() || id.find_first_not_of("0123456789ABCDEFabcdef-") != std::string::npos) return false;
    try {
      conn = app.connectAgain();
    } catch (const FatalError&) {
      log.info("extract_second_connection_refused", {{"reading", std::string("one after the other")}});
      return false;
    }
    other.emplace(*conn);
    other->exec0("SET TRANSACTION SNAPSHOT " + other->quote(id));
    beginRead(app, *other);
    return true;
  }

  // Replaces linked_contact with every contact id linked anywhere in "Lead": one pass, sorted by
  // contact id in byte order, linked_contact's own, so that each row is appended to its B-tree
  // (at half a million linked ids and more, inserts in the table's order spilled SQLite's cache).
  // By COPY ... TO STDOUT (the server may sort in parallel, and sends every row without waiting
  // for a next FETCH), written many to a statement (SnapshotStore::appendLinked): at a million
  // linked ids the writing thread's CPU for them about 1.4 s less.
  void readLinked(pqxx::transaction_base& tx) {
    using namespace names;
    SQLite::Transaction wtx(store.db());
    store.clearLinked();
    c.linked_contacts = 0;
    setCopyValues(tx, "{}");
    pqxx::stream_from copy(tx, std::string("(SELECT l.") + kLeadContactId + ", l.id FROM " + kLeadTable +
                                   " l WHERE NOT " + missing(kLeadContactId, kCopyBlank) + " ORDER BY l." +
                                   kLeadContactId + " COLLATE \"C\")");
    std::string line, contact_scratch, lead_scratch;
    while (copy.get_raw_line(line)) {
      if (!line.empty() && line.back() == '\n') line.pop_back();
      const std::string_view row(line);
      const auto tab = row.find('\t');
      if (tab == std::string_view::npos || row.find('\t', tab + 1) != std::string_view::npos ||
          row.substr(tab + 1) == "\\N") {
        tx.conn().cancel_query();  // the copy's end is not waited for
        throw FatalError(
            "the database sent a linked contact row extract cannot read (not a contact id and a "
            "lead id): nothing of it was stored; report this with the server's version");
      }
      store.appendLinked(decodeCopyText(row.substr(0, tab), contact_scratch),
                         decodeCopyText(row.substr(tab + 1), lead_scratch));
      ++c.linked_contacts;
    }
    copy.complete();
    store.flushLinked();
    wtx.commit();
  }

  std::int64_t msSince(SteadyTime t) const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock.now() - t).count();
  }

  // --client-id: brings linked_contact up to date without reading every linked row of "Lead".
  //
  // From the changes, when linked_sync says linked_contact held exactly the ids linked as of a
  // snapshot (SINCE: its start) and --full was not given: the leads whose "updatedAt" is at or past
  // SINCE less kOverlapSeconds (the ("clientId", "updatedAt") index, one range per tenant), each
  // with the contact it holds now, and the number of contact ids linked (an index-only count of
  // "Lead_ghlContactId_key"). Each changed lead's contact is stored with that lead as its holder.
  // The application sets "updatedAt" on every write (what --incremental relies on too), so every
  // id linked since SINCE is among the changes: the stored ids now include every id linked, and
  // when their number equals the server's, they are the same ids. When it differs (a linked lead
  // deleted, a contact unlinked, or a write that left "updatedAt" alone), every id is compared as
  // below. Not seen this way: a write that left "updatedAt" alone and kept the count (one id
  // unlinked and another linked by hand); `extract --client-id --full` and a full extract compare
  // every id.
  //
  // Every id (a new work DB, after a full extract, --full, the counts differ, or more changed leads
  // than kLinkedPerChange and kChangesAlways allow): at a cost in
  // proportion to the linked ids, not to the table. The contact ids alone come from the unique
  // index "Lead_ghlContactId_key" (an index-only scan: no row of the 80-column table is read while
  // the visibility map is current), and are compared with the ids already stored. The lead holding
  // an id is looked up (one index probe and one row each) only where it can matter, at most
  // kHolderLookups per run:
  //   - a stored holder that is an eligible lead of SCOPE whose snapshot row no longer holds that
  //     contact (it was unlinked, or moved to another lead): kept, it would let that lead take the
  //     contact again without a conflict;
  //   - an id not stored yet;
  //   - a stored holder not known yet.
  // Past the limit the holder is stored as "" (not known), which no lead id equals, so the
  // conflict rule still sees the contact as taken by another lead; the next --client-id runs
  // (kUnknownLookups at a time) or a full extract fill it in.
  //
  // 1. What to read. Touches nothing but TX, so that it can run on a second connection while the
  //    leads stream in.
  LinkedIds linkedIds(pqxx::transaction_base& tx) const {
    LinkedIds out;
    const auto began = clock.now();
    if (sync && !opts.full)
      readChanges(tx, out);
    else
      readAll(tx, out);
    out.read_ms = msSince(began);
    return out;
  }

  // Every linked contact id (blank ones are not links), from the index alone, in the index's
  // order (the database's collation), passed to ADD(id view) until it returns false. By COPY ...
  // TO STDOUT: the server sends every row without waiting for a next FETCH (1.2-2.3 s against
  // 2.8-4.0 s for a cursor's, a million ids at load 8), each line decoded here as it comes. No
  // other statement can run on TX meanwhile.
  template <typename Add>
  void eachLinkedId(pqxx::transaction_base& tx, Add add) const {
    // pqxx 6's stream_from writes "COPY <table> TO STDOUT": a parenthesized query is a table there.
    pqxx::stream_from copy(tx, std::string("(SELECT l.") + names::kLeadContactId + " FROM " +
                                   names::kLeadTable + " l WHERE l." + names::kLeadContactId +
                                   " IS NOT NULL ORDER BY l." + names::kLeadContactId + ")");
    std::string line, id;
    while (copy.get_raw_line(line)) {
      if (!line.empty() && line.back() == '\n') line.pop_back();
      const std::string_view got = decodeCopyText(line, id);
      if (!isMissing(got) && !add(got)) {
        tx.conn().cancel_query();  // the rest is not read: the transaction ends in an error
        break;
      }
    }
    copy.complete();
  }

  // What readAllInto gives beside the ids.
  struct ReadAllInto {
    std::int64_t read_ms = 0, holders_ms = 0;  // of which looking up the holders
    LinkedHolders holders;
  };
  // eachLinkedId into QUEUE, opts.page_size ids to a batch sorted in byte order; the end or the
  // failure last. Then (TX is free once the COPY ends) the holders of the first kHolderLookups ids
  // are looked up on TX, before the end is queued.
  ReadAllInto readAllInto(pqxx::transaction_base& tx, IdQueue& queue) const {
    const auto began = clock.now();
    ReadAllInto out;
    try {
      IdBatch batch;
      bool open = true;
      std::vector<std::string> ask;
      const auto push = [&] {
        sortContactIds(batch.buf, batch.at);
        for (std::size_t i = 0; i < batch.at.size() && ask.size() < static_cast<std::size_t>(kHolderLookups);
             ++i)
          ask.emplace_back(batch.view(batch.at[i]));
        open = queue.push(std::move(batch));
        batch = IdBatch();
        return open;
      };
      const auto addId = [&](std::string_view id) {
        batch.add(id);
        return batch.at.size() < static_cast<std::size_t>(opts.page_size) || push();
      };
      eachLinkedId(tx, addId);
      if (open && !batch.at.empty()) push();
      if (open) {
        const auto looking = clock.now();
        holdersOf(tx, ask, out.holders.of);
        out.holders_ms = msSince(looking);
        out.holders.asked = static_cast<std::int64_t>(ask.size());
      }
      queue.finish();
    } catch (...) {
      queue.finish(std::current_exception());
    }
    out.read_ms = msSince(began);
    return out;
  }

  // Every linked contact id, sorted in byte order here (the index is in the database's collation).
  void readAll(pqxx::transaction_base& tx, LinkedIds& out) const {
    out.all = true;
    eachLinkedId(tx, [&](std::string_view id) {
      out.at.emplace_back(static_cast<std::uint32_t>(out.buf.size()), static_cast<std::uint32_t>(id.size()));
      out.buf.append(id);
      return true;
    });
    const auto began = clock.now();
    sortContactIds(out.buf, out.at);
    out.sort_ms = msSince(began);
  }

  // The leads changed since linked_sync's snapshot, with their contact, and the linked ids'
  // number. A blank contact id is no link, as in readAll; the count skips blank ids the same way
  // (a first character that is printable ASCII other than the space makes an id not blank, the
  // pattern decides the rest).
  void readChanges(pqxx::transaction_base& tx, LinkedIds& out) const {
    using namespace names;
    out.all = false;
    const std::int64_t most = sync->linked / kLinkedPerChange + kChangesAlways;
    bool too_many = false;
    {
      Cursor cur(tx, kChangesBatch,
                 std::string("SELECT l.id, l.") + kLeadContactId + " FROM " + kLeadTable + " l WHERE l." +
                     kLeadClientId + " = ANY(ARRAY(SELECT c.id FROM " + kClientTable + " c)) AND l." +
                     kUpdatedAt + " >= $1::timestamp - make_interval(secs => $2)",
                 sync->since, kOverlapSeconds);
      for (auto rows = cur.next(); !rows.empty(); rows = cur.next()) {
        for (const auto& r : rows) {
          const std::string_view id(r[1].is_null() ? std::string_view()
                                                   : std::string_view(r[1].c_str(), r[1].size()));
          out.changes.emplace_back(r[0].c_str(), isMissing(id) ? std::string_view() : id);
        }
        too_many = static_cast<std::int64_t>(out.changes.size()) > most;
        if (too_many) break;
      }
    }
    if (too_many) {  // every id costs less; the changes read so far still give their holders
      readAll(tx, out);
      return;
    }
    const std::string contact = std::string("l.") + kLeadContactId;
    out.server_linked = tx.exec_params(std::string("SELECT count(*) FROM ") + kLeadTable + " l WHERE " +
                                           contact + " IS NOT NULL AND (ascii(" + contact +
                                           ") BETWEEN 33 AND 126 OR " + contact + " !~ $1)",
                                       pgBlankPattern())[0][0]
                            .as<std::int64_t>();
  }

  // The leads holding IDS, by the unique index, in groups of kHolderGroup: contact id -> lead id.
  void holdersOf(pqxx::transaction_base& tx, const std::vector<std::string>& ids,
                 SnapshotStore::LeadContacts& holder) const {
    for (std::size_t i = 0; i < ids.size(); i += kHolderGroup) {
      const std::vector<std::string> group(
          ids.begin() + static_cast<std::ptrdiff_t>(i),
          ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), i + kHolderGroup)));
      for (const auto& r : tx.exec_params(std::string("SELECT l.") + names::kLeadContactId + ", l.id FROM " +
                                              names::kLeadTable + " l WHERE l." + names::kLeadContactId +
                                              " = ANY($1::text[])",
                                          pgTextArray(group)))
        holder.emplace(r[0].c_str(), r[1].c_str());
    }
  }

  void logRefreshed(const LinkedIds& linked, std::int64_t added, std::int64_t removed, std::int64_t moved,
                    std::int64_t looked_up, std::int64_t not_known, std::int64_t merge_ms,
                    std::int64_t holders_ms, std::int64_t write_ms, std::int64_t wait_ms = 0) const {
    log.info("extract_linked_refreshed", {{"read", std::string(linked.all ? "all" : "changes")},
                                          {"changed_leads", static_cast<std::int64_t>(linked.changes.size())},
                                          {"linked_contacts", c.linked_contacts},
                                          {"added", added},
                                          {"removed", removed},
                                          {"moved", moved},
                                          {"holders_looked_up", looked_up},
                                          {"holders_not_known", not_known},
                                          {"ms_read", linked.read_ms},
                                          {"ms_sort", linked.sort_ms},
                                          {"ms_merge", merge_ms},
                                          {"ms_holders", holders_ms},
                                          {"ms_write", write_ms},
                                          {"ms_wait", wait_ms}});
  }

  // 2. From the changes: false when they are not enough (the counts differ, or a stored id whose
  //    holder was not known is linked no more), and nothing was written.
  bool applyChanges(pqxx::transaction_base& tx, const std::string& since, const LinkedIds& linked) {
    auto began = clock.now();
    SQLite::Transaction wtx(store.db());
    std::int64_t count = sync->linked, not_known = sync->not_known, added = 0, moved = 0;
    for (const auto& [lead, contact] : linked.changes) {
      if (contact.empty()) continue;
      const auto held = store.linkedHolder(contact);
      if (!held) {
        store.addLinked(std::string_view(contact), std::string_view(lead));
        ++count;
        ++added;
      } else if (*held != lead) {
        store.setLinked(contact, lead);
        ++moved;
        not_known -= held->empty() ? 1 : 0;
      }
    }
    if (count != linked.server_linked) return false;
    const auto merge_ms = msSince(began);
    began = clock.now();
    // Holders not known yet, kUnknownLookups a run.
    std::int64_t looked_up = 0;
    if (not_known > 0) {
      const auto ids = store.linkedNotKnown(kUnknownLookups);
      SnapshotStore::LeadContacts holder;
      holdersOf(tx, ids, holder);
      looked_up = static_cast<std::int64_t>(ids.size());
      for (const auto& id : ids) {
        const auto h = holder.find(id);
        if (h == holder.end()) return false;  // stored, yet linked no more
        store.setLinked(id, h->second);
        --not_known;
      }
    }
    const auto holders_ms = msSince(began);
    began = clock.now();
    store.setLinkedSync({since, count, not_known});
    wtx.commit();
    c.linked_contacts = count;
    logRefreshed(linked, added, 0, moved, looked_up, not_known, merge_ms, holders_ms, msSince(began));
    return true;
  }

  // 2-4. SINCE: the start of TX's snapshot (server clock, UTC), recorded in linked_sync.
  void refreshLinked(pqxx::transaction_base& tx, const std::vector<std::string>& scope,
                     const std::string& since, LinkedIds&& read) {
    if (!read.all && applyChanges(tx, since, read)) return;
    LinkedIds all_ids;
    if (!read.all) {  // every id, in the same snapshot
      const auto began = clock.now();
      readAll(tx, all_ids);
      all_ids.read_ms = read.read_ms + msSince(began);
      all_ids.changes = std::move(read.changes);
    }
    LinkedIds& linked = read.all ? read : all_ids;
    const auto& at = linked.at;
    const auto view = [&](std::size_t k) { return linked.view(at[k]); };
    c.linked_contacts = static_cast<std::int64_t>(at.size());

    // 2. Merged with the stored ids (same order): what to add (positions in AT), remove, and whose
    //    holder to look up, in this order: moved away from a lead of SCOPE, new, not known yet.
    auto began = clock.now();
    const auto scope_leads = store.eligibleContacts(scope);
    std::vector<std::string> removed, moved, unknown;
    std::vector<std::uint32_t> added;
    std::int64_t unknown_total = 0;
    std::size_t k = 0;
    store.eachLinked([&](std::string_view stored, std::string_view lead) {
      for (; k < at.size() && view(k) < stored; ++k) added.push_back(static_cast<std::uint32_t>(k));
      if (k == at.size() || view(k) != stored) {
        removed.emplace_back(stored);
        return;
      }
      ++k;
      if (lead.empty()) {  // only as many as one run may look up
        ++unknown_total;
        if (unknown.size() < static_cast<std::size_t>(kUnknownLookups)) unknown.emplace_back(stored);
        return;
      }
      const auto held = scope_leads.find(lead);
      if (held != scope_leads.end() && held->second != stored) moved.emplace_back(stored);
    });
    for (; k < at.size(); ++k) added.push_back(static_cast<std::uint32_t>(k));

    const auto merge_ms = msSince(began);
    began = clock.now();

    // 3. The holders: those the changes read (when they were read), then by the unique index
    //    within the run's budget.
    SnapshotStore::LeadContacts holder;  // contact id -> lead id
    for (const auto& [lead, contact] : linked.changes)
      if (!contact.empty()) holder.emplace(contact, lead);
    std::vector<std::string> wanted;
    const auto want = [&](std::string_view id) {
      if (static_cast<std::int64_t>(wanted.size()) < kHolderLookups && holder.find(id) == holder.end())
        wanted.emplace_back(id);
    };
    for (const auto& id : moved) want(id);
    for (const auto a : added) want(view(a));
    for (const auto& id : unknown) want(id);
    holdersOf(tx, wanted, holder);
    const auto holderOf = [&](std::string_view contact) -> std::string_view {
      const auto h = holder.find(contact);
      return h == holder.end() ? std::string_view() : std::string_view(h->second);
    };

    const auto holders_ms = msSince(began);
    began = clock.now();

    // 4. Written in one transaction; the new ids come in order, so they append to the B-tree.
    SQLite::Transaction wtx(store.db());
    std::int64_t not_known = unknown_total - static_cast<std::int64_t>(unknown.size());
    for (const auto& id : removed) store.removeLinked(id);
    for (const auto& id : moved) {
      store.setLinked(id, std::string(holderOf(id)));
      not_known += holderOf(id).empty() ? 1 : 0;
    }
    for (const auto& id : unknown) {
      if (!holderOf(id).empty()) store.setLinked(id, std::string(holderOf(id)));
      not_known += holderOf(id).empty() ? 1 : 0;
    }
    // The holders known, in the order of ADDED (byte order): one merge, not a hash probe per id.
    std::vector<std::pair<std::string_view, std::string_view>> known(holder.begin(), holder.end());
    std::sort(known.begin(), known.end());
    auto next_known = known.cbegin();
    for (const auto a : added) {
      const auto id = view(a);
      for (; next_known != known.cend() && next_known->first < id; ++next_known) {
      }
      const bool found = next_known != known.cend() && next_known->first == id;
      store.addLinked(id, found ? next_known->second : std::string_view());
      not_known += found ? 0 : 1;
    }
    store.flushLinked();
    store.setLinkedSync({since, c.linked_contacts, not_known});
    wtx.commit();
    logRefreshed(linked, static_cast<std::int64_t>(added.size()), static_cast<std::int64_t>(removed.size()),
                 static_cast<std::int64_t>(moved.size()), static_cast<std::int64_t>(wanted.size()), not_known,
                 merge_ms, holders_ms, msSince(began));
  }

  // A new work DB (linked_contact empty, nothing to compare with) reads every id as ever, but
  // writes each batch while the next ones are read (freshLinked), rather than after the read.
  bool newLinked() const { return (!sync || opts.full) && store.noLinked(); }

  // Reads every linked id into a queue on its own thread (on TX, which nothing else may use until
  // the reader ends); the destructor stops the read and waits for it, on every way out.
  class LinkedReader {
   public:
    LinkedReader(const Extractor& x, pqxx::transaction_base& tx)
        : queue(std::max<std::size_t>(2, kQueuedIds / static_cast<std::size_t>(x.opts.page_size))),
          done_(std::async(std::launch::async, [&x, &tx, this] { return x.readAllInto(tx, queue); })) {}
    LinkedReader(const LinkedReader&) = delete;
    LinkedReader& operator=(const LinkedReader&) = delete;
    ~LinkedReader() {
      queue.cancel();
      if (done_.valid()) done_.wait();
    }
    // After the queue's end.
    ReadAllInto result() { return done_.valid() ? done_.get() : ReadAllInto(); }
    // At most kQueuedIds ids waiting (about 23 bytes each: 15 MB), whatever --page-size.
    static constexpr std::size_t kQueuedIds = 640000;
    IdQueue queue;

   private:
    std::future<ReadAllInto> done_;
  };

  // 2-4 for a new work DB: every id of READER written as it comes (writeNewLinked), in
  // transactions of its own (linked_new, which replaces linked_contact in the last one). A stop
  // leaves linked_contact and linked_sync as they were, records the run as interrupted and throws.
  // Returns the ids written; freshHolders follows.
  std::int64_t freshLinked(const std::string& since, LinkedReader& reader) {
    const auto began = clock.now();
    bool announced = false;
    const auto between = [&](std::int64_t written) {
      if (!announced) linkedTestPause([&] { log.info("extract_linked_paused", {{"ids_written", written}}); });
      announced = true;
    };
    const auto out = writeNewLinked(store, reader.queue, since, between);
    if (!out) checkStop();  // rolled back: records the stop and throws
    c.linked_contacts = out->written;
    fresh_write_ms = msSince(began);
    fresh_wait_ms = out->wait_ms;
    return out->written;
  }
  std::int64_t fresh_write_ms = 0, fresh_wait_ms = 0;

  // The holders READER looked up once its COPY ended (on its own connection, while the leads
  // streamed in when they come after freshLinked), stored in a transaction of their own.
  void freshHolders(const std::string& since, LinkedReader& reader, std::int64_t written) {
    auto r = reader.result();
    const auto began = clock.now();
    const auto not_known = storeHolders(store, r.holders, since, written);
    LinkedIds read;
    read.read_ms = r.read_ms;
    logRefreshed(read, written, 0, 0, r.holders.asked, not_known, 0, r.holders_ms,
                 fresh_write_ms + msSince(began), fresh_wait_ms);
  }

  // The linked contact ids after the leads of SCOPE were read in TX (whose snapshot began at
  // SINCE): all of them read again, or with --client-id only refreshed.
  void linked(pqxx::transaction_base& tx, const std::vector<std::string>& scope, const std::string& since) {
    if (opts.common.client_ids.empty()) {
      readLinked(tx);
    } else if (newLinked()) {
      LinkedReader reader(*this, tx);
      freshHolders(since, reader, freshLinked(since, reader));
    } else {
      refreshLinked(tx, scope, since, linkedIds(tx));
    }
  }

  // Streams the leads of CUR (a Prefetch or a LeadCopy: next() gives FetchedRows or CopiedRows,
  // nullopt at the end) into the snapshot; a lead that is not eligible is dropped. After each
  // committed group, save(last id) records the resume key in the same transaction. Returns false
  // when --max-leads stopped it.
  template <typename Source, typename Save>
  bool stream(Source& cur, Save save) {
    std::optional<SQLite::Transaction> wtx;
    std::int64_t in_tx = 0;
    std::string last;
    auto began = clock.now();
    bool first = true, bulk_on = false;
    std::vector<SnapshotRow> batch;  // bulk: the batch's leads, views into ROWS
    const auto putBatch = [&] {
      store.putMany(batch, c.leads_new, c.leads_refreshed, c.leads_kept_applied);
      batch.clear();
    };
    // LAST: the stream ends here (its end, a stop, --max-leads): lead_client is built again.
    const auto commit = [&](bool last_one) {
      if (!wtx) return;
      if (bulk_on && last_one) store.endBulk(), bulk_on = false, bulk = false;
      save(last);
      wtx->commit();
      wtx.reset();
      in_tx = 0;
    };
    for (;;) {
      const auto rows = cur.next();
      if (!rows) break;
      if (!wtx) {
        wtx.emplace(store.db());
        began = clock.now();
        if (bulk && !first && !bulk_on) store.beginBulk(), bulk_on = true;
      }
      for (std::size_t i = 0; i < rows->size(); ++i) {
        if (!rows->eligible(i)) {
          if (store.drop(rows->id(i))) ++c.leads_no_longer_eligible;
        } else {
          if (opts.max_leads > 0 && taken >= opts.max_leads) {
            c.capped = true;
            putBatch();
            commit(true);
            cur.settle();  // the caller commits the read transaction next
            return false;
          }
          ++taken;
          if (bulk_on) {  // new leads, kNewPerStatement to a statement
            batch.push_back(rows->row(i));
          } else {
            switch (store.put(rows->row(i))) {
              case SnapshotStore::Put::kNew:
                ++c.leads_new;
                break;
              case SnapshotStore::Put::kRefreshed:
                ++c.leads_refreshed;
                break;
              case SnapshotStore::Put::kKeptApplied:
                ++c.leads_kept_applied;
                break;
            }
          }
        }
        last = rows->id(i);
        ++in_tx;
      }
      putBatch();
      meter.add(static_cast<std::int64_t>(rows->size()));
      // The first batch is committed at once (progress shows straight away), then in groups.
      const bool stop = stopRequested();
      if (first || in_tx >= kCommitRows || clock.now() - began >= kCommitInterval || stop) {
        commit(stop);
        testPausePoint();
      }
      first = false;
      if (stopRequested()) {  // also one raised after the commit above: what was read is kept
        if (wtx || bulk_on) {
          if (!wtx) wtx.emplace(store.db());
          commit(true);
        }
        checkStop();
      }
    }
    if (!wtx && bulk_on) wtx.emplace(store.db());
    commit(true);
    return true;
  }

  // LeadCopy's query of the eligible leads of the tenants SCOPE (pgTextArray), set up on TX. The
  // tenants are joined with "Client" (current_setting() once per tenant row): = ANY of an array
  // that is not a constant is searched per lead, and the join keeps the plan parallel.
  std::string copyLeads(pqxx::transaction_base& tx, const std::string& scope) const {
    using namespace names;
    setCopyValues(tx, scope);
    return "SELECT " + leadColumns() + " FROM " + kLeadTable + " l JOIN " + kClientTable + " c ON c.id = l." +
           kLeadClientId + " AND c.id = ANY(" + kCopyScope + ") WHERE " + eligibleCondition(kCopyBlank) +
           " ORDER BY l.id COLLATE \"C\"";
  }

  std::string eligibleLeads(const std::string& where) const {
    return "SELECT " + leadColumns() + " FROM " + names::kLeadTable + " l WHERE " + where + " AND " +
           eligibleLeadCondition(3) + " ORDER BY l.id COLLATE \"C\"";
  }
};

}  // namespace

std::string eligibleLeadCondition(int p) { return eligibleCondition("$" + std::to_string(p)); }

ExitCode runExtract(const ExtractOptions& opts, const Log& log) {
  if (opts.page_size < 1 || opts.page_size > 100000)
    throw usageError("--page-size must be between 1 and 100000");
  if (opts.max_leads < 0) throw usageError("--max-leads must be 0 (no cap) or more");
  const auto kind = parseSnapshotKind(opts.snapshot);
  if (!kind) throw usageError("--snapshot must be whole or pages");
  if (opts.incremental && opts.full)
    throw usageError("--incremental and --full exclude each other: give one");

  // Everything that can be wrong with the input is checked before the work DB is touched.
  AppDb app(resolveDatabaseUrl(opts.database_url), &log);
  app.checkSchema();
  app.checkAccess(/*write=*/false);
  const auto clients = app.clients(opts.common.client_ids, /*with_tokens=*/false);
  for (const auto& cl : clients)  // a tenant asked for by name that cannot take part: say why
    if (!opts.common.client_ids.empty() && !cl.participates)
      throw usageError("--client-id " + cl.id +
                       " takes no part: its \"Client\" row has no GHL location or token (\"ghlLocationId\", "
                       "\"ghlPrivateKey\" missing or blank): set them, or leave this tenant out");

  const std::string identity = appDatabaseIdentity(app);
  WorkDb work(opts.common.work_db);
  bindAppDatabase(work, identity, /*record=*/true);
  const auto run = work.beginRun("extract", jsonObject({{"client_ids", joinIds(opts.common.client_ids)},
                                                        {"page_size", opts.page_size},
                                                        {"max_leads", opts.max_leads},
                                                        {"snapshot", std::string(snapshotKindName(*kind))},
                                                        {"incremental", opts.incremental ? 1 : 0}}));
  SnapshotStore store(work.db(), run);
  const WalCheckpointer checkpointer(work.path());
  const auto progress = makeProgress(opts.common, log, ::isatty(STDERR_FILENO) == 1);
  const SystemClock clock;
  StageMeter meter(*progress, clock, "leads", -1);  // the total is not known before the pass
  Extractor x{opts, log, app, work, store, run, meter, clock, {}};
  x.c.tenants = static_cast<std::int64_t>(clients.size());
  std::vector<std::string> participating;
  {
    SQLite::Transaction wtx(work.db());
    for (const auto& cl : clients) {
      if (!cl.participates) {
        log.info("tenant skipped: no GHL location or token", {{"client_id", cl.id}});
        continue;
      }
      participating.push_back(cl.id);
      store.putClient(cl.id, cl.location_id, cl.name);
    }
    wtx.commit();
  }
  x.c.participating = static_cast<std::int64_t>(participating.size());
  const bool pages = *kind == SnapshotKind::kPages;
  bool complete = true;

  if (opts.incremental) {
    // Tenant by tenant: those with a watermark read their changed leads (eligible or not, to
    // drop the ones no longer eligible) through the ("clientId", "updatedAt") index; a tenant
    // never read in full (new, or its full pass was stopped) is read in full here.
    std::optional<ReadTx> whole_tx;
    std::string whole_since;
    if (!pages) {
      whole_tx.emplace(app.conn());
      whole_since = beginRead(app, *whole_tx);
    }
    for (const auto& t : participating) {
      std::optional<ReadTx> page_tx;
      std::string since = whole_since;
      if (pages) {
        page_tx.emplace(app.conn());
        since = beginRead(app, *page_tx);
      }
      auto& tx = pages ? *page_tx : *whole_tx;
      const auto mark = store.watermark(t);
      if (mark) {
        Cursor cur(tx, opts.page_size,
                   "SELECT " + leadColumns() + ", " + eligibleLeadCondition(4) + " FROM " +
                       names::kLeadTable + " l WHERE l." + names::kLeadClientId +
                       " = $1 AND l.\"updatedAt\" >= $2::timestamp - "
                       "make_interval(secs => $3)",
                   t, *mark, kOverlapSeconds, pgBlankPattern());
        Prefetch rows(cur, /*eligible_column=*/true);
        complete = x.stream(rows, [](const std::string&) {});
      } else {
        Cursor cur(tx, opts.page_size,
                   x.eligibleLeads("l." + std::string(names::kLeadClientId) + " = $1 AND " + kAfterKey), t,
                   std::string(), pgBlankPattern());
        Prefetch rows(cur, false);
        complete = x.stream(rows, [](const std::string&) {});
        if (complete) x.c.leads_no_longer_eligible += store.markUnseen({t}, run);
      }
      if (!complete) break;
      store.setWatermark(t, since);
      if (page_tx) page_tx->commit();
    }
    if (whole_tx) {
      x.linked(*whole_tx, participating, whole_since);
      whole_tx->commit();
    } else {
      ReadTx tx(app.conn());
      x.linked(tx, participating, beginRead(app, tx));
      tx.commit();
    }
  } else {
    // A full pass, continued from where a stopped one of the same scope and --snapshot got to.
    const std::string scope_key = joinIds(opts.common.client_ids);
    auto pass = store.pass();
    if (pass && (pass->scope != scope_key || pass->snapshot != *kind)) {
      log.info("extract_pass_restarted", {{"reason", std::string("another scope or --snapshot")}});
      pass.reset();
    }
    const bool resumed = pass.has_value();
    bool nothing_before = false;  // no lead in the work DB from before the pass (prepareBulk)
    if (resumed) log.info("extract_pass_continued", {{"first_run", pass->first_run}});
    const std::string scope = pgTextArray(participating);
    // --client-id refreshes the linked ids it has (refreshLinked) rather than reading every one.
    const bool refresh = !opts.common.client_ids.empty();
    // Each committed batch of rows stores the last lead read with them: the next run continues after it.
    const auto savePassAt = [&](const std::string& last) {
      pass->lead_id = last;
      store.savePass(*pass);
    };
    if (!pages) {
      ReadTx tx(app.conn());
      const std::string since = beginRead(app, tx);
      if (!pass) pass = ExtractPass{scope_key, *kind, run, since, "", ""};
      x.bulk = store.prepareBulk(pass->first_run);
      nothing_before = x.bulk;
      // The leads' query is declared first: while the server scans and sorts them (no row comes
      // before the sort ends), the linked contact ids are read on a second connection inside the
      // same snapshot (exported), and written to SQLite meanwhile.
      std::unique_ptr<pqxx::connection> linked_conn;
      std::optional<ReadTx> linked_tx;
      const bool two = !participating.empty() && x.sameSnapshot(tx, linked_conn, linked_tx);
      if (!refresh && !two) x.readLinked(tx);
      std::future<LinkedIds> ids;  // --client-id: the linked ids read and sorted meanwhile
      std::optional<Extractor::LinkedReader> new_ids;  // or, on a new work DB, read into a queue
      std::int64_t new_written = 0;
      if (!participating.empty()) {
        // A pass over every tenant from its start, without --max-leads: by COPY (LeadCopy), which
        // the server may run in parallel. Otherwise a cursor: --client-id reads a few tenants by
        // their index, a stopped pass continues after its key, and --max-leads uses the
        // transaction after the cap.
        const bool by_copy = !refresh && opts.max_leads == 0 && pass->lead_id.empty();
        log.info("extract_leads_read", {{"by", std::string(by_copy ? "copy" : "cursor")}});
        std::optional<LeadCopy> copied;
        std::optional<Cursor> cur;
        std::optional<Prefetch> fetched;
        if (by_copy) {
          copied.emplace(tx, x.copyLeads(tx, scope), static_cast<std::size_t>(opts.page_size));
        } else {
          cur.emplace(tx, opts.page_size,
                      x.eligibleLeads("l." + std::string(names::kLeadClientId) + " = ANY($1::text[]) AND " +
                                      kAfterKey),
                      scope, pass->lead_id, pgBlankPattern());
          fetched.emplace(*cur, false);
        }
        if (linked_tx && refresh && x.newLinked()) {
          // A new work DB: the ids are written as they come in, before the leads (they need no
          // comparison with them), while the server sorts the leads and the first page waits.
          new_ids.emplace(x, *linked_tx);
          new_written = x.freshLinked(since, *new_ids);
        } else if (linked_tx && refresh) {
          ids = std::async(std::launch::async, [&] { return x.linkedIds(*linked_tx); });
        } else if (linked_tx) {
          x.readLinked(*linked_tx);
          linked_tx->commit();
        }
        complete = copied ? x.stream(*copied, savePassAt) : x.stream(*fetched, savePassAt);
      }
      if (new_ids)  // the holders its reader looked up while the leads streamed in
        x.freshHolders(since, *new_ids, new_written);
      else if (refresh && ids.valid())  // after the leads: it compares with them
        x.refreshLinked(tx, participating, since, ids.get());
      else if (refresh)
        x.linked(tx, participating, since);
      tx.commit();
      if (complete) {
        SQLite::Transaction wtx(work.db());
        for (const auto& t : participating) store.setWatermark(t, pass->since);
        wtx.commit();
      }
    } else {
      {
        ReadTx tx(app.conn());
        const std::string since = beginRead(app, tx);
        if (!pass) pass = ExtractPass{scope_key, *kind, run, since, "", ""};
        if (!refresh) x.readLinked(tx);
        tx.commit();
      }
      // One short transaction per tenant: each page is one tenant's eligible leads, read
      // through the "clientId" index and sorted by id, consistent in itself.
      bool reached = pass->client_id.empty();
      for (size_t i = 0; i < participating.size() && complete; ++i) {
        const auto& t = participating[i];
        if (!reached && t != pass->client_id) continue;  // done by the stopped run
        const std::string after = reached ? std::string() : pass->lead_id;
        reached = true;
        ReadTx tx(app.conn());
        const std::string since = beginRead(app, tx);
        pass->client_id = t;
        Cursor cur(tx, opts.page_size,
                   x.eligibleLeads("l." + std::string(names::kLeadClientId) + " = $1 AND " + kAfterKey), t,
                   after, pgBlankPattern());
        Prefetch rows(cur, false);
        complete = x.stream(rows, savePassAt);
        tx.commit();
        if (complete) {
          SQLite::Transaction wtx(work.db());
          store.setWatermark(t, since);
          pass->client_id = i + 1 < participating.size() ? participating[i + 1] : std::string();
          pass->lead_id.clear();
          store.savePass(*pass);
          wtx.commit();
        }
      }
      if (refresh) {  // after the leads: it compares with them
        ReadTx tx(app.conn());
        x.linked(tx, participating, beginRead(app, tx));
        tx.commit();
      }
    }
    if (complete) {
      // A complete pass: leads of the scope it did not see are no longer eligible (unless applied).
      // None when the work DB held no lead from before the pass (a first extract): the look costs
      // a scan of every lead (0.26 s at 2M).
      SQLite::Transaction wtx(work.db());
      if (!nothing_before)
        x.c.leads_no_longer_eligible = store.markUnseen(opts.common.client_ids, pass->first_run);
      store.clearPass();
      wtx.commit();
    }
  }
  meter.finish();

  const auto& c = x.c;
  const std::string counts = jsonObject({{"tenants", c.tenants},
                                         {"participating", c.participating},
                                         {"leads_new", c.leads_new},
                                         {"leads_refreshed", c.leads_refreshed},
                                         {"leads_kept_applied", c.leads_kept_applied},
                                         {"leads_no_longer_eligible", c.leads_no_longer_eligible},
                                         {"linked_contacts", c.linked_contacts},
                                         {"capped", c.capped ? 1 : 0}});
  work.finishRun(run, "done", counts);
  std::cout << "extract" << (opts.incremental ? " --incremental" : "") << ": " << c.participating << " of "
            << c.tenants << " tenants take part; " << (c.leads_new + c.leads_refreshed + c.leads_kept_applied)
            << (opts.incremental ? " changed" : "") << " eligible leads (" << c.leads_new << " new, "
            << c.leads_refreshed << " refreshed, " << c.leads_kept_applied << " already applied, kept); "
            << c.leads_no_longer_eligible << " no longer eligible; " << c.linked_contacts
            << " contact ids already linked"
            << (c.capped ? "; stopped at --max-leads (the next extract continues after it)" : "") << "\n";
  log.info("extract done", {{"leads_new", c.leads_new},
                            {"leads_refreshed", c.leads_refreshed},
                            {"linked_contacts", c.linked_contacts}});
  return ExitCode::kDone;
}

}  // namespace ghlb
