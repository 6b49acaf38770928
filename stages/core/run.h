// `ghl-backfill run` (extract, fetch, plan in one go, apply only with --apply) and
// `ghl-backfill status`, as mains the dispatcher calls in-process.
#pragma once
#include <functional>
#include <vector>

#include "exit_code.h"
#include "log.h"

namespace ghlb {

int runMain(int argc, char** argv);     // argv[0] is "run"
int statusMain(int argc, char** argv);  // argv[0] is "status"

// One stage of `run`: its name (for the log) and what runs it.
struct RunStage {
  const char* name;
  std::function<ExitCode()> body;
};

// Runs STAGES in order and returns kRetryable when any returned it, else kDone. Between stages a
// stop request (a signal, or the time budget spent: stop_signal.h) throws StopRequested and no
// later stage starts; after the last stage a spent budget stops nothing (every stage finished),
// a signal still does. When the budget ended the run, says in which stage (and, in the first,
// why no later stage can start until it fits the budget).
ExitCode runStages(const std::vector<RunStage>& stages, const Log& log);

}  // namespace ghlb
