// runPlan: loads snapshot and fetch results from the work DB, applies plan.h's rules, replaces the
// stored plan of the leads in scope, prints the review summary and writes the optional export.
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <exception>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "clock.h"
#include "decision_store.h"
#include "error.h"
#include "export.h"
#include "json_util.h"
#include "plan.h"
#include "plan_inputs.h"
#include "plan_store.h"
#include "progress.h"
#include "report_html.h"
#include "review.h"
#include "review_json.h"
#include "stop_signal.h"
#include "work_db.h"

namespace ghlb {
namespace {

// Foreign keys off while plan replaces its rows, on again after: with no foreign key to check
// SQLite empties the whole plan_row table page by page (PlanStore::clearScope) and inserts without
// a parent lookup (stage_run) per row. A pragma outside any
// transaction, as SQLite requires.
class ForeignKeysOff {
 public:
  explicit ForeignKeysOff(SQLite::Database& db) : db_(db) { db_.exec("PRAGMA foreign_keys = OFF"); }
  ~ForeignKeysOff() {
    try {
      db_.exec("PRAGMA foreign_keys = ON");
    } catch (...) {  // a destructor never throws; the next open turns them on again
    }
  }
  ForeignKeysOff(const ForeignKeysOff&) = delete;
  ForeignKeysOff& operator=(const ForeignKeysOff&) = delete;

 private:
  SQLite::Database& db_;
};

// The fields apply already settled (apply_log) of each lead, read alongside the leads: both in
// lead id order (byte order), one cursor, nothing held but the current lead's fields.
class AppliedFields {
 public:
  explicit AppliedFields(SQLite::Database& db)
      : q_(db, "SELECT lead_id, field FROM apply_log ORDER BY lead_id") {
    next();
  }
  // The fields of LEAD_ID; called with increasing ids.
  const std::set<std::string>& of(std::string_view lead_id) {
    fields_.clear();
    while (more_ && std::string_view(lead_) < lead_id) next();
    while (more_ && std::string_view(lead_) == lead_id) {
      fields_.insert(q_.getColumn(1).getString());
      next();
    }
    return fields_;
  }

 private:
  void next() {
    more_ = q_.executeStep();
    if (more_) lead_.assign(q_.getColumn(0).getText(), static_cast<size_t>(q_.getColumn(0).getBytes()));
  }
  SQLite::Statement q_;
  bool more_ = false;
  std::string lead_;
  std::set<std::string> fields_;
};

// The review's counts of the plan as plan writes it (loadReview's GROUP BYs, kept on the way):
// one hash lookup per lead, statuses and fields counted by their index in a short list of names.
class PlanCounts {
 public:
  void add(const LeadPlan& p) {
    Tenant& t = tenants_[p.client_id];
    ++t.leads;
    bump(t.by_status, index(statuses_, p.status));
    t.ambiguous += p.ambiguous ? 1 : 0;
    t.links += p.link ? 1 : 0;
    for (const auto& c : p.changes) bump(t.fields, index(fields_, c.field));
    for (const auto& [field, reason] : p.reports) ++t.reported[field + ":" + reason];
    to_write_ += static_cast<std::int64_t>(p.changes.size());
    ++leads_;
  }

  // The counts per tenant as loadReview has them, corrected by what the conflict rule took back.
  std::map<std::string, TenantReview> review(const ConflictCounts& taken) const {
    std::map<std::string, TenantReview> out;
    for (const auto& [id, t] : tenants_) {
      TenantReview& r = out[id];
      r.leads = t.leads;
      r.ambiguous = t.ambiguous;
      r.links = t.links;
      for (size_t i = 0; i < t.by_status.size(); ++i)
        if (t.by_status[i]) r.by_status[statuses_[i]] = t.by_status[i];
      for (size_t i = 0; i < t.fields.size(); ++i)
        if (t.fields[i]) r.fields[fields_[i]] = t.fields[i];
      r.reported = t.reported;
    }
    for (const auto& l : taken.leads) {
      TenantReview& t = out[l.client_id];
      t.by_status[l.from_status] -= l.leads;
      t.by_status[l.to_status] += l.leads;
      t.links -= l.links;
    }
    for (const auto& v : taken.items) out[v.client_id].fields[v.key] -= v.n;
    for (const auto& v : taken.reports) out[v.client_id].reported[v.key] -= v.n;
    for (auto& [id, t] : out)  // SQL's GROUP BY has no group for a count of zero
      for (auto* m : {&t.by_status, &t.fields, &t.reported})
        std::erase_if(*m, [](const auto& e) { return e.second == 0; });
    return out;
  }
  std::int64_t leads() const { return leads_; }
  std::int64_t toWrite(const ConflictCounts& taken) const {
    std::int64_t n = to_write_;
    for (const auto& v : taken.items) n -= v.n;
    return n;
  }

 private:
  struct Tenant {
    std::int64_t leads = 0, ambiguous = 0, links = 0;
    std::vector<std::int64_t> by_status, fields;  // by index in statuses_, fields_
    std::map<std::string, std::int64_t> reported;
  };
  static size_t index(std::vector<std::string>& names, const std::string& name) {
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == name) return i;
    names.push_back(name);
    return names.size() - 1;
  }
  static void bump(std::vector<std::int64_t>& v, size_t i) {
    if (v.size() <= i) v.resize(i + 1);
    ++v[i];
  }
  std::unordered_map<std::string, Tenant> tenants_;
  std::vector<std::string> statuses_, fields_;
  std::int64_t leads_ = 0, to_write_ = 0;
};

constexpr std::int64_t kStopCheckEvery = 1024;  // leads between two looks at the stop flag
constexpr std::size_t kBatchLeads = 256;        // planned leads handed over at once

// The planned leads on their way from the planning thread to the writing one: at most kDepth
// batches wait, so memory stays that of a few hundred leads whatever the plan's size. Batches go
// round: the one the consumer had goes back to the producer at its next pop, so that the
// producer plans into LeadPlans whose strings and vectors have already grown (no allocation per
// lead).
class PlanFeed {
 public:
  using Batch = std::vector<LeadPlan>;
  // Producer. push: B is queued and replaced by a used batch to fill again (or an empty one);
  // false once the consumer gave up (cancel). finish: no more batches; ERROR, if set, is rethrown
  // by pop.
  bool push(Batch& b) {
    std::unique_lock lock(m_);
    room_.wait(lock, [this] { return q_.size() < kDepth || cancelled_; });
    if (cancelled_) return false;
    q_.push_back(std::move(b));
    b = {};
    if (!used_.empty()) {
      b = std::move(used_.back());
      used_.pop_back();
    }
    ready_.notify_one();
    return true;
  }
  void finish(std::exception_ptr error = nullptr) {
    std::lock_guard lock(m_);
    done_ = true;
    error_ = error;
    ready_.notify_one();
  }
  // Consumer. pop: the next batch into B, false at the end; what B held before goes back to the
  // producer (the consumer must not keep pointers into it). cancel: the producer stops at its next
  // push.
  bool pop(Batch& b) {
    std::unique_lock lock(m_);
    ready_.wait(lock, [this] { return !q_.empty() || done_; });
    if (q_.empty()) {
      if (error_) std::rethrow_exception(error_);
      return false;
    }
    if (!b.empty() && used_.size() < kDepth) used_.push_back(std::move(b));
    b = std::move(q_.front());
    q_.pop_front();
    room_.notify_one();
    return true;
  }
  void cancel() {
    std::lock_guard lock(m_);
    cancelled_ = true;
    room_.notify_one();
  }

 private:
  static constexpr std::size_t kDepth = 8;
  std::mutex m_;
  std::condition_variable ready_, room_;
  std::deque<Batch> q_;
  std::vector<Batch> used_;  // consumed batches, for the producer to fill again
  bool done_ = false, cancelled_ = false;
  std::exception_ptr error_;
};

// The planning half of a plan run, on its own thread and its own read-only connection to the work
// DB at PATH: every eligible lead of the scope read once in id order (with its fetch result and the
// fields apply already settled), digested, planned, and handed to FEED in batches. Reads only what
// plan's transaction on the other connection does not write (lead, fetch_result, apply_log,
// linked_contact), under the stage lock: both connections see the same inputs. Sets FINGERPRINT
// after the last lead; stops early when a stop is requested (the writer then rolls back).
void planInputs(const std::string& path, const std::vector<std::string>& ids, PlanFeed& feed,
                std::string& fingerprint) {
  // Used by this thread alone: no SQLite mutex per call. No memory map: its pages would count in
  // the process's resident memory, which would then grow with the work DB.
  SQLite::Database db(path, SQLite::OPEN_READONLY | SQLite::OPEN_NOMUTEX);
  db.exec("PRAGMA busy_timeout = 5000");
  AppliedFields applied(db);
  PlanInputs::Reader in(db, ids);
  InputHash digest;
  digest.add(kInputDigestTag);
  PlanFeed::Batch batch;  // its first USED plans are this batch's; the rest are kept storage
  std::size_t used = 0;
  std::int64_t n = 0;
  const auto push = [&] {
    batch.resize(used);
    used = 0;
    return feed.push(batch);
  };
  while (in.next()) {
    in.digest(digest);
    if (used == batch.size()) {
      if (batch.capacity() < kBatchLeads) batch.reserve(kBatchLeads);
      batch.emplace_back();
    }
    LeadPlan& p = batch[used++];
    planLead(in.lead(), in.fetch(), p);
    // What apply already settled is applied, never again to write (its snapshot is kept as it was).
    // Before the conflict rule, which only ever clears a loser's changes: the same outcome.
    dropApplied(p, applied.of(p.lead_id));
    if (used == kBatchLeads && !push()) return;
    if (++n % kStopCheckEvery == 0 && stopRequested()) return;  // the writer sees the flag too
  }
  if (used > 0 && !push()) return;
  PlanInputs(db).digestLinks(digest);
  fingerprint = digest.hex();
}

// Runs planInputs on a thread of its own for as long as it lives; the destructor cancels the
// feed and joins, so that the planning thread ends whatever the writer's way out.
class PlanningThread {
 public:
  PlanningThread(const std::string& path, const std::vector<std::string>& ids, PlanFeed& feed,
                 std::string& fingerprint)
      : feed_(feed), thread_([&path, &ids, &feed, &fingerprint] {
          try {
            planInputs(path, ids, feed, fingerprint);
            feed.finish();
          } catch (...) {
            feed.finish(std::current_exception());
          }
        }) {}
  ~PlanningThread() {
    feed_.cancel();
    thread_.join();
  }
  PlanningThread(const PlanningThread&) = delete;
  PlanningThread& operator=(const PlanningThread&) = delete;

 private:
  PlanFeed& feed_;
  std::thread thread_;
};

// One plan run of the scope, in one transaction: the scope's old rows deleted, every lead planned
// and written as it is read, the conflict rule run over the rows, the plan's identity recorded.
// Two threads: one reads, digests and plans the leads (planInputs), this one writes their rows,
// so that parsing and SQLite's inserts run side by side on two cores.
// Nothing is committed when a stop is requested (the previous plan stands): returns nullopt.
struct Stored {
  std::int64_t plan_id = 0;
  std::string fingerprint;
  std::int64_t leads = 0;
};
std::optional<Stored> storePlan(SQLite::Database& db, const std::string& path,
                                const std::vector<std::string>& ids, std::int64_t run, StageMeter& meter,
                                PlanCounts& counts, ConflictCounts& taken) {
  ForeignKeysOff fk(db);
  // A page cache of 8 MiB for this connection (SQLite's default is 2 MiB). The rows are appended
  // in lead id order (plan_row's indexes are built after the load), so inserts touch the
  // right edge of each B-tree only: 64 MiB measured no faster at 89k leads, and made the peak
  // RSS grow with the plan's size until the cache was full (63 MB at 89k leads, 97 MB at 892k).
  // SQLite's sorter (the conflict rule's GROUP BYs, the index build) also spills past it.
  db.exec("PRAGMA cache_size = -8192");
  // Debian's SQLite zeroes every freed page (secure_delete = 1): replacing the plan then wrote the
  // whole old plan once more as zeros, into the WAL and again at the checkpoint. FAST zeroes
  // deleted rows only where that costs no extra page write; the freed pages are reused by the new
  // plan in the same transaction, and the work DB holds the same values in lead and fetch_result.
  // Measured at 177k leads: clearing the old plan 1.17 s -> 0.08 s, its commit 1.04 s -> 0.55 s.
  db.exec("PRAGMA secure_delete = FAST");
  SQLite::Transaction tx(db);
  PlanStore store(db);
  store.clearScope(ids);
  if (ids.empty()) store.dropIndexes();  // every row is new: one sort after the load
  PlanRows rows(db, run);
  bool pending_claims = false;
  std::string fingerprint;
  {
    PlanFeed feed;
    PlanningThread planning(path, ids, feed, fingerprint);
    PlanFeed::Batch batch;
    while (feed.pop(batch)) {
      rows.add(batch);
      for (const LeadPlan& p : batch) {
        pending_claims = pending_claims || (p.status == plan_status::kPending && !p.claim_key.empty());
        counts.add(p);
      }
      meter.add(static_cast<std::int64_t>(batch.size()));
      if (stopRequested()) return std::nullopt;
    }
  }  // the planning thread has ended: FINGERPRINT is set unless it stopped early
  if (stopRequested()) return std::nullopt;
  taken = store.resolveConflicts(run, pending_claims);
  store.buildTenantIndex();
  testPausePoint();
  if (stopRequested()) return std::nullopt;  // the transaction rolls back: the previous plan stands
  Stored out;
  out.fingerprint = fingerprint;
  out.leads = counts.leads();
  PlanRecord rec;
  rec.plan_run = run;
  rec.created_at = isoNowUtc();
  rec.scope = ids;
  rec.fingerprint = out.fingerprint;
  rec.leads = counts.leads();
  rec.to_write = counts.toWrite(taken);
  out.plan_id = store.add(rec);
  DecisionStore(db).reconcile(ids);  // a decision holds only while its change is unchanged
  tx.commit();
  return out;
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
  PlanCounts counts;
  ConflictCounts taken;
  // The stage lock keeps extract and fetch out: the fingerprint is that of the inputs plan read.
  const auto stored = storePlan(db, work.path(), opts.common.client_ids, run, meter, counts, taken);
  meter.finish();
  if (!stored) {  // rolled back: the previous plan stands
    work.finishRun(run, "interrupted", "{}");
    throw StopRequested("nothing of this plan is kept and the previous plan stands");
  }
  const std::int64_t plan_id = stored->plan_id;
  const std::string& fingerprint = stored->fingerprint;
  ReviewSummary summary = countedReview(db, opts.common.client_ids, counts.review(taken));
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
                         {"leads", stored->leads},
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
