#include "extract.h"

#include <unistd.h>

#include <iostream>
#include <optional>
#include <sstream>

#include "app_db.h"
#include "app_identity.h"
#include "error.h"
#include "json_util.h"
#include "names.h"
#include "progress.h"
#include "stop_signal.h"
#include "text.h"
#include "work_db.h"

namespace ghlb {
namespace {

using ReadTx = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

std::optional<std::string> opt(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<std::string>();
}

std::string missing(const char* col, int blank_param) {
  return std::string("(l.") + col + " IS NULL OR l." + col + " ~ $" + std::to_string(blank_param) + ")";
}

// Replaces linked_contact with every contact id linked in the whole "Lead" table.
std::int64_t snapshotLinkedContacts(ReadTx& tx, SQLite::Database& db, int page_size) {
  const std::string sql = std::string("SELECT l.id, l.") + names::kLeadContactId + " FROM " +
                          names::kLeadTable + " l WHERE NOT " + missing(names::kLeadContactId, 1) +
                          " AND l.id > $2 ORDER BY l.id LIMIT $3";
  SQLite::Transaction wtx(db);
  db.exec("DELETE FROM linked_contact");
  SQLite::Statement ins(db, "INSERT OR IGNORE INTO linked_contact(contact_id, lead_id) VALUES (?, ?)");
  std::string cursor;
  std::int64_t n = 0;
  for (;;) {
    const auto rows = tx.exec_params(sql, pgBlankPattern(), cursor, page_size);
    for (const auto& r : rows) {
      ins.bind(1, r[1].as<std::string>());
      ins.bind(2, r[0].as<std::string>());
      ins.exec();
      ins.reset();
      ++n;
    }
    if (rows.size() < static_cast<size_t>(page_size)) break;
    cursor = rows[rows.size() - 1][0].as<std::string>();
  }
  wtx.commit();
  return n;
}

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
  auto& db = work.db();
  const auto run = work.beginRun("extract", jsonObject({{"client_ids", joinIds(opts.common.client_ids)},
                                                        {"page_size", opts.page_size},
                                                        {"max_leads", opts.max_leads}}));
  ExtractCounts c;
  c.tenants = static_cast<std::int64_t>(clients.size());
  std::vector<std::string> participating;
  {
    SQLite::Transaction wtx(db);
    SQLite::Statement up(db,
                         "INSERT INTO client(id, location_id, extract_run, name) VALUES (?, ?, ?, ?) "
                         "ON CONFLICT(id) DO UPDATE SET location_id = excluded.location_id, "
                         "extract_run = excluded.extract_run, name = excluded.name");
    for (const auto& cl : clients) {
      if (!cl.participates) {
        log.info("tenant skipped: no GHL location or token", {{"client_id", cl.id}});
        continue;
      }
      participating.push_back(cl.id);
      up.bind(1, cl.id);
      up.bind(2, cl.location_id);
      up.bind(3, static_cast<std::int64_t>(run));
      bindOptional(up, 4, cl.name);  // validated by tenantName(); shown beside the id, never logged
      up.exec();
      up.reset();
    }
    wtx.commit();
  }
  c.participating = static_cast<std::int64_t>(participating.size());

  ReadTx tx(app.conn());
  app.enter(tx);
  c.linked_contacts = snapshotLinkedContacts(tx, db, opts.page_size);

  using namespace names;
  const std::string sql =
      std::string("SELECT l.id, l.") + kLeadClientId + ", l." + kLeadContactId + ", l." + kLeadEmail +
      ", l." + kLeadPhone + ", l." + kLeadFirstName + ", l." + kLeadLastName + ", l." + kLeadCompany +
      ", l." + kLeadEnrichmentStatus + " FROM " + kLeadTable + " l WHERE l." + kLeadClientId +
      " = ANY($1::text[]) AND l.id > $2 AND " + eligibleLeadCondition(3) + " ORDER BY l.id LIMIT $4";
  // Whether the lead was applied (its snapshot is then kept) and whether it is already known.
  SQLite::Statement state(db,
                          "SELECT EXISTS(SELECT 1 FROM apply_log WHERE lead_id = ?1), "
                          "EXISTS(SELECT 1 FROM lead WHERE id = ?1)");
  SQLite::Statement touch(db, "UPDATE lead SET eligible = 1, extract_run = ? WHERE id = ?");
  SQLite::Statement upsert(
      db,
      "INSERT INTO lead(id, client_id, location_id, ghl_contact_id, email, phone, first_name, "
      "last_name, company_name, enrichment_status, eligible, extract_run) "
      "VALUES (?, ?, (SELECT location_id FROM client WHERE id = ?), ?, ?, ?, ?, ?, ?, ?, 1, ?) "
      "ON CONFLICT(id) DO UPDATE SET client_id = excluded.client_id, location_id = excluded.location_id, "
      "ghl_contact_id = excluded.ghl_contact_id, email = excluded.email, phone = excluded.phone, "
      "first_name = excluded.first_name, last_name = excluded.last_name, "
      "company_name = excluded.company_name, enrichment_status = excluded.enrichment_status, "
      "eligible = 1, extract_run = excluded.extract_run");
  const std::string scope = pgTextArray(participating);
  std::string cursor;
  const auto progress = makeProgress(opts.common, log, ::isatty(STDERR_FILENO) == 1);
  const SystemClock clock;
  StageMeter meter(*progress, clock, "leads", -1);  // the total is not known before the pass
  std::int64_t taken = 0;
  while (!participating.empty()) {
    const auto rows = tx.exec_params(sql, scope, cursor, pgBlankPattern(), opts.page_size);
    SQLite::Transaction wtx(db);
    for (const auto& r : rows) {
      if (opts.max_leads > 0 && taken >= opts.max_leads) {
        c.capped = true;
        break;
      }
      const std::string id = r[0].as<std::string>();
      state.bind(1, id);
      state.executeStep();
      const bool is_applied = state.getColumn(0).getInt() != 0;
      const bool is_known = state.getColumn(1).getInt() != 0;
      state.reset();
      if (is_applied) {
        touch.bind(1, static_cast<std::int64_t>(run));
        touch.bind(2, id);
        touch.exec();
        touch.reset();
        ++c.leads_kept_applied;
        ++taken;
        continue;
      }
      (is_known ? c.leads_refreshed : c.leads_new)++;
      upsert.bind(1, id);
      upsert.bind(2, r[1].as<std::string>());
      upsert.bind(3, r[1].as<std::string>());
      for (int i = 2; i <= 8; ++i) bindOptional(upsert, i + 2, opt(r[i]));
      upsert.bind(11, static_cast<std::int64_t>(run));
      upsert.exec();
      upsert.reset();
      ++taken;
    }
    wtx.commit();
    if (c.capped || rows.size() < static_cast<size_t>(opts.page_size)) break;
    cursor = rows[rows.size() - 1][0].as<std::string>();
    meter.add(static_cast<std::int64_t>(rows.size()));
    testPausePoint();
    if (stopRequested()) {  // between pages: the pages so far are committed; the next run starts over
      work.finishRun(run, "interrupted",
                     jsonObject({{"leads_new", c.leads_new}, {"leads_refreshed", c.leads_refreshed}}));
      throw StopRequested();
    }
  }
  tx.commit();
  meter.finish();

  if (!c.capped) {
    // A complete pass: leads of the scope it did not see are no longer eligible (unless applied).
    SQLite::Statement gone(db, "UPDATE lead SET eligible = 0 WHERE extract_run <> ?3 AND eligible = 1 AND " +
                                   clientScope("client_id") +
                                   " "
                                   "AND NOT EXISTS (SELECT 1 FROM apply_log a WHERE a.lead_id = lead.id)");
    bindClientScope(gone, opts.common.client_ids);
    gone.bind(3, static_cast<std::int64_t>(run));
    c.leads_no_longer_eligible = gone.exec();
  }

  const std::string counts = jsonObject({{"tenants", c.tenants},
                                         {"participating", c.participating},
                                         {"leads_new", c.leads_new},
                                         {"leads_refreshed", c.leads_refreshed},
                                         {"leads_kept_applied", c.leads_kept_applied},
                                         {"leads_no_longer_eligible", c.leads_no_longer_eligible},
                                         {"linked_contacts", c.linked_contacts},
                                         {"capped", c.capped ? 1 : 0}});
  work.finishRun(run, "done", counts);
  std::cout << "extract: " << c.participating << " of " << c.tenants << " tenants take part; "
            << (c.leads_new + c.leads_refreshed + c.leads_kept_applied) << " eligible leads (" << c.leads_new
            << " new, " << c.leads_refreshed << " refreshed, " << c.leads_kept_applied
            << " already applied, kept); " << c.leads_no_longer_eligible << " no longer eligible; "
            << c.linked_contacts << " contact ids already linked"
            << (c.capped ? "; stopped at --max-leads" : "") << "\n";
  log.info("extract done", {{"leads_new", c.leads_new},
                            {"leads_refreshed", c.leads_refreshed},
                            {"linked_contacts", c.linked_contacts}});
  return ExitCode::kDone;
}

}  // namespace ghlb
