#include "rate_limiter.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "names.h"
#include "transport.h"

namespace ghlb {
namespace {

std::optional<long long> parseInt(const std::string* v) {
  if (!v) return std::nullopt;
  long long n = 0;
  const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || end != v->data() + v->size()) return std::nullopt;
  return n;
}

Millis uniformMillis(Millis max, std::mt19937_64& rng) {
  if (max.count() <= 0) return Millis(0);
  return Millis(std::uniform_int_distribution<long long>(0, max.count())(rng));
}

}  // namespace

Millis fullJitterBackoff(int attempt, Millis base, Millis cap, std::mt19937_64& rng) {
  const int doublings = std::clamp(attempt - 1, 0, 30);
  const long long ceiling = std::min<long long>(cap.count(), base.count() << doublings);
  return uniformMillis(Millis(ceiling), rng);
}

std::optional<Millis> parseRetryAfter(const std::string& value) {
  double secs = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), secs);
  if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
  if (!(secs >= 0) || secs > 86400) return std::nullopt;
  return Millis(static_cast<std::int64_t>(std::ceil(secs * 1000)));
}

RateLimiter::RateLimiter(RateLimiterConfig config)
    : config_(config), window_(config.window), rng_(config.seed) {
  config_.burst = std::max(1, config_.burst);
  config_.headroom = std::max(0, config_.headroom);
}

int RateLimiter::cap() const {
  int c = config_.burst;
  if (server_max_) c = std::min(c, *server_max_ - config_.headroom);
  return std::max(1, c);
}

SteadyTime RateLimiter::nextSendTime() const {
  const int cap_now = cap();
  if (in_flight_ >= (probing_ ? 1 : cap_now)) return SteadyTime::max();
  SteadyTime t = paused_until_;
  // At most cap - in_flight - 1 answered requests may still be in the window when we send:
  // wait until the newest one beyond those has left it.
  const auto keep = static_cast<size_t>(cap_now - in_flight_ - 1);
  if (answered_.size() > keep) t = std::max(t, answered_[answered_.size() - keep - 1] + window_);
  if (config_.rps > 0 && sent_any_) {
    const auto spacing =
        std::chrono::ceil<SteadyTime::duration>(std::chrono::duration<double>(1.0 / config_.rps));
    t = std::max(t, last_send_ + spacing);
  }
  return t;
}

bool RateLimiter::trySend(SteadyTime now) {
  if (now < nextSendTime()) return false;
  ++in_flight_;
  if (probing_) probe_sent_ = true;
  last_send_ = now;
  sent_any_ = true;
  if (budget_ && --*budget_ <= 0) {
    budget_.reset();
    holdUntilOldestLeaves(now);
  }
  return true;
}

void RateLimiter::onResponse(SteadyTime now, int status, const std::map<std::string, std::string>& headers) {
  if (in_flight_ > 0) --in_flight_;
  answered_.push_back(now);
  if (const auto interval = parseInt(findHeader(headers, names::kHdrRateInterval));
      interval && *interval >= 100 && *interval <= 3600 * 1000)
    window_ = Millis(*interval);
  if (const auto max = parseInt(findHeader(headers, names::kHdrRateMax)); max && *max >= 1 && *max <= 1 << 20)
    server_max_ = static_cast<int>(*max);
  while (answered_.size() > static_cast<size_t>(std::max(config_.burst, cap()))) answered_.pop_front();
  if (status == 429) {
    ++consecutive_429_;
    budget_.reset();
    probing_ = true;  // one request at a time until an answer says there is room again
    probe_sent_ = false;
    if (const auto* daily = findHeader(headers, names::kHdrDailyRemaining); daily && *daily == "0")
      daily_exhausted_ = true;
    pauseUntil(now + backoff429(headers));
    return;
  }
  if (status == 0) return;  // no answer: nothing learned
  consecutive_429_ = 0;
  // While a probe is due, answers to requests sent before the hold are late and their counts
  // stale (the server wrote them before the window filled): only the probe's answer, which
  // comes alone, sets the budget afresh.
  if (probing_ && !probe_sent_) return;
  const auto remaining = parseInt(findHeader(headers, names::kHdrRateRemaining));
  if (!remaining) {  // GHL said nothing about its window: our own (burst) window only
    probing_ = false;
    return;
  }
  // GHL's count includes the application's traffic; our requests still in flight will take
  // slots too, and the headroom is never ours. Answers may come out of order (a concurrent
  // server), so a larger count than the budget we hold may be stale: the budget only shrinks
  // here, and is set afresh by the answer to a probe (sent alone, after a hold or a 429).
  const int fresh =
      static_cast<int>(std::clamp<long long>(*remaining, 0, 1 << 20)) - config_.headroom - in_flight_;
  budget_ = budget_ ? std::min(*budget_, fresh) : fresh;
  if (*budget_ <= 0) {
    budget_.reset();
    holdUntilOldestLeaves(now);
    return;
  }
  probing_ = false;
  probe_sent_ = false;
}

void RateLimiter::pauseUntil(SteadyTime t) { paused_until_ = std::max(paused_until_, t); }

// GHL's window is (nearly) spent: wait until our oldest request in it leaves, or for one window
// when none of ours is in it; then probe with one request.
void RateLimiter::holdUntilOldestLeaves(SteadyTime now) {
  probing_ = true;
  probe_sent_ = false;
  SteadyTime until = now + window_;
  const auto oldest =
      std::find_if(answered_.begin(), answered_.end(), [&](SteadyTime t) { return t > now - window_; });
  if (oldest != answered_.end()) until = std::min(until, *oldest + window_);
  pauseUntil(until);
}

Millis RateLimiter::backoff429(const std::map<std::string, std::string>& headers) {
  if (const auto* ra = findHeader(headers, names::kHdrRetryAfter))
    if (const auto ms = parseRetryAfter(*ra)) return *ms + uniformMillis(config_.retry_after_jitter, rng_);
  const auto interval = parseInt(findHeader(headers, names::kHdrRateInterval));
  if (interval && *interval > 0 && *interval <= 3600 * 1000)
    return Millis(*interval) + uniformMillis(config_.retry_after_jitter, rng_);
  return fullJitterBackoff(consecutive_429_, config_.backoff_base, config_.backoff_cap, rng_);
}

}  // namespace ghlb
