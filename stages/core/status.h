// `ghl-backfill status`: progress per stage (last run of each, with its counts) and per tenant
// (snapshotted, fetched, planned, applied), read from the work DB only. Counts and ids only.
#pragma once
#include <iosfwd>

#include "exit_code.h"
#include "log.h"
#include "options.h"

namespace ghlb {

ExitCode runStatus(const CommonOptions& opts, std::ostream& out);

}  // namespace ghlb
