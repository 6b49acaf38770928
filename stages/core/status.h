// `ghl-backfill status`: progress per stage (last run of each, with its counts) and per tenant
// (snapshotted, fetched, planned, applied), read from the work DB only. Counts and ids only.
// With --json, one JSON document on stdout:
//   {"schema_version":1, "work_db":PATH, "work_db_schema_version":N,
//    "stages":[{"stage","run","status","stop_reason"|null,"started_at","finished_at"|null,"counts":{...}}],
//    (stop_reason of an interrupted run: "signal", "time budget" or "died"; a run left 'running'
//    by a process that is gone shows as interrupted/died)
//    "tenants":[{"client_id","leads","fetched","retryable","planned","to_write","written","stale"}],
//    "waves":[{"wave","plan","apply_run","status","started_at","finished_at"|null,
//              "selection":{"client_ids","fields","limit","sample","leads"},"counts":{...},
//              "written","restored","left_changed"}]}
#pragma once
#include <iosfwd>

#include "exit_code.h"
#include "log.h"
#include "options.h"

namespace ghlb {

inline constexpr int kStatusJsonSchemaVersion = 1;

ExitCode runStatus(const StatusOptions& opts, std::ostream& out);

}  // namespace ghlb
