// The clock seam: fetch's rate limiter and backoff read time through Clock so unit tests can
// drive time by hand (FakeClock in tests/unit/fetch_fakes.h).
#pragma once
#include <chrono>
#include <string>

namespace ghlb {

using SteadyTime = std::chrono::steady_clock::time_point;
using Millis = std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual SteadyTime now() const = 0;
  // Wall-clock time, for what is tied to a UTC day (GHL's daily quota) and resume times.
  virtual std::chrono::system_clock::time_point wallNow() const { return std::chrono::system_clock::now(); }
};

class SystemClock : public Clock {
 public:
  SteadyTime now() const override { return std::chrono::steady_clock::now(); }
};

// The end of a time budget (--time-budget), on CLOCK's steady time: BUDGET after construction.
class Deadline {
 public:
  Deadline(const Clock& clock, Millis budget) : clock_(&clock), at_(clock.now() + budget) {}
  bool passed() const { return clock_->now() >= at_; }
  // Time left, zero once passed.
  Millis remaining() const {
    const auto left = std::chrono::duration_cast<Millis>(at_ - clock_->now());
    return left.count() > 0 ? left : Millis(0);
  }

 private:
  const Clock* clock_;
  SteadyTime at_;
};

// Wall-clock time as ISO-8601 UTC with milliseconds, e.g. "2026-11-28T15:30:00.123Z".
std::string isoNowUtc();

// T as ISO-8601 UTC with milliseconds.
std::string isoUtc(std::chrono::system_clock::time_point t);

}  // namespace ghlb
