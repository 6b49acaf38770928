#include "run.h"

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
    checkReportPath(o.plan.report_path);  // a bad --report is a usage error before extract starts
    ExitCode worst = ExitCode::kDone;
    // Between stages: a stop request ends the run here; the stage that saw it recorded it.
    const auto step = [&worst](ExitCode c) {
      if (c == ExitCode::kRetryable) worst = c;
      if (stopRequested()) throw StopRequested();
      return c;
    };
    const bool created = workDbMissing(o.common);
    step(runExtract(o.extract, log));
    if (created) noteNewWorkDb(o.common, log);
    printFetchEstimate(o.fetch, log, std::cout);
    step(runFetch(o.fetch, log));
    step(runPlan(o.plan, log));
    if (o.do_apply)
      step(runApply(o.apply, log));
    else
      std::cout
          << "\nNothing was written to the application database: review, then run 'ghl-backfill apply'.\n";
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
