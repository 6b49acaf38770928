#include "progress.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

namespace ghlb {

namespace {

std::string formatEta(double secs) {
  if (secs < 0) return "--:--";
  const auto s = static_cast<long long>(std::llround(secs));
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, (s / 60) % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
  return buf;
}

}  // namespace

std::string progressLine(const ProgressState& s) {
  if (!s.unit.empty()) {
    char buf[200];
    if (s.total < 0)
      std::snprintf(buf, sizeof buf, "%lld %s  %.0f/s", static_cast<long long>(s.done), s.unit.c_str(),
                    s.req_per_s);
    else
      std::snprintf(buf, sizeof buf, "%lld/%lld %s (%.1f%%)  %.0f/s  ETA %s", static_cast<long long>(s.done),
                    static_cast<long long>(s.total), s.unit.c_str(),
                    s.total > 0 ? 100.0 * static_cast<double>(s.done) / static_cast<double>(s.total) : 100.0,
                    s.req_per_s, formatEta(s.eta_s).c_str());
    return buf;
  }
  const double pct = s.total > 0 ? 100.0 * static_cast<double>(s.done) / static_cast<double>(s.total) : 100.0;
  char buf[200];
  std::snprintf(buf, sizeof buf, "%lld/%lld (%.1f%%)  %.1f req/s of %.1f  429s %lld  paused %lld  ETA %s",
                static_cast<long long>(s.done), static_cast<long long>(s.total), pct, s.req_per_s,
                s.ceiling_per_s, static_cast<long long>(s.rate_limited), static_cast<long long>(s.paused),
                formatEta(s.eta_s).c_str());
  return buf;
}

void LogProgress::update(const ProgressState& s) {
  if (!s.unit.empty()) {
    log_.info("progress",
              {{"unit", s.unit},
               {"done", s.done},
               {"total", s.total},
               {"per_s", std::round(s.req_per_s)},
               {"eta_s", s.eta_s < 0 ? std::int64_t{-1} : static_cast<std::int64_t>(std::llround(s.eta_s))}});
    return;
  }
  log_.info("progress",
            {{"done", s.done},
             {"total", s.total},
             {"requests", s.requests},
             {"req_per_s", std::round(s.req_per_s * 10) / 10},
             {"ceiling_per_s", std::round(s.ceiling_per_s * 10) / 10},
             {"rate_limited", s.rate_limited},
             {"paused", s.paused},
             {"eta_s", s.eta_s < 0 ? std::int64_t{-1} : static_cast<std::int64_t>(std::llround(s.eta_s))}});
}

TerminalProgress::TerminalProgress(const Log& log, std::ostream& out) : log_(log), out_(out) {
  log_.setBeforeWrite([this] {
    if (shown_) out_ << "\r\x1b[K" << std::flush;
    shown_ = false;
  });
}

TerminalProgress::~TerminalProgress() { log_.setBeforeWrite({}); }

void TerminalProgress::update(const ProgressState& s) {
  out_ << '\r' << progressLine(s) << "\x1b[K" << std::flush;
  shown_ = true;
}

void TerminalProgress::finish() {
  if (shown_) out_ << '\n' << std::flush;
  shown_ = false;
}

StageMeter::StageMeter(Progress& progress, const Clock& clock, std::string unit, std::int64_t total)
    : progress_(progress), clock_(clock), start_(clock.now()), last_(start_) {
  state_.unit = std::move(unit);
  state_.total = total;
}

void StageMeter::add(std::int64_t n) {
  state_.done += n;
  const SteadyTime now = clock_.now();
  if (now - last_ >= progress_.interval()) show(now);
}

void StageMeter::show(SteadyTime now) {
  const double since_last = std::chrono::duration<double>(now - last_).count();
  const double since_start = std::chrono::duration<double>(now - start_).count();
  if (since_last > 0) state_.req_per_s = static_cast<double>(state_.done - done_at_last_) / since_last;
  const double overall = since_start > 0 ? static_cast<double>(state_.done) / since_start : 0;
  state_.eta_s = state_.total >= 0 && overall > 0
                     ? static_cast<double>(std::max<std::int64_t>(0, state_.total - state_.done)) / overall
                     : -1;
  progress_.update(state_);
  last_ = now;
  done_at_last_ = state_.done;
}

void StageMeter::finish() {
  // Only a stage that showed a line (it ran longer than one interval) shows its last figures.
  if (last_ != start_) show(clock_.now());
  progress_.finish();
}

std::unique_ptr<Progress> makeProgress(const CommonOptions& common, const Log& log, bool stderr_tty) {
  if (common.quiet) return std::make_unique<NullProgress>();
  if (stderr_tty && common.log_format == LogFormat::kText)
    return std::make_unique<TerminalProgress>(log, std::cerr);
  return std::make_unique<LogProgress>(log);
}

}  // namespace ghlb
