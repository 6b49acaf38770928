#include "status.h"

#include <rapidjson/document.h>
#include <rapidjson/ostreamwrapper.h>
#include <rapidjson/writer.h>

#include <iomanip>
#include <ostream>

#include "json_util.h"
#include "text.h"
#include "work_db.h"

namespace ghlb {
namespace {

struct StageRow {
  std::string stage, status, started_at, counts;
  std::int64_t run = 0;
  std::optional<std::string> finished_at;
};

struct TenantRow {
  std::string client_id;
  std::int64_t values[8] = {};
};

constexpr const char* kTenantColumns[] = {"leads",   "fetched",  "retryable", "planned",
                                          "waiting", "to_write", "written",   "stale"};

void printText(const std::string& path, int version, const std::vector<StageRow>& stages,
               const std::vector<TenantRow>& tenants, std::ostream& out) {
  out << "Work DB " << path << " (schema version " << version << ")\n\nStages (last run of each)\n";
  for (const auto& s : stages)
    out << "  " << std::left << std::setw(8) << s.stage << " run " << std::setw(5) << s.run << std::setw(12)
        << s.status << s.started_at << " -> " << s.finished_at.value_or("-") << "\n           " << s.counts
        << "\n";
  if (stages.empty()) out << "  none yet: run 'ghl-backfill extract'\n";
  out << "\nTenants\n  " << std::left << std::setw(38) << "tenant" << std::right;
  const int widths[] = {9, 9, 11, 9, 9, 11, 9, 7};
  for (int i = 0; i < 8; ++i) out << std::setw(widths[i]) << kTenantColumns[i];
  out << "\n";
  for (const auto& t : tenants) {
    out << "  " << std::left << std::setw(38) << escapeControl(t.client_id) << std::right;
    for (int i = 0; i < 8; ++i) out << std::setw(widths[i]) << t.values[i];
    out << "\n";
  }
}

void printJson(const std::string& path, int version, const std::vector<StageRow>& stages,
               const std::vector<TenantRow>& tenants, std::ostream& out) {
  rapidjson::OStreamWrapper os(out);
  rapidjson::Writer<rapidjson::OStreamWrapper> w(os);
  w.StartObject();
  w.Key("schema_version");
  w.Int(kStatusJsonSchemaVersion);
  w.Key("work_db");
  w.String(path.c_str());
  w.Key("work_db_schema_version");
  w.Int(version);
  w.Key("stages");
  w.StartArray();
  for (const auto& s : stages) {
    w.StartObject();
    w.Key("stage");
    w.String(s.stage.c_str());
    w.Key("run");
    w.Int64(s.run);
    w.Key("status");
    w.String(s.status.c_str());
    w.Key("started_at");
    w.String(s.started_at.c_str());
    w.Key("finished_at");
    if (s.finished_at)
      w.String(s.finished_at->c_str());
    else
      w.Null();
    w.Key("counts");
    rapidjson::Document counts;  // stored by the stages; written back only when it parses
    counts.Parse(s.counts.c_str());
    if (!counts.HasParseError() && counts.IsObject())
      counts.Accept(w);
    else
      w.Null();
    w.EndObject();
  }
  w.EndArray();
  w.Key("tenants");
  w.StartArray();
  for (const auto& t : tenants) {
    w.StartObject();
    w.Key("client_id");
    w.String(t.client_id.c_str());
    for (int i = 0; i < 8; ++i) {
      w.Key(kTenantColumns[i]);
      w.Int64(t.values[i]);
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  os.Flush();
  out << "\n";
}

}  // namespace

ExitCode runStatus(const StatusOptions& opts, std::ostream& out) {
  WorkDb work(opts.common.work_db, WorkDb::Mode::kReadOnly);
  auto& db = work.db();
  checkKnownClients(db, opts.common.client_ids);
  std::vector<StageRow> stages;
  SQLite::Statement runs(
      db,
      "SELECT stage, id, status, started_at, finished_at, counts FROM stage_run "
      "WHERE id IN (SELECT max(id) FROM stage_run GROUP BY stage) "
      "ORDER BY CASE stage WHEN 'extract' THEN 1 WHEN 'fetch' THEN 2 WHEN 'plan' THEN 3 ELSE 4 END");
  while (runs.executeStep())
    stages.push_back({runs.getColumn(0).getString(), runs.getColumn(2).getString(),
                      runs.getColumn(3).getString(), runs.getColumn(5).getString(),
                      runs.getColumn(1).getInt64(), optionalText(runs.getColumn(4))});

  std::vector<TenantRow> tenants;
  SQLite::Statement t(
      db,
      "SELECT l.client_id, count(*), "
      " sum(f.outcome IS NOT NULL), "
      " sum(f.outcome IN ('auth_failed','daily_limit','bad_response','failed_transient')), "
      " sum(p.lead_id IS NOT NULL), "
      " sum(p.status = 'waiting'), "
      // to_write: planned values apply has not settled yet (a row in apply_log is final).
      " (SELECT count(*) FROM plan_item i JOIN plan_lead pl USING (lead_id) WHERE pl.client_id = "
      "l.client_id AND NOT EXISTS (SELECT 1 FROM apply_log a WHERE a.lead_id = i.lead_id AND a.field = "
      "i.field)), "
      " (SELECT count(*) FROM apply_log a JOIN lead x ON x.id = a.lead_id WHERE x.client_id = l.client_id "
      "AND a.outcome = 'written'), "
      " (SELECT count(*) FROM apply_log a JOIN lead x ON x.id = a.lead_id WHERE x.client_id = l.client_id "
      "AND a.outcome = 'stale') "
      "FROM lead l LEFT JOIN fetch_result f ON f.lead_id = l.id LEFT JOIN plan_lead p ON p.lead_id = l.id "
      "WHERE l.eligible = 1 AND " +
          clientScope("l.client_id") +
          " "
          "GROUP BY l.client_id ORDER BY l.client_id");
  bindClientScope(t, opts.common.client_ids);
  while (t.executeStep()) {
    TenantRow row;
    row.client_id = t.getColumn(0).getString();
    for (int i = 0; i < 8; ++i) row.values[i] = t.getColumn(i + 1).getInt64();
    tenants.push_back(std::move(row));
  }
  if (opts.json)
    printJson(work.path(), work.version(), stages, tenants, out);
  else
    printText(opts.common.work_db, work.version(), stages, tenants, out);
  return ExitCode::kDone;
}

}  // namespace ghlb
