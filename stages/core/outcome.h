// Outcomes a caller branches on: what one GHL lookup of one lead ended as (stored in
// fetch_result.outcome), and whether fetch must try that lead again.
#pragma once
#include <optional>
#include <string_view>

namespace ghlb {

enum class FetchOutcome {
  kFound,        // contact found (GET 200, or search with >= 1 contact)
  kNotFound,     // search returned no contact
  kContactGone,  // GET 404: the stored contact id no longer exists (id is never cleared)
  kInvalidId,    // stored "ghlContactId" cannot be a GHL id: not sent
  kNoLookup,     // neither contact id nor email: nothing to look up, no call
  kAuthFailed,   // 401/403: the whole location is stopped (retryable once the token is fixed)
  kDailyLimit,   // 429 with daily remaining 0: location paused until reset (retryable)
  kPermanent,    // 400/422 or another 4xx on a well-formed request: per-lead permanent failure
  kBadResponse,  // 2xx with a body that is not JSON or not the expected shape (retryable)
  kTransient,    // 5xx, 429, network error or timeout after --max-retries (retryable)
};

std::string_view toString(FetchOutcome o);
std::optional<FetchOutcome> fetchOutcomeFromString(std::string_view s);

// True when a later fetch run must try the lead again.
bool isRetryable(FetchOutcome o);

}  // namespace ghlb
