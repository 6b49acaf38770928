#include "apply.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include <future>
#include <iostream>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>

#include "app_db.h"
#include "app_identity.h"
#include "apply_store.h"
#include "clock.h"
#include "confirm.h"
#include "decision_store.h"
#include "error.h"
#include "fields.h"
#include "json_util.h"
#include "json_write.h"
#include "names.h"
#include "plan.h"
#include "plan_store.h"
#include "progress.h"
#include "stop_signal.h"
#include "text.h"
#include "wave_select.h"
#include "wave_store.h"
#include "work_db.h"

namespace ghlb {
namespace {

// Index in kFields of the field named NAME (a name of fields.h).
size_t fieldIndex(const char* name) { return static_cast<size_t>(findField(name) - kFields); }

// One guarded statement per batch of leads, its columns derived from kFields. The batch comes in
// as arrays, one element per lead (unnest: a set, so one UPDATE ... FROM writes the whole batch):
// $1 lead ids, $2 the contact of each lead's planned link (NULL: none), which the statement
// re-checks even when it does not write the link, $3 blank pattern, $4 per lead: set enrichment
// with the phone (when the row's status at write time is not 'not_needed': decided here, in the
// same statement), then one array per link or fill field of kFields in order: the value to write
// (NULL: not in this wave). Every guard is evaluated per row inside the statement, on the rows it
// locked: each field still missing, the link not taken by another lead, the enrichment status.
// Returns one row per lead found (none for a lead gone): id, ok, whether enrichment was written,
// the "enrichedAt" it stored (text), then per field of kFields whether it was written and the
// value it held at write time (text; the journal's before).
std::string guardedUpdateSql() {
  using namespace names;
  const std::string now = "(now() AT TIME ZONE 'UTC')";
  const size_t link = fieldIndex(kFieldContactId), phone = fieldIndex(kFieldPhone),
               status = fieldIndex(kFieldEnrichmentStatus);
  const std::string enriched_at = findField(kFieldEnrichedAt)->column;
  std::string in_arrays = "$1::text[], $2::text[], $4::boolean[]", in_names = "id, guard, enrich",
              in_cols = "i.guard, i.enrich";
  std::string cur = "SELECT l.id", flags = "SELECT d.*", set, any, out = "SELECT f.id, f.ok, f.we, u.at";
  std::string phone_param;
  int param = 5;
  for (size_t i = 0; i < std::size(kFields); ++i) {
    const FieldSpec& f = kFields[i];
    const std::string c = f.column, n = std::to_string(i);
    cur += ", l." + c + "::text AS v" + n;
    if (f.kind == FieldKind::kEnrichment) {
      // Set with a written phone: names::kEnrichedStatus, kEnrichmentSourceGhl, or the time.
      const std::string value =
          i == fieldIndex(kFieldEnrichedAt) ? now : "'" + std::string(enrichmentValue(f.name)) + "'";
      set += ", " + c + " = CASE WHEN f.we THEN " + value + " ELSE l." + c + " END";
      out += ", f.we, f.v" + n;
      continue;
    }
    const std::string p = "d.p" + n;
    in_arrays += ", $" + std::to_string(param++) + "::text[]";
    in_names += ", p" + n;
    in_cols += ", i.p" + n;
    if (i == phone) phone_param = p;
    cur += ", (l." + c + " IS NULL OR l." + c + " ~ $3) AS m" + n;
    flags += ", d.ok AND " + p + " IS NOT NULL AND d.m" + n + " AS w" + n;
    set += ", " + c + " = CASE WHEN f.w" + n + " THEN f.p" + n + " ELSE l." + c + " END";
    any += (any.empty() ? "f.w" : " OR f.w") + n;
    out += ", f.w" + n + ", f.v" + n;
  }
  // The rows locked in id order (two batches never wait on each other in a cycle). The UPDATE finds
  // its rows by the same ids (l.id = ANY($1)): joined on f alone, the planner may hash the whole
  // table (a sequential scan of "Lead" per batch, measured at 100k leads on 5 indexes: half the
  // batch's time).
  cur += std::string(" FROM ") + kLeadTable + " l WHERE l.id = ANY($1::text[]) ORDER BY l.id FOR UPDATE OF l";
  // ok: the lead may take values from this contact (no planned link, or the link is still possible).
  const std::string l = std::to_string(link);
  // Another lead holding the contact: at most one row ("ghlContactId" is unique), joined once per
  // lead (a subquery in ok would run once per reference to ok).
  const std::string taken =
      std::string(" LEFT JOIN ") + kLeadTable + " o ON o." + kLeadContactId + " = i.guard AND o.id <> i.id";
  const std::string ok =
      "coalesce(i.guard IS NULL OR cur.v" + l + " = i.guard OR (cur.m" + l + " AND o.id IS NULL), false)";
  flags += ", d.ok AND " + phone_param + " IS NOT NULL AND d.m" + std::to_string(phone) +
           " AND d.enrich AND d.v" + std::to_string(status) + " IS DISTINCT FROM '" + kNotNeededStatus +
           "' AS we FROM d";
  set += std::string(", ") + kUpdatedAt + " = " + now;
  return "WITH i AS (SELECT * FROM unnest(" + in_arrays + ") AS t(" + in_names + ")), cur AS (" + cur +
         "), d AS (SELECT cur.*, " + in_cols + ", " + ok + " AS ok FROM cur JOIN i ON i.id = cur.id" + taken +
         "), f AS (" + flags + "), upd AS (UPDATE " + kLeadTable + " l SET " + set.substr(2) +
         " FROM f WHERE l.id = f.id AND l.id = ANY($1::text[]) AND (" + any + ") RETURNING l.id, l." +
         enriched_at + "::text AS at) " + out + " FROM f LEFT JOIN upd u ON u.id = f.id";
}

struct FieldResult {
  std::string lead_id, client_id, field, outcome, new_value;
  // For a written value, the journal's: what the field held at write time, and what was written.
  std::optional<std::string> before;
  std::string after;
};

std::optional<std::string> optField(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<std::string>();
}

// One lead as the batch statement writes it: the values left after the clean-text check.
struct LeadWrite {
  const PlannedLead* lead = nullptr;
  std::map<std::string, std::string> fields;
  const char* guard = nullptr;  // the contact re-checked (NULL: none)
  bool enrich = false;
};

// A PostgreSQL array literal of VALUES (nullptr: NULL), every element quoted: a parameter's
// text, never SQL.
std::string textArray(const std::vector<const char*>& values) {
  std::string out = "{";
  for (const char* v : values) {
    if (out.size() > 1) out += ',';
    if (!v) {
      out += "NULL";
      continue;
    }
    out += '"';
    for (const char* c = v; *c; ++c) {
      if (*c == '"' || *c == '\\') out += '\\';
      out += *c;
    }
    out += '"';
  }
  return out + "}";
}

// Appends one result of LEAD's FIELD to OUT.
void addResult(const PlannedLead& lead, const std::string& field, const char* outcome,
               std::vector<FieldResult>& out) {
  const auto it = lead.fields.find(field);
  out.push_back({lead.id, lead.client_id, field, outcome,
                 it != lead.fields.end() ? it->second : enrichmentValue(field), std::nullopt, ""});
}

// What of LEAD goes to the statement; values that are not clean text are recorded as
// invalid_value here and never sent. nullopt: nothing left to send.
std::optional<LeadWrite> prepareLead(const PlannedLead& lead, std::vector<FieldResult>& out) {
  LeadWrite w{&lead, lead.fields, nullptr, false};
  auto& f = w.fields;
  // Defence in depth: a value that is not clean text never reaches PostgreSQL (plan reports it).
  const auto contact = f.find(names::kFieldContactId);
  if (contact != f.end() && !isCleanText(contact->second)) {
    for (const auto& [field, v] : lead.fields) addResult(lead, field, apply_outcome::kInvalidValue, out);
    return std::nullopt;
  }
  for (const auto& [field, v] : lead.fields) {
    if (isCleanText(v) || !f.count(field)) continue;
    addResult(lead, field, apply_outcome::kInvalidValue, out);
    f.erase(field);
    if (field == names::kFieldPhone)
      for (const auto& e : kFields)
        if (e.kind == FieldKind::kEnrichment && f.erase(e.name))
          addResult(lead, e.name, apply_outcome::kInvalidValue, out);
  }
  if (f.empty()) return std::nullopt;
  // Enrichment goes with every phone write; the statement checks the status at write time.
  w.enrich = f.count(names::kFieldPhone) > 0;
  // The contact re-checked: the link written now, else the lead's planned link (settled or not in
  // this wave), so that no value is filled once another lead holds the contact.
  const auto link = f.find(names::kFieldContactId);
  w.guard = link != f.end() ? link->second.c_str() : lead.link_contact ? lead.link_contact->c_str() : nullptr;
  return w;
}

// The outcomes of one lead from its row of the statement (nullptr: the lead is gone).
void interpretRow(const LeadWrite& w, const pqxx::row* row, std::vector<FieldResult>& out) {
  const PlannedLead& lead = *w.lead;
  const auto& f = w.fields;
  if (!row) {
    for (const auto& [field, v] : f) addResult(lead, field, apply_outcome::kGone, out);
    return;
  }
  const auto& r = *row;
  if (!r[1].as<bool>()) {
    for (const auto& [field, v] : f) addResult(lead, field, apply_outcome::kConflict, out);
    return;
  }
  const bool enriched = r[2].as<bool>();
  const auto enriched_at = optField(r[3]);
  // Per field of kFields: columns 4 + 2i (written) and 5 + 2i (value at write time).
  const char* phone_outcome = nullptr;
  for (size_t i = 0; i < std::size(kFields); ++i) {
    const FieldSpec& spec = kFields[i];
    if (spec.kind == FieldKind::kEnrichment || !f.count(spec.name)) continue;
    const int col = 4 + 2 * static_cast<int>(i);
    const auto before = optField(r[col + 1]);
    const char* o = fieldOutcome(r[col].as<bool>(), before, f.at(spec.name));
    if (spec.name == std::string_view(names::kFieldPhone)) phone_outcome = o;
    addResult(lead, spec.name, o, out);
    if (o == std::string_view(apply_outcome::kWritten)) {
      out.back().before = before;
      out.back().after = f.at(spec.name);
    }
  }
  // Enrichment follows the phone and the status at write time: written with it (planned or not:
  // the status may have left 'not_needed' since the snapshot), stale when planned but the status
  // turned 'not_needed' meanwhile, else whatever became of the phone.
  const bool phone_written = phone_outcome && std::string_view(phone_outcome) == apply_outcome::kWritten;
  const char* enrichment = enriched                            ? apply_outcome::kWritten
                           : (phone_written || !phone_outcome) ? apply_outcome::kStale
                                                               : phone_outcome;
  for (size_t i = 0; i < std::size(kFields); ++i) {
    const FieldSpec& spec = kFields[i];
    if (spec.kind != FieldKind::kEnrichment || !(f.count(spec.name) || enriched)) continue;
    addResult(lead, spec.name, enrichment, out);
    if (!enriched) continue;
    out.back().before = optField(r[5 + 2 * static_cast<int>(i)]);
    out.back().after = spec.name == std::string_view(names::kFieldEnrichedAt) ? enriched_at.value_or("")
                                                                              : enrichmentValue(spec.name);
  }
}

// One batch of leads on its way to PostgreSQL: what goes to the guarded statement (built on the
// main thread, then only read while the statement runs on the worker thread), and the outcomes.
struct Batch {
  std::vector<PlannedLead> leads;
  std::vector<LeadWrite> writes;  // the leads with values left to send (pointing into leads)
  std::string ids, guards, enrich;
  std::vector<std::string> values;  // one array per link or fill field of kFields, in order
  std::vector<FieldResult> results;
};

// The batch of LEADS: values that are not clean text are recorded (invalid_value) and never sent;
// the rest goes into the statement's arrays.
Batch prepareBatch(std::vector<PlannedLead> leads) {
  Batch b;
  b.leads = std::move(leads);
  b.writes.reserve(b.leads.size());
  for (const auto& lead : b.leads)
    if (auto w = prepareLead(lead, b.results)) b.writes.push_back(std::move(*w));
  std::vector<const char*> ids, guards;
  b.enrich = "{";
  std::vector<std::vector<const char*>> values;
  for (const auto& spec : kFields)
    if (spec.kind != FieldKind::kEnrichment) values.emplace_back();
  for (const auto& w : b.writes) {
    ids.push_back(w.lead->id.c_str());
    guards.push_back(w.guard);
    b.enrich += std::string(b.enrich.size() > 1 ? "," : "") + (w.enrich ? "t" : "f");
    size_t k = 0;
    for (const auto& spec : kFields) {
      if (spec.kind == FieldKind::kEnrichment) continue;
      const auto it = w.fields.find(spec.name);
      values[k++].push_back(it == w.fields.end() ? nullptr : it->second.c_str());
    }
  }
  b.enrich += "}";
  for (const auto& v : values) b.values.push_back(textArray(v));
  b.ids = textArray(ids);
  b.guards = textArray(guards);
  return b;
}

// Runs the guarded statement of B in one transaction, committed (dry run: rolled back); the
// statement's rows. Touches only the connection and B: it runs on apply's worker thread.
// prepared: the statement "ghlb_apply" exists on the connection (not in pooler mode).
pqxx::result runBatch(AppDb& app, const Batch& b, bool prepared, bool dry_run) {
  pqxx::work tx(app.conn());
  app.enter(tx);
  const auto dyn = pqxx::prepare::make_dynamic_params(b.values);
  auto rows = prepared ? tx.exec_prepared("ghlb_apply", b.ids, b.guards, pgBlankPattern(), b.enrich, dyn)
                       : tx.exec_params(guardedUpdateSql(), b.ids, b.guards, pgBlankPattern(), b.enrich, dyn);
  if (dry_run)
    tx.abort();
  else
    tx.commit();
  return rows;
}

// Appends to B's results one per planned field from the statement's ROWS, and for the enrichment
// trio whenever the statement wrote it.
void interpretBatch(Batch& b, const pqxx::result& rows) {
  std::unordered_map<std::string_view, pqxx::row> by_id;
  for (const auto& r : rows) by_id.emplace(r[0].c_str(), r);
  for (const auto& w : b.writes) {
    const auto it = by_id.find(w.lead->id);
    interpretRow(w, it == by_id.end() ? nullptr : &it->second, b.results);
  }
}

constexpr const char* kLostConnection =
    "lost the connection to the application database during apply: run apply again (what was committed is "
    "kept)";

// After B's statement failed (nothing of it committed): each lead of B in a transaction of its
// own, so that one lead's failure (e.g. a contact another writer linked meanwhile) keeps the
// others. B's results are rebuilt; returns how many leads failed (left for the next run).
std::int64_t retryLeadByLead(AppDb& app, Batch& b, bool prepared, bool dry_run, const Log& log) {
  b.results.clear();
  std::int64_t failed = 0;
  for (const auto& lead : b.leads) {
    Batch one = prepareBatch({lead});
    try {
      if (!one.writes.empty()) interpretBatch(one, runBatch(app, one, prepared, dry_run));
      b.results.insert(b.results.end(), one.results.begin(), one.results.end());
    } catch (const pqxx::broken_connection&) {
      throw FatalError(kLostConnection);
    } catch (const pqxx::sql_error& e) {
      if (unretryableSqlError(e)) throwUnretryable(e, "apply");
      ++failed;
      log.error("lead failed, left for the next run", {{"lead_id", lead.id}, {"sqlstate", e.sqlstate()}});
    }
  }
  return failed;
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

// The batch's outcomes in apply_log and its written values in the wave's journal, in one SQLite
// transaction: both or neither are kept.
void recordResults(SQLite::Database& db, const std::vector<FieldResult>& results, std::int64_t run,
                   std::int64_t wave) {
  SQLite::Transaction tx(db);
  SQLite::Statement ins(
      db,
      "INSERT OR REPLACE INTO apply_log(lead_id, field, outcome, new_value, applied_at, apply_run) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  const std::string now = isoNowUtc();
  std::vector<JournalRow> journal;
  for (const auto& r : results) {
    ins.bind(1, r.lead_id);
    ins.bind(2, r.field);
    ins.bind(3, r.outcome);
    ins.bind(4, r.new_value);
    ins.bind(5, now);
    ins.bind(6, static_cast<std::int64_t>(run));
    ins.exec();
    ins.reset();
    if (r.outcome == apply_outcome::kWritten) journal.push_back({r.lead_id, r.field, r.before, r.after});
  }
  WaveStore(db).journal(wave, journal);
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
  // The fingerprint reads every input of the scope (each lead and its GHL answers): only when
  // extract or fetch has run since the plan can it differ.
  if (inputsWrittenSince(db, plan->plan_run) && PlanInputs(db).fingerprint(plan->scope) != plan->fingerprint)
    throw FatalError("the plan is older than its inputs: run plan again (plan " + std::to_string(plan->id) +
                     "; extract or fetch changed the snapshot or the GHL results since)");
  return *plan;
}

// The wave, batch by batch: the plan's unsettled values (PlanCursor) less what the review's
// decisions hold back (DecisionHold), narrowed by the selection (selectWave; --limit counts the
// leads of the whole wave, in lead-id order).
class WaveReader {
 public:
  WaveReader(SQLite::Database& db, const std::vector<std::string>& client_ids, const WaveSelection& sel,
             const DecisionHold& hold)
      : cursor_(db, client_ids), sel_(sel), hold_(hold) {}

  // The next leads of the wave, at most MAX; empty once the wave has no more (past --limit, the
  // plan is not read further).
  std::vector<PlannedLead> next(std::size_t max) {
    std::vector<PlannedLead> out;
    while (out.size() < max && more_) {
      if (sel_.limit > 0 && selected_ >= sel_.limit) {
        more_ = false;
        break;
      }
      std::vector<PlannedLead> chunk;
      more_ = cursor_.next(chunk, max - out.size());
      hold_.holdBack(chunk);
      WaveSelection rest = sel_;
      rest.limit = sel_.limit > 0 ? sel_.limit - selected_ : 0;
      chunk = selectWave(std::move(chunk), rest);
      selected_ += static_cast<std::int64_t>(chunk.size());
      std::move(chunk.begin(), chunk.end(), std::back_inserter(out));
    }
    return out;
  }
  bool done() const { return !more_; }

 private:
  PlanCursor cursor_;
  WaveSelection sel_;
  const DecisionHold& hold_;
  std::int64_t selected_ = 0;
  bool more_ = true;
};

// What the wave will write, counted before anything is written: the wave's leads read once by
// its reader (up to --limit: in proportion to the wave, not to the plan), and the changes the
// decisions hold back in the whole scope, counted from the decided leads (and with
// --only-approved, every undecided change by one aggregate).
struct WaveSummary {
  std::map<std::string, std::int64_t> by_field;
  std::set<std::string> tenants;
  std::int64_t values = 0, leads = 0, held = 0;
};

WaveSummary summarizeWave(SQLite::Database& db, const std::vector<std::string>& client_ids,
                          const WaveSelection& sel, const DecisionHold& hold, bool only_approved) {
  WaveSummary out;
  auto decided = decidedLeads(db, client_ids);
  // A lead without a decision is undecided in every change: held only with --only-approved.
  out.held = hold.holdBack(decided) + (only_approved ? countUndecidedValues(db, client_ids) : 0);
  WaveReader reader(db, client_ids, sel, hold);
  while (!reader.done())
    for (const auto& l : reader.next(5000)) {
      out.tenants.insert(l.client_id);
      ++out.leads;
      for (const auto& [field, v] : l.fields) {
        ++out.by_field[field];
        ++out.values;
      }
    }
  return out;
}

// One paragraph, counts only: what apply is about to write.
std::string writeSummary(const PlanRecord& plan, const WaveSelection& sel, const WaveSummary& wave) {
  std::string out = "Apply plan " + std::to_string(plan.id) + " (made " + plan.created_at +
                    ", inputs unchanged; " + describeSelection(sel) + ") will write " +
                    std::to_string(wave.values) + " values to " + std::to_string(wave.leads) + " leads of " +
                    std::to_string(wave.tenants.size()) + " tenant" + (wave.tenants.size() == 1 ? "" : "s") +
                    " in the application database:";
  const char* sep = " ";
  for (const auto& [field, n] : wave.by_field) {
    out += sep + field + " " + std::to_string(n);
    sep = ", ";
  }
  return out + ". Each value fills a field only if it is still empty at write time.";
}

// The wave's selection as stored in wave.selection: ids and numbers only.
std::string selectionJson(const ApplyOptions& opts, const WaveSelection& sel, std::int64_t leads) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  const auto strings = [&w](const char* key, const std::vector<std::string>& values) {
    w.Key(key);
    w.StartArray();
    for (const auto& v : values) w.String(v.c_str());
    w.EndArray();
  };
  w.StartObject();
  strings("client_ids", opts.common.client_ids);
  const auto fields = selectedFields(sel);
  strings("fields", std::vector<std::string>(fields.begin(), fields.end()));
  json::member(w, "only_approved", opts.only_approved);
  json::member(w, "limit", sel.limit);
  json::member(w, "sample", sel.sample);
  json::member(w, "leads", leads);
  w.EndObject();
  return buf.GetString();
}

}  // namespace

// SQLSTATE class 42 (privileges, undefined table or column, syntax): retrying cannot fix it.
// libpqxx 6 leaves sqlstate() empty but throws the class's exception type: check both.
namespace {
bool isPermissionDenied(const pqxx::sql_error& e) {
  return dynamic_cast<const pqxx::insufficient_privilege*>(&e) != nullptr || e.sqlstate() == "42501";
}
}  // namespace

bool unretryableSqlError(const pqxx::sql_error& e) {
  return isPermissionDenied(e) || dynamic_cast<const pqxx::syntax_error*>(&e) != nullptr ||
         e.sqlstate().rfind("42", 0) == 0;
}

void throwUnretryable(const pqxx::sql_error& e, const std::string& command) {
  if (isPermissionDenied(e))
    throw FatalError(std::string("the database role lacks UPDATE permission on table ") + names::kLeadTable +
                     " (SQLSTATE 42501): grant it (GRANT SELECT, UPDATE ON " + names::kLeadTable +
                     " TO <role>), then run " + command + " again");
  throw FatalError("the application database refused " + command +
                   "'s statement (SQLSTATE class 42): check its schema against schema/app_db.sql, then run " +
                   command + " again");
}

SteadyTime pacedStart(SteadyTime start, std::int64_t done, std::int64_t rate) {
  if (rate <= 0 || done <= 0) return start;
  // Whole milliseconds, rounded up: never early.
  return start + Millis((done * 1000 + rate - 1) / rate);
}

bool pauseUntil(const Clock& clock, SteadyTime due) {
  constexpr Millis kSlice{50};
  for (;;) {
    if (stopRequested()) return false;
    const auto now = clock.now();
    if (now >= due) return true;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(due - now, kSlice));
  }
}

const char* fieldOutcome(bool written, const std::optional<std::string>& current,
                         const std::string& planned) {
  if (written) return apply_outcome::kWritten;
  if (current && *current == planned) return apply_outcome::kAlreadySet;
  return apply_outcome::kStale;
}

void checkApplyUsage(const ApplyOptions& opts) {
  if (opts.batch_size < 1 || opts.batch_size > 10000)
    throw usageError("--batch-size must be between 1 and 10000");
  if (opts.max_rows_per_second < 0)
    throw usageError("--max-rows-per-second must be 0 (no pace) or a number of leads per second");
  validateSelection({opts.fields, opts.limit, opts.sample});
}

ExitCode runApply(const ApplyOptions& opts, const Log& log) {
  checkApplyUsage(opts);
  const WaveSelection sel{opts.fields, opts.limit, opts.sample};
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
  // Review's decisions (rejected changes, and with --only-approved every undecided one), then the
  // wave: --field, --sample, --limit (last, so that it counts leads the other filters kept). The
  // plan is read batch by batch, never whole: once here for the counts, then once as it is written.
  const DecisionHold hold(db, opts.common.client_ids, opts.only_approved);
  const WaveSummary summary = summarizeWave(db, opts.common.client_ids, sel, hold, opts.only_approved);
  const std::int64_t held = summary.held;
  if (held)
    std::cout << "Held back by review decisions: " << held << " changes ("
              << (opts.only_approved ? "not approved" : "rejected") << "; see 'ghl-backfill review').\n";
  const bool ask = !opts.dry_run && summary.leads > 0;
  if (ask && !confirm({"apply", "review the plan, then pass --yes", writeSummary(plan, sel, summary),
                       "Do you want to write these values?",
                       "apply cancelled: nothing was written (only the answer 'yes' writes)"},
                      opts.yes))
    return ExitCode::kFatal;
  std::int64_t run = 0, wave = 0;
  if (!opts.dry_run) {
    run = work.beginRun("apply", jsonObject({{"client_ids", joinIds(opts.common.client_ids)},
                                             {"batch_size", opts.batch_size},
                                             {"max_rows_per_second", opts.max_rows_per_second},
                                             {"plan", plan.id}}));
    // A wave is what 'revert' undoes: none when the selection has nothing to write.
    if (summary.leads > 0) wave = WaveStore(db).begin(plan.id, run, selectionJson(opts, sel, summary.leads));
  }
  log.info(
      "wave selected",
      {{"wave", wave}, {"plan", plan.id}, {"leads", summary.leads}, {"selection", describeSelection(sel)}});
  // A transaction pooler hands each transaction its own server connection: no named statement.
  const bool prepared = !app.pooler();
  if (prepared) app.conn().prepare("ghlb_apply", guardedUpdateSql());

  std::map<std::string, std::map<std::string, std::int64_t>> by_field;
  std::int64_t failed_leads = 0, done_leads = 0, sent_leads = 0;
  std::vector<std::string> listed;  // --list-leads: the ids, printed at the end
  const auto progress = makeProgress(opts.common, log, ::isatty(STDERR_FILENO) == 1);
  const SystemClock clock;
  StageMeter meter(*progress, clock, "leads", summary.leads);
  bool interrupted = false;
  const SteadyTime paced_from = clock.now();
  const auto batch_size = static_cast<std::size_t>(opts.batch_size);
  // The outcomes of a batch that ran, into apply_log and the journal (one SQLite transaction).
  const auto record = [&](Batch& b) {
    if (!opts.dry_run) recordResults(db, b.results, run, wave);
    for (const auto& r : b.results) by_field[r.field][r.outcome]++;
    done_leads += static_cast<std::int64_t>(b.leads.size());
    meter.add(static_cast<std::int64_t>(b.leads.size()));
    if (opts.list_leads)
      for (const auto& l : b.leads) listed.push_back(l.id);
    testPausePoint();
  };
  // Batch N runs in PostgreSQL on a worker thread while this thread records batch N-1 in SQLite
  // and reads batch N+1: the statement itself is the only wait. One batch at a time in flight, so
  // the rows stay locked in id order and a stop waits for at most one batch.
  WaveReader reader(db, opts.common.client_ids, sel, hold);
  std::vector<PlannedLead> next = reader.next(batch_size);
  std::optional<Batch> ran;  // ran, not recorded yet
  while (!next.empty()) {
    // Between batches: what is committed is recorded, the rest waits. The pace's pause ends at once
    // on a stop. Before a pause or a stop, the batch that ran is recorded first: nothing to overlap.
    const SteadyTime due =
        opts.dry_run ? clock.now() : pacedStart(paced_from, sent_leads, opts.max_rows_per_second);
    if (ran && (stopRequested() || clock.now() < due)) {
      record(*ran);
      ran.reset();
    }
    if (stopRequested() || !pauseUntil(clock, due)) {
      interrupted = true;
      break;
    }
    Batch b = prepareBatch(std::move(next));
    sent_leads += static_cast<std::int64_t>(b.leads.size());
    std::future<pqxx::result> rows;
    if (!b.writes.empty())
      rows = std::async(std::launch::async,
                        [&app, &b, prepared, &opts] { return runBatch(app, b, prepared, opts.dry_run); });
    if (ran) {
      record(*ran);
      ran.reset();
    }
    next = reader.next(batch_size);
    if (rows.valid()) {
      try {
        interpretBatch(b, rows.get());
      } catch (const pqxx::broken_connection&) {
        throw FatalError(kLostConnection);
      } catch (const pqxx::sql_error& e) {
        if (unretryableSqlError(e)) throwUnretryable(e, "apply");
        // A concurrent writer (e.g. a unique "ghlContactId" taken meanwhile) failed the batch:
        // nothing of it was committed. Retry it one lead per transaction to isolate the lead.
        log.warn("batch failed, retrying lead by lead",
                 {{"first_lead_id", b.leads.front().id}, {"sqlstate", e.sqlstate()}});
        failed_leads += retryLeadByLead(app, b, prepared, opts.dry_run, log);
      }
    }
    ran = std::move(b);
  }
  if (ran) record(*ran);
  meter.finish();
  printOutcomes(by_field, opts.dry_run, std::cout);
  if (opts.list_leads) {
    std::cout << "selected leads (" << listed.size() << "):\n";
    for (const auto& id : listed) std::cout << "  " << escapeControl(id) << "\n";
  }
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
  if (!opts.dry_run) {
    const std::string counts_json = jsonObject(counts);
    work.finishRun(run, interrupted ? "interrupted" : again ? "retryable" : "done", counts_json);
    if (wave) {
      WaveStore(db).finish(wave,
                           interrupted ? WaveStatus::kInterrupted
                           : again     ? WaveStatus::kRetryable
                                       : WaveStatus::kDone,
                           counts_json);
      std::int64_t written = 0;
      for (const auto& [field, outcomes] : by_field)
        if (const auto it = outcomes.find(apply_outcome::kWritten); it != outcomes.end())
          written += it->second;
      std::cout << "wave " << wave << ": wrote " << written << " values to the application database (plan "
                << plan.id << "; " << describeSelection(sel) << "; " << done_leads << " of " << summary.leads
                << " selected leads done); undo with 'ghl-backfill revert " << wave << "'\n";
    } else {
      std::cout << "nothing to write (plan " << plan.id << "; " << describeSelection(sel)
                << "): no wave recorded\n";
    }
  }
  if (interrupted) throw StopRequested();
  return again ? ExitCode::kRetryable : ExitCode::kDone;
}

}  // namespace ghlb
