// ghl-backfill apply: write the reviewed plan to PostgreSQL, fill-only and guarded.
#include "apply.h"
#include "cli.h"

int main(int argc, char** argv) {
  ghlb::ApplyOptions opts;
  CLI::App app{"Write the planned values to the application database; each write fills only a field that is still missing."};
  app.name("ghl-backfill apply");
  ghlb::addCommonFlags(app, opts.common);
  ghlb::addDatabaseUrlFlag(app, opts.database_url);
  app.add_option("--batch-size", opts.batch_size, "leads per transaction")->capture_default_str();
  app.add_flag("--dry-run", opts.dry_run, "report what would be written; write nothing");
  return ghlb::runStageMain(app, argc, argv, "ghl-backfill apply", opts.common,
                            [&](const ghlb::Log& log) { return ghlb::runApply(opts, log); });
}
