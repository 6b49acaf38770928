// ghl-backfill extract: snapshot eligible leads from PostgreSQL into the work DB.
#include <sqlite3.h>

#include "cli.h"
#include "extract.h"

int main(int argc, char** argv) {
  // Each of extract's SQLite connections is used by one thread at a time (the stage's, the WAL
  // checkpointer's): no mutex per call, and no allocator statistics (a mutex per allocation):
  // pthread_mutex_lock and unlock were 4% of extract's CPU at 2M leads. Before any connection.
  sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  ghlb::ExtractOptions opts;
  const auto define = [&](CLI::App& app) { ghlb::defineExtract(app, opts); };
  return ghlb::runStageMain(define, argc, argv, "ghl-backfill extract", opts.common,
                            [&](const ghlb::Log& log) {
                              const bool created = ghlb::workDbMissing(opts.common);
                              const auto code = ghlb::runExtract(opts, log);
                              if (created) ghlb::noteNewWorkDb(opts.common, log);
                              return code;
                            });
}
