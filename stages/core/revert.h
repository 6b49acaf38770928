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

// The statement restoring one batch of leads, every field of kFields: $1 the lead ids (text[]),
// $2 a JSON array of one object per lead, {"id", "a": {field: the value the wave wrote}, "b":
// {field: the value to restore}} with only the fields journaled (each value takes its column's
// type). Per lead it locks the row (in id order), restores each journaled field that still holds
// what the wave wrote, and sets "updatedAt" when it restored anything. Returns one row per lead
// found (none for a lead gone): id, whether the row was updated, then per field of kFields
// whether it still held the written value (and was restored).
std::string revertSql();

ExitCode runRevert(const RevertOptions& opts, const Log& log);

}  // namespace ghlb
