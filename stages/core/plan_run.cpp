// runPlan: loads snapshot and fetch results from the work DB, applies plan.h's rules, replaces the
// stored plan of the leads in scope, prints the review summary and writes the optional export.
#include <iostream>

#include "error.h"
#include "export.h"
#include "json_util.h"
#include "plan.h"
#include "review.h"
#include "review_json.h"
#include "stop_signal.h"
#include "work_db.h"

namespace ghlb {
namespace {

std::vector<LeadPlan> computePlans(SQLite::Database& db, const std::vector<std::string>& ids) {
  SQLite::Statement q(db, std::string("SELECT ") + kLeadSnapshotColumns +
                              ", f.lookup, f.lookup_key, f.outcome, f.search_body, f.contact_body "
                              "FROM lead l LEFT JOIN fetch_result f ON f.lead_id = l.id "
                              "WHERE l.eligible = 1 AND " +
                              clientScope("l.client_id") + " ORDER BY l.id");
  bindClientScope(q, ids);
  std::vector<LeadPlan> plans;
  while (q.executeStep()) {
    const LeadSnapshot lead = readLeadSnapshot(q);
    constexpr int f0 = kLeadSnapshotColumnCount;  // first fetch_result column
    std::optional<FetchRecord> fetch;
    if (!q.getColumn(f0).isNull()) {
      FetchRecord f;
      f.lookup = q.getColumn(f0).getString();
      f.lookup_key = q.getColumn(f0 + 1).getString();
      f.outcome = fetchOutcomeFromString(q.getColumn(f0 + 2).getString()).value_or(FetchOutcome::kTransient);
      f.search_body = optionalText(q.getColumn(f0 + 3));
      f.contact_body = optionalText(q.getColumn(f0 + 4));
      fetch = std::move(f);
    }
    plans.push_back(planLead(lead, fetch));
  }
  SQLite::Statement linked(db, "SELECT EXISTS(SELECT 1 FROM linked_contact WHERE contact_id = ?)");
  resolveConflicts(plans, [&linked](const std::string& contact_id) {
    linked.bind(1, contact_id);
    linked.executeStep();
    const bool yes = linked.getColumn(0).getInt() != 0;
    linked.reset();
    return yes;
  });
  return plans;
}

void storePlans(SQLite::Database& db, const std::vector<std::string>& ids, const std::vector<LeadPlan>& plans,
                std::int64_t run) {
  SQLite::Transaction tx(db);
  // Replace the plan of the scope; leads no longer eligible lose theirs.
  for (const char* table : {"plan_item", "plan_report", "plan_lead"}) {
    SQLite::Statement del(db, std::string("DELETE FROM ") + table +
                                  " WHERE lead_id IN (SELECT l.id FROM lead l WHERE " +
                                  clientScope("l.client_id") + ")");
    bindClientScope(del, ids);
    del.exec();
  }
  SQLite::Statement lead(db,
                         "INSERT INTO plan_lead(lead_id, client_id, status, contact_id, link, ambiguous, "
                         "note, plan_run) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  SQLite::Statement item(db,
                         "INSERT INTO plan_item(lead_id, field, old_value, new_value) VALUES (?, ?, ?, ?)");
  SQLite::Statement report(db, "INSERT INTO plan_report(lead_id, field, reason) VALUES (?, ?, ?)");
  for (const auto& p : plans) {
    lead.bind(1, p.lead_id);
    lead.bind(2, p.client_id);
    lead.bind(3, p.status);
    bindOptional(lead, 4, p.contact_id);
    lead.bind(5, p.link ? 1 : 0);
    lead.bind(6, p.ambiguous ? 1 : 0);
    lead.bind(7, p.note);
    lead.bind(8, static_cast<std::int64_t>(run));
    lead.exec();
    lead.reset();
    for (const auto& c : p.changes) {
      item.bind(1, p.lead_id);
      item.bind(2, c.field);
      bindOptional(item, 3, c.old_value);
      item.bind(4, c.new_value);
      item.exec();
      item.reset();
    }
    for (const auto& [field, reason] : p.reports) {
      report.bind(1, p.lead_id);
      report.bind(2, field);
      report.bind(3, reason);
      report.exec();
      report.reset();
    }
  }
  tx.commit();
}

}  // namespace

ExitCode runPlan(const PlanOptions& opts, const Log& log) {
  const auto format = exportFormatFor(opts.export_path);  // usage error before any write
  WorkDb work(opts.common.work_db, WorkDb::Mode::kExisting);
  auto& db = work.db();
  checkKnownClients(db, opts.common.client_ids);
  const auto run = work.beginRun("plan", jsonObject({{"client_ids", joinIds(opts.common.client_ids)},
                                                     {"export", opts.export_path.empty() ? 0 : 1}}));
  const auto plans = computePlans(db, opts.common.client_ids);
  testPausePoint();
  if (stopRequested()) {  // nothing stored yet: the previous plan stands
    work.finishRun(run, "interrupted", "{}");
    throw StopRequested();
  }
  storePlans(db, opts.common.client_ids, plans, run);

  const ReviewSummary summary = loadReview(db, opts.common.client_ids);
  if (opts.json)
    printReviewJson(summary, std::cout);
  else
    printReview(summary, std::cout);
  if (format) {
    const auto rows = writeExport(db, opts.common.client_ids, opts.export_path, *format);
    log.warn("export written; it holds personal data (PII): keep it private and delete it after review",
             {{"rows", rows}});
  }
  const std::int64_t pending = summary.totalByStatus(plan_status::kPending);
  const std::int64_t waiting = summary.totalByStatus(plan_status::kWaiting);
  work.finishRun(run, pending + waiting ? "retryable" : "done", summary.countsJson());
  log.info("plan done",
           {{"leads", static_cast<std::int64_t>(plans.size())}, {"pending", pending}, {"waiting", waiting}});
  return pending + waiting ? ExitCode::kRetryable : ExitCode::kDone;
}

}  // namespace ghlb
