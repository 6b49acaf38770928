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
  CHECK(lim.nextSendTime() == kT0 + 10500ms);  // our oldest in the window was answered at 0.5 s
  CHECK_FALSE(lim.trySend(kT0 + 10s));
  CHECK(lim.trySend(kT0 + 10500ms));
}

TEST_CASE("rate limiter: X-RateLimit-Remaining is a budget for the sends that follow") {
  RateLimiter lim(config(90));
  lim.onResponse(kT0, 200, {{"x-ratelimit-remaining", "5"}});
  int sent = 0;
  while (lim.trySend(kT0 + 1ms)) ++sent;
  CHECK(sent == 4);  // keeps low_remaining (1) slot for the application's own traffic
  CHECK(lim.nextSendTime() > kT0 + 1ms);
}

TEST_CASE("rate limiter: requests in flight count against X-RateLimit-Remaining") {
  RateLimiter lim(config(90));
  for (int i = 0; i < 3; ++i) REQUIRE(lim.trySend(kT0));
  lim.onResponse(kT0 + 100ms, 200, {{"x-ratelimit-remaining", "3"}});  // 2 still in flight
  CHECK(lim.nextSendTime() > kT0 + 100ms);
  RateLimiter free_lim(config(90));
  REQUIRE(free_lim.trySend(kT0));
  free_lim.onResponse(kT0 + 100ms, 200, {{"x-ratelimit-remaining", "3"}});  // nothing in flight
  CHECK(free_lim.nextSendTime() <= kT0 + 100ms);
}

TEST_CASE("rate limiter: remaining 0 waits at most the interval header") {
  RateLimiter lim(config(90));
  lim.onResponse(kT0, 200, {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-interval-milliseconds", "6000"}});
  CHECK(lim.nextSendTime() == kT0 + 6s);
  RateLimiter lim2(config(90));
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
