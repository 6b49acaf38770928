// FetchScheduler: which location sends next (round-robin among the ready ones, the earliest due
// otherwise), on a fake clock; and the heap stays right as locations' work and limiters change.
#include "fetch_scheduler.h"

#include <doctest/doctest.h>

#include <sstream>
#include <vector>

#include "fetch_fakes.h"

using namespace std::chrono_literals;
using ghlb::FetchScheduler;
using ghlb::HttpResponse;
using ghlb::SchedulerConfig;
using ghlb::SteadyTime;
using ghlb::fetch_test::FakeClock;

namespace {

struct Fixture {
  FakeClock clock;
  std::ostringstream log_out;
  ghlb::Log log{"fetch", ghlb::LogFormat::kText, false, &log_out};
  FetchScheduler sched{config(), clock, log};

  static SchedulerConfig config() {
    SchedulerConfig c;
    c.limiter.burst = 90;
    c.limiter.headroom = 0;
    return c;
  }

  HttpResponse ok() const {
    HttpResponse r;
    r.status = 200;
    r.headers = {{"x-ratelimit-remaining", "100"}, {"x-ratelimit-max", "100"}};
    return r;
  }

  // Sends one request of location I now and answers it at once (the limiter leaves its probe).
  void sendAndAnswer(std::size_t i) {
    sched.onSend(i, clock.now());
    sched.onAnswer(i, ok(), clock.now());
  }

  // The locations handed out at the current time, each sent and kept ready, until none is.
  std::vector<std::size_t> turns(int n) {
    std::vector<std::size_t> out;
    for (int k = 0; k < n; ++k) {
      const auto i = sched.next(clock.now());
      if (!i) break;
      out.push_back(*i);
      sendAndAnswer(*i);
      sched.setWork(*i, SteadyTime::min());
    }
    return out;
  }
};

}  // namespace

TEST_CASE("scheduler: nothing is handed out before its due time; the earliest due goes first") {
  Fixture f;
  const SteadyTime t0 = f.clock.now();
  for (int k = 0; k < 3; ++k) f.sched.add("c" + std::to_string(k));
  f.sched.setWork(0, t0 + 300ms);
  f.sched.setWork(1, t0 + 100ms);
  CHECK(f.sched.hasWork());
  CHECK_FALSE(f.sched.next(t0).has_value());
  REQUIRE(f.sched.nextReady(t0).has_value());
  CHECK(*f.sched.nextReady(t0) == t0 + 100ms);
  f.clock.advance(100ms);
  CHECK(f.sched.next(f.clock.now()) == std::optional<std::size_t>(1));
  f.sched.setWork(1, std::nullopt);
  CHECK(*f.sched.nextReady(f.clock.now()) == t0 + 300ms);
  // Work that comes earlier moves the location up.
  f.sched.setWork(2, t0 + 150ms);
  CHECK(*f.sched.nextReady(f.clock.now()) == t0 + 150ms);
  f.clock.advance(200ms);
  // Both due by now: the one due first goes first.
  CHECK(f.sched.next(f.clock.now()) == std::optional<std::size_t>(2));
  CHECK(f.sched.next(f.clock.now()) == std::optional<std::size_t>(0));
  CHECK_FALSE(f.sched.next(f.clock.now()).has_value());
  f.sched.setWork(0, std::nullopt);
  f.sched.setWork(2, std::nullopt);
  CHECK_FALSE(f.sched.hasWork());
  CHECK_FALSE(f.sched.nextReady(f.clock.now()).has_value());
}

TEST_CASE("scheduler: ready locations take turns, one request each (round-robin)") {
  Fixture f;
  for (int k = 0; k < 3; ++k) {
    f.sched.add("c" + std::to_string(k));
    f.sendAndAnswer(k);  // out of the limiter's first-request probe: many sends allowed now
    f.sched.setWork(k, SteadyTime::min());
  }
  CHECK(f.turns(7) == std::vector<std::size_t>{0, 1, 2, 0, 1, 2, 0});
  // A location whose work ends leaves the turn; the others go on alternating.
  f.sched.setWork(1, std::nullopt);
  const auto rest = f.turns(4);
  CHECK(rest == std::vector<std::size_t>{2, 0, 2, 0});
}

TEST_CASE("scheduler: a location waiting for its answer or paused by a 429 is skipped, not spun on") {
  Fixture f;
  f.sched.add("a");
  f.sched.add("b");
  f.sched.setWork(0, SteadyTime::min());
  f.sched.setWork(1, SteadyTime::min());
  // Both fresh: one request each until an answer is known.
  auto i = f.sched.next(f.clock.now());
  REQUIRE(i == std::optional<std::size_t>(0));
  f.sched.onSend(0, f.clock.now());
  f.sched.setWork(0, SteadyTime::min());
  i = f.sched.next(f.clock.now());
  REQUIRE(i == std::optional<std::size_t>(1));
  f.sched.onSend(1, f.clock.now());
  f.sched.setWork(1, SteadyTime::min());
  CHECK_FALSE(f.sched.next(f.clock.now()).has_value());
  CHECK(f.sched.hasWork());
  // a gets a 429 with Retry-After 2 s; b an answer: only b sends until a's pause ends.
  HttpResponse busy;
  busy.status = 429;
  busy.headers = {{"retry-after", "2"}};
  f.sched.onAnswer(0, busy, f.clock.now());
  f.sched.onAnswer(1, f.ok(), f.clock.now());
  CHECK(f.sched.next(f.clock.now()) == std::optional<std::size_t>(1));
  f.sched.setWork(1, std::nullopt);
  CHECK_FALSE(f.sched.next(f.clock.now()).has_value());
  const auto wake = f.sched.nextReady(f.clock.now());
  REQUIRE(wake.has_value());
  CHECK(*wake >= f.clock.now() + 2s);
  f.clock.advance(3s);
  CHECK(f.sched.next(f.clock.now()) == std::optional<std::size_t>(0));
}

TEST_CASE("scheduler: thousands of locations, each handed out once per round, in order") {
  Fixture f;
  constexpr std::size_t kN = 5000;
  for (std::size_t k = 0; k < kN; ++k) {
    f.sched.add("c" + std::to_string(k));
    f.sendAndAnswer(k);
    f.sched.setWork(k, SteadyTime::min());
  }
  std::vector<std::size_t> seen;
  for (std::size_t k = 0; k < 2 * kN; ++k) {
    const auto i = f.sched.next(f.clock.now());
    REQUIRE(i.has_value());
    seen.push_back(*i);
    f.sched.onSend(*i, f.clock.now());
    f.sched.onAnswer(*i, f.ok(), f.clock.now());
    // Half the locations run out of work after their first turn.
    f.sched.setWork(*i,
                    (k < kN && *i % 2 == 1) ? std::nullopt : std::optional<SteadyTime>(SteadyTime::min()));
  }
  for (std::size_t k = 0; k < kN; ++k) CHECK(seen[k] == k);
  // Second round: the even ones only, still in order, then the third round begins.
  for (std::size_t k = 0; k < kN / 2; ++k) CHECK(seen[kN + k] == 2 * k);
  CHECK(seen[kN + kN / 2] == 0);
}
