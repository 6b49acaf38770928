#include "sim_rate_limiter.h"

#include <algorithm>

namespace ghlsim {

namespace {

constexpr std::chrono::hours kDay{24};

// Whole seconds, rounded up, in a positive duration (0 for a non-positive one).
std::int64_t ceilSeconds(std::chrono::steady_clock::duration d) {
  if (d <= std::chrono::steady_clock::duration::zero()) return 0;
  return std::chrono::ceil<std::chrono::seconds>(d).count();
}

}  // namespace

RateLimiter::RateLimiter(RateLimitConfig config) : config_(config) {}

RateDecision RateLimiter::admit(std::string_view location, SteadyTime now) {
  const std::lock_guard lock(mu_);
  auto it = buckets_.find(location);
  if (it == buckets_.end()) {
    it = buckets_.emplace(std::string(location), Bucket{}).first;
    it->second.dayStart = now;
  }
  Bucket& b = it->second;
  if (!b.accepted.empty() && now < b.accepted.back()) now = b.accepted.back();

  while (now - b.dayStart >= kDay) {
    b.dayStart += kDay;
    b.dailyUsed = 0;
  }
  while (!b.accepted.empty() && b.accepted.front() <= now - config_.window) b.accepted.pop_front();
  while (!b.arrived.empty() && b.arrived.front() <= now - config_.window) b.arrived.pop_front();
  b.arrived.push_back(now);

  const int limit = std::max(0, config_.burst - config_.externalPerWindow);
  RateDecision d;
  d.seenInWindow = static_cast<int>(b.arrived.size()) + config_.externalPerWindow;
  d.dailyResetSeconds = ceilSeconds(b.dayStart + kDay - now);

  if (b.dailyUsed >= config_.daily) {
    d.verdict = RateDecision::Verdict::DailyExceeded;
    d.remaining = std::max(0, limit - static_cast<int>(b.accepted.size()));
    d.dailyRemaining = 0;
    d.inWindow = static_cast<int>(b.accepted.size());
    return d;
  }
  if (static_cast<int>(b.accepted.size()) >= limit) {
    d.verdict = RateDecision::Verdict::BurstExceeded;
    d.remaining = 0;
    d.dailyRemaining = config_.daily - b.dailyUsed;
    d.inWindow = static_cast<int>(b.accepted.size());
    // The slot that frees first is the one taken by the oldest request still in the window.
    const auto frees = limit == 0
                           ? now + config_.window
                           : b.accepted[b.accepted.size() - static_cast<std::size_t>(limit)] + config_.window;
    d.retryAfterSeconds = static_cast<int>(std::max<std::int64_t>(1, ceilSeconds(frees - now)));
    return d;
  }
  b.accepted.push_back(now);
  ++b.dailyUsed;
  d.verdict = RateDecision::Verdict::Accepted;
  d.inWindow = static_cast<int>(b.accepted.size());
  d.remaining = std::max(0, limit - d.inWindow);
  d.dailyRemaining = config_.daily - b.dailyUsed;
  return d;
}

}  // namespace ghlsim
