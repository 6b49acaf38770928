// ghl-backfill extract: snapshot eligible leads from PostgreSQL into the work DB.
#include "cli.h"
#include "extract.h"

int main(int argc, char** argv) {
  ghlb::ExtractOptions opts;
  CLI::App app;
  ghlb::defineExtract(app, opts);
  return ghlb::runStageMain(app, argc, argv, "ghl-backfill extract", opts.common, [&](const ghlb::Log& log) {
    const bool created = ghlb::workDbMissing(opts.common);
    const auto code = ghlb::runExtract(opts, log);
    if (created) ghlb::noteNewWorkDb(opts.common, log);
    return code;
  });
}
