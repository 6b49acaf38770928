// ghl-backfill apply: write the reviewed plan to PostgreSQL, fill-only and guarded.
#include "apply.h"
#include "cli.h"

int main(int argc, char** argv) {
  ghlb::ApplyOptions opts;
  const auto define = [&](CLI::App& app) { ghlb::defineApply(app, opts); };
  return ghlb::runStageMain(define, argc, argv, "ghl-backfill apply", opts.common, [&](const ghlb::Log& log) {
    ghlb::requireWorkDb(opts.common);
    return ghlb::runApply(opts, log);
  });
}
