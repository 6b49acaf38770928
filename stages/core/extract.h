// extract: snapshots every eligible lead of every participating tenant (or of --client-id) from
// PostgreSQL into the work DB, with keyset pagination by id, plus every contact id already linked
// anywhere in "Lead". Re-running refreshes leads not yet applied, adds new ones, never duplicates,
// and marks leads that are no longer eligible.
#pragma once
#include <cstdint>

#include "exit_code.h"
#include "log.h"
#include "options.h"

namespace ghlb {

struct ExtractCounts {
  std::int64_t tenants = 0;             // tenants in scope
  std::int64_t participating = 0;       // with location and token
  std::int64_t leads_new = 0;           // first time in the snapshot
  std::int64_t leads_refreshed = 0;     // already there, values refreshed
  std::int64_t leads_kept_applied = 0;  // already applied: snapshot kept as it was
  std::int64_t leads_no_longer_eligible = 0;
  std::int64_t linked_contacts = 0;  // contact ids linked anywhere in "Lead"
  bool capped = false;               // stopped at --max-leads
};

// The stage: validates options, reads PostgreSQL, writes the work DB, prints the summary on stdout.
ExitCode runExtract(const ExtractOptions& opts, const Log& log);

// The SQL condition making a "Lead" row (alias l) eligible; $n is pgBlankPattern().
std::string eligibleLeadCondition(int blank_param);

}  // namespace ghlb
