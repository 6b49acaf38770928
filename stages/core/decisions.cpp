#include "decisions.h"

#include "apply.h"
#include "names.h"
#include "plan.h"

namespace ghlb {
namespace {

// The one name table of ChangeState.
constexpr std::pair<ChangeState, std::string_view> kStateNames[] = {
    {ChangeState::kProposed, "proposed"}, {ChangeState::kApproved, "approved"},
    {ChangeState::kRejected, "rejected"}, {ChangeState::kApplied, "applied"},
    {ChangeState::kStale, "stale"},       {ChangeState::kConflict, "conflict"},
    {ChangeState::kWaiting, "waiting"},   {ChangeState::kReverted, "reverted"},
};

constexpr std::pair<Decision, std::string_view> kDecisionNames[] = {
    {Decision::kApproved, "approved"},
    {Decision::kRejected, "rejected"},
};

// apply_log.outcome that revert sets (the revert command owns it; only the string is shared).
constexpr std::string_view kRevertedOutcome = "reverted";

bool isEnrichment(std::string_view field) {
  return field == names::kFieldEnrichmentStatus || field == names::kFieldEnrichmentSource ||
         field == names::kFieldEnrichedAt;
}

}  // namespace

std::string_view toString(ChangeState s) {
  for (const auto& [state, name] : kStateNames)
    if (state == s) return name;
  return "proposed";
}

std::optional<ChangeState> changeStateFromString(std::string_view s) {
  for (const auto& [state, name] : kStateNames)
    if (name == s) return state;
  return std::nullopt;
}

bool isDecidable(ChangeState s) {
  return s == ChangeState::kProposed || s == ChangeState::kApproved || s == ChangeState::kRejected ||
         s == ChangeState::kWaiting;
}

std::string_view toString(Decision d) {
  for (const auto& [decision, name] : kDecisionNames)
    if (decision == d) return name;
  return "rejected";
}

std::optional<Decision> decisionFromString(std::string_view s) {
  for (const auto& [decision, name] : kDecisionNames)
    if (name == s) return decision;
  return std::nullopt;
}

std::optional<Decision> ownDecision(const ChangeFacts& c) {
  if (!c.decision || !c.decision_value || *c.decision_value != c.new_value) return std::nullopt;
  return c.decision;
}

std::vector<std::optional<Decision>> effectiveDecisions(const std::vector<ChangeFacts>& lead_changes) {
  std::vector<std::optional<Decision>> out;
  std::optional<Decision> link, phone;
  bool has_link = false, has_phone = false;
  for (const auto& c : lead_changes) {
    out.push_back(ownDecision(c));
    if (c.field == names::kFieldContactId) has_link = true, link = out.back();
    if (c.field == names::kFieldPhone) has_phone = true, phone = out.back();
  }
  if (link == Decision::kRejected)
    return std::vector<std::optional<Decision>>(out.size(), Decision::kRejected);
  bool any_approved = false;
  for (size_t i = 0; i < out.size(); ++i) {
    if (has_phone && isEnrichment(lead_changes[i].field)) out[i] = phone;
    if (out[i] == Decision::kApproved) any_approved = true;
  }
  if (has_link && any_approved)
    for (size_t i = 0; i < out.size(); ++i)
      if (lead_changes[i].field == names::kFieldContactId) out[i] = Decision::kApproved;
  return out;
}

ChangeState deriveState(std::string_view plan_status, std::optional<Decision> effective,
                        const std::optional<std::string>& apply_outcome) {
  if (apply_outcome) {
    const std::string_view o = *apply_outcome;
    if (o == apply_outcome::kWritten || o == apply_outcome::kAlreadySet) return ChangeState::kApplied;
    if (o == apply_outcome::kConflict) return ChangeState::kConflict;
    if (o == kRevertedOutcome) return ChangeState::kReverted;
    return ChangeState::kStale;  // stale, gone, invalid_value, or an outcome this build does not know
  }
  if (plan_status == plan_status::kWaiting) return ChangeState::kWaiting;
  if (plan_status == plan_status::kConflict) return ChangeState::kConflict;
  if (effective == Decision::kApproved) return ChangeState::kApproved;
  if (effective == Decision::kRejected) return ChangeState::kRejected;
  return ChangeState::kProposed;
}

std::vector<ChangeState> leadStates(std::string_view plan_status,
                                    const std::vector<ChangeFacts>& lead_changes) {
  const auto effective = effectiveDecisions(lead_changes);
  std::vector<ChangeState> out;
  for (size_t i = 0; i < lead_changes.size(); ++i)
    out.push_back(deriveState(plan_status, effective[i], lead_changes[i].apply_outcome));
  return out;
}

bool applyMayWrite(std::optional<Decision> effective, bool only_approved) {
  if (effective == Decision::kRejected) return false;
  return !only_approved || effective == Decision::kApproved;
}

}  // namespace ghlb
