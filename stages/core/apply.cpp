#include "apply.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <map>
#include <set>

#include "app_db.h"
#include "app_identity.h"
#include "clock.h"
#include "decision_store.h"
#include "error.h"
#include "fields.h"
#include "json_util.h"
#include "names.h"
#include "plan.h"
#include "plan_store.h"
#include "stop_signal.h"
#include "text.h"
#include "work_db.h"

namespace ghlb {
namespace {

// Columns apply may fill from a contact, in statement parameter order ($3..$7).
struct Column {
  const char* field;   // names::kField*
  const char* column;  // quoted SQL identifier
};
constexpr Column kFillColumns[] = {
    {names::kFieldEmail, names::kLeadEmail},         {names::kFieldPhone, names::kLeadPhone},
    {names::kFieldFirstName, names::kLeadFirstName}, {names::kFieldLastName, names::kLeadLastName},
    {names::kFieldCompany, names::kLeadCompany},
};

// One statement per lead. $1 lead id, $2 contact id to link (NULL: no link), $3-$7 values of
// kFillColumns (NULL: not planned), $8 blank pattern, $9 set enrichment with the phone (when
// the row's status at write time is not 'not_needed': decided here, in the same statement).
// Returns one row (none when the lead is gone): ok, then per field (link + 5 columns) whether it
// was written and the value it held, then whether enrichment was written.
std::string guardedUpdateSql() {
  using namespace names;
  std::string cur = std::string("SELECT id, (") + kLeadContactId + " IS NULL OR " + kLeadContactId +
                    " ~ $8) AS m0, " + kLeadContactId + " AS v0";
  for (int i = 0; i < 5; ++i) {
    const std::string c = kFillColumns[i].column, n = std::to_string(i + 1);
    cur += ", (" + c + " IS NULL OR " + c + " ~ $8) AS m" + n + ", " + c + " AS v" + n;
  }
  cur +=
      std::string(", ") + kLeadEnrichmentStatus + " AS est FROM " + kLeadTable + " WHERE id = $1 FOR UPDATE";
  // ok: the lead may take values from this contact (not a link, or the link is still possible).
  const std::string ok =
      std::string("coalesce($2::text IS NULL OR cur.v0 = $2 OR (cur.m0 AND NOT EXISTS (SELECT 1 FROM ") +
      kLeadTable + " o WHERE o." + kLeadContactId + " = $2 AND o.id <> $1)), false)";
  std::string w = "SELECT cur.*, " + ok + " AS ok FROM cur";
  std::string flags = "SELECT d.*, d.ok AND $2::text IS NOT NULL AND d.m0 AS w0";
  for (int i = 1; i <= 5; ++i) {
    const std::string n = std::to_string(i);
    flags += ", d.ok AND $" + std::to_string(i + 2) + "::text IS NOT NULL AND d.m" + n + " AS w" + n;
  }
  flags +=
      std::string(", d.ok AND $4::text IS NOT NULL AND d.m2 AND $9::boolean AND d.est IS DISTINCT FROM '") +
      kNotNeededStatus + "' AS we FROM d";
  const std::string now = "(now() AT TIME ZONE 'UTC')";
  std::string set =
      std::string(kLeadContactId) + " = CASE WHEN f.w0 THEN $2 ELSE l." + kLeadContactId + " END";
  for (int i = 1; i <= 5; ++i) {
    const std::string c = kFillColumns[i - 1].column;
    set += ", " + c + " = CASE WHEN f.w" + std::to_string(i) + " THEN $" + std::to_string(i + 2) +
           " ELSE l." + c + " END";
  }
  set += std::string(", ") + kLeadEnrichmentStatus + " = CASE WHEN f.we THEN '" + kEnrichedStatus +
         "' ELSE l." + kLeadEnrichmentStatus + " END";
  set += std::string(", ") + kLeadEnrichmentSource + " = CASE WHEN f.we THEN '" + kEnrichmentSourceGhl +
         "' ELSE l." + kLeadEnrichmentSource + " END";
  set += std::string(", ") + kLeadEnrichedAt + " = CASE WHEN f.we THEN " + now + " ELSE l." +
         kLeadEnrichedAt + " END";
  set += std::string(", ") + kUpdatedAt + " = " + now;
  return "WITH cur AS (" + cur + "), d AS (" + w + "), f AS (" + flags + "), upd AS (UPDATE " + kLeadTable +
         " l SET " + set +
         " FROM f WHERE l.id = f.id AND (f.w0 OR f.w1 OR f.w2 OR f.w3 OR f.w4 OR f.w5) "
         "RETURNING l.id) SELECT f.ok, f.w0, f.v0, f.w1, f.v1, f.w2, f.v2, f.w3, f.v3, f.w4, f.v4, f.w5, "
         "f.v5, "
         "f.we, (SELECT count(*) FROM upd) FROM f";
}

struct PlannedLead {
  std::string id;
  std::string client_id;
  std::map<std::string, std::string> fields;  // field -> new value (not yet in apply_log)
};

struct FieldResult {
  std::string lead_id, client_id, field, outcome, new_value;
};

std::optional<std::string> optField(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<std::string>();
}

const char* param(const std::map<std::string, std::string>& m, const char* field) {
  const auto it = m.find(field);
  return it == m.end() ? nullptr : it->second.c_str();
}

const char* const kEnrichmentFields[] = {names::kFieldEnrichmentStatus, names::kFieldEnrichmentSource,
                                         names::kFieldEnrichedAt};

// Runs the guarded statement for one lead inside tx; appends one result per planned field, and
// for the enrichment trio whenever the statement wrote it.
// prepared: the statement "ghlb_apply" exists on the connection (not in pooler mode).
void applyLead(pqxx::work& tx, const PlannedLead& lead, bool prepared, std::vector<FieldResult>& out) {
  auto f = lead.fields;
  const auto add = [&](const std::string& field, const char* outcome) {
    const auto it = lead.fields.find(field);
    out.push_back({lead.id, lead.client_id, field, outcome,
                   it != lead.fields.end() ? it->second : enrichmentValue(field)});
  };
  // Defence in depth: a value that is not clean text never reaches PostgreSQL (plan reports it).
  const auto contact = f.find(names::kFieldContactId);
  if (contact != f.end() && !isCleanText(contact->second)) {
    for (const auto& [field, v] : lead.fields) add(field, apply_outcome::kInvalidValue);
    return;
  }
  for (const auto& [field, v] : lead.fields) {
    if (isCleanText(v) || !f.count(field)) continue;
    add(field, apply_outcome::kInvalidValue);
    f.erase(field);
    if (field == names::kFieldPhone)
      for (const char* e : kEnrichmentFields)
        if (f.erase(e)) add(e, apply_outcome::kInvalidValue);
  }
  if (f.empty()) return;
  // Enrichment goes with every phone write; the statement checks the status at write time.
  const bool enrich = f.count(names::kFieldPhone) > 0;
  const auto exec = [&](const auto&... a) {
    return prepared ? tx.exec_prepared("ghlb_apply", a...) : tx.exec_params(guardedUpdateSql(), a...);
  };
  const auto rows =
      exec(lead.id, param(f, names::kFieldContactId), param(f, names::kFieldEmail),
           param(f, names::kFieldPhone), param(f, names::kFieldFirstName), param(f, names::kFieldLastName),
           param(f, names::kFieldCompany), pgBlankPattern(), enrich);
  if (rows.empty()) {
    for (const auto& [field, v] : f) add(field, apply_outcome::kGone);
    return;
  }
  const auto& r = rows[0];
  if (!r[0].as<bool>()) {
    for (const auto& [field, v] : f) add(field, apply_outcome::kConflict);
    return;
  }
  const char* fields[] = {names::kFieldContactId, names::kFieldEmail,    names::kFieldPhone,
                          names::kFieldFirstName, names::kFieldLastName, names::kFieldCompany};
  const char* phone_outcome = nullptr;
  for (int i = 0; i < 6; ++i) {
    if (!f.count(fields[i])) continue;
    const char* o = fieldOutcome(r[1 + 2 * i].as<bool>(), optField(r[2 + 2 * i]), f.at(fields[i]));
    if (i == 2) phone_outcome = o;
    add(fields[i], o);
  }
  // Enrichment follows the phone and the status at write time: written with it (planned or not:
  // the status may have left 'not_needed' since the snapshot), stale when planned but the status
  // turned 'not_needed' meanwhile, else whatever became of the phone.
  const bool enriched = r[13].as<bool>();
  const bool phone_written = phone_outcome && std::string_view(phone_outcome) == apply_outcome::kWritten;
  const char* enrichment = enriched                            ? apply_outcome::kWritten
                           : (phone_written || !phone_outcome) ? apply_outcome::kStale
                                                               : phone_outcome;
  for (const char* e : kEnrichmentFields)
    if (f.count(e) || enriched) add(e, enrichment);
}

std::vector<PlannedLead> loadPlanned(SQLite::Database& db, const std::vector<std::string>& ids) {
  SQLite::Statement q(
      db,
      "SELECT p.lead_id, p.client_id, i.field, i.new_value FROM plan_lead p "
      "JOIN plan_item i USING (lead_id) WHERE p.status = 'fill' "
      "AND " +
          clientScope("p.client_id") +
          " "
          "AND NOT EXISTS (SELECT 1 FROM apply_log a WHERE a.lead_id = i.lead_id AND a.field = i.field) "
          "ORDER BY p.lead_id, i.field");
  bindClientScope(q, ids);
  std::vector<PlannedLead> out;
  while (q.executeStep()) {
    const std::string id = q.getColumn(0).getString();
    if (out.empty() || out.back().id != id) out.push_back({id, q.getColumn(1).getString(), {}});
    out.back().fields[q.getColumn(2).getString()] = q.getColumn(3).getString();
  }
  return out;
}

// Leads of the scope whose plan is not final yet (pending or waiting): apply writes nothing of
// them, and exits 3 so that the operator fetches, plans and applies again.
std::int64_t countUnfinished(SQLite::Database& db, const std::vector<std::string>& ids) {
  SQLite::Statement q(db, std::string("SELECT count(*) FROM plan_lead WHERE status IN (?3, ?4) AND ") +
                              clientScope("client_id"));
  bindClientScope(q, ids);
  q.bind(3, plan_status::kPending);
  q.bind(4, plan_status::kWaiting);
  q.executeStep();
  return q.getColumn(0).getInt64();
}

// One warning per tenant with leads that are not final yet, naming the most frequent reason (the
// fetch outcome, e.g. auth_failed: the tenant's token), so the operator knows what blocks it.
void warnUnfinishedByTenant(SQLite::Database& db, const std::vector<std::string>& ids, const Log& log) {
  SQLite::Statement q(db,
                      std::string("SELECT client_id, count(*), (SELECT coalesce(x.note, '') FROM plan_lead x "
                                  "WHERE x.client_id = p.client_id AND x.status IN (?3, ?4) GROUP BY x.note "
                                  "ORDER BY count(*) DESC, x.note LIMIT 1) FROM plan_lead p "
                                  "WHERE status IN (?3, ?4) AND ") +
                          clientScope("client_id") + " GROUP BY client_id ORDER BY client_id");
  bindClientScope(q, ids);
  q.bind(3, plan_status::kPending);
  q.bind(4, plan_status::kWaiting);
  while (q.executeStep()) {
    const std::string reason = q.getColumn(2).getString();
    log.warn("tenant has leads not final yet",
             {{"client_id", q.getColumn(0).getString()},
              {"leads", q.getColumn(1).getInt64()},
              {"most_because", reason},
              {"fix", std::string(reason == "auth_failed" ? "check the tenant's \"Client\".\"ghlPrivateKey\""
                                  : reason == "daily_limit" ? "wait for the location's daily quota"
                                                            : "run fetch, plan and apply again")}});
  }
}

// SQLSTATE class 42 (privileges, undefined table or column, syntax): retrying cannot fix it.
// libpqxx 6 leaves sqlstate() empty but throws the class's exception type: check both.
bool isPermissionDenied(const pqxx::sql_error& e) {
  return dynamic_cast<const pqxx::insufficient_privilege*>(&e) != nullptr || e.sqlstate() == "42501";
}

bool unretryable(const pqxx::sql_error& e) {
  return isPermissionDenied(e) || dynamic_cast<const pqxx::syntax_error*>(&e) != nullptr ||
         e.sqlstate().rfind("42", 0) == 0;
}

[[noreturn]] void throwUnretryable(const pqxx::sql_error& e) {
  if (isPermissionDenied(e))
    throw FatalError(std::string("the database role lacks UPDATE permission on table ") + names::kLeadTable +
                     " (SQLSTATE 42501): grant it (GRANT SELECT, UPDATE ON " + names::kLeadTable +
                     " TO <role>), then run apply again");
  throw FatalError(
      "the application database refused apply's statement (SQLSTATE class 42): check its schema "
      "against schema/app_db.sql, then run apply again");
}

void recordResults(SQLite::Database& db, const std::vector<FieldResult>& results, std::int64_t run) {
  SQLite::Transaction tx(db);
  SQLite::Statement ins(
      db,
      "INSERT OR REPLACE INTO apply_log(lead_id, field, outcome, new_value, applied_at, apply_run) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  const std::string now = isoNowUtc();
  for (const auto& r : results) {
    ins.bind(1, r.lead_id);
    ins.bind(2, r.field);
    ins.bind(3, r.outcome);
    ins.bind(4, r.new_value);
    ins.bind(5, now);
    ins.bind(6, static_cast<std::int64_t>(run));
    ins.exec();
    ins.reset();
  }
  tx.commit();
}

void printOutcomes(const std::map<std::string, std::map<std::string, std::int64_t>>& by_field, bool dry_run,
                   std::ostream& out) {
  out << (dry_run ? "apply --dry-run: nothing was written; a real run would do this (fields):\n"
                  : "apply: outcome per field:\n");
  for (const auto& [field, outcomes] : by_field) {
    out << "  " << field << ":";
    for (const auto& [o, n] : outcomes)
      out << " " << (dry_run && o == apply_outcome::kWritten ? "would_write" : o) << "=" << n;
    out << "\n";
  }
  if (by_field.empty()) out << "  nothing to write\n";
}

// The plan apply writes: --plan ID, or the newest plan covering the tenants asked. Refused (one
// line, exit 1) when there is none, or when extract or fetch changed its inputs since.
PlanRecord choosePlan(SQLite::Database& db, const ApplyOptions& opts) {
  if (opts.plan_id < 0) throw usageError("--plan must be a plan id printed by plan (1 or more)");
  PlanStore store(db);
  std::optional<PlanRecord> plan;
  if (opts.plan_id > 0) {
    plan = store.find(opts.plan_id);
    if (!plan)
      throw FatalError("plan " + std::to_string(opts.plan_id) +
                       " does not exist: run 'ghl-backfill plan' and apply the plan id it prints");
    if (!planCovers(plan->scope, opts.common.client_ids))
      throw FatalError(
          "plan " + std::to_string(opts.plan_id) +
          " does not cover every tenant asked: pass the --client-id of that plan, or run plan for "
          "these tenants");
  } else {
    plan = store.latestCovering(opts.common.client_ids);
    if (!plan)
      throw FatalError(
          "there is no plan for these tenants: run 'ghl-backfill plan', review it, then run apply");
  }
  if (store.inputFingerprint(plan->scope) != plan->fingerprint)
    throw FatalError("the plan is older than its inputs: run plan again (plan " + std::to_string(plan->id) +
                     "; extract or fetch changed the snapshot or the GHL results since)");
  return *plan;
}

// One paragraph, counts only: what apply is about to write.
std::string writeSummary(const PlanRecord& plan, const std::vector<PlannedLead>& planned) {
  std::map<std::string, std::int64_t> by_field;
  std::set<std::string> tenants;
  std::int64_t values = 0;
  for (const auto& l : planned) {
    tenants.insert(l.client_id);
    for (const auto& [field, v] : l.fields) {
      ++by_field[field];
      ++values;
    }
  }
  std::string out = "Apply plan " + std::to_string(plan.id) + " (made " + plan.created_at +
                    ", inputs unchanged) will write " + std::to_string(values) + " values to " +
                    std::to_string(planned.size()) + " leads of " + std::to_string(tenants.size()) +
                    " tenant" + (tenants.size() == 1 ? "" : "s") + " in the application database:";
  const char* sep = " ";
  for (const auto& [field, n] : by_field) {
    out += sep + field + " " + std::to_string(n);
    sep = ", ";
  }
  return out + ". Each value fills a field only if it is still empty at write time.";
}

// Asks for "yes" on a terminal; without one, refuses (exit 2) unless --yes, like `terraform
// apply -input=false`. --dry-run and an empty plan never ask.
// False when the operator answered anything but "yes" (exit 1, like terraform, but no error: the
// tool did not fail). Ctrl-C at the prompt throws StopRequested (exit 130/143).
bool confirm(const ApplyOptions& opts, const PlanRecord& plan, const std::vector<PlannedLead>& planned) {
  if (opts.yes || opts.dry_run || planned.empty()) return true;
  if (!isatty(STDIN_FILENO))
    throw FatalError(
        "apply writes to the application database and asks for confirmation, but there is no terminal: "
        "review the plan, then pass --yes",
        ExitCode::kUsage);
  std::cout << "\n"
            << writeSummary(plan, planned)
            << "\n\nDo you want to write these values? Only 'yes' will be accepted: " << std::flush;
  // The stop handlers use SA_RESTART, so a blocked read would outlive Ctrl-C: wait in poll(), which
  // a signal always interrupts, and read only once a line is there.
  for (;;) {
    if (stopRequested()) throw StopRequested();
    pollfd in{STDIN_FILENO, POLLIN, 0};
    const int ready = ::poll(&in, 1, 200);
    if (ready > 0 || (ready < 0 && errno != EINTR)) break;
  }
  std::string answer;
  const bool read = static_cast<bool>(std::getline(std::cin, answer));
  if (stopRequested()) throw StopRequested();
  if (read && answer == "yes") return true;
  std::cout << "apply cancelled: nothing was written (only the answer 'yes' writes)" << std::endl;
  return false;
}

}  // namespace

const char* fieldOutcome(bool written, const std::optional<std::string>& current,
                         const std::string& planned) {
  if (written) return apply_outcome::kWritten;
  if (current && *current == planned) return apply_outcome::kAlreadySet;
  return apply_outcome::kStale;
}

ExitCode runApply(const ApplyOptions& opts, const Log& log) {
  if (opts.batch_size < 1 || opts.batch_size > 10000)
    throw usageError("--batch-size must be between 1 and 10000");
  AppDb app(resolveDatabaseUrl(opts.database_url), &log);
  app.checkSchema();
  app.checkAccess(/*write=*/true);
  WorkDb work(opts.common.work_db, WorkDb::Mode::kExisting);
  if (work.lastExtractUnfinished())
    log.warn(
        "the last extract did not finish, so the snapshot is partial: run 'ghl-backfill extract' again to "
        "complete it");
  bindAppDatabase(work, appDatabaseIdentity(app), /*record=*/false);  // never a plan of another database
  auto& db = work.db();
  checkKnownClients(db, opts.common.client_ids);
  const PlanRecord plan = choosePlan(db, opts);
  auto planned = loadPlanned(db, opts.common.client_ids);
  const std::int64_t held = holdBackByDecision(db, opts.common.client_ids, planned, opts.only_approved);
  if (held)  // review's decisions: rejected changes, and with --only-approved every undecided one
    std::cout << "Held back by review decisions: " << held << " changes ("
              << (opts.only_approved ? "not approved" : "rejected") << "; see 'ghl-backfill review').\n";
  if (!confirm(opts, plan, planned)) return ExitCode::kFatal;
  std::int64_t run = 0;
  if (!opts.dry_run)
    run = work.beginRun("apply", jsonObject({{"client_ids", joinIds(opts.common.client_ids)},
                                             {"batch_size", opts.batch_size},
                                             {"plan", plan.id}}));
  // A transaction pooler hands each transaction its own server connection: no named statement.
  if (!app.pooler()) app.conn().prepare("ghlb_apply", guardedUpdateSql());

  std::map<std::string, std::map<std::string, std::int64_t>> by_field;
  std::int64_t failed_leads = 0, done_leads = 0;
  bool interrupted = false;
  for (size_t start = 0; start < planned.size(); start += static_cast<size_t>(opts.batch_size)) {
    if (stopRequested()) {  // between batches: what is committed is recorded, the rest waits
      interrupted = true;
      break;
    }
    const size_t end = std::min(planned.size(), start + static_cast<size_t>(opts.batch_size));
    std::vector<FieldResult> results;
    try {
      pqxx::work tx(app.conn());
      app.enter(tx);
      for (size_t i = start; i < end; ++i) applyLead(tx, planned[i], !app.pooler(), results);
      if (opts.dry_run)
        tx.abort();
      else
        tx.commit();
    } catch (const pqxx::broken_connection&) {
      throw FatalError(
          "lost the connection to the application database during apply: run apply again (what was committed "
          "is kept)");
    } catch (const pqxx::sql_error& e) {
      if (unretryable(e)) throwUnretryable(e);
      // A concurrent writer (e.g. a unique "ghlContactId" taken meanwhile) failed the batch:
      // nothing of it was committed. Retry it one lead per transaction to isolate the lead.
      log.warn("batch failed, retrying lead by lead",
               {{"first_lead_id", planned[start].id}, {"sqlstate", e.sqlstate()}});
      results.clear();
      for (size_t i = start; i < end; ++i) {
        try {
          pqxx::work tx(app.conn());
          app.enter(tx);
          std::vector<FieldResult> one;
          applyLead(tx, planned[i], !app.pooler(), one);
          if (opts.dry_run)
            tx.abort();
          else
            tx.commit();
          results.insert(results.end(), one.begin(), one.end());
        } catch (const pqxx::sql_error& e2) {
          if (unretryable(e2)) throwUnretryable(e2);
          ++failed_leads;
          log.error("lead failed, left for the next run",
                    {{"lead_id", planned[i].id}, {"sqlstate", e2.sqlstate()}});
        }
      }
    }
    if (!opts.dry_run) recordResults(db, results, run);
    for (const auto& r : results) by_field[r.field][r.outcome]++;
    done_leads += static_cast<std::int64_t>(end - start);
    log.info("apply progress", {{"leads", done_leads}, {"of", static_cast<std::int64_t>(planned.size())}});
    testPausePoint();
  }
  printOutcomes(by_field, opts.dry_run, std::cout);
  std::vector<std::pair<std::string, std::int64_t>> counts{{"leads", done_leads},
                                                           {"failed_leads", failed_leads}};
  for (const auto& [field, outcomes] : by_field)
    for (const auto& [o, n] : outcomes) counts.emplace_back(field + ":" + o, n);
  const std::int64_t unfinished = countUnfinished(db, opts.common.client_ids);
  counts.emplace_back("pending_or_waiting_leads", unfinished);
  counts.emplace_back("held_by_decision", held);
  if (unfinished && !interrupted) {
    log.warn("some leads have no final plan yet (pending or waiting): run fetch, plan and apply again",
             {{"leads", unfinished}});
    warnUnfinishedByTenant(db, opts.common.client_ids, log);
  }
  const bool again = failed_leads || unfinished;
  if (!opts.dry_run)
    work.finishRun(run, interrupted ? "interrupted" : again ? "retryable" : "done", jsonObject(counts));
  if (interrupted) throw StopRequested();
  return again ? ExitCode::kRetryable : ExitCode::kDone;
}

}  // namespace ghlb
