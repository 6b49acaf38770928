#include "extract.h"

#include <unistd.h>

#include <chrono>
#include <future>
#include <iostream>
#include <optional>

#include "app_db.h"
#include "app_identity.h"
#include "clock.h"
#include "error.h"
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
constexpr auto kCommitInterval = std::chrono::seconds(1);

std::string missing(const char* col, int blank_param) {
  return std::string("(l.") + col + " IS NULL OR l." + col + " ~ $" + std::to_string(blank_param) + ")";
}

// The columns read per lead, in SnapshotRow's order.
std::string leadColumns() {
  using namespace names;
  return std::string("l.id, l.") + kLeadClientId + ", l." + kLeadContactId + ", l." + kLeadEmail + ", l." +
         kLeadPhone + ", l." + kLeadFirstName + ", l." + kLeadLastName + ", l." + kLeadCompany + ", l." +
         kLeadEnrichmentStatus;
}
constexpr int kLeadColumnCount = 9;

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

  // Between batches: the interrupted run is recorded, then the stop goes up.
  void checkStop() {
    if (!stopRequested()) return;
    work.finishRun(run, "interrupted",
                   jsonObject({{"leads_new", c.leads_new}, {"leads_refreshed", c.leads_refreshed}}));
    throw StopRequested();
  }

  // Replaces linked_contact with every contact id linked anywhere in "Lead": one sequential pass.
  void readLinked(pqxx::transaction_base& tx) {
    Cursor cur(tx, opts.page_size,
               std::string("SELECT l.") + names::kLeadContactId + ", l.id FROM " + names::kLeadTable +
                   " l WHERE NOT " + missing(names::kLeadContactId, 1),
               pgBlankPattern());
    SQLite::Transaction wtx(store.db());
    store.clearLinked();
    c.linked_contacts = 0;
    for (auto rows = cur.next(); !rows.empty(); rows = cur.next())
      for (const auto& r : rows) {
        store.addLinked(r[0].c_str(), r[1].c_str());
        ++c.linked_contacts;
      }
    wtx.commit();
  }

  // Streams the leads of CURSOR into the snapshot. Columns: leadColumns(), then (with_eligible)
  // whether the lead is eligible. After each committed group, save(last id) records the resume
  // key in the same transaction. Returns false when --max-leads stopped it.
  template <typename Save>
  bool stream(Cursor& cur, bool with_eligible, Save save) {
    std::optional<SQLite::Transaction> wtx;
    std::int64_t in_tx = 0;
    std::string last;
    auto began = clock.now();
    bool first = true;
    const auto commit = [&] {
      if (!wtx) return;
      save(last);
      wtx->commit();
      wtx.reset();
      in_tx = 0;
    };
    // The next batch is fetched on another thread while this one goes into SQLite, so that
    // PostgreSQL's work and SQLite's overlap. Only that thread touches the connection while a
    // fetch is pending; the future's destructor waits for it on every way out of this function.
    std::future<pqxx::result> pending = std::async(std::launch::async, [&cur] { return cur.next(); });
    for (;;) {
      const pqxx::result rows = pending.get();
      if (rows.empty()) break;
      pending = std::async(std::launch::async, [&cur] { return cur.next(); });
      if (!wtx) wtx.emplace(store.db()), began = clock.now();
      for (const auto& r : rows) {
        const bool eligible = !with_eligible || r[kLeadColumnCount].as<bool>();
        if (!eligible) {
          if (store.drop(r[0].c_str())) ++c.leads_no_longer_eligible;
        } else {
          if (opts.max_leads > 0 && taken >= opts.max_leads) {
            c.capped = true;
            commit();
            return false;
          }
          ++taken;
          switch (store.put(snapshotRow(r))) {
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
        last = r[0].c_str();
        ++in_tx;
      }
      meter.add(static_cast<std::int64_t>(rows.size()));
      // The first batch is committed at once (progress shows straight away), then in groups.
      if (first || in_tx >= kCommitRows || clock.now() - began >= kCommitInterval || stopRequested()) {
        commit();
        testPausePoint();
      }
      first = false;
      checkStop();
    }
    commit();
    return true;
  }

  std::string eligibleLeads(const std::string& where) const {
    return "SELECT " + leadColumns() + " FROM " + names::kLeadTable + " l WHERE " + where + " AND " +
           eligibleLeadCondition(3) + " ORDER BY l.id";
  }
};

}  // namespace

std::string eligibleLeadCondition(int p) {
  using namespace names;
  return "(" + missing(kLeadPhone, p) + " OR " + missing(kLeadEmail, p) + " OR " +
         missing(kLeadFirstName, p) + " OR " + missing(kLeadLastName, p) + " OR " + missing(kLeadCompany, p) +
         " OR (" + missing(kLeadContactId, p) + " AND NOT " + missing(kLeadEmail, p) + "))";
}

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
        complete = x.stream(cur, true, [](const std::string&) {});
      } else {
        Cursor cur(tx, opts.page_size,
                   x.eligibleLeads("l." + std::string(names::kLeadClientId) + " = $1 AND l.id > $2"), t,
                   std::string(), pgBlankPattern());
        complete = x.stream(cur, false, [](const std::string&) {});
        if (complete) x.c.leads_no_longer_eligible += store.markUnseen({t}, run);
      }
      if (!complete) break;
      store.setWatermark(t, since);
      if (page_tx) page_tx->commit();
    }
    if (whole_tx) {
      x.readLinked(*whole_tx);
      whole_tx->commit();
    } else {
      ReadTx tx(app.conn());
      beginRead(app, tx);
      x.readLinked(tx);
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
    if (resumed) log.info("extract_pass_continued", {{"first_run", pass->first_run}});
    const std::string scope = pgTextArray(participating);
    if (!pages) {
      ReadTx tx(app.conn());
      const std::string since = beginRead(app, tx);
      if (!pass) pass = ExtractPass{scope_key, *kind, run, since, "", ""};
      x.readLinked(tx);
      if (!participating.empty()) {
        Cursor cur(
            tx, opts.page_size,
            x.eligibleLeads("l." + std::string(names::kLeadClientId) + " = ANY($1::text[]) AND l.id > $2"),
            scope, pass->lead_id, pgBlankPattern());
        complete = x.stream(cur, false, [&](const std::string& last) {
          pass->lead_id = last;
          store.savePass(*pass);
        });
      }
      tx.commit();
      if (complete)
        for (const auto& t : participating) store.setWatermark(t, pass->since);
    } else {
      {
        ReadTx tx(app.conn());
        const std::string since = beginRead(app, tx);
        if (!pass) pass = ExtractPass{scope_key, *kind, run, since, "", ""};
        x.readLinked(tx);
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
                   x.eligibleLeads("l." + std::string(names::kLeadClientId) + " = $1 AND l.id > $2"), t,
                   after, pgBlankPattern());
        complete = x.stream(cur, false, [&](const std::string& last) {
          pass->lead_id = last;
          store.savePass(*pass);
        });
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
    }
    if (complete) {
      // A complete pass: leads of the scope it did not see are no longer eligible (unless applied).
      x.c.leads_no_longer_eligible = store.markUnseen(opts.common.client_ids, pass->first_run);
      store.clearPass();
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
