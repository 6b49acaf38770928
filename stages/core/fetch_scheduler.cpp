#include "fetch_scheduler.h"

#include <algorithm>

#include "names.h"

namespace ghlb {

FetchScheduler::FetchScheduler(SchedulerConfig config, const Clock& clock, const Log& log)
    : config_(config), clock_(clock), log_(log) {}

std::size_t FetchScheduler::add(std::string client_id, DailyState daily) {
  RateLimiterConfig cfg = config_.limiter;
  cfg.seed = config_.limiter.seed + slots_.size();
  slots_.push_back(
      Slot{.client_id = std::move(client_id), .limiter = RateLimiter(cfg), .daily = std::move(daily)});
  return slots_.size() - 1;
}

// When S could send next: nullopt when it has nothing to send, or its one probe is in flight.
std::optional<SteadyTime> FetchScheduler::readyAt(const Slot& s) const {
  if (!s.due || (s.unreachable && s.probing)) return std::nullopt;
  const SteadyTime paused = s.unreachable ? s.paused_until : SteadyTime::min();
  return std::max({*s.due, s.limiter.nextSendTime(), paused});
}

// Puts location I where its ready time says (not before FLOOR); a location in the round-robin
// queue stays there and is judged again when its turn comes.
void FetchScheduler::place(std::size_t i, std::optional<SteadyTime> floor) {
  Slot& s = slots_[i];
  if (s.where == Where::kQueued) return;
  if (s.where == Where::kWaiting) waiting_.erase({s.key, i});
  s.where = Where::kIdle;
  auto t = readyAt(s);
  if (!t) return;
  if (floor) t = std::max(*t, *floor);
  s.key = *t;
  s.where = Where::kWaiting;
  waiting_.emplace(s.key, i);
}

void FetchScheduler::setWork(std::size_t i, std::optional<SteadyTime> due) {
  slots_[i].due = due;
  place(i);
}

void FetchScheduler::defer(std::size_t i, std::optional<SteadyTime> due, SteadyTime now) {
  slots_[i].due = due;
  place(i, now + Millis(1));
}

std::optional<std::size_t> FetchScheduler::next(SteadyTime now) {
  // Locations whose time has come join the round-robin behind those already waiting their turn.
  while (!waiting_.empty() && waiting_.begin()->first <= now) {
    const std::size_t i = waiting_.begin()->second;
    waiting_.erase(waiting_.begin());
    slots_[i].where = Where::kQueued;
    queued_.push_back(i);
  }
  while (!queued_.empty()) {
    const std::size_t i = queued_.front();
    queued_.pop_front();
    slots_[i].where = Where::kIdle;
    const auto t = readyAt(slots_[i]);
    if (t && *t <= now) return i;
    place(i);  // its state changed while it waited its turn
  }
  return std::nullopt;
}

std::optional<SteadyTime> FetchScheduler::nextReady(SteadyTime now) const {
  if (!queued_.empty()) return now;
  if (waiting_.empty()) return std::nullopt;
  return waiting_.begin()->first;
}

void FetchScheduler::onSend(std::size_t i, SteadyTime now) {
  Slot& s = slots_[i];
  s.limiter.trySend(now);  // cannot fail: the location was ready
  if (s.daily.left) {
    --*s.daily.left;
    s.daily.dirty = true;
  }
  s.probing = s.unreachable;
  ++s.in_flight;
}

void FetchScheduler::onAnswer(std::size_t i, const HttpResponse& resp, SteadyTime now) {
  Slot& s = slots_[i];
  --s.in_flight;
  s.limiter.onResponse(now, resp.status, resp.headers);
  noteLongPause(i, now);
  noteDaily(i, resp);
  noteReachability(i, resp, now);
  place(i);
}

bool FetchScheduler::reserveReached(std::size_t i) const {
  const auto& left = slots_[i].daily.left;
  return left && *left <= config_.daily_reserve;
}

void FetchScheduler::dailySpent(std::size_t i) {
  slots_[i].daily.left = 0;
  slots_[i].daily.dirty = true;
}

bool FetchScheduler::blocked(std::size_t i, SteadyTime now) const {
  const Slot& s = slots_[i];
  return s.unreachable && (s.probing || now < s.paused_until);
}

// Counts transport failures (no answer at all) in a row; config_.unreachable_after of them pause
// the location (one warning line), and any answer, a probe's included, resumes it.
void FetchScheduler::noteReachability(std::size_t i, const HttpResponse& resp, SteadyTime now) {
  Slot& s = slots_[i];
  s.probing = false;
  if (resp.status != 0 || resp.error == "too_large") {  // the server answered
    if (s.unreachable) {
      log_.info("location_reachable", {{"client_id", s.client_id}});
      --unreachable_count_;
    }
    s.transport_failures = 0;
    s.unreachable = false;
    return;
  }
  s.last_error = resp.error.empty() ? "other" : resp.error;
  if (++s.transport_failures < config_.unreachable_after) return;
  s.paused_until = now + config_.unreachable_pause;
  if (!s.unreachable) {
    log_.warn("location_unreachable",
              {{"client_id", s.client_id},
               {"error", s.last_error},
               {"resumes_in_s", static_cast<std::int64_t>(config_.unreachable_pause.count() / 1000)}});
    ++unreachable_count_;
  }
  s.unreachable = true;
}

// A pause longer than config_.long_pause (e.g. Retry-After: 86400) is logged once, with when it ends.
void FetchScheduler::noteLongPause(std::size_t i, SteadyTime now) {
  Slot& s = slots_[i];
  const SteadyTime until = s.limiter.pausedUntil();
  if (until - now <= config_.long_pause || until == s.pause_logged) return;
  s.pause_logged = until;
  const auto wait = std::chrono::duration_cast<std::chrono::system_clock::duration>(until - now);
  log_.warn(
      "location_paused",
      {{"client_id", s.client_id},
       {"pause_s", static_cast<std::int64_t>(std::chrono::ceil<std::chrono::seconds>(until - now).count())},
       {"resumes_at", isoUtc(clock_.wallNow() + wait)}});
}

// Learns GHL's daily remaining (and reset, when said) from an answer.
void FetchScheduler::noteDaily(std::size_t i, const HttpResponse& resp) {
  if (resp.status == 0) return;
  Slot& s = slots_[i];
  const auto header = [&](const char* name) -> std::optional<std::int64_t> {
    const std::string* v = findHeader(resp.headers, name);
    if (!v || v->empty() || v->size() > 12) return std::nullopt;
    std::int64_t n = 0;
    for (const char c : *v) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + (c - '0');
    }
    return n;
  };
  // Any of our requests still in flight may have been counted after this one (a concurrent
  // server admits them in any order): GHL's count less all of them is a floor of what is left.
  // Within a day the count only falls, so the lowest floor seen is kept.
  if (const auto left = header(names::kHdrDailyRemaining)) {
    const std::int64_t floor = *left - s.in_flight;
    s.daily.left = std::min(s.daily.left.value_or(floor), floor);
    s.daily.dirty = true;
  }
  if (const auto reset = header(names::kHdrDailyReset); reset && *reset <= 2 * 86400) {
    s.daily.reset_at = isoUtc(clock_.wallNow() + std::chrono::seconds(*reset));
    s.daily.dirty = true;
  }
}

}  // namespace ghlb
