#include "metrics.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <filesystem>
#include <map>
#include <sstream>

#include "clock.h"
#include "private_file.h"

namespace ghlb {
namespace {

// Prometheus label values: backslash, double quote and newline escaped.
std::string labelValue(const std::string& v) {
  std::string out;
  for (const char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

double epochSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

class Writer {
 public:
  void family(const char* name, const char* type, const char* help) {
    out_ << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
  }
  void sample(const char* name, const std::map<std::string, std::string>& labels, double value) {
    out_ << name;
    if (!labels.empty()) {
      out_ << '{';
      const char* sep = "";
      for (const auto& [k, v] : labels) {
        out_ << sep << k << "=\"" << labelValue(v) << '"';
        sep = ",";
      }
      out_ << '}';
    }
    std::ostringstream num;
    num.precision(15);
    num << value;
    out_ << ' ' << num.str() << '\n';
  }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

// SQL for COLUMN ("2026-11-29T06:54:05.216Z") as epoch seconds.
std::string epochOf(const std::string& column) { return "(julianday(" + column + ") - 2440587.5) * 86400.0"; }

void workDbMetrics(Writer& w, const CommandOutcome& o, const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  db.exec("PRAGMA busy_timeout = 5000");
  w.family("ghl_backfill_leads", "gauge",
           "Eligible leads of the snapshot by state: the plan status, else not_fetched or not_planned.");
  SQLite::Statement leads(
      db,
      "SELECT coalesce(p.status, CASE WHEN f.lead_id IS NULL THEN 'not_fetched' "
      "ELSE 'not_planned' END) AS s, count(*) FROM lead l "
      "LEFT JOIN plan_lead p ON p.lead_id = l.id LEFT JOIN fetch_result f ON f.lead_id = l.id "
      "WHERE l.eligible = 1 GROUP BY s ORDER BY s");
  while (leads.executeStep())
    w.sample("ghl_backfill_leads", {{"state", leads.getColumn(0).getString()}},
             static_cast<double>(leads.getColumn(1).getInt64()));

  // This command's stage runs: those that started while it ran (a chained run has several).
  const std::string since = isoUtc(o.started);
  std::int64_t requests = 0, limited = 0;
  SQLite::Statement runs(db,
                         "SELECT coalesce(sum(json_extract(counts, '$.requests')), 0), "
                         "coalesce(sum(json_extract(counts, '$.rate_limited')), 0) FROM stage_run "
                         "WHERE stage = 'fetch' AND started_at >= ?");
  runs.bind(1, since);
  if (runs.executeStep()) {
    requests = runs.getColumn(0).getInt64();
    limited = runs.getColumn(1).getInt64();
  }
  w.family("ghl_backfill_requests", "gauge", "GHL requests sent by this command.");
  w.sample("ghl_backfill_requests", {{"command", o.command}}, static_cast<double>(requests));
  w.family("ghl_backfill_rate_limited", "gauge", "GHL answers 429 received by this command.");
  w.sample("ghl_backfill_rate_limited", {{"command", o.command}}, static_cast<double>(limited));

  w.family("ghl_backfill_fields_written", "gauge",
           "Values apply wrote to the application database, by field.");
  SQLite::Statement run_fields(
      db,
      "SELECT a.field, count(*) FROM apply_log a JOIN stage_run r ON r.id = a.apply_run "
      "WHERE a.outcome = 'written' AND r.started_at >= ? GROUP BY a.field ORDER BY a.field");
  run_fields.bind(1, since);
  std::map<std::string, std::int64_t> written_now;
  while (run_fields.executeStep())
    written_now[run_fields.getColumn(0).getString()] = run_fields.getColumn(1).getInt64();
  SQLite::Statement all_fields(db,
                               "SELECT field, outcome, count(*) FROM apply_log GROUP BY field, outcome "
                               "ORDER BY field, outcome");
  std::map<std::pair<std::string, std::string>, std::int64_t> settled;
  while (all_fields.executeStep())
    settled[{all_fields.getColumn(0).getString(), all_fields.getColumn(1).getString()}] =
        all_fields.getColumn(2).getInt64();
  for (const auto& [field, n] : written_now)
    w.sample("ghl_backfill_fields_written", {{"command", o.command}, {"field", field}},
             static_cast<double>(n));
  w.family("ghl_backfill_fields_settled", "gauge",
           "Every field apply settled in this work DB so far, by field and outcome (written, stale, ...).");
  for (const auto& [key, n] : settled)
    w.sample("ghl_backfill_fields_settled", {{"field", key.first}, {"outcome", key.second}},
             static_cast<double>(n));

  w.family("ghl_backfill_last_success_timestamp_seconds", "gauge",
           "When each stage last finished with nothing left to do (Unix time).");
  SQLite::Statement ok(db, "SELECT stage, max(" + epochOf("finished_at") +
                               ") FROM stage_run WHERE status = 'done' AND finished_at IS NOT NULL "
                               "GROUP BY stage ORDER BY stage");
  while (ok.executeStep())
    w.sample("ghl_backfill_last_success_timestamp_seconds", {{"stage", ok.getColumn(0).getString()}},
             ok.getColumn(1).getDouble());
}

}  // namespace

std::string metricsText(const CommandOutcome& o, const std::string& work_db) {
  Writer w;
  w.family("ghl_backfill_exit_code", "gauge",
           "Exit status of the command's last run (0 done, 3 work remains).");
  w.sample("ghl_backfill_exit_code", {{"command", o.command}}, o.exit_code);
  w.family("ghl_backfill_duration_seconds", "gauge", "Wall time of the command's last run.");
  w.sample("ghl_backfill_duration_seconds", {{"command", o.command}},
           std::chrono::duration<double>(o.finished - o.started).count());
  w.family("ghl_backfill_finished_timestamp_seconds", "gauge",
           "When the command's last run ended (Unix time).");
  w.sample("ghl_backfill_finished_timestamp_seconds", {{"command", o.command}}, epochSeconds(o.finished));
  std::error_code ec;
  if (std::filesystem::exists(work_db, ec)) workDbMetrics(w, o, work_db);
  return w.str();
}

void writeMetricsFile(const std::string& path, const CommandOutcome& o, const std::string& work_db) {
  writeFileAtomically(path, metricsText(o, work_db), "metrics-file", 0644);
}

}  // namespace ghlb
