// ghl-backfill fetch: look every snapshotted lead up in GHL, within each location's rate limit.
#include <cstdlib>

#include "cli.h"
#include "fetch.h"
#include "harden.h"
#include "names.h"

int main(int argc, char** argv) {
  ghlb::FetchOptions opts;
  if (const char* base = std::getenv(ghlb::names::kEnvGhlBase); base && *base) opts.base_url = base;
  CLI::App app{"Look each snapshotted lead up in GHL (GET or email search) and store the raw results in the work DB."};
  app.name("ghl-backfill fetch");
  ghlb::addCommonFlags(app, opts.common);
  ghlb::addDatabaseUrlFlag(app, opts.database_url);
  app.add_option("--ghl-base-url", opts.base_url, "GHL API base URL; default $GHL_API_BASE or GHL's")
      ->capture_default_str();
  app.add_option("--per-location-burst-per-10s", opts.burst_per_10s,
                 "requests per location per 10 s (GHL allows 100, shared with the app); default $GHL_REQUESTS_PER_10S or 90")
      ->envname(ghlb::names::kEnvBurst)
      ->capture_default_str();
  app.add_option("--headroom", opts.headroom, "slots of each location's window left to the live application")->capture_default_str();
  app.add_option("--daily-reserve", opts.daily_reserve, "requests of each location's daily quota never spent (left to the application)")->capture_default_str();
  app.add_option("--per-location-rps", opts.per_location_rps, "steady requests per second per location (0: burst only)")
      ->capture_default_str();
  app.add_option("--concurrency", opts.concurrency, "requests in flight overall")->capture_default_str();
  app.add_option("--max-retries", opts.max_retries, "retries per request on 5xx, 429 and network errors")
      ->capture_default_str();
  app.add_option("--timeout-ms", opts.timeout_ms, "timeout per request")->capture_default_str();
  app.add_option("--max-requests", opts.max_requests, "stop after N requests (0: no cap)")->capture_default_str();
  app.add_option("--max-body-bytes", opts.max_body_bytes, "longest GHL answer read (64 KiB to 64 MiB)")
      ->capture_default_str();
  app.add_flag("--estimate", opts.estimate, "print the requests, time and days the remaining work needs; call nothing");
  app.add_flag("--refetch", opts.refetch, "fetch every lead again, even those with a final result");
  return ghlb::runStageMain(app, argc, argv, "ghl-backfill fetch", opts.common,
                            [&](const ghlb::Log& log) {
    ghlb::hardenProcess();  // tokens are held in memory: no core file, no ptrace
    return ghlb::runFetch(opts, log);
  });
}
