// A lead as extract snapshots it, and the per-lead rules that only need the lead: which of its
// fields are missing and which GHL lookup (if any) it takes (backfill-rules.md, "Per lead").
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace ghlb {

struct LeadSnapshot {
  std::string id;
  std::string client_id;
  std::string location_id;
  std::optional<std::string> ghl_contact_id;
  std::optional<std::string> email;
  std::optional<std::string> phone;
  std::optional<std::string> first_name;
  std::optional<std::string> last_name;
  std::optional<std::string> company_name;
  std::optional<std::string> enrichment_status;
};

enum class Lookup {
  kGet,        // GET /contacts/{ghlContactId}
  kSearch,     // POST /contacts/search for the normalized email
  kNone,       // no contact id and no email: nothing to look up
  kInvalidId,  // a contact id that cannot be a GHL id: not sent
};

struct LookupPlan {
  Lookup kind;
  std::string key;  // the contact id (kGet, kInvalidId) or the normalized email (kSearch)
};

LookupPlan lookupFor(const LeadSnapshot& lead);
const char* toString(Lookup l);

}  // namespace ghlb
