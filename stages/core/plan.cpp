#include "plan.h"

#include <algorithm>
#include <iostream>
#include <iterator>
#include <map>
#include <string_view>
#include <unordered_map>

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
// with the GET payload fetch made because the search payload lacked a field.
struct Resolved {
  std::optional<Contact> contact;
  bool ambiguous = false;
  std::vector<std::string> candidates;  // ambiguous: the matching ids, the taken one first
  std::string error;                    // reason code when the stored payload cannot be used
};

// The contact a found lookup of a lead of LOCATION_ID stands for, re-checked with the rules of
// untrustedReason(): a work DB written by an older fetch can never make an untrusted contact used.
Resolved resolveContact(const FetchRecord& f, std::string_view location_id) {
  Resolved r;
  std::optional<Contact> from_get;
  if (f.contact_body) {
    from_get = parseGetBody(*f.contact_body);
    if (!from_get) r.error = "bad_contact_payload";
  }
  if (f.lookup == "get") {
    if (!from_get && r.error.empty()) r.error = "no_contact_payload";
    if (from_get)
      if (const auto bad = untrustedReason(*from_get, location_id, f.lookup_key)) {
        r.error = std::string(*bad);
        return r;
      }
    r.contact = from_get;
    return r;
  }
  const auto page = f.search_body ? parseSearchBody(*f.search_body) : std::nullopt;
  if (!page) {
    r.error = "bad_search_payload";
    return r;
  }
  for (const auto& c : page->contacts)
    if (c.location_id && *c.location_id != location_id) {
      r.error = "wrong_location";
      return r;
    }
  const auto choice = chooseContact(*page, f.lookup_key);
  r.ambiguous = choice.ambiguous;
  if (r.ambiguous)  // an id that cannot be a GHL id could never be linked: not a candidate
    std::copy_if(choice.ids.begin(), choice.ids.end(), std::back_inserter(r.candidates), isValidGhlId);
  if (!choice.contact) return r;  // no primary-email match: not found
  if (const auto bad = untrustedReason(*choice.contact, location_id, "")) {
    r.error = std::string(*bad);
    return r;
  }
  const bool use_get = from_get && from_get->id == choice.contact->id &&
                       !untrustedReason(*from_get, location_id, choice.contact->id);
  r.contact = use_get ? mergeContact(*choice.contact, *from_get) : *choice.contact;
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

std::string claimKey(const LeadSnapshot& lead, const LookupPlan& want) {
  switch (want.kind) {
    case Lookup::kSearch:
      return lead.location_id + "\x1f" + "email\x1f" + want.key;
    case Lookup::kGet:
      return lead.location_id + "\x1f" + "id\x1f" + want.key;
    default:
      return {};
  }
}

}  // namespace

LeadPlan planLead(const LeadSnapshot& lead, const std::optional<FetchRecord>& fetch) {
  LeadPlan p;
  p.lead_id = lead.id;
  p.client_id = lead.client_id;
  const LookupPlan want = lookupFor(lead);
  p.claim_key = claimKey(lead, want);
  if (!fetch) {
    p.note = "not_fetched";
    return p;
  }
  if (fetch->lookup != toString(want.kind) || fetch->lookup_key != want.key) {
    p.note = "snapshot_changed";  // the lead changed since fetch: fetch it again
    return p;
  }
  if (fetch->outcome != FetchOutcome::kFound) {
    p.status = statusForFailure(fetch->outcome);
    p.note = std::string(toString(fetch->outcome));
    return p;
  }
  const Resolved r = resolveContact(*fetch, lead.location_id);
  if (!r.error.empty()) {
    p.status = plan_status::kError;
    p.note = r.error;
    return p;
  }
  p.ambiguous = r.ambiguous;
  p.candidates = r.candidates;
  if (!r.contact) {
    p.status = plan_status::kNotFound;
    p.note = "no_primary_email_match";
    return p;
  }
  const Contact& c = *r.contact;
  if (!isCleanText(c.id)) {  // fetch only trusts valid ids; never link or fill from such a contact
    p.status = plan_status::kError;
    p.note = kInvalidValue;
    p.reports.emplace_back(names::kFieldContactId, kInvalidValue);
    return p;
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
  return p;
}

void resolveConflicts(std::vector<LeadPlan>& plans,
                      const std::function<std::optional<std::string>(const std::string&)>& linked_lead) {
  // Hash maps keyed by views of the plans' own strings (the vector is not resized here): one
  // lookup per lead and no key copies; the result depends on no iteration order.
  using View = std::string_view;
  // The smallest pending lead of each claim key: it may still take the contact of its key.
  std::unordered_map<View, View> first_pending;
  for (const auto& p : plans) {
    if (p.status != plan_status::kPending || p.claim_key.empty()) continue;
    auto [it, inserted] = first_pending.emplace(p.claim_key, p.lead_id);
    if (!inserted && View(p.lead_id) < it->second) it->second = p.lead_id;
  }
  // Who holds each contact in the application DB (asked once per contact).
  std::unordered_map<View, std::optional<std::string>> holder;
  for (const auto& p : plans)
    if (p.link && !holder.count(*p.contact_id)) holder.emplace(*p.contact_id, linked_lead(*p.contact_id));
  const auto holdsItself = [&holder](const LeadPlan& p) { return holder.at(*p.contact_id) == p.lead_id; };
  // std::string compares bytes as unsigned char: PostgreSQL's "C" collation order. The lead that
  // already holds the contact keeps it.
  std::unordered_map<View, const LeadPlan*> winner;
  for (const auto& p : plans) {
    if (!p.link) continue;
    auto [it, inserted] = winner.emplace(*p.contact_id, &p);
    if (inserted || holdsItself(*it->second)) continue;
    if (holdsItself(p) || p.lead_id < it->second->lead_id) it->second = &p;
  }
  struct Loss {
    const char* reason;
    std::string other_lead;  // the holder, the winner, or the pending lead waited for
  };
  // Decided from the maps above only (never from a lead already marked), then applied.
  std::vector<std::pair<LeadPlan*, Loss>> losers;
  for (auto& p : plans) {
    if (!p.link) continue;
    const auto& held_by = holder.at(*p.contact_id);
    if (held_by && *held_by != p.lead_id) {
      losers.push_back({&p, {"contact_already_linked", *held_by}});
    } else if (held_by) {
      continue;  // linked to this very lead (our own apply): it keeps it
    } else if (const LeadPlan* w = winner.at(*p.contact_id); w != &p) {
      // Whatever the pending leads find, a smaller final lead takes this contact: final conflict.
      losers.push_back({&p, {"contact_taken_by_smaller_lead_id", w->lead_id}});
    } else if (const auto it = first_pending.find(p.claim_key);
               it != first_pending.end() && it->second < View(p.lead_id)) {
      losers.push_back({&p, {"smaller_lead_pending", std::string(it->second)}});
    }
  }
  for (auto& [lead, loss] : losers) {
    LeadPlan& p = *lead;
    p.status = loss.reason == std::string_view("smaller_lead_pending") ? plan_status::kWaiting
                                                                       : plan_status::kConflict;
    p.note = loss.reason;
    p.other_lead = std::move(loss.other_lead);
    p.link = false;
    p.changes.clear();
    p.reports.clear();
  }
}

void dropApplied(LeadPlan& plan, const std::set<std::string>& applied_fields) {
  if (applied_fields.empty() || plan.changes.empty()) return;
  std::erase_if(plan.changes, [&](const FieldChange& c) { return applied_fields.count(c.field) > 0; });
  if (!plan.changes.empty() || plan.status != plan_status::kFill) return;
  plan.status = plan_status::kApplied;
  plan.note = "applied";
}

}  // namespace ghlb
