#include "fetch.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <unordered_map>
#include <vector>

#include "app_db.h"
#include "app_identity.h"
#include "base_url.h"
#include "contact.h"
#include "curl_transport.h"
#include "error.h"
#include "fetch_progress.h"
#include "fetch_scheduler.h"
#include "fetch_store.h"
#include "fetch_tasks.h"
#include "fetch_work.h"
#include "ghl_client.h"
#include "json_util.h"
#include "lead.h"
#include "lookup_store.h"
#include "lookup_task.h"
#include "quota_store.h"
#include "rate_limiter.h"
#include "stop_signal.h"
#include "text.h"

namespace ghlb {
namespace {

constexpr std::int64_t kMinBodyBytes = 64 << 10;
constexpr std::int64_t kMaxBodyBytes = 64 << 20;
constexpr std::int64_t kMaxBodyMemory = 512 << 20;  // concurrency x max body: answers held at once
constexpr Millis kMaxWait{250};                     // longest sleep, so a stop request is seen promptly
constexpr Millis kBackoffBase{500};                 // 5xx / network retries: full jitter over base * 2^n ...
constexpr Millis kBackoffCap{30000};                // ... capped here
constexpr Millis kWindow{10000};                    // GHL's burst window
constexpr size_t kMaxSearchPages = 20;              // searchAfter pages read for one email
constexpr Millis kPitBackoffBase{5000};  // a point-in-time 429 of the search backend: longer backoff ...
constexpr Millis kPitBackoffCap{60000};  // ... capped here
constexpr int kUselessFollowUps = 5;     // follow-up GETs of a location that added nothing before they stop
constexpr std::int64_t kScanSlackPages = 5;  // pages a scan may read beyond total / 500 (writes meanwhile)

constexpr FetchOutcome kAllOutcomes[] = {
    FetchOutcome::kFound,      FetchOutcome::kNotFound,  FetchOutcome::kContactGone,
    FetchOutcome::kInvalidId,  FetchOutcome::kNoLookup,  FetchOutcome::kAuthFailed,
    FetchOutcome::kDailyLimit, FetchOutcome::kPermanent, FetchOutcome::kBadResponse,
    FetchOutcome::kTransient,
};

// ---------------------------------------------------------------------------------------------
// The engine.

using Job = LookupTask;

// "wrong_location" when any contact of a search answer belongs to another location than the lead.
std::optional<std::string_view> foreignContact(const SearchPage& page, std::string_view location_id) {
  for (const auto& c : page.contacts)
    if (c.location_id && *c.location_id != location_id) return "wrong_location";
  return std::nullopt;
}

// How the one line of a run that reaches no location names the transport error class.
std::string describeError(std::string_view error) {
  if (error == "refused") return "connection refused";
  if (error == "dns") return "host name not resolved";
  if (error == "timeout") return "timed out";
  if (error == "reset") return "connection reset";
  if (error == "tls_handshake") return "TLS handshake failed: no TLS server there?";
  return "network error";
}

// A location scan in progress: every lead of the location that needs a call, the index of the
// contacts they want, and where the walk is.
struct ScanState {
  std::vector<Job> leads;
  ContactIndex index;
  std::string cursor;       // searchAfter of the next page; "" for the first
  std::int64_t seq = 0;     // pages read
  std::int64_t seen = 0;    // contacts read
  std::int64_t total = -1;  // GHL's total on the first page
};

// The retries, follow-up GETs and next pages of one location, before its fresh leads: those due
// now in order (pushFront: finish started leads first), those backing off by due time, so the
// earliest due time is known without a scan.
class PendingJobs {
 public:
  void pushFront(Job job) { ready_.push_front(std::move(job)); }
  void push(Job job, SteadyTime now) {
    if (job.not_before <= now)
      ready_.push_back(std::move(job));
    else
      delayed_.emplace(job.not_before, std::move(job));
  }
  std::optional<Job> take(SteadyTime now) {
    while (!delayed_.empty() && delayed_.begin()->first <= now) {
      ready_.push_back(std::move(delayed_.begin()->second));
      delayed_.erase(delayed_.begin());
    }
    if (ready_.empty()) return std::nullopt;
    Job job = std::move(ready_.front());
    ready_.pop_front();
    return job;
  }
  std::optional<SteadyTime> due() const {
    if (!ready_.empty()) return SteadyTime::min();
    if (delayed_.empty()) return std::nullopt;
    return delayed_.begin()->first;
  }
  bool empty() const { return ready_.empty() && delayed_.empty(); }
  // Takes every job out, in no particular order.
  std::vector<Job> drain() {
    std::vector<Job> out(std::make_move_iterator(ready_.begin()), std::make_move_iterator(ready_.end()));
    for (auto& [t, job] : delayed_) out.push_back(std::move(job));
    ready_.clear();
    delayed_.clear();
    return out;
  }

 private:
  std::deque<Job> ready_;
  std::multimap<SteadyTime, Job> delayed_;
};

struct Location {
  size_t index = 0;  // in the scheduler
  std::string client_id;
  FetchStrategy strategy = FetchStrategy::kAuto;  // kAuto until chosen
  LocationWork work{};                            // what auto weighs
  bool probing_total = false;                     // the probe is in flight
  std::unique_ptr<ScanState> scan{};              // set while a scan runs
  bool scan_done = false;
  int follow_ups = 0, follow_ups_useful = 0;  // follow-up GETs answered, and those that added a value
  bool follow_ups_off = false;                // kUselessFollowUps added nothing: no more of them
  GhlTarget target{};                         // holds the token
  bool has_token = false;
  bool bad_token = false;  // a token that is not visible ASCII: never sent
  ClientQueue source;
  PendingJobs pending{};                  // retries and follow-up GETs, before fresh leads
  std::optional<FetchOutcome> stopped{};  // set once the location is stopped for the run
};

struct InFlight {
  size_t location;
  Job job;
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

class Engine {
 public:
  Engine(WorkDb& work, const std::map<std::string, Credential>& creds, Transport& transport,
         const Clock& clock, const FetchOptions& opts, const Log& log, std::int64_t run,
         const FetchControl& control);
  FetchCounts run();

 private:
  void addLocations(const std::map<std::string, ClientWork>& work,
                    const std::map<std::string, Credential>& creds);
  void checkStop(SteadyTime now);
  bool stopRequested() const { return control_.stop && control_.stop->load(); }
  bool capped() const;
  void dispatch(SteadyTime now);
  bool sendOne(size_t loc, SteadyTime now);
  void recordLeadsWithoutCall(Location& loc);
  std::optional<Job> takeReadyJob(Location& loc, SteadyTime now);
  void submit(size_t loc, Job job);
  void onResponse(HttpResponse resp);
  void handleReply(Location& loc, Job job, const Reply& reply, std::string body);
  void onSearchHit(Location& loc, Job job, const SearchPage& page, std::string body);
  void finishSearch(Location& loc, Job job);
  void noteFollowUp(Location& loc, bool useful);
  void choose(Location& loc, FetchStrategy strategy, const char* reason);
  std::optional<Job> takeStrategyJob(Location& loc, SteadyTime now);
  std::optional<Job> startScan(Location& loc, SteadyTime now);
  std::optional<Job> takeBatch(Location& loc, SteadyTime now);
  void finishBatch(Location& loc, Job job);
  void handleTaskReply(Location& loc, Job job, const Reply& reply, std::string body);
  void onProbe(Location& loc, const SearchPage& page);
  void onBatchAnswer(Location& loc, Job job, const SearchPage& page, std::string body);
  void onScanPage(Location& loc, Job job, const SearchPage& page, std::string body);
  void finishScan(Location& loc);
  void fallBack(Location& loc, Job job, const char* reason, int status);
  void recordTask(Location& loc, Job& job, FetchOutcome outcome, const std::string& detail);
  void retryOrFail(Location& loc, Job job, const Reply& reply);
  bool reserveReached(Location& loc);
  void saveQuota(SteadyTime now);
  bool everyLocationUnreachable();
  void stopAll(SteadyTime deadline);
  void stopLocation(Location& loc, FetchOutcome outcome, const char* reason, int status,
                    const char* detail = "location_stopped");
  void record(Job& job, FetchOutcome outcome, std::string detail, std::string contact_body = {});
  std::optional<SteadyTime> dueOf(Location& loc);
  void refresh(Location& loc) { sched_.setWork(loc.index, dueOf(loc)); }
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
  std::int64_t run_;
  std::string day_;  // the UTC day of the run's start: the daily quota it counts against
  WorkRule rule_;    // which stored results are looked up again
  SteadyTime last_quota_save_{};
  FetchScheduler sched_;
  std::vector<Location> locs_;
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
      run_(run),
      day_(utcDay(clock.wallNow())),
      sched_(schedulerConfig(opts, control), clock, log),
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
    Location loc{.index = sched_.add(client, std::move(daily)),
                 .client_id = client,
                 .strategy = opts_.strategy,
                 .work = w.work,
                 .source = ClientQueue(page_query_, client, rule_)};
    const auto it = creds.find(client);
    loc.has_token = it != creds.end() && !it->second.token.empty() && !it->second.location_id.empty();
    loc.bad_token = loc.has_token && !isSendableToken(it->second.token);
    if (loc.has_token && !loc.bad_token)
      loc.target = GhlTarget{opts_.base_url, it->second.location_id, it->second.token, opts_.timeout_ms};
    locs_.push_back(std::move(loc));
  }
}

FetchCounts Engine::run() {
  counts_.locations = static_cast<std::int64_t>(locs_.size());
  status_->started();
  for (auto& loc : locs_) {
    if (!loc.has_token) stopLocation(loc, FetchOutcome::kAuthFailed, "no_token", 0);
    if (loc.bad_token) stopLocation(loc, FetchOutcome::kAuthFailed, "invalid_token", 0, "invalid_token");
    refresh(loc);
  }
  while (true) {
    const SteadyTime now = clock_.now();
    checkStop(now);
    if (!stopping_ && everyLocationUnreachable()) {
      for (const auto& loc : locs_)
        if (sched_.unreachable(loc.index)) counts_.unreachable_error = sched_.lastError(loc.index);
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
    if (loc.stopped == FetchOutcome::kAuthFailed) ++counts_.auth_stopped;
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
    Location& loc = locs_[*index];
    if (sendOne(*index, now))
      refresh(loc);
    else
      sched_.defer(*index, dueOf(loc), now);
  }
}

bool Engine::sendOne(size_t index, SteadyTime now) {
  Location& loc = locs_[index];
  if (loc.stopped) return false;
  recordLeadsWithoutCall(loc);
  if (sched_.limiter(index).nextSendTime() > now) return false;
  if (sched_.blocked(index, now)) return false;
  if (reserveReached(loc)) return false;
  auto job = takeReadyJob(loc, now);
  if (!job) return false;
  sched_.onSend(index, now);
  submit(index, std::move(*job));
  return true;
}

// Leads with nothing to look up, or an id that cannot be sent, are recorded at once.
void Engine::recordLeadsWithoutCall(Location& loc) {
  while (const LeadSnapshot* next = loc.source.peek()) {
    const Lookup kind = lookupFor(*next).kind;
    if (kind == Lookup::kGet || kind == Lookup::kSearch) return;
    Job job = leadTask(loc.source.pop());
    record(job, noCallOutcome(job), "");
  }
}

std::optional<Job> Engine::takeReadyJob(Location& loc, SteadyTime now) {
  if (auto job = loc.pending.take(now)) return job;
  if (loc.probing_total || !loc.source.peek()) return std::nullopt;
  return takeStrategyJob(loc, now);
}

void Engine::submit(size_t index, Job job) {
  HttpRequest req = requestFor(job, locs_[index].target, opts_.search_page_limit);
  req.tag = next_tag_++;
  ++job.attempts;
  ++job.tries;
  ++counts_.requests;
  in_flight_.emplace(req.tag, InFlight{index, std::move(job)});
  transport_.submit(std::move(req));
}

void Engine::onResponse(HttpResponse resp) {
  const auto it = in_flight_.find(resp.tag);
  if (it == in_flight_.end()) return;
  Location& loc = locs_[it->second.location];
  Job job = std::move(it->second.job);
  in_flight_.erase(it);
  sched_.onAnswer(loc.index, resp, clock_.now());
  if (resp.status == 429) ++counts_.rate_limited;
  job.last_status = resp.status;
  const Reply reply = classify(endpointOf(job), resp);
  if (reply.kind == ReplyKind::kFatal) {  // TLS: no retry can fix it; the lead stays unfetched
    counts_.tls_failed = true;
    return stopAll(clock_.now());
  }
  if (job.task != Task::kLead)
    handleTaskReply(loc, std::move(job), reply, std::move(resp.body));
  else
    handleReply(loc, std::move(job), reply, std::move(resp.body));
  refresh(loc);
}

// True (and LOC paused for the rest of the run, reported with when it can resume) once a send
// would spend from the --daily-reserve that is never touched.
bool Engine::reserveReached(Location& loc) {
  if (!sched_.reserveReached(loc.index)) return false;
  stopLocation(loc, FetchOutcome::kDailyLimit, "daily_reserve", 0, "daily_reserve");
  return true;
}

void Engine::saveQuota(SteadyTime now) {
  last_quota_save_ = now;
  bool any = false;
  for (const auto& loc : locs_) any = any || sched_.daily(loc.index).dirty;
  if (!any) return;
  SQLite::Transaction tx(quota_.db());
  const std::string stamp = isoUtc(clock_.wallNow());
  for (auto& loc : locs_) {
    DailyState& d = sched_.daily(loc.index);
    if (!d.dirty || !d.left) continue;
    quota_.saveDaily(loc.client_id, day_, DailyQuota{std::max<std::int64_t>(0, *d.left), d.reset_at}, stamp);
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
    if (loc.stopped) continue;
    if (sched_.unreachable(loc.index)) {
      any = true;
      continue;
    }
    const bool has_work =
        sched_.inFlight(loc.index) > 0 || !loc.pending.empty() || loc.source.peek() != nullptr;
    if (has_work) return false;
  }
  return any;
}

void Engine::handleReply(Location& loc, Job job, const Reply& reply, std::string body) {
  const std::string get_detail = "get_" + std::to_string(reply.status);
  switch (reply.kind) {
    case ReplyKind::kOk:
      if (reply.page) return onSearchHit(loc, std::move(job), *reply.page, std::move(body));
      if (const auto bad = untrustedReason(*reply.contact, job.lead.location_id, requestedId(job)))
        return record(job, FetchOutcome::kBadResponse, std::string(*bad));
      if (job.follow_get && job.chosen)
        noteFollowUp(loc, getAddsField(*job.chosen, *reply.contact, job.lead));
      return record(job, FetchOutcome::kFound, job.detail, std::move(body));
    case ReplyKind::kNotFound:
      // A search hit whose GET says 404 keeps the search payload: plan can still use it.
      if (job.follow_get) return record(job, FetchOutcome::kFound, get_detail);
      return record(job, FetchOutcome::kContactGone, reply.detail);
    case ReplyKind::kAuth:
      record(job, FetchOutcome::kAuthFailed, reply.detail);
      return stopLocation(loc, FetchOutcome::kAuthFailed, "auth", reply.status);
    case ReplyKind::kDailyLimit:
      sched_.dailySpent(loc.index);  // never retried today, not even by a restart
      record(job, FetchOutcome::kDailyLimit, reply.detail);
      return stopLocation(loc, FetchOutcome::kDailyLimit, "daily_limit", reply.status);
    case ReplyKind::kRateLimited:
    case ReplyKind::kRetry:
      return retryOrFail(loc, std::move(job), reply);
    case ReplyKind::kPermanent:
      if (job.follow_get) return record(job, FetchOutcome::kFound, get_detail);
      return record(job, FetchOutcome::kPermanent, reply.detail);
    case ReplyKind::kBadResponse:
      return record(job, FetchOutcome::kBadResponse, reply.detail);
    case ReplyKind::kTooLarge:  // never retried: the same answer would come again
      return record(job, FetchOutcome::kPermanent, reply.detail);
    case ReplyKind::kFatal:  // handled in onResponse
      return;
  }
}

// One search page: checked, kept, and either the next page is asked (searchAfter, while GHL's
// total says contacts are unread) or the contact is chosen among every page read.
void Engine::onSearchHit(Location& loc, Job job, const SearchPage& page, std::string body) {
  if (const auto bad = foreignContact(page, job.lead.location_id))
    return record(job, FetchOutcome::kBadResponse, std::string(*bad));
  job.page_bytes += body.size();
  if (job.page_bytes > static_cast<size_t>(opts_.max_body_bytes))
    return record(job, FetchOutcome::kPermanent, "body_too_large");
  job.pages.push_back(std::move(body));
  job.contacts.insert(job.contacts.end(), page.contacts.begin(), page.contacts.end());
  if (page.total > static_cast<std::int64_t>(job.contacts.size()) && !page.contacts.empty()) {
    if (job.pages.size() >= kMaxSearchPages) return record(job, FetchOutcome::kBadResponse, "too_many_pages");
    if (page.next_cursor.empty()) return record(job, FetchOutcome::kBadResponse, "no_search_after");
    if (loc.stopped) return record(job, *loc.stopped, "location_stopped");
    job.cursor = page.next_cursor;
    job.tries = 0;
    job.not_before = clock_.now();
    loc.pending.pushFront(std::move(job));  // finish started leads first
    return;
  }
  SearchPage all;
  all.total = job.pages.size() == 1 ? page.total : static_cast<std::int64_t>(job.contacts.size());
  all.contacts = std::move(job.contacts);
  job.search_body =
      job.pages.size() == 1 ? std::move(job.pages.front()) : mergeSearchBodies(job.pages, all.total);
  job.pages.clear();
  finishSearch(loc, std::move(job));
}

// A lead's whole search answer is in JOB.search_body: the contact is chosen, checked, and the GET
// follows when the payload lacks a field the lead misses.
void Engine::finishSearch(Location& loc, Job job) {
  auto parsed = parseSearchBody(job.search_body);
  if (!parsed) return record(job, FetchOutcome::kBadResponse, "unexpected_shape");
  const SearchPage& all = *parsed;
  if (const auto bad = foreignContact(all, job.lead.location_id))
    return record(job, FetchOutcome::kBadResponse, std::string(*bad));
  const ContactChoice choice = chooseContact(all, job.plan.key);
  if (!choice.contact) return record(job, FetchOutcome::kNotFound, "");
  if (const auto bad = untrustedReason(*choice.contact, job.lead.location_id, ""))
    return record(job, FetchOutcome::kBadResponse, std::string(*bad));
  job.detail = choice.ambiguous ? "ambiguous" : "";
  if (!lacksFieldLeadMisses(*choice.contact, job.lead)) return record(job, FetchOutcome::kFound, job.detail);
  // The location's search payloads lack fields its contacts simply do not have: no GET.
  if (loc.follow_ups_off) return record(job, FetchOutcome::kFound, job.detail);
  if (loc.stopped) return record(job, *loc.stopped, "location_stopped");
  job.follow_get = true;
  job.follow_id = choice.contact->id;
  job.chosen = choice.contact;
  job.tries = 0;
  job.not_before = clock_.now();
  loc.pending.pushFront(std::move(job));  // finish started leads first
}

void Engine::retryOrFail(Location& loc, Job job, const Reply& reply) {
  if (loc.stopped) return recordTask(loc, job, *loc.stopped, "location_stopped");
  if (job.tries > opts_.max_retries) return recordTask(loc, job, FetchOutcome::kTransient, reply.detail);
  job.not_before = clock_.now();
  // A 429 already paused the whole location in its limiter; other failures back off per request.
  if (reply.kind == ReplyKind::kRetry)
    job.not_before += fullJitterBackoff(job.tries, kBackoffBase, kBackoffCap, rng_);
  if (reply.detail == "point_in_time")
    job.not_before += fullJitterBackoff(job.tries, kPitBackoffBase, kPitBackoffCap, rng_);
  loc.pending.push(std::move(job), clock_.now());
}

// ---------------------------------------------------------------------------------------------
// The strategies: probe, OR-batched searches, location scans (fetch_tasks.h).

// Learns whether LOC's follow-up GETs add anything: after kUselessFollowUps that added nothing
// (and none that did), they stop for the run, said in the log and the work DB.
void Engine::noteFollowUp(Location& loc, bool useful) {
  ++loc.follow_ups;
  if (useful) ++loc.follow_ups_useful;
  if (loc.follow_ups_off || loc.follow_ups_useful > 0 || loc.follow_ups < kUselessFollowUps) return;
  loc.follow_ups_off = true;
  log_.info("follow_ups_stopped", {{"client_id", loc.client_id}, {"useless", loc.follow_ups}});
  lookups_.saveFollowUps(loc.client_id, loc.target.location_id,
                         std::to_string(loc.follow_ups) + " follow-up GETs added no value the search lacked",
                         isoUtc(clock_.wallNow()));
}

// Records the strategy of LOC (log line and work DB; no PII).
void Engine::choose(Location& loc, FetchStrategy strategy, const char* reason) {
  loc.strategy = strategy;
  const auto expected = expectedRequests(strategy, loc.work, opts_.search_batch);
  log_.info("fetch_strategy", {{"client_id", loc.client_id},
                               {"strategy", std::string(toString(strategy))},
                               {"reason", std::string(reason)},
                               {"contacts", loc.work.contacts.value_or(-1)},
                               {"expected_requests", expected.value_or(-1)}});
  lookups_.saveChoice(loc.client_id, loc.target.location_id, toString(strategy), reason,
                      isoUtc(clock_.wallNow()));
}

// The next task of LOC's fresh leads, as its strategy has them: a probe first when auto can
// gain from it, then per-lead jobs, OR groups, or the scan.
std::optional<Job> Engine::takeStrategyJob(Location& loc, SteadyTime now) {
  if (loc.strategy == FetchStrategy::kAuto) {
    if (!probeWorthIt(loc.work, opts_.search_batch)) {
      choose(loc, chooseStrategy(loc.work, opts_.search_batch).strategy, "cheapest_without_probe");
    } else {
      loc.probing_total = true;
      Job probe;
      probe.task = Task::kProbe;
      probe.not_before = now;
      return probe;
    }
  }
  if (loc.strategy == FetchStrategy::kScan && !loc.scan_done) return startScan(loc, now);
  if (loc.strategy == FetchStrategy::kBatched && lookupFor(*loc.source.peek()).kind == Lookup::kSearch)
    return takeBatch(loc, now);
  return leadTask(loc.source.pop());
}

// The name of an OR group's stored pages: FNV-1a 64 of its emails in order, and their count.
std::string batchKey(const std::vector<std::string>& emails) {
  std::uint64_t h = 14695981039346656037ull;
  for (const auto& e : emails) {
    for (const unsigned char c : e) h = (h ^ c) * 1099511628211ull;
    h = (h ^ '\n') * 1099511628211ull;
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llx-%zu", static_cast<unsigned long long>(h), emails.size());
  return buf;
}

// Up to --search-batch distinct emails of consecutive email leads; leads sharing an email share
// its answer. A group whose answer was stored in part by an earlier run (killed) goes on from its
// last stored page; one stored whole gives its results at once (nullopt: no request).
std::optional<Job> Engine::takeBatch(Location& loc, SteadyTime now) {
  Job batch;
  batch.task = Task::kBatch;
  batch.not_before = now;
  std::unordered_map<std::string, bool> have;
  while (const LeadSnapshot* next = loc.source.peek()) {
    const LookupPlan plan = lookupFor(*next);
    if (plan.kind != Lookup::kSearch) break;
    if (!have.count(plan.key)) {
      if (static_cast<int>(batch.emails.size()) >= opts_.search_batch) break;
      have[plan.key] = true;
      batch.emails.push_back(plan.key);
    }
    batch.members.push_back(leadTask(loc.source.pop()));
  }
  batch.batch_key = batchKey(batch.emails);
  const auto stored = lookups_.pendingBatch(loc.client_id, batch.batch_key);
  if (stored.empty()) return batch;
  std::int64_t last_contacts = 0;
  for (const auto& p : stored) {
    const auto parsed = parseSearchBody(p.body);
    if (!parsed) return batch;  // cannot happen: pages were accepted once; page 0 replaces them
    last_contacts = static_cast<std::int64_t>(parsed->contacts.size());
    batch.seen += last_contacts;
    batch.page_bytes += p.body.size();
  }
  batch.batch_seq = static_cast<std::int64_t>(stored.size());
  batch.cursor = stored.back().next_cursor;
  batch.attempts = 1;
  batch.last_status = 200;
  log_.info("batch_resumed", {{"client_id", loc.client_id}, {"pages", batch.batch_seq}});
  if (stored.back().total > batch.seen && last_contacts > 0 && !batch.cursor.empty()) return batch;
  finishBatch(loc, std::move(batch));
  return std::nullopt;
}

// Takes every lead of LOC that needs a call into a scan; resumes the stored pages of an
// unfinished scan of the same location, else starts one. nullopt when the stored pages finish it.
std::optional<Job> Engine::startScan(Location& loc, SteadyTime now) {
  auto scan = std::make_unique<ScanState>();
  while (loc.source.peek()) {
    Job job = leadTask(loc.source.pop());
    if (!needsCall(job)) {
      record(job, noCallOutcome(job), "");
      continue;
    }
    if (job.plan.kind == Lookup::kGet)
      scan->index.wantId(job.plan.key);
    else
      scan->index.wantEmail(job.plan.key);
    scan->leads.push_back(std::move(job));
  }
  const std::string stamp = isoUtc(clock_.wallNow());
  const auto pages = lookups_.pendingScan(loc.client_id, loc.target.location_id);
  for (const auto& p : pages) {
    std::int64_t n = 0;
    if (!scan->index.addBody(p.body, &n)) break;  // cannot happen: pages were accepted once
    scan->seq = p.seq + 1;
    scan->seen += n;
    scan->total = p.total;
    scan->cursor = p.next_cursor;
  }
  if (pages.empty() || scan->seq == 0) lookups_.beginScan(loc.client_id, loc.target.location_id, stamp);
  loc.scan = std::move(scan);
  if (loc.scan->seq > 0) {
    log_.info("scan_resumed", {{"client_id", loc.client_id}, {"pages", loc.scan->seq}});
    if (loc.scan->seen >= loc.scan->total) {
      finishScan(loc);
      return std::nullopt;
    }
  }
  Job page;
  page.task = Task::kScanPage;
  page.cursor = loc.scan->cursor;
  page.not_before = now;
  return page;
}

void Engine::handleTaskReply(Location& loc, Job job, const Reply& reply, std::string body) {
  if (job.task == Task::kProbe) loc.probing_total = false;
  if (loc.stopped) return recordTask(loc, job, *loc.stopped, "location_stopped");
  switch (reply.kind) {
    case ReplyKind::kOk:
      if (job.task == Task::kProbe) return onProbe(loc, *reply.page);
      if (job.task == Task::kBatch) return onBatchAnswer(loc, std::move(job), *reply.page, std::move(body));
      return onScanPage(loc, std::move(job), *reply.page, std::move(body));
    case ReplyKind::kAuth:
      recordTask(loc, job, FetchOutcome::kAuthFailed, reply.detail);
      return stopLocation(loc, FetchOutcome::kAuthFailed, "auth", reply.status);
    case ReplyKind::kDailyLimit:
      sched_.dailySpent(loc.index);
      recordTask(loc, job, FetchOutcome::kDailyLimit, reply.detail);
      return stopLocation(loc, FetchOutcome::kDailyLimit, "daily_limit", reply.status);
    case ReplyKind::kRateLimited:
    case ReplyKind::kRetry:
      return retryOrFail(loc, std::move(job), reply);
    case ReplyKind::kFatal:
      return;
    default:  // rejected (4xx), unusable or too large: per-lead lookups for this location
      return fallBack(loc, std::move(job), reply.detail.c_str(), reply.status);
  }
}

void Engine::onProbe(Location& loc, const SearchPage& page) {
  loc.work.contacts = std::max<std::int64_t>(0, page.total);
  lookups_.saveTotal(loc.client_id, loc.target.location_id, *loc.work.contacts, isoUtc(clock_.wallNow()));
  choose(loc, chooseStrategy(loc.work, opts_.search_batch).strategy, "cheapest");
}

// One page of an OR group's answer: the next page is asked while GHL's total says contacts are
// unread; then each member lead gets the contacts of its own email, as a per-lead search would.
void Engine::onBatchAnswer(Location& loc, Job job, const SearchPage& page, std::string body) {
  job.page_bytes += body.size();
  if (job.page_bytes > static_cast<size_t>(opts_.max_body_bytes))
    return fallBack(loc, std::move(job), "body_too_large", job.last_status);
  lookups_.addBatchPage(loc.client_id, job.batch_key,
                        ScanPage{job.batch_seq, job.cursor, page.next_cursor, page.total, std::move(body)},
                        isoUtc(clock_.wallNow()), run_);
  ++job.batch_seq;
  job.seen += static_cast<std::int64_t>(page.contacts.size());
  if (page.total > job.seen && !page.contacts.empty()) {
    if (job.batch_seq >= static_cast<std::int64_t>(kMaxSearchPages) || page.next_cursor.empty())
      return fallBack(loc, std::move(job), "too_many_pages", job.last_status);
    job.cursor = page.next_cursor;
    job.tries = 0;
    job.not_before = clock_.now();
    loc.pending.pushFront(std::move(job));
    return;
  }
  finishBatch(loc, std::move(job));
}

// An OR group's whole answer is stored: each member lead gets, from the stored pages, the
// contacts of its own email, as a per-lead search would; the pages are then marked complete.
void Engine::finishBatch(Location& loc, Job job) {
  std::vector<std::string> bodies;
  for (auto& p : lookups_.pendingBatch(loc.client_id, job.batch_key)) bodies.push_back(std::move(p.body));
  for (auto& m : cutBatchAnswer(job, bodies)) finishSearch(loc, std::move(m));
  lookups_.finishBatch(loc.client_id, job.batch_key);
}

void Engine::onScanPage(Location& loc, Job job, const SearchPage& page, std::string body) {
  ScanState& scan = *loc.scan;
  std::int64_t n = 0;
  if (!scan.index.addBody(body, &n))
    return fallBack(loc, std::move(job), "unexpected_shape", job.last_status);
  if (scan.total < 0) scan.total = page.total;
  ScanPage stored{scan.seq, job.cursor, page.next_cursor, page.total, std::move(body)};
  lookups_.addPage(loc.client_id, stored, isoUtc(clock_.wallNow()), run_);
  ++scan.seq;
  scan.seen += n;
  scan.cursor = page.next_cursor;
  if (page.contacts.empty() || scan.seen >= page.total) return finishScan(loc);
  if (page.next_cursor.empty()) return fallBack(loc, std::move(job), "no_search_after", job.last_status);
  if (scan.seq > scan.total / kScanPageLimit + kScanSlackPages)
    return fallBack(loc, std::move(job), "too_many_pages", job.last_status);
  job.cursor = scan.cursor;
  job.tries = 0;
  job.not_before = clock_.now();
  loc.pending.pushFront(std::move(job));  // one deep cursor per location at a time
}

// Every contact of the location is read: each lead gets what a per-lead lookup would have got.
// A lead by id whose contact the scan did not show, or showed without a field the lead misses,
// gets its GET (the scan's contact may be of another form, or gone).
void Engine::finishScan(Location& loc) {
  std::unique_ptr<ScanState> scan = std::move(loc.scan);
  loc.scan_done = true;
  std::int64_t gets = 0;
  for (auto& job : scan->leads) {
    job.attempts = std::max(job.attempts, 1);
    job.last_status = 200;
    if (job.plan.kind == Lookup::kSearch) {
      job.search_body = scan->index.searchBodyFor(job.plan.key);
      finishSearch(loc, std::move(job));
      continue;
    }
    const RawContact* c = scan->index.byId(job.plan.key);
    if (c && !untrustedReason(c->contact, job.lead.location_id, job.plan.key) &&
        !lacksFieldLeadMisses(c->contact, job.lead)) {
      record(job, FetchOutcome::kFound, "", contactBodyOf(c->json));
      continue;
    }
    ++gets;
    job.attempts = 0;
    job.last_status = 0;
    loc.pending.push(std::move(job), clock_.now());
  }
  store_.flush(clock_.now());
  lookups_.finishScan(loc.client_id, isoUtc(clock_.wallNow()));
  log_.info("scan_done", {{"client_id", loc.client_id},
                          {"pages", scan->seq},
                          {"contacts", scan->seen},
                          {"leads", static_cast<std::int64_t>(scan->leads.size())},
                          {"follow_up_gets", gets}});
}

// A batch or scan the server would not serve: LOC goes on per lead, said once in the log.
void Engine::fallBack(Location& loc, Job job, const char* reason, int status) {
  if (job.task == Task::kProbe) {
    loc.work.contacts.reset();
    return choose(loc, chooseStrategy(loc.work, opts_.search_batch).strategy, "probe_failed");
  }
  ++counts_.fallbacks;
  log_.warn("strategy_fallback", {{"client_id", loc.client_id},
                                  {"strategy", std::string(toString(loc.strategy))},
                                  {"reason", std::string(reason)},
                                  {"http_status", static_cast<std::int64_t>(status)}});
  const std::string why =
      std::string(loc.strategy == FetchStrategy::kScan ? "scan" : "batch") + "_rejected_" + reason;
  choose(loc, FetchStrategy::kPerLead, why.c_str());
  std::vector<Job> leads;
  if (job.task == Task::kBatch) leads = std::move(job.members);
  if (job.task == Task::kScanPage && loc.scan) {
    leads = std::move(loc.scan->leads);
    loc.scan.reset();
    loc.scan_done = true;
  }
  for (auto& lead : leads) {
    lead.tries = 0;
    lead.attempts = job.attempts;
    lead.not_before = clock_.now();
    loc.pending.push(std::move(lead), clock_.now());
  }
}

// Records OUTCOME for every lead JOB stands for (a probe stands for none).
void Engine::recordTask(Location& loc, Job& job, FetchOutcome outcome, const std::string& detail) {
  switch (job.task) {
    case Task::kLead:
      return record(job, outcome, detail);
    case Task::kProbe:
      loc.probing_total = false;
      return;
    case Task::kBatch:
      for (auto& m : job.members) {
        m.attempts = job.attempts;
        m.last_status = job.last_status;
        record(m, outcome, detail);
      }
      return;
    case Task::kScanPage:
      if (!loc.scan) return;
      for (auto& lead : loc.scan->leads) {
        lead.attempts = std::max(lead.attempts, 1);
        lead.last_status = job.last_status;
        record(lead, outcome, detail);
      }
      loc.scan.reset();
      loc.scan_done = true;
      return;
  }
}

// Stops LOC for the rest of the run: its waiting and unread leads are recorded with OUTCOME
// (leads needing no call keep their own outcome); in-flight ones are recorded as they return.
void Engine::stopLocation(Location& loc, FetchOutcome outcome, const char* reason, int status,
                          const char* detail) {
  if (loc.stopped) return;
  loc.stopped = outcome;
  log_.warn("location_stopped", {{"client_id", loc.client_id},
                                 {"reason", std::string(reason)},
                                 {"http_status", static_cast<std::int64_t>(status)}});
  if (outcome == FetchOutcome::kDailyLimit)
    log_.warn("location_paused", {{"client_id", loc.client_id},
                                  {"daily_remaining", sched_.daily(loc.index).left.value_or(0)},
                                  {"daily_reserve", opts_.daily_reserve},
                                  {"resumes_at", sched_.daily(loc.index).reset_at.value_or(
                                                     isoUtc(nextUtcMidnight(clock_.wallNow())))}});
  for (auto& job : loc.pending.drain()) recordTask(loc, job, outcome, detail);
  if (loc.scan) {
    for (auto& job : loc.scan->leads) record(job, outcome, detail);
    loc.scan.reset();
    loc.scan_done = true;
  }
  while (loc.source.peek()) {
    Job job = leadTask(loc.source.pop());
    if (needsCall(job))
      record(job, outcome, detail);
    else
      record(job, noCallOutcome(job), "");
  }
}

void Engine::record(Job& job, FetchOutcome outcome, std::string detail, std::string contact_body) {
  FetchResultRow r;
  r.lead_id = job.lead.id;
  r.lookup = job.plan.kind;
  r.key = job.plan.key;
  r.outcome = outcome;
  r.http_status = job.last_status;
  r.detail = std::move(detail);
  // A search answered but not used (bad, stopped) keeps its first page for diagnosis.
  r.search_body = !job.search_body.empty() || job.pages.empty() ? std::move(job.search_body)
                                                                : std::move(job.pages.front());
  r.contact_body = std::move(contact_body);
  r.attempts = job.attempts;
  r.fetched_at = isoUtc(clock_.wallNow());
  ++counts_.outcomes[outcome];
  store_.add(std::move(r), clock_.now());
}

// When LOC could send next: nullopt when it has nothing left to send.
// When LOC's earliest task is due (the scheduler adds its limiter and pauses): nullopt when it
// has nothing left to send. O(1) but for a page read of its work list now and then.
std::optional<SteadyTime> Engine::dueOf(Location& loc) {
  if (loc.stopped) return std::nullopt;
  std::optional<SteadyTime> due = loc.pending.due();
  if (!loc.probing_total && loc.source.peek()) due = SteadyTime::min();
  return due;
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
    const RateLimiter& limiter = sched_.limiter(loc.index);
    if (loc.stopped == FetchOutcome::kDailyLimit || (!loc.stopped && limiter.pausedUntil() > now)) ++g.paused;
    if (!loc.stopped && dueOf(loc) && !sched_.awaitingProbe(loc.index))
      g.ceiling_per_s += limiter.cap() / std::chrono::duration<double>(limiter.window()).count();
  }
  status_->update(now, counts_, g);
}

// ---------------------------------------------------------------------------------------------
// The stage around the engine.

std::string optionsJson(const FetchOptions& o) {
  return jsonObject({{"base_url", o.base_url},
                     {"client_ids", joinIds(o.common.client_ids)},
                     {"burst_per_10s", o.burst_per_10s},
                     {"headroom", o.headroom},
                     {"daily_reserve", static_cast<std::int64_t>(o.daily_reserve)},
                     {"per_location_rps", o.per_location_rps},
                     {"concurrency", o.concurrency},
                     {"max_retries", o.max_retries},
                     {"timeout_ms", o.timeout_ms},
                     {"refetch", o.refetch ? 1 : 0},
                     {"max_requests", static_cast<std::int64_t>(o.max_requests)},
                     {"max_body_bytes", static_cast<std::int64_t>(o.max_body_bytes)},
                     {"search_page_limit", o.search_page_limit},
                     {"strategy", std::string(toString(o.strategy))},
                     {"search_batch", o.search_batch}});
}

// Tokens of the clients in WORK, read from the application database (memory only).
// The work DB must belong to that database (bindAppDatabase).
std::map<std::string, Credential> readCredentials(WorkDb& work_db, const FetchOptions& opts,
                                                  const WorkList& work, const Log& log) {
  std::map<std::string, Credential> creds;
  const auto has_work = [&work](const std::string& id) {
    const auto it = work.clients.find(id);
    return it != work.clients.end() && it->second.leads > 0;
  };
  if (std::none_of(work.clients.begin(), work.clients.end(),
                   [](const auto& c) { return c.second.leads > 0; }))
    return creds;  // nothing to fetch: no need for the application database
  AppDb app(resolveDatabaseUrl(opts.database_url), &log);
  app.checkAccess(/*write=*/false);
  bindAppDatabase(work_db, appDatabaseIdentity(app), /*record=*/false);
  for (auto& row : app.clients(opts.common.client_ids, /*with_tokens=*/true))
    if (row.participates && has_work(row.id))
      creds[row.id] = Credential{row.location_id, std::move(row.token)};
  return creds;
}

// Fetches and finishes the stage_run row; a run fetchFailure() names is finished "failed" (what
// was fetched is kept) and its message returned in FAILURE.
ExitCode fetchAndFinish(WorkDb& work, const FetchOptions& opts, const WorkList& work_list,
                        const std::map<std::string, Credential>& creds, const Log& log, std::int64_t run,
                        const Clock& clock, std::optional<std::string>& failure) {
  // Signals are handled by stop_signal (installed by runStageMain): a stop drains what is in
  // flight, flushes, records 'interrupted', and the stage exits 130 or 143.
  CurlTransport transport(opts.concurrency, std::string("ghl-backfill/") + GHLB_VERSION,
                          static_cast<std::size_t>(opts.max_body_bytes));
  FetchControl control;
  control.stop = &stopFlag();
  control.work_list = &work_list;
  const auto progress = makeProgress(opts.common, log, isatty(STDERR_FILENO) == 1);
  control.progress = progress.get();
  control.progress_interval = progress->interval();
  const FetchCounts counts = fetchLeads(work, creds, transport, clock, opts, log, run, control);
  failure = fetchFailure(counts);
  if (failure) {
    work.finishRun(run, "failed", fetchCountsJson(counts));
    return ExitCode::kFatal;
  }
  const ExitCode code = fetchExitCode(counts);
  work.finishRun(run,
                 counts.interrupted        ? "interrupted"
                 : code == ExitCode::kDone ? "done"
                                           : "retryable",
                 fetchCountsJson(counts));
  if (counts.interrupted) throw StopRequested();
  return code;
}

void checkRange(bool ok, const std::string& flag, const std::string& value, const char* range) {
  if (!ok) throw usageError(flag + " " + value + ": must be " + range);
}

}  // namespace

std::int64_t FetchCounts::stored() const {
  std::int64_t n = 0;
  for (const auto& [o, c] : outcomes) n += c;
  return n;
}

std::int64_t FetchCounts::retryable() const {
  std::int64_t n = 0;
  for (const auto& [o, c] : outcomes)
    if (isRetryable(o)) n += c;
  return n;
}

void validateFetchOptions(const FetchOptions& o) {
  checkRange(o.concurrency >= 1 && o.concurrency <= 256, "--concurrency", std::to_string(o.concurrency),
             "from 1 to 256");
  checkRange(o.burst_per_10s >= 1 && o.burst_per_10s <= 100, "--per-location-burst-per-10s",
             std::to_string(o.burst_per_10s), "from 1 to 100 (GHL allows 100 per 10 s per location)");
  checkRange(o.headroom >= 0 && o.headroom <= 99, "--headroom", std::to_string(o.headroom),
             "from 0 to 99 (slots of GHL's 100 per window left to the application)");
  checkRange(o.daily_reserve >= 0 && o.daily_reserve <= 1000000000, "--daily-reserve",
             std::to_string(o.daily_reserve),
             "from 0 to 1000000000 (requests of each location's day kept unspent)");
  checkRange(o.per_location_rps >= 0 && o.per_location_rps <= 10, "--per-location-rps",
             std::to_string(o.per_location_rps), "from 0 (off) to 10 (GHL's 100 per 10 s)");
  checkRange(o.max_retries >= 0 && o.max_retries <= 20, "--max-retries", std::to_string(o.max_retries),
             "from 0 to 20");
  checkRange(o.timeout_ms >= 100 && o.timeout_ms <= 600000, "--timeout-ms", std::to_string(o.timeout_ms),
             "from 100 to 600000");
  checkRange(o.max_requests >= 0, "--max-requests", std::to_string(o.max_requests), "0 (no cap) or more");
  checkRange(o.max_body_bytes >= kMinBodyBytes && o.max_body_bytes <= kMaxBodyBytes, "--max-body-bytes",
             std::to_string(o.max_body_bytes), "from 65536 (64 KiB) to 67108864 (64 MiB)");
  if (o.concurrency * o.max_body_bytes > kMaxBodyMemory)
    throw usageError("--concurrency " + std::to_string(o.concurrency) + " x --max-body-bytes " +
                     std::to_string(o.max_body_bytes) +
                     " may hold more than 512 MiB of answers at once: lower either flag");
  checkRange(o.search_batch >= 1 && o.search_batch <= 500, "--search-batch", std::to_string(o.search_batch),
             "from 1 to 500 (emails OR-ed in one search)");
  checkRange(o.search_page_limit >= 1 && o.search_page_limit <= 500, "search page limit",
             std::to_string(o.search_page_limit), "from 1 to 500 (GHL's maximum)");
}

FetchCounts fetchLeads(WorkDb& work, const std::map<std::string, Credential>& creds, Transport& transport,
                       const Clock& clock, const FetchOptions& opts, const Log& log, std::int64_t run_id,
                       const FetchControl& control) {
  return Engine(work, creds, transport, clock, opts, log, run_id, control).run();
}

std::optional<std::string> fetchFailure(const FetchCounts& c) {
  if (c.tls_failed)
    return std::string(
        "TLS verification failed for the GHL API: check --ghl-base-url / GHL_API_BASE, the server's "
        "certificate and the system CA certificates (verification is never turned off), then run fetch "
        "again");
  if (!c.unreachable_error.empty())
    return "cannot reach GHL (" + describeError(c.unreachable_error) +
           ") for every location: check --ghl-base-url / GHL_API_BASE and the network, then run fetch again";
  if (c.locations > 0 && c.auth_stopped == c.locations)
    return std::string(
        "no location could be authenticated: check \"Client\".\"ghlPrivateKey\" of each tenant (missing, "
        "revoked, or not visible ASCII), then run fetch again");
  return std::nullopt;
}

ExitCode fetchExitCode(const FetchCounts& c) {
  return c.retryable() > 0 || c.unfetched > 0 ? ExitCode::kRetryable : ExitCode::kDone;
}

std::string fetchCountsJson(const FetchCounts& c) {
  std::vector<std::pair<std::string, std::int64_t>> fields = {{"total", c.total},
                                                              {"requests", c.requests},
                                                              {"rate_limited", c.rate_limited},
                                                              {"unfetched", c.unfetched}};
  for (const FetchOutcome o : kAllOutcomes) {
    const auto it = c.outcomes.find(o);
    fields.emplace_back(std::string(toString(o)), it == c.outcomes.end() ? 0 : it->second);
  }
  fields.emplace_back("fallbacks", c.fallbacks);
  fields.emplace_back("interrupted", c.interrupted ? 1 : 0);
  fields.emplace_back("capped", c.capped ? 1 : 0);
  fields.emplace_back("unreachable", c.unreachable_error.empty() ? 0 : 1);
  fields.emplace_back("tls_failed", c.tls_failed ? 1 : 0);
  return jsonObject(fields);
}

FetchEstimate estimateFetch(WorkDb& work, const FetchOptions& opts, const Clock& clock) {
  constexpr std::int64_t kGhlDaily = 200000;
  constexpr double kGhlMax = 100;
  FetchEstimate est;
  QuotaStore quota(work.db());
  const std::string today = utcDay(clock.wallNow());
  double per_second = std::min<double>(opts.burst_per_10s, kGhlMax - opts.headroom) / 10.0;
  if (opts.per_location_rps > 0) per_second = std::min(per_second, opts.per_location_rps);
  per_second = std::max(per_second, 0.1);
  const std::int64_t per_day = std::max<std::int64_t>(1, kGhlDaily - opts.daily_reserve);
  LookupStore lookups(work.db());
  for (const auto& [client, cw] : readWorkList(work, workRule(opts, clock.wallNow()), opts.common.client_ids,
                                               /*with_location_work=*/true)) {
    if (cw.leads == 0) continue;
    LocationEstimate e;
    e.client_id = client;
    e.leads = cw.leads;
    LocationWork w = cw.work;
    if (const auto known = lookups.location(client)) w.contacts = known->contacts_total;
    StrategyChoice choice{opts.strategy, 0};
    if (opts.strategy == FetchStrategy::kAuto) {
      e.probe = !w.contacts && probeWorthIt(w, opts.search_batch);
      choice = chooseStrategy(w, opts.search_batch);
    } else {
      // A forced scan of a location whose size is unknown: per-lead's count bounds it.
      choice.requests = expectedRequests(opts.strategy, w, opts.search_batch)
                            .value_or(*expectedRequests(FetchStrategy::kPerLead, w, opts.search_batch));
    }
    e.strategy = choice.strategy;
    e.requests = choice.requests + (e.probe ? 1 : 0);
    e.requests_max = e.requests + w.searches;
    e.seconds = static_cast<double>(e.requests) / per_second;
    const auto stored = quota.daily(client, today);
    const std::int64_t today_left =
        std::max<std::int64_t>(0, (stored ? stored->remaining : kGhlDaily) - opts.daily_reserve);
    if (e.requests > 0)
      e.days = e.requests <= today_left ? 1 : 1 + (e.requests - today_left + per_day - 1) / per_day;
    est.requests += e.requests;
    est.requests_max += e.requests_max;
    est.leads += e.leads;
    est.seconds = std::max(est.seconds, e.seconds);
    est.days = std::max(est.days, e.days);
    est.locations.push_back(std::move(e));
  }
  return est;
}

void printFetchEstimate(const FetchOptions& in, const Log& log, std::ostream& out) {
  validateFetchOptions(in);
  WorkDb work(in.common.work_db, WorkDb::Mode::kExisting);
  checkKnownClients(work.db(), in.common.client_ids);
  SystemClock clock;
  const FetchEstimate est = estimateFetch(work, in, clock);
  const auto row = [&out](const std::string& name, std::int64_t leads, std::int64_t req, std::int64_t req_max,
                          double secs, std::int64_t days, const std::string& strategy) {
    char buf[240];
    std::snprintf(buf, sizeof buf, "%-28s %10lld %10lld %12lld %10.0f %6lld  %s\n", name.c_str(),
                  static_cast<long long>(leads), static_cast<long long>(req), static_cast<long long>(req_max),
                  secs, static_cast<long long>(days), strategy.c_str());
    out << buf;
  };
  out << "Fetch estimate (no GHL call made): requests the remaining work needs, at the configured rate\n";
  char head[200];
  std::snprintf(head, sizeof head, "%-28s %10s %10s %12s %10s %6s  %s\n", "client", "leads", "requests",
                "requests_max", "seconds", "days", "strategy");
  out << head;
  for (const auto& e : est.locations)
    row(e.client_id, e.leads, e.requests, e.requests_max, e.seconds, e.days,
        std::string(toString(e.strategy)) + (e.probe ? " (probe decides)" : ""));
  row("TOTAL", est.leads, est.requests, est.requests_max, est.seconds, est.days, "");
  out << "requests: those of the strategy (per-lead: one per lead needing a call; batched: one per OR group "
         "of --search-batch emails plus one per GET; scan: one per 500 contacts of the location, known from "
         "an earlier probe); requests_max adds the GET that may follow each email search.\n";
  out.flush();
  log.info("fetch_estimate", {{"locations", static_cast<std::int64_t>(est.locations.size())},
                              {"leads", est.leads},
                              {"requests", est.requests},
                              {"requests_max", est.requests_max},
                              {"seconds", static_cast<std::int64_t>(est.seconds + 0.5)},
                              {"days", est.days}});
}

ExitCode runFetch(const FetchOptions& in, const Log& log) {
  validateFetchOptions(in);
  if (in.estimate) {
    printFetchEstimate(in, log, std::cout);
    return ExitCode::kDone;
  }
  FetchOptions opts = in;
  opts.base_url = validateBaseUrl(in.base_url);
  WorkDb work(opts.common.work_db, WorkDb::Mode::kExisting);
  if (work.lastExtractUnfinished())
    log.warn(
        "the last extract did not finish, so the snapshot is partial: run 'ghl-backfill extract' again to "
        "complete it");
  checkKnownClients(work.db(), opts.common.client_ids);
  // Bad input and an unreachable application database stop the stage before it writes anything.
  SystemClock clock;
  WorkList work_list;
  work_list.rule = workRule(opts, clock.wallNow());
  work_list.clients = readWorkList(work, work_list.rule, opts.common.client_ids,
                                   /*with_location_work=*/opts.strategy == FetchStrategy::kAuto);
  const auto creds = readCredentials(work, opts, work_list, log);
  const std::int64_t run = work.beginRun("fetch", optionsJson(opts));
  std::optional<std::string> failure;
  ExitCode code = ExitCode::kDone;
  try {
    code = fetchAndFinish(work, opts, work_list, creds, log, run, clock, failure);
  } catch (const SQLite::Exception& e) {
    try {
      work.finishRun(run, "failed", "{}");
    } catch (...) {
    }
    throw FatalError("work DB " + opts.common.work_db + ": " + e.what() +
                     ": check free disk space and permissions, then run fetch again");
  } catch (const StopRequested&) {
    throw;  // recorded as 'interrupted' already
  } catch (...) {
    try {
      work.finishRun(run, "failed", "{}");
    } catch (...) {
    }
    throw;
  }
  if (failure) throw FatalError(*failure);
  return code;
}

}  // namespace ghlb
