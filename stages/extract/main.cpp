// ghl-backfill extract: snapshot eligible leads from PostgreSQL into the work DB.
#include "cli.h"
#include "extract.h"

int main(int argc, char** argv) {
  ghlb::ExtractOptions opts;
  CLI::App app{"Snapshot every eligible lead (ids and current values) from the application database into the work DB."};
  app.name("ghl-backfill extract");
  ghlb::addCommonFlags(app, opts.common);
  ghlb::addDatabaseUrlFlag(app, opts.database_url);
  app.add_option("--page-size", opts.page_size, "leads per keyset page")->capture_default_str();
  app.add_option("--max-leads", opts.max_leads, "snapshot at most N leads (0: no cap)")->capture_default_str();
  return ghlb::runStageMain(app, argc, argv, "ghl-backfill extract", opts.common,
                            [&](const ghlb::Log& log) { return ghlb::runExtract(opts, log); });
}
