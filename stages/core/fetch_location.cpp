#include "fetch_location.h"

#include "lookup_batch.h"
#include "lookup_scan.h"

namespace ghlb {
namespace {
constexpr int kUselessFollowUps = 5;  // follow-up GETs of a location that added nothing before they stop
}  // namespace

void PendingTasks::push(Task task, SteadyTime now) {
  if (task->not_before <= now)
    ready_.push_back(std::move(task));
  else
    delayed_.emplace(task->not_before, std::move(task));
}

PendingTasks::Task PendingTasks::take(SteadyTime now) {
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    ready_.push_back(std::move(delayed_.begin()->second));
    delayed_.erase(delayed_.begin());
  }
  if (ready_.empty()) return nullptr;
  Task task = std::move(ready_.front());
  ready_.pop_front();
  return task;
}

std::optional<SteadyTime> PendingTasks::due() const {
  if (!ready_.empty()) return SteadyTime::min();
  if (delayed_.empty()) return std::nullopt;
  return delayed_.begin()->first;
}

std::vector<PendingTasks::Task> PendingTasks::drain() {
  std::vector<Task> out(std::make_move_iterator(ready_.begin()), std::make_move_iterator(ready_.end()));
  for (auto& [t, task] : delayed_) out.push_back(std::move(task));
  ready_.clear();
  delayed_.clear();
  return out;
}

Location::Location(const LocationServices& s, std::size_t index, std::string client_id, LocationWork work,
                   ClientQueue source)
    : s_(s),
      index_(index),
      client_id_(std::move(client_id)),
      strategy_(s.opts.strategy),
      work_(work),
      source_(std::move(source)) {}

std::string Location::stamp() const { return isoUtc(s_.clock.wallNow()); }

void Location::recordLeadsWithoutCall() {
  while (const LeadSnapshot* next = source_.peek()) {
    const Lookup kind = lookupFor(*next).kind;
    if (kind == Lookup::kGet || kind == Lookup::kSearch) return;
    LeadLookup lead(source_.pop());
    record(lead, lead.noCallOutcome(), "", "");
  }
}

std::unique_ptr<LookupTask> Location::takeReady(SteadyTime now) {
  if (auto task = pending_.take(now)) return task;
  if (probing_ || !source_.peek()) return nullptr;
  return takeFresh(now);
}

std::optional<SteadyTime> Location::due() {
  if (stopped_) return std::nullopt;
  std::optional<SteadyTime> due = pending_.due();
  if (!probing_ && source_.peek()) due = SteadyTime::min();
  return due;
}

// The next task of the fresh leads, as the strategy has them: a probe first when auto can gain
// from it, then per-lead tasks, OR groups, or the scan.
std::unique_ptr<LookupTask> Location::takeFresh(SteadyTime now) {
  if (strategy_ == FetchStrategy::kAuto) {
    if (probeWorthIt(work_, s_.opts.search_batch)) {
      probing_ = true;
      auto probe = std::make_unique<ProbeLookup>();
      probe->not_before = now;
      return probe;
    }
    choose(chooseStrategy(work_, s_.opts.search_batch).strategy, "cheapest_without_probe");
  }
  if (strategy_ == FetchStrategy::kScan && !scan_started_) {
    scan_started_ = true;
    return ScanLookup::start(*this, source_);
  }
  if (strategy_ == FetchStrategy::kBatched && lookupFor(*source_.peek()).kind == Lookup::kSearch)
    return BatchLookup::take(*this, source_, s_.opts.search_batch);
  return std::make_unique<LeadLookup>(source_.pop());
}

void Location::markStopped(FetchOutcome outcome, const char* detail) {
  if (stopped_) return;
  stopped_ = outcome;
  for (auto& task : pending_.drain()) task->fail(*this, outcome, detail);
  while (source_.peek()) {
    LeadLookup lead(source_.pop());
    if (lead.needsCall())
      record(lead, outcome, detail, "");
    else
      record(lead, lead.noCallOutcome(), "", "");
  }
}

void Location::stop(FetchOutcome outcome, const char* reason, int status) {
  s_.host.stopLocation(*this, outcome, reason, status, "location_stopped");
}

void Location::record(LeadLookup& lead, FetchOutcome outcome, std::string detail, std::string contact_body) {
  s_.host.record(lead, outcome, std::move(detail), std::move(contact_body));
}

void Location::push(std::unique_ptr<LookupTask> task, bool first) {
  if (first)
    pending_.pushFront(std::move(task));
  else
    pending_.push(std::move(task), now());
}

// After kUselessFollowUps follow-up GETs that added nothing (and none that did), they stop for the
// run, said in the log and the work DB.
void Location::noteFollowUp(bool useful) {
  ++follow_ups_;
  if (useful) ++follow_ups_useful_;
  if (follow_ups_off_ || follow_ups_useful_ > 0 || follow_ups_ < kUselessFollowUps) return;
  follow_ups_off_ = true;
  s_.log.info("follow_ups_stopped", {{"client_id", client_id_}, {"useless", follow_ups_}});
  s_.lookups.saveFollowUps(client_id_, target.location_id,
                           std::to_string(follow_ups_) + " follow-up GETs added no value the search lacked",
                           stamp());
}

void Location::probed(std::optional<std::int64_t> contacts, const char* reason) {
  probing_ = false;
  if (stopped_) return;
  work_.contacts = contacts;
  if (contacts) s_.lookups.saveTotal(client_id_, target.location_id, *contacts, stamp());
  choose(chooseStrategy(work_, s_.opts.search_batch).strategy, reason);
}

// Records the strategy (log line and work DB; no PII).
void Location::choose(FetchStrategy strategy, const char* reason) {
  strategy_ = strategy;
  const auto expected = expectedRequests(strategy, work_, s_.opts.search_batch);
  s_.log.info("fetch_strategy", {{"client_id", client_id_},
                                 {"strategy", std::string(toString(strategy))},
                                 {"reason", std::string(reason)},
                                 {"contacts", work_.contacts.value_or(-1)},
                                 {"expected_requests", expected.value_or(-1)}});
  s_.lookups.saveChoice(client_id_, target.location_id, toString(strategy), reason, stamp());
}

void Location::fallBack(const char* what, const char* reason, int status) {
  s_.host.countFallback();
  s_.log.warn("strategy_fallback", {{"client_id", client_id_},
                                    {"strategy", std::string(toString(strategy_))},
                                    {"reason", std::string(reason)},
                                    {"http_status", static_cast<std::int64_t>(status)}});
  const std::string why = std::string(what) + "_rejected_" + reason;
  choose(FetchStrategy::kPerLead, why.c_str());
}

std::vector<ScanPage> Location::batchPages(const std::string& batch_key) {
  return s_.lookups.pendingBatch(client_id_, batch_key);
}

void Location::addBatchPage(const std::string& batch_key, ScanPage page) {
  s_.lookups.addBatchPage(client_id_, batch_key, page, stamp(), s_.run);
}

void Location::finishBatch(const std::string& batch_key) { s_.lookups.finishBatch(client_id_, batch_key); }

std::vector<ScanPage> Location::scanPages() { return s_.lookups.pendingScan(client_id_, target.location_id); }

void Location::beginScan() { s_.lookups.beginScan(client_id_, target.location_id, stamp()); }

void Location::addScanPage(ScanPage page) { s_.lookups.addPage(client_id_, page, stamp(), s_.run); }

void Location::finishScan() {
  s_.host.flushResults();  // the results first: a scan marked complete has them stored
  s_.lookups.finishScan(client_id_, stamp());
}

}  // namespace ghlb
