// Clean stops for every stage: SIGINT and SIGTERM set a flag that the stages poll at safe points
// (between pages, batches, stages); a second signal kills at once. A stage that stops records its
// stage_run as 'interrupted' and throws StopRequested; the process then exits 130 (SIGINT) or 143
// (SIGTERM), and the next run continues where this one stopped.
//
// A time budget (--time-budget) raises the same flag when it is spent, so every stage stops at the
// same safe points; the process then exits 3 (work remains: run again) instead of 130/143.
#pragma once
#include <atomic>
#include <exception>

#include "clock.h"

namespace ghlb {

// Installs the handlers (sigaction, once per process; SIGPIPE ignored). Called by runStageMain.
void installStopHandlers();

bool stopRequested();
const std::atomic<bool>& stopFlag();  // for engines that poll an atomic (fetch's FetchControl::stop)

// 128 + the signal that asked to stop (130 SIGINT, 143 SIGTERM); 0 when none did.
int signalExitCode();

// Why the stop flag is up. A signal wins over a spent budget.
enum class StopReason { kNone, kSignal, kTimeBudget };
StopReason stopReason();
// "none", "signal", "time budget": for logs and the stage_run row.
const char* stopReasonName(StopReason reason);

// Starts this process's time budget: a watcher thread raises the stop flag (reason kTimeBudget)
// once BUDGET has passed on the system clock, checking at least every 50 ms. Zero or negative:
// no budget. One budget per process (a second call replaces the first); `run` shares it between
// its stages. endTimeBudget() stops the watcher (runStageMain calls it at the end).
void startTimeBudget(Millis budget);
void endTimeBudget();

// Thrown by a stage that stopped on request after recording where it stopped.
// KEPT says what the stopped run leaves behind, for the one line the process prints; a stage whose
// work is one transaction (plan) says that nothing of it is kept.
class StopRequested : public std::exception {
 public:
  StopRequested() = default;
  explicit StopRequested(const char* kept) : kept_(kept) {}
  const char* what() const noexcept override { return "stopped on request"; }
  const char* kept() const noexcept { return kept_; }

 private:
  const char* kept_ = "what was done is kept and the next run continues where this one stopped";
};

// Test hook, a no-op in normal runs: when $GHLB_TEST_PAUSE_MS is set, waits that long (or until a
// stop is requested) so that an end-to-end test can deliver a signal at this point of a stage.
void testPausePoint();

// Unit tests only: raise the flag as REASON would (a signal: SIGTERM), and end any budget and
// lower the flag, so that one test's stop does not leak into the next.
void raiseStopForTesting(StopReason reason);
void resetStopForTesting();

}  // namespace ghlb
