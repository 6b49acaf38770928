// The review summary (review.h) as one JSON document, for `plan --json`. Counts and ids only.
// Shape, versioned by schema_version (add fields freely; rename or remove only with a new version):
//   {"schema_version":1,
//    "totals":{"leads":N,"by_status":{STATUS:N},"ambiguous":N,"links":N,"fields":{FIELD:N},
//              "reported":{"FIELD:REASON":N},"applied":{OUTCOME:N}},
//    "tenants":[{"client_id":ID, ...the same keys as totals...}]}
#pragma once
#include <iosfwd>

#include "review.h"

namespace ghlb {

inline constexpr int kReviewJsonSchemaVersion = 1;

void printReviewJson(const ReviewSummary& s, std::ostream& out);

}  // namespace ghlb
