// `ghl-backfill review`: the reviewer's decisions in bulk (issue 6). It picks the changes of the
// latest plan covering the tenants asked, by selectors combined with AND (--client-id, --field,
// --lead, --leads-file, --ambiguous, --state; --all for everything), sets --approve, --reject or
// --reset on those still decidable (decisions.h; applied, stale, conflict or reverted ones are
// skipped and counted), then prints the changes by state, in total, per tenant and per field.
// Without a decision flag nor a selector it only prints that summary. Counts and ids only.
// With --json, one JSON document on stdout:
//   {"schema_version":1, "plan_id":N, "action":"approve"|"reject"|"reset"|null, "dry_run":bool,
//    "selected":N, "changed":N, "skipped":N, "unmatched_lead_ids":N,
//    "totals":{STATE:N,...}, "tenants":[{"client_id","states":{STATE:N,...}}],
//    "fields":[{"field","states":{STATE:N,...}}]}
// where STATE is every name of ChangeState and "changed" counts the changes whose state changed
// (the linkage rule included).
#pragma once
#include <iosfwd>
#include <string>
#include <vector>

#include "exit_code.h"
#include "log.h"
#include "options.h"

namespace ghlb {

inline constexpr int kReviewJsonSchemaVersion = 1;

// The lead ids of a --leads-file's text: one per line, '#' starts a comment, blanks ignored.
// Throws usageError naming the line of an id that cannot be one (control bytes, > 200 bytes).
std::vector<std::string> parseLeadIds(const std::string& text);

ExitCode runReview(const ReviewOptions& opts, const Log& log, std::ostream& out);

int reviewMain(int argc, char** argv);  // argv[0] is "review": the dispatcher's in-process command

}  // namespace ghlb
