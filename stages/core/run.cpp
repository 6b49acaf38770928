#include "run.h"

#include <cstdlib>
#include <iostream>

#include "apply.h"
#include "cli.h"
#include "extract.h"
#include "fetch.h"
#include "harden.h"
#include "names.h"
#include "plan.h"
#include "status.h"

namespace ghlb {

int runMain(int argc, char** argv) {
  CommonOptions common;
  ExtractOptions ex;
  FetchOptions fe;
  PlanOptions pl;
  ApplyOptions ap;
  bool apply = false;
  if (const char* base = std::getenv(names::kEnvGhlBase); base && *base) fe.base_url = base;
  CLI::App app{"Run extract, fetch and plan, then print the review summary. Applies only with --apply."};
  app.name("ghl-backfill run");
  addCommonFlags(app, common);
  addDatabaseUrlFlag(app, ex.database_url);
  app.add_option("--page-size", ex.page_size, "extract: leads per keyset page")->capture_default_str();
  app.add_option("--max-leads", ex.max_leads, "extract: snapshot at most N leads (0: no cap)")->capture_default_str();
  app.add_option("--ghl-base-url", fe.base_url, "fetch: GHL API base URL")->capture_default_str();
  app.add_option("--per-location-burst-per-10s", fe.burst_per_10s, "fetch: requests per location per 10 s")
      ->envname(names::kEnvBurst)
      ->capture_default_str();
  app.add_option("--headroom", fe.headroom, "fetch: slots per window left to the application")->capture_default_str();
  app.add_option("--daily-reserve", fe.daily_reserve, "fetch: daily requests per location never spent")->capture_default_str();
  app.add_option("--per-location-rps", fe.per_location_rps, "fetch: steady requests per second per location")
      ->capture_default_str();
  app.add_option("--concurrency", fe.concurrency, "fetch: requests in flight overall")->capture_default_str();
  app.add_option("--max-retries", fe.max_retries, "fetch: retries per request")->capture_default_str();
  app.add_option("--timeout-ms", fe.timeout_ms, "fetch: timeout per request")->capture_default_str();
  app.add_option("--max-requests", fe.max_requests, "fetch: stop after N requests (0: no cap)")->capture_default_str();
  app.add_option("--max-body-bytes", fe.max_body_bytes, "fetch: longest GHL answer read")->capture_default_str();
  app.add_flag("--refetch", fe.refetch, "fetch: fetch every lead again");
  app.add_option("--export", pl.export_path, "plan: write the diff to FILE.csv or FILE.json (holds PII)");
  app.add_flag("--apply", apply, "apply the plan after the review");
  app.add_option("--batch-size", ap.batch_size, "apply: leads per transaction")->capture_default_str();
  app.add_flag("--dry-run", ap.dry_run, "apply: with --apply, report and write nothing");

  return runStageMain(app, argc, argv, "ghl-backfill run", common, [&](const Log& log) {
    hardenProcess();  // fetch holds tokens in memory: no core file, no ptrace
    ex.common = fe.common = pl.common = ap.common = common;
    fe.database_url = ap.database_url = ex.database_url;
    ExitCode worst = ExitCode::kDone;
    const auto step = [&worst](ExitCode c) {
      if (c == ExitCode::kRetryable) worst = c;
      return c;
    };
    step(runExtract(ex, log));
    printFetchEstimate(fe, log, std::cout);
    step(runFetch(fe, log));
    step(runPlan(pl, log));
    if (apply) step(runApply(ap, log));
    else std::cout << "\nNothing was written to the application database: review, then run 'ghl-backfill apply'.\n";
    return worst;
  });
}

int statusMain(int argc, char** argv) {
  CommonOptions common;
  CLI::App app{"Progress per stage and per tenant, read from the work DB."};
  app.name("ghl-backfill status");
  addCommonFlags(app, common);
  return runStageMain(app, argc, argv, "ghl-backfill status", common,
                      [&](const Log&) { return runStatus(common, std::cout); });
}

}  // namespace ghlb
