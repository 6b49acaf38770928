#include "run.h"

#include <iostream>
#include <string_view>

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
    checkReportPath(o.plan.report_path);  // a bad --report is a usage error before extract starts
    ExitCode worst = ExitCode::kDone;
    const char* stage = "extract";  // the stage running, for the line saying where a budget ended
    // Between stages: a stop request (a signal, or the time budget spent) ends the run here and
    // no later stage starts; the stage that saw it recorded it. After the last stage ("" next),
    // a budget spent just now stops nothing: every stage finished.
    const auto step = [&worst, &stage](ExitCode c, const char* next) {
      if (c == ExitCode::kRetryable) worst = c;
      if (stopRequested() && (*next || stopReason() != StopReason::kTimeBudget)) throw StopRequested();
      stage = next;
    };
    try {
      const bool created = workDbMissing(o.common);
      step(runExtract(o.extract, log), "fetch");
      if (created) noteNewWorkDb(o.common, log);
      printFetchEstimate(o.fetch, log, std::cout);
      step(runFetch(o.fetch, log), "plan");
      step(runPlan(o.plan, log), o.do_apply ? "apply" : "");
      if (o.do_apply)
        step(runApply(o.apply, log), "");
      else
        std::cout
            << "\nNothing was written to the application database: review, then run 'ghl-backfill apply'.\n";
    } catch (const StopRequested&) {
      if (stopReason() == StopReason::kTimeBudget) {
        log.info("the time budget was spent during this stage; no later stage was started",
                 {{"stage", std::string(stage)}});
        if (std::string_view(stage) == "extract")
          log.warn(
              "the time budget ended the run in extract, before fetch could start: if every run ends "
              "here, give it a longer --time-budget, or run 'ghl-backfill extract' once without one");
      }
      throw;
    }
    return worst;
  });
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
