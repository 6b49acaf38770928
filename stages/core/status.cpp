#include "status.h"

#include <rapidjson/document.h>
#include <rapidjson/ostreamwrapper.h>
#include <rapidjson/writer.h>

#include <exception>
#include <iomanip>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <thread>

#include "decision_store.h"
#include "fields.h"
#include "json_util.h"
#include "json_write.h"
#include "plan.h"
#include "process_id.h"
#include "raw_query.h"
#include "review.h"
#include "text.h"
#include "wave_store.h"
#include "work_db.h"

namespace ghlb {
namespace {

struct StageRow {
  std::string stage, status, started_at, counts;
  std::int64_t run = 0;
  std::optional<std::string> finished_at;
  std::optional<std::string> stop_reason;  // interrupted runs: signal | time budget | died
};

// What the text table shows: 'died' for a run left 'running' by a process that is gone,
// "stopped: time budget" for a run the budget ended.
std::string shownStatus(const StageRow& s) {
  if (s.status == "interrupted" && s.stop_reason == "time budget") return "stopped: time budget";
  if (s.status == "interrupted" && s.stop_reason == "died") return "died";
  return s.status;
}

struct TenantRow {
  std::string client_id;
  std::optional<std::string> name;  // "Client"."name" as extract saw it
  std::int64_t values[8] = {};
};

constexpr const char* kTenantColumns[] = {"leads",   "fetched",  "retryable", "planned",
                                          "waiting", "to_write", "written",   "stale"};

// One line from a wave's stored selection (JSON of apply's selectionJson): ids and numbers only.
std::string selectionSummary(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.c_str());
  if (d.HasParseError() || !d.IsObject()) return "?";
  std::string out;
  const auto add = [&out](const std::string& part) { out += (out.empty() ? "" : "; ") + part; };
  if (d.HasMember("client_ids") && d["client_ids"].IsArray()) {
    const auto n = d["client_ids"].Size();
    add(n == 0 ? std::string("every tenant") : std::to_string(n) + (n == 1 ? " tenant" : " tenants"));
  }
  if (d.HasMember("fields") && d["fields"].IsArray() && d["fields"].Size() > 0) {
    std::string f = "fields";
    for (const auto& v : d["fields"].GetArray())
      if (v.IsString()) f += std::string(" ") + v.GetString();
    add(escapeControl(f));
  }
  if (d.HasMember("sample") && d["sample"].IsNumber() && d["sample"].GetDouble() < 1) {
    std::ostringstream s;
    s << "sample " << d["sample"].GetDouble();
    add(s.str());
  }
  if (d.HasMember("limit") && d["limit"].IsInt64() && d["limit"].GetInt64() > 0)
    add("limit " + std::to_string(d["limit"].GetInt64()));
  if (d.HasMember("leads") && d["leads"].IsUint64()) add(std::to_string(d["leads"].GetUint64()) + " leads");
  return out;
}

// The per-tenant table: leads (eligible), fetched, retryable, planned, waiting, to_write (planned
// values apply has not settled, less the ones rejected in review), written, stale, name. Two merged
// passes in lead id order, each over tables read in their key order: no join per lead or value and
// no sort (the join they replace took 12 s at 887k leads). The counts are those of that join
// (status_test keeps it as the reference).

// to_write by the plan's tenant: plan_row merged with apply_log and decision. The rejected changes
// are those of eachChange (LeadChanges, the linkage rule), looked at for the leads with a decision.
std::map<std::string, std::int64_t> toWrite(SQLite::Database& db, const std::vector<std::string>& ids) {
  const std::string scope = ids.empty() ? std::string() : jsonStringArray(ids);
  const std::string in_scope = " IN (SELECT value FROM json_each(?1))";
  const auto when = [&scope](const std::string& cond) { return scope.empty() ? std::string() : cond; };
  // "<field>_new IS NOT NULL" would be evaluated per row: read the columns instead.
  RawQuery plan(db, "SELECT lead_id, client_id, status, ambiguous, " + newValueColumns() + " FROM plan_row" +
                        when(" WHERE client_id" + in_scope) + " ORDER BY lead_id");
  if (!scope.empty()) plan.bind(1, scope);
  // The leads either of eachChange's branches can hold (its apply_log and decision reads).
  const std::string keyed = when(" WHERE lead_id IN (SELECT id FROM lead WHERE client_id" + in_scope +
                                 " UNION ALL SELECT lead_id FROM plan_row WHERE client_id" + in_scope + ")");
  LeadRows applied(
      db, "SELECT lead_id, field, outcome, new_value FROM apply_log" + keyed + " ORDER BY lead_id, field",
      scope);
  LeadRows decisions(
      db, "SELECT lead_id, field, decision, new_value FROM decision" + keyed + " ORDER BY lead_id, field",
      scope);
  LeadChanges changes(db, ids);
  constexpr int kValues = 4;  // plan's first "<field>_new" column
  std::map<std::string, std::int64_t> to_write;
  std::string plan_lead, plan_tenant;
  std::int64_t* tenant_count = nullptr;
  PlanFacts facts;
  std::vector<KeyedRow> lead_applied;
  while (plan.step()) {
    plan_lead.assign(plan.textOr(0));
    if (!tenant_count || plan.textOr(1) != plan_tenant) {
      plan_tenant.assign(plan.textOr(1));
      tenant_count = &to_write[plan_tenant];
    }
    std::int64_t n = 0;
    for (size_t i = 0; i < std::size(kFields); ++i) n += plan.isNull(kValues + static_cast<int>(i)) ? 0 : 1;
    applied.take(plan_lead, lead_applied);
    for (const auto& a : lead_applied)
      if (const FieldSpec* f = findField(a.field))
        n -= plan.isNull(kValues + static_cast<int>(f - kFields)) ? 0 : 1;
    *tenant_count += n;
    if (!decisions.has(plan_lead)) continue;
    facts.lead_id = plan_lead;
    facts.client_id = plan_tenant;
    facts.read(plan, 2);
    for (const ChangeRow& c : changes.rows(plan_lead, &facts, lead_applied, decisions))
      if (c.state == ChangeState::kRejected) --to_write[c.client_id];  // never written
  }
  return to_write;
}

// The rest, by the lead's tenant: the leads merged with fetch_result's ids, plan_row's and
// apply_log's. leads, fetched, planned and waiting count the eligible leads; written and stale
// every lead's.
std::map<std::string, TenantRow> leadCounts(SQLite::Database& db, const std::vector<std::string>& ids) {
  const std::string scope = ids.empty() ? std::string() : jsonStringArray(ids);
  const std::string leads_in_scope =
      scope.empty()
          ? std::string()
          : " WHERE lead_id IN (SELECT id FROM lead WHERE client_id IN (SELECT value FROM json_each(?1)))";
  RawQuery leads(
      db, "SELECT id, client_id, eligible FROM lead" +
              (scope.empty() ? std::string() : " WHERE client_id IN (SELECT value FROM json_each(?1))") +
              " ORDER BY id");
  RawQuery fetched(db, "SELECT lead_id FROM fetch_result" + leads_in_scope + " ORDER BY lead_id");
  RawQuery settled(db, "SELECT lead_id, outcome FROM apply_log" + leads_in_scope + " ORDER BY lead_id");
  RawQuery plan(db, "SELECT lead_id, status FROM plan_row" + leads_in_scope + " ORDER BY lead_id");
  for (RawQuery* q : {&leads, &fetched, &settled, &plan})
    if (!scope.empty()) q->bind(1, scope);
  std::map<std::string, TenantRow> rows;
  bool f_more = fetched.step(), p_more = plan.step(), s_more = settled.step();
  std::string lead, tenant;
  TenantRow* row = nullptr;
  while (leads.step()) {
    lead.assign(leads.textOr(0));
    if (!row || leads.textOr(1) != tenant) {
      tenant.assign(leads.textOr(1));
      row = &rows[tenant];
      row->client_id = tenant;
    }
    while (s_more && settled.textOr(0) < lead) s_more = settled.step();
    for (; s_more && settled.textOr(0) == lead; s_more = settled.step()) {
      const auto outcome = settled.textOr(1);
      if (outcome == "written") ++row->values[6];
      if (outcome == "stale") ++row->values[7];
    }
    if (leads.integer(2) != 1) continue;  // no longer eligible: written and stale only
    ++row->values[0];
    while (f_more && fetched.textOr(0) < lead) f_more = fetched.step();
    if (f_more && fetched.textOr(0) == lead) ++row->values[1];
    while (p_more && plan.textOr(0) < lead) p_more = plan.step();
    if (p_more && plan.textOr(0) == lead) {
      ++row->values[3];
      row->values[4] += plan.textOr(1) == plan_status::kWaiting ? 1 : 0;
    }
  }
  // A tenant is listed when it has an eligible lead.
  std::erase_if(rows, [](const auto& r) { return r.second.values[0] == 0; });
  return rows;
}

// to_write on a second connection of its own, on another thread, while this one counts the rest.
std::vector<TenantRow> tenantRows(SQLite::Database& db, const std::string& path,
                                  const std::vector<std::string>& ids) {
  std::map<std::string, std::int64_t> to_write;
  std::exception_ptr failed;
  std::thread plan_pass([&] {
    try {
      WorkDb work(path, WorkDb::Mode::kReadOnly);
      work.db().exec("PRAGMA cache_size = -16384");  // three cursors: plan_row, apply_log, decision
      to_write = toWrite(work.db(), ids);
    } catch (...) {
      failed = std::current_exception();
    }
  });
  std::map<std::string, TenantRow> rows;
  try {
    rows = leadCounts(db, ids);
  } catch (...) {
    plan_pass.join();
    throw;
  }
  plan_pass.join();
  if (failed) std::rethrow_exception(failed);
  // Retryable lookups (few: through the outcome index).
  SQLite::Statement retry(
      db,
      "SELECT l.client_id, count(*) FROM fetch_result f JOIN lead l ON l.id = f.lead_id "
      "WHERE f.outcome IN ('auth_failed','daily_limit','bad_response','failed_transient') "
      "AND l.eligible = 1 AND " +
          clientScope("l.client_id") + " GROUP BY 1");
  bindClientScope(retry, ids);
  while (retry.executeStep())
    if (const auto it = rows.find(retry.getColumn(0).getString()); it != rows.end())
      it->second.values[2] = retry.getColumn(1).getInt64();
  const auto names = tenantNames(db, ids);
  std::vector<TenantRow> out;
  for (auto& [id, r] : rows) {
    r.values[5] = to_write[id];
    if (const auto it = names.find(id); it != names.end()) r.name = it->second;
    out.push_back(std::move(r));
  }
  return out;
}

void printWaves(const std::vector<WaveRecord>& waves, std::ostream& out) {
  out << "\nWaves (apply runs that write; undo one with 'ghl-backfill revert WAVE')\n";
  if (waves.empty()) {
    out << "  none yet\n";
    return;
  }
  out << "  " << std::left << std::setw(6) << "wave" << std::setw(26) << "started" << std::setw(6) << "plan"
      << std::setw(13) << "status" << std::right << std::setw(9) << "written" << std::setw(10) << "reverted"
      << std::setw(6) << "left"
      << "  selection\n";
  for (const auto& w : waves)
    out << "  " << std::left << std::setw(6) << w.id << std::setw(26) << w.started_at << std::setw(6)
        << w.plan_id << std::setw(13) << escapeControl(w.status) << std::right << std::setw(9) << w.journaled
        << std::setw(10) << w.restored << std::setw(6) << w.left_changed << "  "
        << selectionSummary(w.selection) << "\n";
}

void printText(const std::string& path, int version, const std::vector<StageRow>& stages,
               const std::vector<TenantRow>& tenants, std::ostream& out) {
  out << "Work DB " << path << " (schema version " << version << ")\n\nStages (last run of each)\n";
  for (const auto& s : stages)
    out << "  " << std::left << std::setw(8) << s.stage << " run " << std::setw(5) << s.run << std::setw(11)
        << escapeControl(shownStatus(s)) << " " << s.started_at << " -> " << s.finished_at.value_or("-")
        << "\n           " << s.counts << "\n";
  if (stages.empty()) out << "  none yet: run 'ghl-backfill extract'\n";
  out << "\nTenants\n  " << std::left << std::setw(38) << "tenant" << std::right;
  const int widths[] = {9, 9, 11, 9, 9, 11, 9, 7};
  for (int i = 0; i < 8; ++i) out << std::setw(widths[i]) << kTenantColumns[i];
  out << "  name\n";
  for (const auto& t : tenants) {
    out << "  " << std::left << std::setw(38) << escapeControl(t.client_id) << std::right;
    for (int i = 0; i < 8; ++i) out << std::setw(widths[i]) << t.values[i];
    if (t.name) out << "  " << displayText(*t.name, 40);
    out << "\n";
  }
}

void printJson(const std::string& path, int version, const std::vector<StageRow>& stages,
               const std::vector<TenantRow>& tenants, const std::vector<WaveRecord>& waves,
               std::ostream& out) {
  rapidjson::OStreamWrapper os(out);
  rapidjson::Writer<rapidjson::OStreamWrapper> w(os);
  w.StartObject();
  json::member(w, "schema_version", kStatusJsonSchemaVersion);
  json::member(w, "work_db", path);
  json::member(w, "work_db_schema_version", version);
  w.Key("stages");
  w.StartArray();
  for (const auto& s : stages) {
    w.StartObject();
    json::member(w, "stage", s.stage);
    json::member(w, "run", s.run);
    json::member(w, "status", s.status);
    json::member(w, "stop_reason", s.stop_reason);
    json::member(w, "started_at", s.started_at);
    json::member(w, "finished_at", s.finished_at);
    json::storedObject(w, "counts", s.counts);
    w.EndObject();
  }
  w.EndArray();
  w.Key("tenants");
  w.StartArray();
  for (const auto& t : tenants) {
    w.StartObject();
    json::member(w, "client_id", t.client_id);
    json::member(w, "name", t.name);
    for (int i = 0; i < 8; ++i) {
      json::member(w, kTenantColumns[i], t.values[i]);
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("waves");
  w.StartArray();
  for (const auto& v : waves) {
    w.StartObject();
    json::member(w, "wave", v.id);
    json::member(w, "plan", v.plan_id);
    json::member(w, "apply_run", v.apply_run);
    json::member(w, "status", v.status);
    json::member(w, "started_at", v.started_at);
    json::member(w, "finished_at", v.finished_at);
    json::storedObject(w, "selection", v.selection);
    json::storedObject(w, "counts", v.counts);
    json::member(w, "written", v.journaled);
    json::member(w, "restored", v.restored);
    json::member(w, "left_changed", v.left_changed);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  os.Flush();
  out << "\n";
}

}  // namespace

ExitCode runStatus(const StatusOptions& opts, std::ostream& out) {
  sqliteWithoutCallMutex();
  WorkDb work(opts.common.work_db, WorkDb::Mode::kReadOnly);
  auto& db = work.db();
  // The merged pass keeps five cursors apart in the file: a page cache that holds their paths
  // (SQLite's default 2 MB re-read pages from the OS, a third of status's CPU at 887k leads).
  db.exec("PRAGMA cache_size = -32768");
  checkKnownClients(db, opts.common.client_ids);
  std::vector<StageRow> stages;
  SQLite::Statement runs(
      db,
      "SELECT stage, id, status, started_at, finished_at, counts, stop_reason, pid, host, boot_id, pid_start "
      "FROM stage_run WHERE id IN (SELECT max(id) FROM stage_run GROUP BY stage) "
      "ORDER BY CASE stage WHEN 'extract' THEN 1 WHEN 'fetch' THEN 2 WHEN 'plan' THEN 3 ELSE 4 END");
  const ProcessIdentity here = currentProcess();
  while (runs.executeStep()) {
    StageRow row{runs.getColumn(0).getString(),  runs.getColumn(2).getString(),
                 runs.getColumn(3).getString(),  runs.getColumn(5).getString(),
                 runs.getColumn(1).getInt64(),   optionalText(runs.getColumn(4)),
                 optionalText(runs.getColumn(6))};
    // A run still 'running' whose process is gone (kill -9, a crash, a reboot) died: the next
    // stage to open the work DB records it so; until then status says it.
    const ProcessIdentity owner{runs.getColumn(7).getInt64(), runs.getColumn(8).getString(),
                                runs.getColumn(9).getString(), runs.getColumn(10).getInt64()};
    if (row.status == "running" && processState(owner, here) == ProcessState::kGone) {
      row.status = "interrupted";
      row.stop_reason = "died";
    }
    stages.push_back(std::move(row));
  }

  std::vector<TenantRow> tenants = tenantRows(db, work.path(), opts.common.client_ids);
  const auto waves = WaveStore(db).all();
  if (opts.json) {
    printJson(work.path(), work.version(), stages, tenants, waves, out);
  } else {
    printText(opts.common.work_db, work.version(), stages, tenants, out);
    printWaves(waves, out);
  }
  return ExitCode::kDone;
}

}  // namespace ghlb
