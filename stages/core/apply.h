// apply: writes the stored plan to PostgreSQL in batched transactions. Each lead is one guarded
// statement that re-checks, as it writes, that every field is still missing (and, for a link,
// that no other lead holds the contact); what it finds instead is recorded as stale, already_set
// or conflict. Every outcome goes to apply_log, so a second run writes nothing. Leads whose plan
// is pending or waiting get nothing, and make apply exit 3 (come back after fetch and plan).
// Each run that writes is a wave (wave_select.h: --field, --sample, --limit) whose written values
// are journaled with what they replaced (wave_store.h), for `ghl-backfill revert WAVE`.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "clock.h"
#include "exit_code.h"
#include "log.h"
#include "options.h"

namespace pqxx {
class sql_error;
}

namespace ghlb {

namespace apply_outcome {
inline constexpr const char* kWritten = "written";
inline constexpr const char* kAlreadySet = "already_set";      // holds exactly the planned value
inline constexpr const char* kStale = "stale";                 // filled by someone else since extract
inline constexpr const char* kConflict = "conflict";           // contact linked to another lead since plan
inline constexpr const char* kGone = "gone";                   // lead deleted since extract
inline constexpr const char* kInvalidValue = "invalid_value";  // not clean text: never sent
inline constexpr const char* kReverted = "reverted";           // written, then restored by revert
}  // namespace apply_outcome

// The outcome of one field from what the guarded statement saw. current is the value at write
// time; planned the value plan computed.
const char* fieldOutcome(bool written, const std::optional<std::string>& current, const std::string& planned);

// SQLSTATE class 42 (privileges, undefined table or column, syntax): retrying cannot fix it.
bool unretryableSqlError(const pqxx::sql_error& e);
// FatalError (exit 1), one line: the role lacks UPDATE on "Lead", or the schema refused COMMAND's
// statement; then run COMMAND again.
[[noreturn]] void throwUnretryable(const pqxx::sql_error& e, const std::string& command);

// --max-rows-per-second: the earliest time the batch after DONE leads may start, so that the leads
// written since START never run ahead of RATE per second (RATE 0: no pace, START itself).
SteadyTime pacedStart(SteadyTime start, std::int64_t done, std::int64_t rate);

// Sleeps until DUE on CLOCK in short slices; returns false as soon as a stop is requested (SIGINT,
// SIGTERM, a time budget: stop_signal.h), so that a long pause ends promptly.
bool pauseUntil(const Clock& clock, SteadyTime due);

// The usage errors of apply's flags (exit 2), checked before anything is opened; run checks them
// before its first stage.
void checkApplyUsage(const ApplyOptions& opts);
ExitCode runApply(const ApplyOptions& opts, const Log& log);

}  // namespace ghlb
