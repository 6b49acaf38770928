#include "status.h"

#include <iomanip>
#include <ostream>

#include "json_util.h"
#include "work_db.h"

namespace ghlb {

ExitCode runStatus(const CommonOptions& opts, std::ostream& out) {
  WorkDb work(opts.work_db, WorkDb::Mode::kReadOnly);
  auto& db = work.db();
  checkKnownClients(db, opts.client_ids);
  out << "Work DB " << opts.work_db << " (schema version " << work.version()
      << ")\n\nStages (last run of each)\n";
  SQLite::Statement runs(
      db,
      "SELECT stage, id, status, started_at, coalesce(finished_at, '-'), counts FROM stage_run "
      "WHERE id IN (SELECT max(id) FROM stage_run GROUP BY stage) "
      "ORDER BY CASE stage WHEN 'extract' THEN 1 WHEN 'fetch' THEN 2 WHEN 'plan' THEN 3 ELSE 4 END");
  bool any = false;
  while (runs.executeStep()) {
    any = true;
    out << "  " << std::left << std::setw(8) << runs.getColumn(0).getString() << " run " << std::setw(5)
        << runs.getColumn(1).getInt64() << std::setw(12) << runs.getColumn(2).getString()
        << runs.getColumn(3).getString() << " -> " << runs.getColumn(4).getString() << "\n           "
        << runs.getColumn(5).getString() << "\n";
  }
  if (!any) out << "  none yet: run 'ghl-backfill extract'\n";

  out << "\nTenants\n  " << std::left << std::setw(38) << "tenant" << std::right << std::setw(9) << "leads"
      << std::setw(9) << "fetched" << std::setw(11) << "retryable" << std::setw(9) << "planned"
      << std::setw(9) << "waiting" << std::setw(11) << "to_write" << std::setw(9) << "written" << std::setw(7)
      << "stale"
      << "\n";
  SQLite::Statement t(
      db,
      "SELECT l.client_id, count(*), "
      " sum(f.outcome IS NOT NULL), "
      " sum(f.outcome IN ('auth_failed','daily_limit','bad_response','failed_transient')), "
      " sum(p.lead_id IS NOT NULL), "
      " sum(p.status = 'waiting'), "
      " (SELECT count(*) FROM plan_item i JOIN plan_lead pl USING (lead_id) WHERE pl.client_id = "
      "l.client_id), "
      " (SELECT count(*) FROM apply_log a JOIN lead x ON x.id = a.lead_id WHERE x.client_id = l.client_id "
      "AND a.outcome = 'written'), "
      " (SELECT count(*) FROM apply_log a JOIN lead x ON x.id = a.lead_id WHERE x.client_id = l.client_id "
      "AND a.outcome = 'stale') "
      "FROM lead l LEFT JOIN fetch_result f ON f.lead_id = l.id LEFT JOIN plan_lead p ON p.lead_id = l.id "
      "WHERE l.eligible = 1 AND " +
          clientScope("l.client_id") +
          " "
          "GROUP BY l.client_id ORDER BY l.client_id");
  bindClientScope(t, opts.client_ids);
  while (t.executeStep()) {
    out << "  " << std::left << std::setw(38) << t.getColumn(0).getString() << std::right;
    const int widths[] = {9, 9, 11, 9, 9, 11, 9, 7};
    for (int i = 1; i <= 8; ++i) out << std::setw(widths[i - 1]) << t.getColumn(i).getInt64();
    out << "\n";
  }
  return ExitCode::kDone;
}

}  // namespace ghlb
