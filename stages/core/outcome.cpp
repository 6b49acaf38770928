#include "outcome.h"

#include <array>
#include <utility>

namespace ghlb {
namespace {

constexpr std::array<std::pair<FetchOutcome, std::string_view>, 10> kNames = {{
    {FetchOutcome::kFound, "found"},
    {FetchOutcome::kNotFound, "not_found"},
    {FetchOutcome::kContactGone, "contact_gone"},
    {FetchOutcome::kInvalidId, "invalid_id"},
    {FetchOutcome::kNoLookup, "no_lookup"},
    {FetchOutcome::kAuthFailed, "auth_failed"},
    {FetchOutcome::kDailyLimit, "daily_limit"},
    {FetchOutcome::kPermanent, "failed_permanent"},
    {FetchOutcome::kBadResponse, "bad_response"},
    {FetchOutcome::kTransient, "failed_transient"},
}};

}  // namespace

std::string_view toString(FetchOutcome o) {
  for (const auto& [value, name] : kNames)
    if (value == o) return name;
  return "unknown";
}

std::optional<FetchOutcome> fetchOutcomeFromString(std::string_view s) {
  for (const auto& [value, name] : kNames)
    if (name == s) return value;
  return std::nullopt;
}

bool isRetryable(FetchOutcome o) {
  switch (o) {
    case FetchOutcome::kAuthFailed:
    case FetchOutcome::kDailyLimit:
    case FetchOutcome::kBadResponse:
    case FetchOutcome::kTransient:
      return true;
    default:
      return false;
  }
}

}  // namespace ghlb
