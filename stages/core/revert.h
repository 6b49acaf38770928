// revert: `ghl-backfill revert WAVE` undoes one apply wave. For each lead of the wave's journal
// (wave_store.h) not reverted yet, one guarded statement sets each field back to the value it
// held before the wave, only where the field still holds what the wave wrote (IS NOT DISTINCT
// FROM the journal's after: the re-check is in the same statement), sets "updatedAt" when it
// restored anything, and returns which fields it restored. Fields the application changed since
// are left and reported (counts per field; lead ids with --json). Restored values become
// apply_log outcome 'reverted', so no later apply writes them again. Revert is idempotent (a
// second run finds nothing left), batched, stops cleanly between batches, and asks like apply.
#pragma once
#include <string>
#include <vector>

#include "exit_code.h"
#include "fields.h"
#include "log.h"
#include "options.h"

namespace ghlb {

// The statement restoring FIELDS (in kFields order) of one lead: $1 lead id, then per field
// $2k+2 the value the wave wrote and $2k+3 the value to restore (untyped, so each takes its
// column's type). Returns one row (none when the lead is gone): per field whether it still held
// the written value (and was restored), then the number of rows updated.
std::string revertSql(const std::vector<const FieldSpec*>& fields);

ExitCode runRevert(const RevertOptions& opts, const Log& log);

}  // namespace ghlb
