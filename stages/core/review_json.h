// The review summary (review.h) as one JSON document, for `plan --json`. Counts and ids only.
// Shape, versioned by schema_version (add fields freely; rename or remove only with a new version):
//   {"schema_version":1,
//    "totals":{"leads":N,"by_status":{STATUS:N},"ambiguous":N,"links":N,"fields":{FIELD:N},
//              "reported":{"FIELD:REASON":N},"applied":{OUTCOME:N}},
//    "tenants":[{"client_id":ID,"client_name":NAME (when known), ...the same keys as totals...}]}
// plan --lead/--field/--outcome narrow "totals" and "tenants" to the leads they select.
#pragma once
#include <iosfwd>

#include "review.h"

namespace ghlb {

inline constexpr int kReviewJsonSchemaVersion = 1;

void printReviewJson(const ReviewSummary& s, std::ostream& out);

}  // namespace ghlb
