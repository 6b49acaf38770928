// GHL's per-location rate limits: a sliding burst window (default 100 accepted requests per 10 s)
// and a daily quota (default 200,000). Time is passed in by the caller, so tests drive it by hand
// without sleeping. Thread-safe.
#pragma once
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace ghlsim {

using SteadyTime = std::chrono::steady_clock::time_point;

struct RateLimitConfig {
  int burst = 100;                          // accepted requests per window, before external traffic
  std::chrono::milliseconds window{10000};  // sliding window length
  std::int64_t daily = 200000;              // accepted requests per "day" (24 h from first use)
  int externalPerWindow = 0;                // slots of every window used by others; limit = burst - this
};

struct RateDecision {
  enum class Verdict { Accepted, BurstExceeded, DailyExceeded };
  Verdict verdict = Verdict::Accepted;
  int remaining = 0;                   // X-RateLimit-Remaining: slots left in the window after this request
  std::int64_t dailyRemaining = 0;     // X-RateLimit-Daily-Remaining after this request
  int retryAfterSeconds = 0;           // BurstExceeded only: whole seconds (ceil) until a slot frees
  int inWindow = 0;                    // accepted requests of the location in the window ending now
  int seenInWindow = 0;                // every request of the location in that window, rejected ones
                                       // included, plus the external (live application) share
  std::int64_t dailyResetSeconds = 0;  // whole seconds (ceil) until the daily quota resets
};

class RateLimiter {
 public:
  explicit RateLimiter(RateLimitConfig config);

  // Decides one request of `location` at time `now` and, when accepted, records it. Requests
  // whose `now` is earlier than one already recorded are recorded at that later time. The daily
  // quota is checked first (DailyExceeded), then the window (BurstExceeded); rejected requests are
  // not recorded. A location's "day" starts at its first request and lasts 24 h.
  RateDecision admit(std::string_view location, SteadyTime now);

  const RateLimitConfig& config() const { return config_; }

 private:
  struct Bucket {
    std::deque<SteadyTime> accepted;  // accepted request times inside the window, ascending
    std::deque<SteadyTime> arrived;   // every request's time inside the window, ascending
    std::int64_t dailyUsed = 0;
    SteadyTime dayStart;
  };

  RateLimitConfig config_;
  std::mutex mu_;
  std::map<std::string, Bucket, std::less<>> buckets_;
};

}  // namespace ghlsim
