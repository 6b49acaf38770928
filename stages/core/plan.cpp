#include "plan.h"

#include <algorithm>
#include <iostream>
#include <iterator>
#include <map>
#include <string_view>

#include "contact.h"
#include "error.h"
#include "export.h"
#include "json_util.h"
#include "names.h"
#include "phone.h"
#include "review.h"
#include "text.h"
#include "work_db.h"

namespace ghlb {
namespace {

const char* statusForFailure(FetchOutcome o) {
  switch (o) {
    case FetchOutcome::kNotFound:
      return plan_status::kNotFound;
    case FetchOutcome::kContactGone:
      return plan_status::kContactGone;
    case FetchOutcome::kInvalidId:
      return plan_status::kInvalidId;
    case FetchOutcome::kNoLookup:
      return plan_status::kNoLookup;
    case FetchOutcome::kPermanent:
      return plan_status::kError;
    default:
      return plan_status::kPending;  // retryable: fetch again
  }
}

// The contact a found lead is filled from: the GET payload, or the chosen search result merged
// with the GET payload fetch made because the search payload lacked a field. CONTACT points into
// storage kept by resolveContact until its next call.
struct Resolved {
  const Contact* contact = nullptr;
  bool ambiguous = false;
  std::string_view error;  // reason code when the stored payload cannot be used (a literal)
};
// The contact a found lookup of a lead of LOCATION_ID stands for, re-checked with the rules of
// untrustedReason(): a work DB written by an older fetch can never make an untrusted contact used.
Resolved resolveContact(const FetchRecord& f, std::string_view location_id,
                        std::vector<std::string>& candidates) {
  Resolved r;
  // Decoded or parsed into storage kept from lead to lead (plan reads every lead's on each run).
  thread_local ParsedAnswer answer;
  thread_local std::vector<const Contact*> matches;
  thread_local Contact merged;
  if (!f.answer || !decodeAnswer(*f.answer, answer)) parseAnswer(f.search_body, f.contact_body, answer);
  const Contact* from_get = nullptr;
  if (answer.get == ParsedAnswer::Part::kParsed)
    from_get = &answer.contact;
  else if (answer.get == ParsedAnswer::Part::kRefused)
    r.error = "bad_contact_payload";
  if (f.lookup == "get") {
    if (!from_get && r.error.empty()) r.error = "no_contact_payload";
    if (from_get)
      if (const auto bad = untrustedReason(*from_get, location_id, f.lookup_key)) {
        r.error = *bad;
        return r;
      }
    r.contact = from_get;
    return r;
  }
  if (answer.search != ParsedAnswer::Part::kParsed) {
    r.error = "bad_search_payload";
    return r;
  }
  const SearchPage& page = answer.page;
  for (const auto& c : page.contacts)
    if (c.location_id && *c.location_id != location_id) {
      r.error = "wrong_location";
      return r;
    }
  const ContactPick pick = pickContact(page, f.lookup_key, matches);
  r.ambiguous = pick.ambiguous;
  if (r.ambiguous)  // an id that cannot be a GHL id could never be linked: not a candidate
    for (const Contact* c : matches)
      if (isValidGhlId(c->id)) candidates.push_back(c->id);
  if (matches.empty()) return r;  // no primary-email match: not found
  const Contact& chosen = *matches.front();
  if (const auto bad = untrustedReason(chosen, location_id, "")) {
    r.error = *bad;
    return r;
  }
  const bool use_get =
      from_get && from_get->id == chosen.id && !untrustedReason(*from_get, location_id, chosen.id);
  if (!use_get) {
    r.contact = &chosen;
    return r;
  }
  mergeContact(chosen, *from_get, merged);
  r.contact = &merged;
  return r;
}

// The change of fill field F, if the lead misses it and the contact has a clean value for it.
void fill(LeadPlan& p, const FieldSpec& f, const LeadSnapshot& lead, const Contact& c) {
  const auto& lead_value = lead.*f.lead;
  const auto& ghl_value = c.*f.contact;
  if (!isMissing(lead_value) || !ghl_value) return;
  if (f.normalize == Normalizer::kPhone && isMissing(ghl_value)) return;
  if (!isCleanText(*ghl_value)) {
    p.reports.emplace_back(f.name, kInvalidValue);
    return;
  }
  switch (f.normalize) {
    case Normalizer::kEmail:
      if (const auto v = normalizeEmail(*ghl_value)) p.changes.push_back({f.name, lead_value, *v});
      return;
    case Normalizer::kText:
      if (const auto v = normalizeText(*ghl_value)) p.changes.push_back({f.name, lead_value, *v});
      return;
    case Normalizer::kPhone: {
      const auto stored = toStoredPhone(*ghl_value);
      if (!stored) {
        p.reports.emplace_back(f.name, kNoStorageForm);
        return;
      }
      p.changes.push_back({f.name, lead_value, *stored});
      // The review's prediction from the snapshot; apply decides from the status at write time.
      if (lead.enrichment_status.value_or("") == names::kNotNeededStatus) return;
      for (const auto& e : kFields)
        if (e.kind == FieldKind::kEnrichment)
          p.changes.push_back({e.name, e.lead ? lead.*e.lead : std::nullopt, enrichmentValue(e.name)});
      return;
    }
    default:
      return;  // the link and enrichment are not filled from a contact value
  }
}

// Leads that could take the same contact share this key (LeadPlan::claim_key), into OUT.
void claimKey(const LeadSnapshot& lead, const LookupPlan& want, std::string& out) {
  out.clear();
  const char* kind = want.kind == Lookup::kSearch ? "email" : want.kind == Lookup::kGet ? "id" : nullptr;
  if (!kind) return;
  out.append(lead.location_id).append("\x1f").append(kind).append("\x1f").append(want.key);
}

}  // namespace

LeadPlan planLead(const LeadSnapshot& lead, const std::optional<FetchRecord>& fetch) {
  LeadPlan p;
  planLead(lead, fetch, p);
  return p;
}

void planLead(const LeadSnapshot& lead, const std::optional<FetchRecord>& fetch, LeadPlan& p) {
  p.lead_id.assign(lead.id);
  p.client_id.assign(lead.client_id);
  p.status = plan_status::kPending;
  p.contact_id.reset();
  p.link = false;
  p.ambiguous = false;
  p.note.clear();
  p.changes.clear();
  p.reports.clear();
  p.other_lead.reset();
  p.candidates.clear();
  const LookupPlan want = lookupFor(lead);
  claimKey(lead, want, p.claim_key);
  if (!fetch) {
    p.note = "not_fetched";
    return;
  }
  if (fetch->lookup != toString(want.kind) || fetch->lookup_key != want.key) {
    p.note = "snapshot_changed";  // the lead changed since fetch: fetch it again
    return;
  }
  if (fetch->outcome != FetchOutcome::kFound) {
    p.status = statusForFailure(fetch->outcome);
    p.note = toString(fetch->outcome);
    return;
  }
  const Resolved r = resolveContact(*fetch, lead.location_id, p.candidates);
  if (!r.error.empty()) {
    p.status = plan_status::kError;
    p.note = r.error;
    p.candidates.clear();
    return;
  }
  p.ambiguous = r.ambiguous;
  if (!r.contact) {
    p.status = plan_status::kNotFound;
    p.note = "no_primary_email_match";
    return;
  }
  const Contact& c = *r.contact;
  if (!isCleanText(c.id)) {  // fetch only trusts valid ids; never link or fill from such a contact
    p.status = plan_status::kError;
    p.note = kInvalidValue;
    p.reports.emplace_back(names::kFieldContactId, kInvalidValue);
    return;
  }
  p.contact_id = c.id;
  if (want.kind == Lookup::kSearch) {
    p.link = true;
    p.changes.push_back({names::kFieldContactId, lead.ghl_contact_id, c.id});
  }
  for (const auto& f : kFields)
    if (f.kind == FieldKind::kFill) fill(p, f, lead, c);
  p.status = p.changes.empty() ? plan_status::kNothing : plan_status::kFill;
  if (p.ambiguous) p.note = "ambiguous_email";
}

void dropApplied(LeadPlan& plan, const std::set<std::string>& applied_fields) {
  if (applied_fields.empty() || plan.changes.empty()) return;
  std::erase_if(plan.changes, [&](const FieldChange& c) { return applied_fields.count(c.field) > 0; });
  if (!plan.changes.empty() || plan.status != plan_status::kFill) return;
  plan.status = plan_status::kApplied;
  plan.note = "applied";
}

}  // namespace ghlb
