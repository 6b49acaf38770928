// run.h runStages: the stages of `ghl-backfill run` in order, none started after a stop (a signal
// or the time budget), the worst exit code, and a budget spent after the last stage stopping
// nothing. Stages are fakes that record they ran and raise the stop where a test says.
#include "run.h"

#include <doctest/doctest.h>

#include <sstream>

#include "stop_signal.h"

using namespace ghlb;

namespace {

struct Pipeline {
  std::vector<std::string> ran;
  std::ostringstream logged;
  Log log{"ghl-backfill run", LogFormat::kText, false, &logged};

  // Four stages; stage STOP_AT (if any) raises REASON while it runs, as a deadline passing would.
  std::vector<RunStage> stages(int stop_at = -1, StopReason reason = StopReason::kTimeBudget,
                               ExitCode fetch_code = ExitCode::kDone) {
    std::vector<RunStage> out;
    const char* names[] = {"extract", "fetch", "plan", "apply"};
    for (int i = 0; i < 4; ++i)
      out.push_back({names[i], [this, i, stop_at, reason, fetch_code, name = names[i]] {
                       ran.push_back(name);
                       if (i == stop_at) raiseStopForTesting(reason);
                       return i == 1 ? fetch_code : ExitCode::kDone;
                     }});
    return out;
  }
};

}  // namespace

TEST_CASE("runStages: every stage in order; retryable wins over done") {
  resetStopForTesting();
  Pipeline p;
  CHECK(runStages(p.stages(), p.log) == ExitCode::kDone);
  CHECK(p.ran == std::vector<std::string>{"extract", "fetch", "plan", "apply"});
  Pipeline q;
  CHECK(runStages(q.stages(-1, StopReason::kNone, ExitCode::kRetryable), q.log) == ExitCode::kRetryable);
  CHECK(q.ran.size() == 4);
}

TEST_CASE("runStages: no stage starts after the budget is spent; the log says where") {
  resetStopForTesting();
  Pipeline p;
  CHECK_THROWS_AS(runStages(p.stages(1), p.log), StopRequested);
  CHECK(p.ran == std::vector<std::string>{"extract", "fetch"});
  CHECK(p.logged.str().find("stage=fetch") != std::string::npos);
  resetStopForTesting();

  Pipeline first;  // ended in the first stage: it says why nothing can follow until it fits
  CHECK_THROWS_AS(runStages(first.stages(0), first.log), StopRequested);
  CHECK(first.ran == std::vector<std::string>{"extract"});
  CHECK(first.logged.str().find("longer --time-budget") != std::string::npos);
  resetStopForTesting();
}

TEST_CASE("runStages: a budget spent in the last stage stops nothing; a signal there still does") {
  resetStopForTesting();
  Pipeline p;
  CHECK(runStages(p.stages(3), p.log) == ExitCode::kDone);
  CHECK(p.ran.size() == 4);
  resetStopForTesting();
  Pipeline q;
  CHECK_THROWS_AS(runStages(q.stages(3, StopReason::kSignal), q.log), StopRequested);
  resetStopForTesting();
  Pipeline r;  // a signal between stages: the same as a budget
  CHECK_THROWS_AS(runStages(r.stages(2, StopReason::kSignal), r.log), StopRequested);
  CHECK(r.ran == std::vector<std::string>{"extract", "fetch", "plan"});
  CHECK(r.logged.str().find("time budget") == std::string::npos);
  resetStopForTesting();
}
