#include "fetch_progress.h"

#include <algorithm>

namespace ghlb {

FetchStatus::FetchStatus(const Log& log, Progress* progress, Millis interval, SteadyTime start,
                         std::int64_t stage_total, std::int64_t to_fetch)
    : log_(log),
      own_(progress ? nullptr : std::make_unique<LogProgress>(log)),
      progress_(progress ? progress : own_.get()),
      interval_(interval),
      started_(start),
      last_(start),
      stage_total_(std::max(stage_total, to_fetch)),
      to_fetch_(to_fetch) {}

void FetchStatus::started() const {
  if (stage_total_ > to_fetch_)
    log_.info(
        "fetch_resumed",
        {{"already_done", stage_total_ - to_fetch_}, {"stage_total", stage_total_}, {"to_fetch", to_fetch_}});
}

void FetchStatus::update(SteadyTime now, const FetchCounts& counts, const LocationsGauge& gauge) {
  const auto elapsed = now - last_;
  last_ = now;
  ProgressState s;
  s.total = stage_total_;
  s.done = stage_total_ - counts.total + counts.stored();
  s.requests = counts.requests;
  s.rate_limited = counts.rate_limited;
  const double secs = std::chrono::duration<double>(elapsed).count();
  s.req_per_s = secs > 0 ? static_cast<double>(counts.requests - last_requests_) / secs : 0;
  last_requests_ = counts.requests;
  s.paused = gauge.paused;
  s.ceiling_per_s = gauge.ceiling_per_s;
  const double run_secs = std::chrono::duration<double>(now - started_).count();
  if (counts.stored() > 0 && run_secs > 0)
    s.eta_s =
        static_cast<double>(counts.total - counts.stored()) * run_secs / static_cast<double>(counts.stored());
  progress_->update(s);
}

void FetchStatus::finish(const FetchCounts& counts) {
  progress_->finish();
  const auto n = [&counts](FetchOutcome o) -> std::int64_t {
    const auto it = counts.outcomes.find(o);
    return it == counts.outcomes.end() ? 0 : it->second;
  };
  log_.info("fetch_summary", {{"stage_done", stage_total_ - counts.total + counts.stored()},
                              {"stage_total", stage_total_},
                              {"total", counts.total},
                              {"found", n(FetchOutcome::kFound)},
                              {"not_found", n(FetchOutcome::kNotFound)},
                              {"contact_gone", n(FetchOutcome::kContactGone)},
                              {"invalid_id", n(FetchOutcome::kInvalidId)},
                              {"no_lookup", n(FetchOutcome::kNoLookup)},
                              {"auth_failed", n(FetchOutcome::kAuthFailed)},
                              {"daily_limit", n(FetchOutcome::kDailyLimit)},
                              {"failed_permanent", n(FetchOutcome::kPermanent)},
                              {"bad_response", n(FetchOutcome::kBadResponse)},
                              {"failed_transient", n(FetchOutcome::kTransient)},
                              {"unfetched", counts.unfetched},
                              {"requests", counts.requests},
                              {"rate_limited", counts.rate_limited},
                              {"fallbacks", counts.fallbacks}});
}

}  // namespace ghlb
