// Clean stops for every stage: SIGINT and SIGTERM set a flag that the stages poll at safe points
// (between pages, batches, stages); a second signal kills at once. A stage that stops records its
// stage_run as 'interrupted' and throws StopRequested; the process then exits 130 (SIGINT) or 143
// (SIGTERM), and the next run continues where this one stopped.
#pragma once
#include <atomic>
#include <exception>

namespace ghlb {

// Installs the handlers (sigaction, once per process; SIGPIPE ignored). Called by runStageMain.
void installStopHandlers();

bool stopRequested();
const std::atomic<bool>& stopFlag();  // for engines that poll an atomic (fetch's FetchControl::stop)

// 128 + the signal that asked to stop (130 SIGINT, 143 SIGTERM); 0 when none did.
int signalExitCode();

// Thrown by a stage that stopped on request after recording where it stopped.
class StopRequested : public std::exception {
 public:
  const char* what() const noexcept override { return "stopped on request"; }
};

// Test hook, a no-op in normal runs: when $GHLB_TEST_PAUSE_MS is set, waits that long (or until a
// stop is requested) so that an end-to-end test can deliver a signal at this point of a stage.
void testPausePoint();

}  // namespace ghlb
