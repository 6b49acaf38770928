#include "lead.h"

#include "names.h"
#include "text.h"

namespace ghlb {

LookupPlan lookupFor(const LeadSnapshot& lead) {
  if (!isMissing(lead.ghl_contact_id)) {
    const std::string& id = *lead.ghl_contact_id;
    return {isValidGhlId(id) ? Lookup::kGet : Lookup::kInvalidId, id};
  }
  if (const auto email = normalizeEmail(lead.email ? *lead.email : std::string()))
    return {Lookup::kSearch, *email};
  return {Lookup::kNone, {}};
}

const char* toString(Lookup l) {
  switch (l) {
    case Lookup::kGet:
      return "get";
    case Lookup::kSearch:
      return "search";
    case Lookup::kNone:
      return "none";
    case Lookup::kInvalidId:
      return "invalid_id";
  }
  return "none";
}

std::vector<std::string> missingFields(const LeadSnapshot& lead) {
  std::vector<std::string> out;
  if (isMissing(lead.email)) out.emplace_back(names::kFieldEmail);
  if (isMissing(lead.phone)) out.emplace_back(names::kFieldPhone);
  if (isMissing(lead.first_name)) out.emplace_back(names::kFieldFirstName);
  if (isMissing(lead.last_name)) out.emplace_back(names::kFieldLastName);
  if (isMissing(lead.company_name)) out.emplace_back(names::kFieldCompany);
  return out;
}

}  // namespace ghlb
