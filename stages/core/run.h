// `ghl-backfill run` (extract, fetch, plan in one go, apply only with --apply) and
// `ghl-backfill status`, as mains the dispatcher calls in-process.
#pragma once

namespace ghlb {

int runMain(int argc, char** argv);     // argv[0] is "run"
int statusMain(int argc, char** argv);  // argv[0] is "status"

}  // namespace ghlb
