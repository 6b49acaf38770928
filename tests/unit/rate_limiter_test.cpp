// RateLimiter: the sliding burst window, steady spacing, and what GHL's headers and 429s do.
#include "rate_limiter.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <deque>
#include <map>
#include <random>
#include <vector>

using namespace std::chrono_literals;
using ghlb::Millis;
using ghlb::RateLimiter;
using ghlb::RateLimiterConfig;
using ghlb::SteadyTime;

namespace {

const SteadyTime kT0 = SteadyTime{} + std::chrono::hours(1);

RateLimiterConfig config(int burst, double rps = 0, std::uint64_t seed = 7) {
  RateLimiterConfig c;
  c.burst = burst;
  c.rps = rps;
  c.seed = seed;
  return c;
}

using Headers = std::map<std::string, std::string>;

// One answered request at T with plenty of room: the limiter leaves its first-request probe.
void warm(RateLimiter& lim, SteadyTime t) {
  REQUIRE(lim.trySend(t));
  lim.onResponse(t, 200, {{"x-ratelimit-remaining", "100"}});
  REQUIRE_FALSE(lim.probing());
}

}  // namespace

TEST_CASE("rate limiter: never more than burst requests in any 10 s window, whatever the latency") {
  // GHL counts a request when it arrives, somewhere between our send and its answer. For every
  // window (T - 10 s, T], count the requests that may have arrived in it: sent at or before T and
  // answered after T - 10 s (or never). That worst case must stay within the burst.
  RateLimiter lim(config(7));
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<int> latency_ms(0, 2500);
  struct Req {
    SteadyTime sent, answered;
  };
  std::vector<Req> reqs;
  std::multimap<SteadyTime, size_t> answers;  // pending answers by time
  for (SteadyTime t = kT0; t < kT0 + 300s; t += 37ms) {
    while (!answers.empty() && answers.begin()->first <= t) {
      lim.onResponse(answers.begin()->first, 200, {{"x-ratelimit-remaining", "50"}});
      answers.erase(answers.begin());
    }
    if (lim.trySend(t)) {
      reqs.push_back({t, t + Millis(latency_ms(rng))});
      answers.emplace(reqs.back().answered, reqs.size() - 1);
    }
  }
  REQUIRE(reqs.size() > 7);
  int worst = 0;
  for (const auto& r : reqs) {  // the count only grows at send times
    const auto t = r.sent;
    const int n = static_cast<int>(std::count_if(
        reqs.begin(), reqs.end(), [&](const Req& q) { return q.sent <= t && q.answered > t - 10s; }));
    worst = std::max(worst, n);
  }
  CHECK(worst <= 7);
  CHECK(worst == 7);  // and the window is used
  // Not needlessly slow: 7 per (10 s + latency) over 300 s is about 180 sends.
  CHECK(reqs.size() >= 150);
}

TEST_CASE("rate limiter: nextSendTime agrees with trySend; requests in flight hold their slot") {
  RateLimiter lim(config(2));
  warm(lim, kT0 - 20s);
  CHECK(lim.nextSendTime() <= kT0);
  CHECK(lim.trySend(kT0));
  CHECK(lim.trySend(kT0));
  CHECK(lim.inFlight() == 2);
  CHECK(lim.nextSendTime() == SteadyTime::max());  // only an answer frees a slot
  CHECK_FALSE(lim.trySend(kT0 + 60s));
  lim.onResponse(kT0 + 1s, 200, {});
  CHECK(lim.nextSendTime() == kT0 + 11s);  // the answered one may have arrived as late as 1 s
  lim.onResponse(kT0 + 2s, 200, {});
  CHECK(lim.nextSendTime() == kT0 + 11s);
  CHECK_FALSE(lim.trySend(kT0 + 11s - 1ms));
  CHECK(lim.trySend(kT0 + 11s));
  CHECK(lim.nextSendTime() == kT0 + 12s);
}

TEST_CASE("rate limiter: steady rps spacing") {
  RateLimiter lim(config(100, 2.0));
  warm(lim, kT0 - 20s);
  CHECK(lim.trySend(kT0));
  CHECK_FALSE(lim.trySend(kT0 + 499ms));
  CHECK(lim.trySend(kT0 + 500ms));
  CHECK(lim.nextSendTime() == kT0 + 1000ms);
}

TEST_CASE("rate limiter: 429 with Retry-After pauses for that long plus small jitter") {
  RateLimiter lim(config(90));
  REQUIRE(lim.trySend(kT0));
  lim.onResponse(kT0 + 100ms, 429, {{"retry-after", "3"}, {"x-ratelimit-interval-milliseconds", "10000"}});
  const auto next = lim.nextSendTime();
  CHECK(next >= kT0 + 3100ms);
  CHECK(next <= kT0 + 3100ms + lim.config().retry_after_jitter);
  CHECK_FALSE(lim.trySend(kT0 + 3s));
  CHECK(lim.trySend(next));
  CHECK_FALSE(lim.dailyExhausted());
}

TEST_CASE("rate limiter: 429 without Retry-After uses the interval header") {
  RateLimiter lim(config(90));
  lim.onResponse(kT0, 429, {{"x-ratelimit-interval-milliseconds", "4000"}});
  CHECK(lim.nextSendTime() >= kT0 + 4s);
  CHECK(lim.nextSendTime() <= kT0 + 4s + lim.config().retry_after_jitter);
}

TEST_CASE("rate limiter: 429 without hints backs off exponentially with full jitter, capped") {
  RateLimiter lim(config(90));
  SteadyTime t = kT0;
  for (int n = 1; n <= 12; ++n) {
    lim.onResponse(t, 429, {});
    const auto ceiling = std::min<Millis>(Millis(500LL << (n - 1)), Millis(30000));
    CHECK(lim.nextSendTime() >= t);
    CHECK(lim.nextSendTime() <= t + ceiling);
    t = std::max(t, lim.nextSendTime()) + 1ms;
  }
  // A success resets the sequence: the next 429 is back to the base ceiling.
  lim.onResponse(t, 200, {});
  lim.onResponse(t, 429, {});
  CHECK(lim.nextSendTime() <= t + 500ms);
}

TEST_CASE("rate limiter: jitter is deterministic for a seed") {
  RateLimiter a(config(90, 0, 42)), b(config(90, 0, 42));
  for (int i = 0; i < 5; ++i) {
    a.onResponse(kT0, 429, {});
    b.onResponse(kT0, 429, {});
    CHECK(a.nextSendTime() == b.nextSendTime());
  }
}

TEST_CASE("rate limiter: daily limit") {
  RateLimiter lim(config(90));
  lim.onResponse(kT0, 200, {{"x-ratelimit-daily-remaining", "0"}});
  CHECK_FALSE(lim.dailyExhausted());  // only a 429 says the quota is really spent
  lim.onResponse(kT0, 429, {{"x-ratelimit-daily-remaining", "5"}});
  CHECK_FALSE(lim.dailyExhausted());
  lim.onResponse(kT0, 429, {{"x-ratelimit-daily-remaining", "0"}});
  CHECK(lim.dailyExhausted());
}

TEST_CASE("rate limiter: a low X-RateLimit-Remaining holds sends until our oldest leaves the window") {
  RateLimiter lim(config(90));
  REQUIRE(lim.trySend(kT0));
  lim.onResponse(kT0 + 500ms, 200, {{"x-ratelimit-remaining", "40"}});
  CHECK(lim.nextSendTime() <= kT0 + 500ms);  // plenty left: no slowdown
  REQUIRE(lim.trySend(kT0 + 1s));
  REQUIRE(lim.trySend(kT0 + 2s));
  lim.onResponse(kT0 + 3s, 200, {{"x-ratelimit-remaining", "0"}});
  CHECK(lim.probing());
  CHECK(lim.nextSendTime() == SteadyTime::max());  // one still in flight: its answer is awaited
  lim.onResponse(kT0 + 3s, 200, {{"x-ratelimit-remaining", "0"}});
  CHECK(lim.nextSendTime() == kT0 + 10500ms);  // our oldest in the window was answered at 0.5 s
  CHECK_FALSE(lim.trySend(kT0 + 10s));
  CHECK(lim.trySend(kT0 + 10500ms));
}

TEST_CASE("rate limiter: X-RateLimit-Remaining is a budget for the sends that follow") {
  auto cfg = config(90);
  cfg.headroom = 1;
  RateLimiter lim(cfg);
  REQUIRE(lim.trySend(kT0 - 1ms));  // every answer answers a request
  lim.onResponse(kT0, 200, {{"x-ratelimit-remaining", "5"}});
  int sent = 0;
  while (lim.trySend(kT0 + 1ms)) ++sent;
  CHECK(sent == 4);  // keeps the headroom (1) slot for the application's own traffic
  CHECK(lim.nextSendTime() > kT0 + 1ms);
}

TEST_CASE("rate limiter: requests in flight count against X-RateLimit-Remaining") {
  auto cfg = config(90);
  cfg.headroom = 1;
  RateLimiter lim(cfg);
  warm(lim, kT0 - 20s);
  for (int i = 0; i < 3; ++i) REQUIRE(lim.trySend(kT0));
  lim.onResponse(kT0 + 100ms, 200, {{"x-ratelimit-remaining", "3"}});  // 2 still in flight
  CHECK(lim.nextSendTime() > kT0 + 100ms);
  RateLimiter free_lim(cfg);
  REQUIRE(free_lim.trySend(kT0));
  free_lim.onResponse(kT0 + 100ms, 200, {{"x-ratelimit-remaining", "3"}});  // nothing in flight
  CHECK(free_lim.nextSendTime() <= kT0 + 100ms);
}

TEST_CASE("rate limiter: remaining 0 waits at most the interval header") {
  RateLimiter lim(config(90));
  REQUIRE(lim.trySend(kT0 - 1ms));
  lim.onResponse(kT0, 200, {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-interval-milliseconds", "6000"}});
  CHECK(lim.nextSendTime() == kT0 + 6s);
  RateLimiter lim2(config(90));
  REQUIRE(lim2.trySend(kT0 - 1ms));
  lim2.onResponse(kT0, 200, {{"x-ratelimit-remaining", "1"}});
  CHECK(lim2.nextSendTime() == kT0 + 10s);  // no interval header: the configured window
}

TEST_CASE("parseRetryAfter") {
  CHECK(ghlb::parseRetryAfter("3") == Millis(3000));
  CHECK(ghlb::parseRetryAfter("0.5") == Millis(500));
  CHECK(ghlb::parseRetryAfter("0") == Millis(0));
  CHECK_FALSE(ghlb::parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"));
  CHECK_FALSE(ghlb::parseRetryAfter("-1"));
  CHECK_FALSE(ghlb::parseRetryAfter(""));
  CHECK_FALSE(ghlb::parseRetryAfter("999999"));
}

TEST_CASE("fullJitterBackoff stays within [0, min(cap, base * 2^(n-1))]") {
  std::mt19937_64 rng(1);
  for (int n = 1; n < 40; ++n)
    for (int k = 0; k < 20; ++k) {
      const auto d = ghlb::fullJitterBackoff(n, Millis(500), Millis(30000), rng);
      CHECK(d >= Millis(0));
      CHECK(d <= std::min<Millis>(Millis(30000), Millis(500LL << std::min(n - 1, 20))));
    }
}

namespace {

// A GHL location in miniature: a sliding window of MAX requests shared with EXTERNAL slots of the
// application's live traffic, answering with X-RateLimit-* headers, 429 when the window is full.
struct MiniGhl {
  int max = 100;
  int external = 0;
  Millis window{10000};
  std::deque<SteadyTime> accepted, arrived;
  int max_seen = 0;  // every arrival in a window, plus the external share
  int rejected = 0;

  std::pair<int, Headers> admit(SteadyTime t) {
    while (!accepted.empty() && accepted.front() <= t - window) accepted.pop_front();
    while (!arrived.empty() && arrived.front() <= t - window) arrived.pop_front();
    arrived.push_back(t);
    max_seen = std::max(max_seen, static_cast<int>(arrived.size()) + external);
    const int limit = max - external;
    Headers h{{"x-ratelimit-max", std::to_string(max)},
              {"x-ratelimit-interval-milliseconds", std::to_string(window.count())}};
    if (static_cast<int>(accepted.size()) >= limit) {
      ++rejected;
      h.emplace("x-ratelimit-remaining", "0");  // not h[...] = "0": GCC 12 -Wrestrict false positive
      return {429, h};
    }
    accepted.push_back(t);
    h["x-ratelimit-remaining"] = std::to_string(limit - static_cast<int>(accepted.size()));
    return {200, h};
  }
};

// Drives LIM against GHL from START for DURATION: a send whenever allowed, arriving after
// LATENCY/2 and answered after LATENCY. Returns our sends.
int drive(RateLimiter& lim, MiniGhl& ghl, SteadyTime start, Millis duration, Millis latency,
          int* max_in_flight = nullptr) {
  std::multimap<SteadyTime, std::pair<int, Headers>> answers;
  std::multimap<SteadyTime, int> arrivals;  // send index by arrival time
  int sent = 0;
  for (SteadyTime t = start; t < start + duration; t += 5ms) {
    while (!arrivals.empty() && arrivals.begin()->first <= t) {
      answers.emplace(arrivals.begin()->first + latency / 2, ghl.admit(arrivals.begin()->first));
      arrivals.erase(arrivals.begin());
    }
    while (!answers.empty() && answers.begin()->first <= t) {
      lim.onResponse(answers.begin()->first, answers.begin()->second.first, answers.begin()->second.second);
      answers.erase(answers.begin());
    }
    while (lim.trySend(t)) {
      ++sent;
      arrivals.emplace(t + latency / 2, sent);
      if (max_in_flight) *max_in_flight = std::max(*max_in_flight, lim.inFlight());
    }
  }
  return sent;
}

}  // namespace

TEST_CASE("rate limiter: one request in flight until an answer tells how much room is left") {
  RateLimiter lim(config(90));
  CHECK(lim.probing());
  REQUIRE(lim.trySend(kT0));
  CHECK_FALSE(lim.trySend(kT0));
  CHECK(lim.nextSendTime() == SteadyTime::max());
  lim.onResponse(kT0 + 50ms, 200, {{"x-ratelimit-remaining", "99"}});
  CHECK_FALSE(lim.probing());
  int sent = 0;
  while (lim.trySend(kT0 + 50ms)) ++sent;
  CHECK(sent == 89);  // 99 left, 10 of them kept for the application
}

TEST_CASE("rate limiter: X-RateLimit-Max less the headroom caps our window; the interval header sets it") {
  auto cfg = config(90);
  cfg.headroom = 10;
  RateLimiter lim(cfg);
  CHECK(lim.cap() == 90);
  REQUIRE(lim.trySend(kT0 - 1ms));
  lim.onResponse(kT0, 200,
                 {{"x-ratelimit-max", "50"},
                  {"x-ratelimit-remaining", "50"},
                  {"x-ratelimit-interval-milliseconds", "2000"}});
  CHECK(lim.cap() == 40);
  CHECK(lim.window() == 2s);
  int sent = 0;
  while (lim.trySend(kT0)) ++sent;
  CHECK(sent == 39);  // with the answered one, 40 of ours in the window
  lim.onResponse(kT0 + 100ms, 200, {{"x-ratelimit-max", "1000"}});
  CHECK(lim.cap() == 90);  // the configured burst stays an upper bound
}

TEST_CASE("rate limiter: less room slows a location at once; recovered room speeds it up again") {
  RateLimiter lim(config(90));
  warm(lim, kT0);
  REQUIRE(lim.trySend(kT0 + 1s));
  lim.onResponse(kT0 + 1s, 200, {{"x-ratelimit-remaining", "12"}});  // the application took the rest
  int sent = 0;
  while (lim.trySend(kT0 + 1s)) ++sent;
  CHECK(sent == 2);  // 12 - 10 of headroom
  CHECK(lim.probing());
  lim.onResponse(kT0 + 1100ms, 200, {{"x-ratelimit-remaining", "10"}});
  lim.onResponse(kT0 + 1100ms, 200, {{"x-ratelimit-remaining", "10"}});
  const SteadyTime resume = lim.nextSendTime();
  CHECK(resume == kT0 + 10s);  // our oldest in the window (answered at 0 s) leaves
  REQUIRE(lim.trySend(resume));
  CHECK_FALSE(lim.trySend(resume));  // a probe: one request
  lim.onResponse(resume + 50ms, 200, {{"x-ratelimit-remaining", "80"}});
  sent = 0;
  while (lim.trySend(resume + 50ms)) ++sent;
  CHECK(sent >= 60);
}

TEST_CASE("rate limiter: with 30% live traffic no window holds more than GHL's 100, and no 429") {
  for (const Millis latency : {Millis(2), Millis(80), Millis(600)}) {
    CAPTURE(latency.count());
    MiniGhl ghl;
    ghl.external = 30;
    RateLimiter lim(config(90));
    const int sent = drive(lim, ghl, kT0, 120s, latency);
    CHECK(ghl.max_seen <= 100);
    CHECK(ghl.rejected == 0);
    // 60 per window is ours (100 - 30 - 10 of headroom): used, not wasted.
    CHECK(sent >= 60 * 12 * 85 / 100);
  }
}

TEST_CASE("rate limiter: a restart facing a full window sends one request, not a burst") {
  MiniGhl ghl;
  for (int i = 0; i < 90; ++i) ghl.admit(kT0 - 2s + Millis(i));  // the killed run's last burst
  RateLimiter lim(config(90));
  int max_in_flight = 0;
  const int sent = drive(lim, ghl, kT0, 9s, Millis(40), &max_in_flight);
  CHECK(max_in_flight == 1);
  CHECK(sent <= 2);
  CHECK(ghl.rejected == 0);
  CHECK(ghl.max_seen <= 100);
}

TEST_CASE("rate limiter: a 429 storm makes only probes, one at a time") {
  MiniGhl ghl;
  ghl.external = 100;  // the application takes everything
  RateLimiter lim(config(90));
  int max_in_flight = 0;
  const int sent = drive(lim, ghl, kT0, 60s, Millis(20), &max_in_flight);
  CHECK(max_in_flight == 1);
  CHECK(sent <= 12);  // about one per window (Retry-After absent: the interval header)
}

TEST_CASE("rate limiter: a late answer with more room than the budget held does not grow it") {
  RateLimiter lim(config(90));
  REQUIRE(lim.trySend(kT0));
  lim.onResponse(kT0 + 10ms, 200, {{"x-ratelimit-remaining", "50"}});  // budget 40
  for (int i = 0; i < 5; ++i) REQUIRE(lim.trySend(kT0 + 20ms));        // 35 left
  // An answer the server wrote before others it sent first: its count is stale.
  lim.onResponse(kT0 + 30ms, 200, {{"x-ratelimit-remaining", "60"}});
  int sent = 0;
  while (lim.trySend(kT0 + 40ms)) ++sent;
  CHECK(sent == 35);
}

TEST_CASE(
    "regression: after a spent budget, a late answer of the batch does not re-open the window (105 in one)") {
  // Seen under load: a batch spent the budget, the hold began, then the answer the server had
  // written first (with the most room) arrived late and set a fresh budget of 22: 22 more went out
  // at once and the server saw 73 of ours plus 30 live requests in one window.
  RateLimiter lim(config(90));
  REQUIRE(lim.trySend(kT0));
  lim.onResponse(kT0 + 10ms, 200, {{"x-ratelimit-remaining", "69"}, {"x-ratelimit-max", "100"}});
  int sent = 0;
  while (lim.trySend(kT0 + 20ms)) ++sent;
  REQUIRE(sent == 59);  // 69 - 10 headroom: the budget is spent, a hold and a probe follow
  for (int i = 0; i < 10; ++i) lim.onResponse(kT0 + 30ms, 200, {{"x-ratelimit-remaining", "10"}});
  lim.onResponse(kT0 + 31ms, 200, {{"x-ratelimit-remaining", "69"}});  // stale: written first
  CHECK(lim.probing());
  // Once the hold ends, one probe only, however many answers are still to come.
  const SteadyTime later = kT0 + 20s;
  for (int i = 0; i < 48; ++i) lim.onResponse(later - 1s, 200, {{"x-ratelimit-remaining", "20"}});
  REQUIRE(lim.trySend(later));
  CHECK_FALSE(lim.trySend(later));
  // The probe's answer (it came alone) sets the budget afresh.
  lim.onResponse(later + 10ms, 200, {{"x-ratelimit-remaining", "40"}});
  CHECK_FALSE(lim.probing());
  int again = 0;
  while (lim.trySend(later + 20ms)) ++again;
  CHECK(again == 30);
}
