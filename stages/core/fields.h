// The fields of "Lead" that the backfill writes, described once (STYLE.md point 16): the name a
// reviewer sees (plan_item.field), the quoted column, the snapshot and contact members it is read
// from, and how a GHL value becomes the stored value. plan, apply's guarded SQL, the export, the
// report and revert derive their per-field lists from kFields instead of naming the fields again.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "contact.h"
#include "error.h"
#include "lead.h"
#include "names.h"

namespace ghlb {

enum class FieldKind {
  kLink,        // "ghlContactId": set when a search found the contact
  kFill,        // filled from the contact when missing
  kEnrichment,  // set with a written phone, when the status at write time allows it
};

enum class Normalizer {
  kNone,        // the contact id: written as GHL gave it (validated by untrustedReason)
  kEmail,       // normalizeEmail
  kText,        // normalizeText
  kPhone,       // toStoredPhone (the application's storage form)
  kEnrichment,  // a constant of names.h, or the time of the write
};

using LeadMember = std::optional<std::string> LeadSnapshot::*;
using ContactMember = std::optional<std::string> Contact::*;
using ContactHasMember = bool Contact::*;

struct FieldSpec {
  const char* name;    // names::kField*: plan_item.field, apply_log.field, shown to reviewers
  const char* column;  // names::kLead*: quoted SQL identifier of "Lead"
  FieldKind kind;
  Normalizer normalize;
  LeadMember lead;                // the snapshot's value; nullptr when the snapshot does not hold it
  ContactMember contact;          // the contact's value; nullptr for the link and enrichment
  ContactHasMember has_key;       // the payload has the key (even null); nullptr when not a contact value
  std::string_view ghl_key = {};  // the GHL contact's key it is read from; empty when not a contact value
};

// In the order plan lists changes and apply's statement takes parameters.
inline constexpr FieldSpec kFields[] = {
    {names::kFieldContactId, names::kLeadContactId, FieldKind::kLink, Normalizer::kNone,
     &LeadSnapshot::ghl_contact_id, nullptr, nullptr},
    {names::kFieldEmail, names::kLeadEmail, FieldKind::kFill, Normalizer::kEmail, &LeadSnapshot::email,
     &Contact::email, &Contact::has_email, "email"},
    {names::kFieldPhone, names::kLeadPhone, FieldKind::kFill, Normalizer::kPhone, &LeadSnapshot::phone,
     &Contact::phone, &Contact::has_phone, "phone"},
    {names::kFieldFirstName, names::kLeadFirstName, FieldKind::kFill, Normalizer::kText,
     &LeadSnapshot::first_name, &Contact::first_name, &Contact::has_first_name, "firstName"},
    {names::kFieldLastName, names::kLeadLastName, FieldKind::kFill, Normalizer::kText,
     &LeadSnapshot::last_name, &Contact::last_name, &Contact::has_last_name, "lastName"},
    {names::kFieldCompany, names::kLeadCompany, FieldKind::kFill, Normalizer::kText,
     &LeadSnapshot::company_name, &Contact::company_name, &Contact::has_company_name, "companyName"},
    {names::kFieldEnrichmentStatus, names::kLeadEnrichmentStatus, FieldKind::kEnrichment,
     Normalizer::kEnrichment, &LeadSnapshot::enrichment_status, nullptr, nullptr},
    {names::kFieldEnrichmentSource, names::kLeadEnrichmentSource, FieldKind::kEnrichment,
     Normalizer::kEnrichment, nullptr, nullptr, nullptr},
    {names::kFieldEnrichedAt, names::kLeadEnrichedAt, FieldKind::kEnrichment, Normalizer::kEnrichment,
     nullptr, nullptr, nullptr},
};

// The spec of field NAME (plan_item.field), or nullptr when NAME is not a field the tool writes.
inline const FieldSpec* findField(std::string_view name) {
  for (const auto& f : kFields)
    if (name == f.name) return &f;
  return nullptr;
}

// Every field's name, in kFields' order.
std::vector<std::string> fieldNames();

// The usage error (exit 2, one line) for `--field NAME` when NAME is not one of VALID: the name
// (control characters escaped), the closest valid one when close, and the valid ones. WHAT says
// what the flag takes ("a field", "a field apply writes").
FatalError unknownFieldError(std::string_view name, const std::vector<std::string>& valid,
                             std::string_view what = "a field");

// The value plan shows for "enrichedAt": apply writes the time of the write.
inline constexpr const char* kNowValue = "(time of write)";

// The value of the enrichment field NAME when apply writes it (plan_item holds the same).
inline const char* enrichmentValue(std::string_view name) {
  if (name == names::kFieldEnrichmentStatus) return names::kEnrichedStatus;
  if (name == names::kFieldEnrichmentSource) return names::kEnrichmentSourceGhl;
  return kNowValue;
}

}  // namespace ghlb
