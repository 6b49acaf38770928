// ghl-backfill revert: restore what one apply wave wrote, where the application left it unchanged.
#include "cli.h"
#include "revert.h"

int main(int argc, char** argv) {
  ghlb::RevertOptions opts;
  const auto define = [&](CLI::App& app) { ghlb::defineRevert(app, opts); };
  return ghlb::runStageMain(define, argc, argv, "ghl-backfill revert", opts.common,
                            [&](const ghlb::Log& log) {
                              ghlb::requireWorkDb(opts.common);
                              return ghlb::runRevert(opts, log);
                            });
}
