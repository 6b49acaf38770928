#include "lead.h"

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

}  // namespace ghlb
