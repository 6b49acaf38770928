// How a long stage shows its progress: one live line rewritten in place on a terminal, a
// "progress" log record every few seconds otherwise (text or JSON, per --log-format), nothing
// with --quiet. No C++ terminal-progress library is packaged in Debian bookworm (apt-cache
// search finds only Go, Haskell and Perl ones), so the live line is these few lines by hand.
#pragma once
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>

#include "clock.h"
#include "log.h"
#include "options.h"

namespace ghlb {

struct ProgressState {
  // Empty for fetch's request line; else a local stage's unit of work ("leads", "rows"): the line
  // then shows items per second and no quota figures.
  std::string unit;
  std::int64_t done = 0;          // of the whole stage, earlier runs included
  std::int64_t total = 0;         // of the whole stage
  std::int64_t requests = 0;      // this run
  std::int64_t rate_limited = 0;  // 429s this run
  std::int64_t paused = 0;        // locations paused or stopped for their quota
  double req_per_s = 0;           // over the last interval (items per second with a unit)
  double ceiling_per_s = 0;       // what the active locations' windows allow
  double eta_s = -1;              // < 0: unknown yet
};

class Progress {
 public:
  virtual ~Progress() = default;
  virtual void update(const ProgressState& s) = 0;
  virtual void finish() {}
  // How often update() is worth calling.
  virtual Millis interval() const { return Millis(5000); }
};

// --quiet.
class NullProgress : public Progress {
 public:
  void update(const ProgressState&) override {}
};

// A "progress" record through LOG (text or JSON lines).
class LogProgress : public Progress {
 public:
  explicit LogProgress(const Log& log) : log_(log) {}
  void update(const ProgressState& s) override;

 private:
  const Log& log_;
};

// One line on a terminal, rewritten in place ("\r" and clear to the end of the line); LOG's
// other lines first clear it, so they never mix.
class TerminalProgress : public Progress {
 public:
  TerminalProgress(const Log& log, std::ostream& out);
  ~TerminalProgress() override;
  void update(const ProgressState& s) override;
  void finish() override;
  Millis interval() const override { return Millis(500); }

 private:
  const Log& log_;
  std::ostream& out_;
  bool shown_ = false;
};

// "1234/5000 (24.7%)  81.0 req/s of 90.0  429s 0  paused 0  ETA 0:46"; with a unit:
// "12000/75000 leads (16.0%)  20000/s  ETA 0:03" ("12000 leads  20000/s" when the total is unknown).
std::string progressLine(const ProgressState& s);

// The progress of a local stage (extract, plan, apply, revert): call add() as work is done; it
// updates PROGRESS at most once per its interval, with the rate since the previous update and an
// ETA from the rate so far. Time comes through CLOCK.
class StageMeter {
 public:
  // total < 0: unknown.
  StageMeter(Progress& progress, const Clock& clock, std::string unit, std::int64_t total);
  void add(std::int64_t n);
  void setTotal(std::int64_t total) { state_.total = total; }
  void finish();  // a last update with the final figures, then the line ends

 private:
  void show(SteadyTime now);
  Progress& progress_;
  const Clock& clock_;
  ProgressState state_;
  SteadyTime start_, last_;
  std::int64_t done_at_last_ = 0;
};

// Null with --quiet; on a terminal (STDERR_TTY, text format) the live line; else log records.
std::unique_ptr<Progress> makeProgress(const CommonOptions& common, const Log& log, bool stderr_tty);

}  // namespace ghlb
