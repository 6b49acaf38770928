// The fetch engine (fetch.h): the loop that joins the scheduler (fetch_scheduler.h: which location
// may send now), the locations (fetch_location.h: each one's next task, its strategy), the lookup
// tasks (lookup_task.h: a request, and what its answer means), the result store and the progress.
// It never asks which kind of task it holds: a task builds its request, classifies its answer and
// turns it into lead results; the engine only sends, retries with backoff, and stops.
#include "fetch.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <random>
#include <unordered_map>
#include <vector>

#include "fetch_location.h"
#include "fetch_progress.h"
#include "fetch_scheduler.h"
#include "fetch_store.h"
#include "fetch_work.h"
#include "lookup_store.h"
#include "quota_store.h"
#include "rate_limiter.h"
#include "text.h"

namespace ghlb {
namespace {

constexpr Millis kMaxWait{250};          // longest sleep, so a stop request is seen promptly
constexpr Millis kBackoffBase{500};      // 5xx / network retries: full jitter over base * 2^n ...
constexpr Millis kBackoffCap{30000};     // ... capped here
constexpr Millis kWindow{10000};         // GHL's burst window
constexpr Millis kPitBackoffBase{5000};  // a point-in-time 429 of the search backend: longer backoff ...
constexpr Millis kPitBackoffCap{60000};  // ... capped here

struct InFlight {
  std::size_t location;
  std::unique_ptr<LookupTask> task;
};

SchedulerConfig schedulerConfig(const FetchOptions& opts, const FetchControl& control) {
  SchedulerConfig c;
  c.limiter.burst = opts.burst_per_10s;
  c.limiter.window = kWindow;
  c.limiter.rps = opts.per_location_rps;
  c.limiter.headroom = opts.headroom;
  c.limiter.seed = control.seed + 1;
  c.daily_reserve = opts.daily_reserve;
  return c;
}

class Engine final : public LocationHost {
 public:
  Engine(WorkDb& work, const std::map<std::string, Credential>& creds, Transport& transport,
         const Clock& clock, const FetchOptions& opts, const Log& log, std::int64_t run,
         const FetchControl& control);
  FetchCounts run();

  // LocationHost
  void record(LeadLookup& lead, FetchOutcome outcome, std::string detail, std::string contact_body) override;
  void stopLocation(Location& loc, FetchOutcome outcome, const char* reason, int status,
                    const char* detail) override;
  void dailySpent(Location& loc) override { sched_.dailySpent(loc.index()); }
  void flushResults() override { store_.flush(clock_.now()); }
  void countFallback() override { ++counts_.fallbacks; }

 private:
  void addLocations(const std::map<std::string, ClientWork>& work,
                    const std::map<std::string, Credential>& creds);
  void checkStop(SteadyTime now);
  bool stopRequested() const { return control_.stop && control_.stop->load(); }
  bool capped() const;
  void dispatch(SteadyTime now);
  bool sendOne(Location& loc, SteadyTime now);
  void submit(Location& loc, std::unique_ptr<LookupTask> task);
  void onResponse(HttpResponse resp);
  void retryOrFail(Location& loc, std::unique_ptr<LookupTask> task, const Reply& reply);
  bool reserveReached(Location& loc);
  void saveQuota(SteadyTime now);
  bool everyLocationUnreachable();
  void stopAll(SteadyTime deadline);
  void refresh(Location& loc) { sched_.setWork(loc.index(), loc.due()); }
  Millis waitTime(SteadyTime now);
  void progress(SteadyTime now);

  Transport& transport_;
  const Clock& clock_;
  const FetchOptions& opts_;
  const Log& log_;
  const FetchControl& control_;
  SQLite::Statement page_query_;
  ResultStore store_;
  QuotaStore quota_;
  LookupStore lookups_;
  std::string day_;  // the UTC day of the run's start: the daily quota it counts against
  WorkRule rule_;    // which stored results are looked up again
  SteadyTime last_quota_save_{};
  FetchScheduler sched_;
  LocationServices services_;
  std::vector<std::unique_ptr<Location>> locs_;  // by scheduler index
  std::unordered_map<std::uint64_t, InFlight> in_flight_;
  std::mt19937_64 rng_;
  FetchCounts counts_;
  std::uint64_t next_tag_ = 1;
  bool stopping_ = false;
  SteadyTime stop_deadline_{};
  std::optional<FetchStatus> status_;  // set once the work list is counted
};

Engine::Engine(WorkDb& work, const std::map<std::string, Credential>& creds, Transport& transport,
               const Clock& clock, const FetchOptions& opts, const Log& log, std::int64_t run,
               const FetchControl& control)
    : transport_(transport),
      clock_(clock),
      opts_(opts),
      log_(log),
      control_(control),
      page_query_(clientPageQuery(work.db())),
      store_(work.db(), run, control.flush_every, control.flush_interval, clock.now()),
      quota_(work.db()),
      lookups_(work.db()),
      day_(utcDay(clock.wallNow())),
      sched_(schedulerConfig(opts, control), clock, log),
      services_{*this, lookups_, log, clock, opts, run},
      rng_(control.seed) {
  WorkList read;
  if (!control.work_list) {
    read.rule = workRule(opts, clock.wallNow());
    read.clients =
        readWorkList(work, read.rule, opts.common.client_ids, opts.strategy == FetchStrategy::kAuto);
  }
  const WorkList& list = control.work_list ? *control.work_list : read;
  rule_ = list.rule;
  std::int64_t stage_total = 0;  // eligible leads in scope, earlier runs' included
  for (const auto& [client, w] : list.clients) {
    counts_.total += w.leads;
    stage_total += w.eligible;
  }
  status_.emplace(log, control.progress, control.progress_interval, clock.now(), stage_total, counts_.total);
  addLocations(list.clients, creds);
}

void Engine::addLocations(const std::map<std::string, ClientWork>& work,
                          const std::map<std::string, Credential>& creds) {
  for (const auto& [client, w] : work) {
    if (w.leads == 0) continue;
    DailyState daily;
    if (const auto q = quota_.daily(client, day_)) {
      daily.left = q->remaining;
      daily.reset_at = q->reset_at;
    }
    const std::size_t index = sched_.add(client, std::move(daily));
    auto loc =
        std::make_unique<Location>(services_, index, client, w.work, ClientQueue(page_query_, client, rule_));
    const auto it = creds.find(client);
    loc->has_token = it != creds.end() && !it->second.token.empty() && !it->second.location_id.empty();
    loc->bad_token = loc->has_token && !isSendableToken(it->second.token);
    if (loc->has_token && !loc->bad_token)
      loc->target = GhlTarget{opts_.base_url, it->second.location_id, it->second.token, opts_.timeout_ms};
    locs_.push_back(std::move(loc));
  }
}

FetchCounts Engine::run() {
  counts_.locations = static_cast<std::int64_t>(locs_.size());
  status_->started();
  for (auto& loc : locs_) {
    if (!loc->has_token) stopLocation(*loc, FetchOutcome::kAuthFailed, "no_token", 0, "location_stopped");
    if (loc->bad_token) stopLocation(*loc, FetchOutcome::kAuthFailed, "invalid_token", 0, "invalid_token");
    refresh(*loc);
  }
  while (true) {
    const SteadyTime now = clock_.now();
    checkStop(now);
    if (!stopping_ && everyLocationUnreachable()) {
      for (const auto& loc : locs_)
        if (sched_.unreachable(loc->index())) counts_.unreachable_error = sched_.lastError(loc->index());
      stopAll(now + Millis(opts_.timeout_ms + 1000));
    }
    dispatch(now);  // issues nothing once a stop is requested
    if (in_flight_.empty() && (stopping_ || capped() || !sched_.hasWork())) break;
    if (stopping_ && now >= stop_deadline_) break;  // in-flight leads stay unfetched
    for (auto& resp : transport_.poll(waitTime(clock_.now()))) onResponse(std::move(resp));
    store_.flushIfDue(clock_.now());
    if (clock_.now() - last_quota_save_ >= control_.flush_interval) saveQuota(clock_.now());
    progress(clock_.now());
  }
  store_.flush(clock_.now());
  saveQuota(clock_.now());
  for (const auto& loc : locs_)
    if (loc->stopped() == FetchOutcome::kAuthFailed) ++counts_.auth_stopped;
  counts_.capped = capped();
  counts_.unfetched = counts_.total - counts_.stored();
  status_->finish(counts_);
  return counts_;
}

void Engine::checkStop(SteadyTime now) {
  if (stopping_ || !stopRequested()) return;
  counts_.interrupted = true;
  const Millis grace =
      control_.stop_grace.count() >= 0 ? control_.stop_grace : Millis(opts_.timeout_ms + 1000);
  stopAll(now + grace);
  log_.warn("stopping", {{"in_flight", static_cast<std::int64_t>(in_flight_.size())}});
}

// Issues nothing more; in-flight requests are waited for until DEADLINE, the rest stays unfetched.
void Engine::stopAll(SteadyTime deadline) {
  stopping_ = true;
  stop_deadline_ = deadline;
}

bool Engine::capped() const { return opts_.max_requests > 0 && counts_.requests >= opts_.max_requests; }

// The scheduler hands out the locations ready now, round-robin, one request per turn, until none
// is ready (or the overall limits are reached).
void Engine::dispatch(SteadyTime now) {
  while (!capped() && !stopping_ && !stopRequested() &&
         in_flight_.size() < static_cast<size_t>(opts_.concurrency)) {
    const auto index = sched_.next(now);
    if (!index) return;
    Location& loc = *locs_[*index];
    if (sendOne(loc, now))
      refresh(loc);
    else
      sched_.defer(*index, loc.due(), now);
  }
}

bool Engine::sendOne(Location& loc, SteadyTime now) {
  if (loc.stopped()) return false;
  loc.recordLeadsWithoutCall();
  if (sched_.limiter(loc.index()).nextSendTime() > now) return false;
  if (sched_.blocked(loc.index(), now)) return false;
  if (reserveReached(loc)) return false;
  auto task = loc.takeReady(now);
  if (!task) return false;
  sched_.onSend(loc.index(), now);
  submit(loc, std::move(task));
  return true;
}

void Engine::submit(Location& loc, std::unique_ptr<LookupTask> task) {
  HttpRequest req = task->request(loc.target, opts_.search_page_limit);
  req.tag = next_tag_++;
  ++task->attempts;
  ++task->tries;
  ++counts_.requests;
  in_flight_.emplace(req.tag, InFlight{loc.index(), std::move(task)});
  transport_.submit(std::move(req));
}

// One answer goes to the task it belongs to; the task says what becomes of it.
void Engine::onResponse(HttpResponse resp) {
  const auto it = in_flight_.find(resp.tag);
  if (it == in_flight_.end()) return;
  Location& loc = *locs_[it->second.location];
  std::unique_ptr<LookupTask> task = std::move(it->second.task);
  in_flight_.erase(it);
  sched_.onAnswer(loc.index(), resp, clock_.now());
  if (resp.status == 429) ++counts_.rate_limited;
  task->last_status = resp.status;
  const Reply reply = classify(task->endpoint(), resp);
  if (reply.kind == ReplyKind::kFatal) {  // TLS: no retry can fix it; the task's leads stay unfetched
    counts_.tls_failed = true;
    return stopAll(clock_.now());
  }
  switch (task->onReply(loc, reply, std::move(resp.body))) {
    case Next::kDone:
      break;
    case Next::kAgain:
      loc.pushFirst(std::move(task));  // finish started tasks first
      break;
    case Next::kRetry:
      retryOrFail(loc, std::move(task), reply);
      break;
  }
  refresh(loc);
}

void Engine::retryOrFail(Location& loc, std::unique_ptr<LookupTask> task, const Reply& reply) {
  if (const auto stopped = loc.stopped()) return task->fail(loc, *stopped, "location_stopped");
  if (task->tries > opts_.max_retries) return task->fail(loc, FetchOutcome::kTransient, reply.detail);
  task->not_before = clock_.now();
  // A 429 already paused the whole location in its limiter; other failures back off per request.
  if (reply.kind == ReplyKind::kRetry)
    task->not_before += fullJitterBackoff(task->tries, kBackoffBase, kBackoffCap, rng_);
  if (reply.detail == "point_in_time")
    task->not_before += fullJitterBackoff(task->tries, kPitBackoffBase, kPitBackoffCap, rng_);
  loc.pushLater(std::move(task), clock_.now());
}

// True (and LOC paused for the rest of the run, reported with when it can resume) once a send
// would spend from the --daily-reserve that is never touched.
bool Engine::reserveReached(Location& loc) {
  if (!sched_.reserveReached(loc.index())) return false;
  stopLocation(loc, FetchOutcome::kDailyLimit, "daily_reserve", 0, "daily_reserve");
  return true;
}

void Engine::saveQuota(SteadyTime now) {
  last_quota_save_ = now;
  bool any = false;
  for (const auto& loc : locs_) any = any || sched_.daily(loc->index()).dirty;
  if (!any) return;
  SQLite::Transaction tx(quota_.db());
  const std::string stamp = isoUtc(clock_.wallNow());
  for (auto& loc : locs_) {
    DailyState& d = sched_.daily(loc->index());
    if (!d.dirty || !d.left) continue;
    quota_.saveDaily(loc->clientId(), day_, DailyQuota{std::max<std::int64_t>(0, *d.left), d.reset_at},
                     stamp);
    d.dirty = false;
  }
  tx.commit();
}

// True when at least one location is paused as unreachable and every other location that still
// has work is too: nothing can progress, so the run stops rather than spend its retries. Reads
// every location, so only while some location is unreachable (rare), not on every loop.
bool Engine::everyLocationUnreachable() {
  if (sched_.unreachableCount() == 0) return false;
  bool any = false;
  for (auto& loc : locs_) {
    if (loc->stopped()) continue;
    if (sched_.unreachable(loc->index())) {
      any = true;
      continue;
    }
    if (sched_.inFlight(loc->index()) > 0 || loc->hasWork()) return false;
  }
  return any;
}

// Stops LOC for the rest of the run: its waiting and unread leads are recorded with OUTCOME
// (leads needing no call keep their own outcome); in-flight ones are recorded as they return.
void Engine::stopLocation(Location& loc, FetchOutcome outcome, const char* reason, int status,
                          const char* detail) {
  if (loc.stopped()) return;
  log_.warn("location_stopped", {{"client_id", loc.clientId()},
                                 {"reason", std::string(reason)},
                                 {"http_status", static_cast<std::int64_t>(status)}});
  if (outcome == FetchOutcome::kDailyLimit) {
    const DailyState& d = sched_.daily(loc.index());
    log_.warn("location_paused",
              {{"client_id", loc.clientId()},
               {"daily_remaining", d.left.value_or(0)},
               {"daily_reserve", opts_.daily_reserve},
               {"resumes_at", d.reset_at.value_or(isoUtc(nextUtcMidnight(clock_.wallNow())))}});
  }
  loc.markStopped(outcome, detail);
}

void Engine::record(LeadLookup& lead, FetchOutcome outcome, std::string detail, std::string contact_body) {
  FetchResultRow r;
  r.lead_id = lead.lead.id;
  r.lookup = lead.plan.kind;
  r.key = lead.plan.key;
  r.outcome = outcome;
  r.http_status = lead.last_status;
  r.detail = std::move(detail);
  // A search answered but not used (bad, stopped) keeps its first page for diagnosis.
  r.search_body = !lead.search_body.empty() || lead.pages.empty() ? std::move(lead.search_body)
                                                                  : std::move(lead.pages.front());
  r.contact_body = std::move(contact_body);
  r.attempts = lead.attempts;
  r.fetched_at = isoUtc(clock_.wallNow());
  ++counts_.outcomes[outcome];
  store_.add(std::move(r), clock_.now());
}

Millis Engine::waitTime(SteadyTime now) {
  if (stopping_ || capped() || in_flight_.size() >= static_cast<size_t>(opts_.concurrency))
    return kMaxWait;  // a response (or the deadline) is what we wait for
  const SteadyTime next = std::min(now + kMaxWait, sched_.nextReady(now).value_or(now + kMaxWait));
  return std::clamp(std::chrono::ceil<Millis>(next - now), Millis(0), kMaxWait);
}

// The meter, when due: the locations' gauge is measured only then (it reads every location).
void Engine::progress(SteadyTime now) {
  if (!status_->due(now)) return;
  LocationsGauge g;
  for (auto& loc : locs_) {
    const RateLimiter& limiter = sched_.limiter(loc->index());
    const bool stopped = loc->stopped().has_value();
    if (loc->stopped() == FetchOutcome::kDailyLimit || (!stopped && limiter.pausedUntil() > now)) ++g.paused;
    if (!stopped && loc->due() && !sched_.awaitingProbe(loc->index()))
      g.ceiling_per_s += limiter.cap() / std::chrono::duration<double>(limiter.window()).count();
  }
  status_->update(now, counts_, g);
}

}  // namespace

FetchCounts fetchLeads(WorkDb& work, const std::map<std::string, Credential>& creds, Transport& transport,
                       const Clock& clock, const FetchOptions& opts, const Log& log, std::int64_t run_id,
                       const FetchControl& control) {
  return Engine(work, creds, transport, clock, opts, log, run_id, control).run();
}

}  // namespace ghlb
