// The per-location request limiter of fetch (one object per GHL location). GHL allows 100
// requests per 10 s and 200,000 per day per app and location, shared with the application's own
// traffic on the same token. What GHL's headers say is the truth about that shared window:
// X-RateLimit-Max (less --headroom slots left to the application) and the configured burst cap
// our own sliding window, whose length is X-RateLimit-Interval-Milliseconds. X-RateLimit-Remaining
// (less the headroom and our requests in flight) is a budget for the sends that follow; later
// answers only shrink it (they may come out of order), and when it runs out sends are held until
// our oldest request leaves the window. Until an answer is known (at start, after a hold or a
// 429) only one request is in flight: a restart, or a location whose window is already full of
// the application's traffic, costs one request, not a burst. A 429 pauses (Retry-After, else the
// interval header, else exponential backoff with full jitter). GHL counts a request when it
// arrives, which we never see: the window counts a request in flight as arriving now and an
// answered one as arriving when its answer came, an upper bound that keeps us inside GHL's window
// whatever the network delays. Time comes from the caller (read through Clock), jitter from a
// seeded RNG, so unit tests are deterministic.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <string>

#include "clock.h"

namespace ghlb {

struct RateLimiterConfig {
  int burst = 90;                  // our sends allowed in any sliding window (an upper bound)
  Millis window{10000};            // the window until X-RateLimit-Interval-Milliseconds says otherwise
  double rps = 0;                  // steady cap in sends per second; 0 = burst window only
  int headroom = 10;               // slots of GHL's window always left to the application
  Millis backoff_base{500};        // 429 without hint: full jitter over base * 2^n ...
  Millis backoff_cap{30000};       // ... capped here
  Millis retry_after_jitter{250};  // added (uniformly 0..this) to Retry-After and interval pauses
  std::uint64_t seed = 1;          // jitter RNG
};

class RateLimiter {
 public:
  explicit RateLimiter(RateLimiterConfig config);

  // Earliest time trySend() succeeds, given what is known now (pauses, window, spacing);
  // SteadyTime::max() while an answer is awaited (one in flight while probing, or the cap).
  SteadyTime nextSendTime() const;

  // Records a send at NOW and returns true when allowed (now >= nextSendTime()); else false.
  bool trySend(SteadyTime now);

  // Learns from the response (or network failure, STATUS 0) to one of our sends, received at
  // NOW; HEADERS has lower-case names. A 429 pauses the location; when X-RateLimit-Remaining
  // leaves too few slots, sends are held until our oldest request leaves the window.
  void onResponse(SteadyTime now, int status, const std::map<std::string, std::string>& headers);

  // Sends without a response yet.
  int inFlight() const { return in_flight_; }

  // A 429 said the daily quota is spent (X-RateLimit-Daily-Remaining: 0): retrying today is useless.
  bool dailyExhausted() const { return daily_exhausted_; }

  const RateLimiterConfig& config() const { return config_; }

  // Our sends allowed in one window now: min(burst, X-RateLimit-Max - headroom), at least 1.
  int cap() const;
  // The window length in use (the interval header once seen).
  Millis window() const { return window_; }
  // True while only one request may be in flight (nothing known yet, after a hold or a 429).
  bool probing() const { return probing_; }
  // End of the current pause (429 or a spent window); in the past when not paused.
  SteadyTime pausedUntil() const { return paused_until_; }

 private:
  void pauseUntil(SteadyTime t);
  void holdUntilOldestLeaves(SteadyTime now);
  Millis backoff429(const std::map<std::string, std::string>& headers);

  RateLimiterConfig config_;
  std::deque<SteadyTime> answered_;  // answer times of our latest requests, ascending (<= burst)
  int in_flight_ = 0;                // sent, not answered: counted as arriving now
  std::optional<int> budget_;        // slots GHL said were left, less headroom and our sends since
  std::optional<int> server_max_;    // X-RateLimit-Max
  Millis window_;                    // X-RateLimit-Interval-Milliseconds, else config.window
  bool probing_ = true;
  bool probe_sent_ = false;  // the probe is in flight (alone): the next answer is its answer
  SteadyTime paused_until_{};
  SteadyTime last_send_{};
  bool sent_any_ = false;
  int consecutive_429_ = 0;
  bool daily_exhausted_ = false;
  std::mt19937_64 rng_;
};

// Full-jitter exponential backoff: uniform in [0, min(cap, base * 2^(attempt-1))], attempt >= 1.
Millis fullJitterBackoff(int attempt, Millis base, Millis cap, std::mt19937_64& rng);

// Parses a Retry-After given in (possibly fractional) seconds; HTTP-dates are not used by GHL
// and yield nullopt, as do negative or absurd values.
std::optional<Millis> parseRetryAfter(const std::string& value);

}  // namespace ghlb
