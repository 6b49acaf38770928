// decisions: the rules of a reviewed rollout (issue 6), no SQL. Every planned change (a plan_item
// row: one field of one lead) has a state, derived from the lead's plan status, the reviewer's
// decision (if any, taken on the same new value) and what apply did with it (apply_log). A
// decision on a lead's "ghlContactId" link or its phone reaches further (linkage rule below).
// decision_store.h keeps the decisions; review_cmd.h sets them; apply holds back what they refuse.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ghlb {

enum class ChangeState {
  kProposed,  // planned, no decision in force
  kApproved,  // the reviewer approved it (apply --only-approved writes only these)
  kRejected,  // the reviewer rejected it: apply never writes it
  kApplied,   // apply wrote it (or found exactly that value there)
  kStale,     // apply found the field filled meanwhile, the lead gone, or the value unwritable
  kConflict,  // the contact is (or became) another lead's: left unchanged
  kWaiting,   // a smaller lead that could take the same contact has no final lookup yet
  kReverted,  // revert put the old value back
};

// Every state, in the order summaries list them.
inline constexpr ChangeState kChangeStates[] = {
    ChangeState::kProposed, ChangeState::kApproved, ChangeState::kRejected, ChangeState::kApplied,
    ChangeState::kStale,    ChangeState::kConflict, ChangeState::kWaiting,  ChangeState::kReverted,
};

std::string_view toString(ChangeState s);
std::optional<ChangeState> changeStateFromString(std::string_view s);

// Whether a reviewer may still decide a change in state s: not once apply settled it (applied,
// stale, conflict, reverted).
bool isDecidable(ChangeState s);

enum class Decision { kApproved, kRejected };  // decision.decision

std::string_view toString(Decision d);
std::optional<Decision> decisionFromString(std::string_view s);

// One change of a lead as the rules see it.
struct ChangeFacts {
  std::string field;                 // plan_item.field (names::kField*)
  std::string new_value;             // plan_item.new_value (or apply_log.new_value once the plan dropped it)
  std::optional<Decision> decision;  // the stored decision, if any ...
  std::optional<std::string> decision_value;  // ... and the value it was taken on
  std::optional<std::string> apply_outcome;   // apply_log.outcome, if apply settled the field
};

// The change's own decision: the stored one, only while it was taken on the same value.
std::optional<Decision> ownDecision(const ChangeFacts& c);

// The linkage rule, for the changes of ONE lead (result in the same order):
// - a rejected "ghlContactId" link rejects every change of the lead (the values come from it);
// - the enrichment trio takes the phone's decision when the lead has a phone change (enrichment
//   follows the phone; a decision on the trio alone is then ignored);
// - an approved change approves the lead's link with it (a value is written only with its link),
//   unless the link itself is rejected.
std::vector<std::optional<Decision>> effectiveDecisions(const std::vector<ChangeFacts>& lead_changes);

// The state of one change. plan_status: plan_lead.status ("" when the plan no longer holds the
// lead); effective: effectiveDecisions()'s; apply_outcome: apply_log.outcome.
// What apply did comes first: written/already_set -> applied; stale/gone -> stale; conflict ->
// conflict; reverted -> reverted; invalid_value (never sent: not clean text) and any unknown
// outcome -> stale, since apply never tries that field again. Then the plan: waiting, conflict.
// Then the decision; none is proposed.
ChangeState deriveState(std::string_view plan_status, std::optional<Decision> effective,
                        const std::optional<std::string>& apply_outcome);

// The states of the changes of one lead (effectiveDecisions, then deriveState).
std::vector<ChangeState> leadStates(std::string_view plan_status,
                                    const std::vector<ChangeFacts>& lead_changes);

// apply's rule: never a rejected change; with --only-approved, only approved ones.
bool applyMayWrite(std::optional<Decision> effective, bool only_approved);

}  // namespace ghlb
