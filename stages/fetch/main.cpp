// ghl-backfill fetch: look every snapshotted lead up in GHL, within each location's rate limit.
#include "cli.h"
#include "fetch.h"
#include "harden.h"

int main(int argc, char** argv) {
  ghlb::FetchOptions opts;
  const auto define = [&](CLI::App& app) { ghlb::defineFetch(app, opts); };
  return ghlb::runStageMain(define, argc, argv, "ghl-backfill fetch", opts.common, [&](const ghlb::Log& log) {
    ghlb::hardenProcess();  // tokens live in this process: no core file, no ptrace
    ghlb::requireWorkDb(opts.common);
    return ghlb::runFetch(opts, log);
  });
}
