#include "run.h"

#include <CLI/CLI.hpp>
#include <iostream>

#include "apply.h"
#include "cli.h"
#include "extract.h"
#include "fetch.h"
#include "harden.h"
#include "plan.h"
#include "report_html.h"
#include "status.h"
#include "stop_signal.h"

namespace ghlb {

int runMain(int argc, char** argv) {
  RunOptions o;
  CLI::App app;
  defineRun(app, o);
  return runStageMain(app, argc, argv, "ghl-backfill run", o.common, [&](const Log& log) {
    hardenProcess();  // fetch holds tokens in memory: no core file, no ptrace
    o.extract.common = o.fetch.common = o.plan.common = o.apply.common = o.common;
    o.fetch.database_url = o.apply.database_url = o.extract.database_url;
    // Usage errors before extract starts, not after fetch has spent quota.
    checkReportPath(o.plan.report_path);
    if (o.do_apply) checkApplyUsage(o.apply);
    std::vector<RunStage> stages{{"extract",
                                  [&] {
                                    const bool created = workDbMissing(o.common);
                                    const ExitCode c = runExtract(o.extract, log);
                                    if (created) noteNewWorkDb(o.common, log);
                                    return c;
                                  }},
                                 {"fetch",
                                  [&] {
                                    printFetchEstimate(o.fetch, log, std::cout);
                                    return runFetch(o.fetch, log);
                                  }},
                                 {"plan", [&] { return runPlan(o.plan, log); }}};
    if (o.do_apply) stages.push_back({"apply", [&] { return runApply(o.apply, log); }});
    const ExitCode worst = runStages(stages, log);
    if (!o.do_apply)
      std::cout
          << "\nNothing was written to the application database: review, then run 'ghl-backfill apply'.\n";
    return worst;
  });
}

ExitCode runStages(const std::vector<RunStage>& stages, const Log& log) {
  ExitCode worst = ExitCode::kDone;
  std::size_t i = 0;
  try {
    for (; i < stages.size(); ++i) {
      if (stages[i].body() == ExitCode::kRetryable) worst = ExitCode::kRetryable;
      const bool last = i + 1 == stages.size();
      // The stage that saw the stop recorded it; a budget spent after the last stage stops nothing.
      if (stopRequested() && !(last && stopReason() == StopReason::kTimeBudget)) throw StopRequested();
    }
  } catch (const StopRequested&) {
    if (stopReason() == StopReason::kTimeBudget && i < stages.size()) {
      log.info("the time budget was spent during this stage; no later stage was started",
               {{"stage", std::string(stages[i].name)}});
      if (i == 0 && stages.size() > 1)
        log.warn(
            "the time budget ended the run in its first stage, before the next could start: if runs keep "
            "ending here, give them a longer --time-budget, or run 'ghl-backfill " +
            std::string(stages[0].name) + "' once without one");
    }
    throw;
  }
  return worst;
}

int statusMain(int argc, char** argv) {
  StatusOptions o;
  CLI::App app;
  defineStatus(app, o);
  return runStageMain(app, argc, argv, "ghl-backfill status", o.common, [&](const Log&) {
    requireWorkDb(o.common);
    return runStatus(o, std::cout);
  });
}

}  // namespace ghlb
