// runPlan: loads snapshot and fetch results from the work DB, applies plan.h's rules, replaces the
// stored plan of the leads in scope, prints the review summary and writes the optional export.
#include <unistd.h>

#include <iostream>
#include <map>
#include <set>

#include "clock.h"
#include "decision_store.h"
#include "error.h"
#include "export.h"
#include "json_util.h"
#include "plan.h"
#include "plan_store.h"
#include "progress.h"
#include "report_html.h"
#include "review.h"
#include "review_json.h"
#include "stop_signal.h"
#include "work_db.h"

namespace ghlb {
namespace {

// The plans of the scope; FINGERPRINT gets the digest of the very rows they were computed from
// (PlanStore::inputFingerprint of the scope: one read of the inputs serves both).
std::vector<LeadPlan> computePlans(SQLite::Database& db, const std::vector<std::string>& ids,
                                   StageMeter& meter, std::string& fingerprint) {
  SQLite::Statement q(db, PlanStore::inputsQuery());
  bindClientScope(q, ids);
  InputDigest digest;
  digest.add(kInputDigestTag);
  std::vector<LeadPlan> plans;
  while (q.executeStep()) {
    PlanStore::digestRow(digest, q);
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
    meter.add(1);
  }
  PlanStore(db).digestLinks(digest);
  fingerprint = digest.hex();
  // Who holds each contact in the application table: a contact held by the lead itself (our own
  // apply linked it) is not "linked elsewhere".
  SQLite::Statement linked(db, "SELECT lead_id FROM linked_contact WHERE contact_id = ?");
  resolveConflicts(plans, [&linked](const std::string& contact_id) {
    linked.bind(1, contact_id);
    std::optional<std::string> lead;
    if (linked.executeStep()) lead = linked.getColumn(0).getString();
    linked.reset();
    return lead;
  });
  // What apply already settled is applied, never again to write (its snapshot is kept as it was).
  std::map<std::string, std::set<std::string>> applied;
  SQLite::Statement log(db,
                        "SELECT a.lead_id, a.field FROM apply_log a JOIN lead l ON l.id = a.lead_id WHERE " +
                            clientScope("l.client_id"));
  bindClientScope(log, ids);
  while (log.executeStep()) applied[log.getColumn(0).getString()].insert(log.getColumn(1).getString());
  for (auto& p : plans)
    if (const auto it = applied.find(p.lead_id); it != applied.end()) dropApplied(p, it->second);
  return plans;
}

// Stores the plan rows and the plan's identity in one transaction; returns the plan id.
std::int64_t storePlans(SQLite::Database& db, const std::vector<std::string>& ids,
                        const std::vector<LeadPlan>& plans, std::int64_t run,
                        const std::string& fingerprint) {
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
                         "note, plan_run, other_lead, candidates) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
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
    bindOptional(lead, 9, p.other_lead);
    bindOptional(lead, 10, p.candidates.empty() ? std::nullopt : std::optional(joinIds(p.candidates)));
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
  PlanRecord rec;
  rec.plan_run = run;
  rec.created_at = isoNowUtc();
  rec.scope = ids;
  rec.fingerprint = fingerprint;
  rec.leads = static_cast<std::int64_t>(plans.size());
  for (const auto& p : plans) rec.to_write += static_cast<std::int64_t>(p.changes.size());
  const std::int64_t id = PlanStore(db).add(rec);
  DecisionStore(db).reconcile(ids);  // a decision holds only while its change is unchanged
  tx.commit();
  return id;
}

}  // namespace

ExitCode runPlan(const PlanOptions& opts, const Log& log) {
  const auto format = exportFormatFor(opts.export_path);  // usage error before any write
  checkReportPath(opts.report_path);
  const ReviewFilter filter{opts.leads, opts.fields, opts.outcomes};
  checkReviewFilter(filter);
  WorkDb work(opts.common.work_db, WorkDb::Mode::kExisting);
  if (work.lastExtractUnfinished())
    log.warn(
        "the last extract did not finish, so the snapshot is partial: run 'ghl-backfill extract' again to "
        "complete it");
  auto& db = work.db();
  checkKnownClients(db, opts.common.client_ids);
  const auto run = work.beginRun("plan", jsonObject({{"client_ids", joinIds(opts.common.client_ids)},
                                                     {"export", opts.export_path.empty() ? 0 : 1}}));
  const auto progress = makeProgress(opts.common, log, ::isatty(STDERR_FILENO) == 1);
  const SystemClock clock;
  StageMeter meter(*progress, clock, "leads", -1);
  std::string fingerprint;
  const auto plans = computePlans(db, opts.common.client_ids, meter, fingerprint);
  meter.finish();
  testPausePoint();
  if (stopRequested()) {  // nothing stored yet: the previous plan stands
    work.finishRun(run, "interrupted", "{}");
    throw StopRequested();
  }
  // The stage lock keeps extract and fetch out: the fingerprint is that of the inputs plan read.
  const std::int64_t plan_id = storePlans(db, opts.common.client_ids, plans, run, fingerprint);

  ReviewSummary summary = loadReview(db, opts.common.client_ids);
  summary.plan_id = plan_id;
  summary.fingerprint = fingerprint;
  // --lead/--field/--outcome narrow what is printed; the counts and the exit status stay the plan's.
  ReviewSummary shown = filter.empty() ? summary : loadReview(db, opts.common.client_ids, filter);
  shown.plan_id = plan_id;
  shown.fingerprint = fingerprint;
  if (opts.json) {
    printReviewJson(shown, std::cout);
  } else {
    printReview(shown, std::cout);
    if (!filter.empty()) printLeadReviews(db, opts.common.client_ids, filter, std::cout);
  }
  if (format) {
    const auto rows = writeExport(db, opts.common.client_ids, opts.export_path, *format);
    log.warn("export written; it holds personal data (PII): keep it private and delete it after review",
             {{"rows", rows}});
  }
  if (!opts.report_path.empty()) {
    ReportOptions report;
    report.show_pii = opts.show_pii;
    writeReport(db, opts.common.client_ids, summary, opts.report_path, report);
    if (opts.show_pii)
      log.warn(
          "report written with emails and phones unmasked (PII): keep it private and delete it after review");
    else
      log.info("report written (emails and phones masked)");
  }
  const std::int64_t pending = summary.totalByStatus(plan_status::kPending);
  const std::int64_t waiting = summary.totalByStatus(plan_status::kWaiting);
  const std::int64_t to_write = summary.totalToWrite();
  work.finishRun(run, pending + waiting ? "retryable" : "done", summary.countsJson());
  log.info("plan done", {{"plan_id", plan_id},
                         {"leads", static_cast<std::int64_t>(plans.size())},
                         {"to_write", to_write},
                         {"pending", pending},
                         {"waiting", waiting}});
  if (!opts.json) {
    std::cout << "\nPlan " << plan_id << " saved" << (to_write ? "" : ": nothing to write yet");
    if (pending + waiting)  // apply would write only the final leads: say what is still to come
      std::cout << "; " << pending << " leads have no final lookup (pending) and " << waiting
                << " wait for a smaller lead's: run 'ghl-backfill fetch', then plan again.\n";
    else if (to_write)
      std::cout << ". Apply it with 'ghl-backfill apply' (or --plan " << plan_id
                << "); a later extract or fetch that changes its inputs makes apply refuse it.\n";
    else
      std::cout << ".\n";
  }
  // --detailed-exitcode (Terraform's convention): 0 nothing to write, 2 changes to write or still
  // to come (leads pending or waiting), 1 error. Without it: 3 while leads are pending or waiting.
  if (opts.detailed_exitcode) return to_write + pending + waiting ? ExitCode::kChanges : ExitCode::kDone;
  return pending + waiting ? ExitCode::kRetryable : ExitCode::kDone;
}

}  // namespace ghlb
