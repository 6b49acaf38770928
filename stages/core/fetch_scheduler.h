// The scheduler of fetch (issue 8 "Shape", issue 9), as ninja's Plan is to its builder: what may
// be sent next, and when. Per location it owns the RateLimiter, GHL's daily quota as last said
// (less our sends since), the in-flight count and reachability (kUnreachableAfter transport
// failures in a row pause a location, then one probe request decides). It knows nothing of leads
// or lookup tasks: the work side says, per location, when its earliest task is due (setWork), and
// the scheduler says which location may send now, round-robin among the ready ones.
//
// Cost: locations whose send time has come wait in a FIFO (the round-robin); the others in a set
// ordered by (ready time, location). Finding the next location, the time to sleep and whether any
// work is left is O(log n) in the number of locations, never a scan of every location's jobs.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "clock.h"
#include "log.h"
#include "rate_limiter.h"
#include "transport.h"

namespace ghlb {

struct SchedulerConfig {
  RateLimiterConfig limiter;        // seed: the first location's; each next one gets seed + 1
  std::int64_t daily_reserve = 0;   // daily requests per location never spent
  int unreachable_after = 5;        // transport failures in a row that pause a location ...
  Millis unreachable_pause{30000};  // ... this long, then one probe request
  Millis long_pause{60000};         // a limiter pause longer than this is logged once
};

// GHL's daily quota of one location, as known (saved to the work DB by the caller).
struct DailyState {
  std::optional<std::int64_t> left;     // X-RateLimit-Daily-Remaining less our sends since; nullopt: unknown
  std::optional<std::string> reset_at;  // ISO UTC, when GHL said (X-RateLimit-Daily-Reset)
  bool dirty = false;                   // not yet saved
};

class FetchScheduler {
 public:
  FetchScheduler(SchedulerConfig config, const Clock& clock, const Log& log);

  // Adds a location (CLIENT_ID names it in log lines); returns its index, 0, 1, ...
  std::size_t add(std::string client_id, DailyState daily = {});
  std::size_t size() const { return slots_.size(); }

  // The work side's word on location I: its earliest task may be sent at DUE; nullopt: nothing to send.
  void setWork(std::size_t i, std::optional<SteadyTime> due);

  // The next location that may send at NOW, round-robin among the ready ones, or nullopt. The
  // location leaves the queue: the caller sends (onSend) or not, then calls setWork (or defer).
  std::optional<std::size_t> next(SteadyTime now);

  // Location I had nothing to send after all at NOW: looked at again from NOW + 1 ms at the earliest.
  void defer(std::size_t i, std::optional<SteadyTime> due, SteadyTime now);

  // When the next location can send: NOW when one is ready, nullopt when no location has work.
  std::optional<SteadyTime> nextReady(SteadyTime now) const;
  bool hasWork() const { return !queued_.empty() || !waiting_.empty(); }

  // A request of location I is sent at NOW (the limiter said it may).
  void onSend(std::size_t i, SteadyTime now);

  // The answer to one of location I's requests (status 0: no answer), received at NOW: limiter,
  // daily quota and reachability learn from it.
  void onAnswer(std::size_t i, const HttpResponse& resp, SteadyTime now);

  // True once a send of location I would spend from the daily reserve.
  bool reserveReached(std::size_t i) const;
  // GHL said location I's day is spent (never retried today, not even by a restart).
  void dailySpent(std::size_t i);

  // True when location I may not send at all now: paused as unreachable, or its probe in flight.
  bool blocked(std::size_t i, SteadyTime now) const;
  // True while the one request of an unreachable location I is in flight.
  bool awaitingProbe(std::size_t i) const { return slots_[i].unreachable && slots_[i].probing; }

  const RateLimiter& limiter(std::size_t i) const { return slots_[i].limiter; }
  int inFlight(std::size_t i) const { return slots_[i].in_flight; }
  bool unreachable(std::size_t i) const { return slots_[i].unreachable; }
  const std::string& lastError(std::size_t i) const { return slots_[i].last_error; }
  std::size_t unreachableCount() const { return unreachable_count_; }
  DailyState& daily(std::size_t i) { return slots_[i].daily; }

 private:
  enum class Where : std::uint8_t { kIdle, kWaiting, kQueued };
  struct Slot {
    std::string client_id;
    RateLimiter limiter;
    DailyState daily;
    int in_flight = 0;
    int transport_failures = 0;
    bool unreachable = false;
    bool probing = false;  // the one request of an unreachable location is in flight
    SteadyTime paused_until{};
    std::string last_error{};
    SteadyTime pause_logged{};
    std::optional<SteadyTime> due{};
    Where where = Where::kIdle;
    SteadyTime key{};  // in waiting_
  };

  std::optional<SteadyTime> readyAt(const Slot& s) const;
  void place(std::size_t i, std::optional<SteadyTime> floor = std::nullopt);
  void noteReachability(std::size_t i, const HttpResponse& resp, SteadyTime now);
  void noteLongPause(std::size_t i, SteadyTime now);
  void noteDaily(std::size_t i, const HttpResponse& resp);

  SchedulerConfig config_;
  const Clock& clock_;
  const Log& log_;
  std::vector<Slot> slots_;
  std::set<std::pair<SteadyTime, std::size_t>> waiting_;
  std::deque<std::size_t> queued_;
  std::size_t unreachable_count_ = 0;
};

}  // namespace ghlb
