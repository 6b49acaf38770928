// plan: the field diffs of backfill-rules.md, computed from the work DB's snapshot and raw GHL
// results only (no network, no PostgreSQL). planLead() is the per-lead rule; the "ghlContactId is
// unique" rule across leads runs in SQL on the stored rows (PlanStore::resolveConflicts); runPlan()
// streams the leads through planLead into the plan rows, prints the review summary and optionally
// exports the diff.
#pragma once
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "exit_code.h"
#include "fields.h"
#include "lead.h"
#include "log.h"
#include "options.h"
#include "outcome.h"

namespace ghlb {

// What fetch stored for a lead (fetch_result), as plan reads it.
struct FetchRecord {
  std::string lookup;      // get | search | none | invalid_id
  std::string lookup_key;  // contact id or normalized email
  FetchOutcome outcome = FetchOutcome::kTransient;
  std::optional<std::string> search_body;
  std::optional<std::string> contact_body;
  // The bodies' compact form (contact.h encodeAnswer) as fetch stored it: planLead reads it instead
  // of the bodies when it decodes (they may then be left out), and parses the bodies otherwise.
  std::optional<std::string> answer;
};

// Plan status of a lead (plan_lead.status).
namespace plan_status {
inline constexpr const char* kFill = "fill";                 // at least one field to write
inline constexpr const char* kNothing = "nothing_to_fill";   // contact found, nothing it can fill
inline constexpr const char* kNotFound = "not_found";        // search found no contact
inline constexpr const char* kConflict = "conflict";         // contact taken: left unchanged
inline constexpr const char* kNoLookup = "no_lookup";        // no contact id, no email
inline constexpr const char* kInvalidId = "invalid_id";      // stored id cannot be a GHL id
inline constexpr const char* kContactGone = "contact_gone";  // GET 404
inline constexpr const char* kError = "error";               // permanent failure or bad payload
inline constexpr const char* kPending = "pending";           // not fetched yet or retryable
inline constexpr const char* kWaiting = "waiting";           // a smaller lead that could take its
                                                             // contact has no final lookup yet
inline constexpr const char* kApplied = "applied";           // every planned field is in apply_log:
                                                             // this tool already wrote (or settled) it
}  // namespace plan_status

struct FieldChange {
  std::string field;  // names::kField*
  std::optional<std::string> old_value;
  std::string new_value;
};

struct LeadPlan {
  std::string lead_id;
  std::string client_id;
  std::string status = plan_status::kPending;
  std::optional<std::string> contact_id;
  bool link = false;
  bool ambiguous = false;
  std::string note;  // reason code, no PII
  // Leads that could take the same contact share this key: location + normalized email of a
  // search, location + stored contact id of a GET; empty when the lead takes no contact.
  std::string claim_key;
  std::vector<FieldChange> changes;
  std::vector<std::pair<std::string, std::string>> reports;  // (field, reason): not written
  // conflict: the lead that holds the contact (contact_already_linked) or the smaller lead that
  // takes it (contact_taken_by_smaller_lead_id); waiting: the smaller pending lead it waits for.
  std::optional<std::string> other_lead;
  // ambiguous: every matching contact id that could be a GHL id, the taken one first.
  std::vector<std::string> candidates;
};

// The per-lead rules. fetch is nullopt when the lead has no fetch result yet. A GHL value that is
// not clean text (isCleanText) is never a change: it is reported as invalid_value.
LeadPlan planLead(const LeadSnapshot& lead, const std::optional<FetchRecord>& fetch);
// The same plan into OUT, whatever it held before, reusing its storage (plan's planning thread
// plans every lead into recycled LeadPlans: no allocation per lead once they have grown).
void planLead(const LeadSnapshot& lead, const std::optional<FetchRecord>& fetch, LeadPlan& out);

// The "ghlContactId is unique" rule across leads runs in SQL over the stored plan rows:
// PlanStore::resolveConflicts (plan_store.h). Leads that would link the same contact: the smallest
// lead id (byte order) keeps it; every other, and every lead whose contact is already linked to
// another lead, becomes a conflict with no change. A contact linked to the lead itself (e.g. by our
// own apply) is not a conflict, and that lead keeps the contact whatever its id. A lead that would
// keep it while a smaller lead of the same claim_key is still pending (no final lookup) becomes
// waiting, with no change: the result is the same whatever order lookups end in.

// Drops the changes this tool already settled (fields with an apply_log row: written, stale,
// conflict, ...; apply never writes them again). A lead left with no change becomes applied, so a
// second pass never shows a written value as to-write again.
void dropApplied(LeadPlan& plan, const std::set<std::string>& applied_fields);

// Reason of plan_report (and apply_log outcome) for a GHL value that is not clean text.
inline constexpr const char* kInvalidValue = "invalid_value";
// Reason of plan_report for a GHL phone that toStoredPhone cannot store (fewer than 7 digits).
inline constexpr const char* kNoStorageForm = "no_storage_form";

ExitCode runPlan(const PlanOptions& opts, const Log& log);

}  // namespace ghlb
