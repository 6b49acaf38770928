#include "lookup_lead.h"

namespace ghlb {
namespace {

// "wrong_location" when any contact of a search answer belongs to another location than the lead.
std::optional<std::string_view> foreignContact(const SearchPage& page, std::string_view location_id) {
  for (const auto& c : page.contacts)
    if (c.location_id && *c.location_id != location_id) return "wrong_location";
  return std::nullopt;
}

}  // namespace

LeadLookup::LeadLookup(LeadSnapshot l) : lead(std::move(l)), plan(lookupFor(lead)) {}

FetchOutcome LeadLookup::noCallOutcome() const {
  return plan.kind == Lookup::kNone ? FetchOutcome::kNoLookup : FetchOutcome::kInvalidId;
}

HttpRequest LeadLookup::request(const GhlTarget& target, int page_limit) const {
  if (follow_get) return buildGetRequest(target, follow_id);
  if (plan.kind == Lookup::kGet) return buildGetRequest(target, plan.key);
  return buildSearchRequest(target, plan.key, page_limit, cursor);
}

Endpoint LeadLookup::endpoint() const {
  return follow_get || plan.kind == Lookup::kGet ? Endpoint::kGet : Endpoint::kSearch;
}

std::string_view LeadLookup::requestedId() const {
  if (follow_get) return follow_id;
  return plan.kind == Lookup::kGet ? std::string_view(plan.key) : std::string_view();
}

void LeadLookup::fail(TaskContext& ctx, FetchOutcome outcome, const std::string& why) {
  ctx.record(*this, outcome, why);
}

Next LeadLookup::done(TaskContext& ctx, FetchOutcome outcome, std::string why, std::string contact_body) {
  ctx.record(*this, outcome, std::move(why), std::move(contact_body));
  return Next::kDone;
}

Next LeadLookup::onReply(TaskContext& ctx, const Reply& reply, std::string body) {
  if (const auto next = onLocationReply(ctx, *this, reply)) return *next;
  const std::string get_detail = "get_" + std::to_string(reply.status);
  switch (reply.kind) {
    case ReplyKind::kOk:
      if (reply.page) return onSearchPage(ctx, *reply.page, std::move(body));
      if (const auto bad = untrustedReason(*reply.contact, lead.location_id, requestedId()))
        return done(ctx, FetchOutcome::kBadResponse, std::string(*bad));
      if (follow_get && chosen) ctx.noteFollowUp(getAddsField(*chosen, *reply.contact, lead));
      return done(ctx, FetchOutcome::kFound, detail, std::move(body));
    case ReplyKind::kNotFound:
      // A search hit whose GET says 404 keeps the search payload: plan can still use it.
      if (follow_get) return done(ctx, FetchOutcome::kFound, get_detail);
      return done(ctx, FetchOutcome::kContactGone, reply.detail);
    case ReplyKind::kPermanent:
      if (follow_get) return done(ctx, FetchOutcome::kFound, get_detail);
      return done(ctx, FetchOutcome::kPermanent, reply.detail);
    case ReplyKind::kBadResponse:
      return done(ctx, FetchOutcome::kBadResponse, reply.detail);
    case ReplyKind::kTooLarge:  // never retried: the same answer would come again
      return done(ctx, FetchOutcome::kPermanent, reply.detail);
    default:  // the location's replies are read above; kFatal never reaches a task
      return Next::kDone;
  }
}

// One search page: checked, kept, and either the next page is asked (searchAfter, while GHL's
// total says contacts are unread) or the contact is chosen among every page read.
Next LeadLookup::onSearchPage(TaskContext& ctx, const SearchPage& page, std::string body) {
  if (const auto bad = foreignContact(page, lead.location_id))
    return done(ctx, FetchOutcome::kBadResponse, std::string(*bad));
  page_bytes += body.size();
  if (page_bytes > static_cast<std::size_t>(ctx.maxBodyBytes()))
    return done(ctx, FetchOutcome::kPermanent, "body_too_large");
  pages.push_back(std::move(body));
  contacts.insert(contacts.end(), page.contacts.begin(), page.contacts.end());
  if (page.total > static_cast<std::int64_t>(contacts.size()) && !page.contacts.empty()) {
    if (pages.size() >= kMaxSearchPages) return done(ctx, FetchOutcome::kBadResponse, "too_many_pages");
    if (page.next_cursor.empty()) return done(ctx, FetchOutcome::kBadResponse, "no_search_after");
    if (const auto stopped = ctx.stopped()) return done(ctx, *stopped, "location_stopped");
    cursor = page.next_cursor;
    tries = 0;
    not_before = ctx.now();
    return Next::kAgain;  // finish started leads first
  }
  const std::int64_t total = pages.size() == 1 ? page.total : static_cast<std::int64_t>(contacts.size());
  search_body = pages.size() == 1 ? std::move(pages.front()) : mergeSearchBodies(pages, total);
  pages.clear();
  contacts.clear();
  return finishSearch(ctx);
}

Next LeadLookup::finishSearch(TaskContext& ctx) {
  const auto all = parseSearchBody(search_body);
  if (!all) return done(ctx, FetchOutcome::kBadResponse, "unexpected_shape");
  if (const auto bad = foreignContact(*all, lead.location_id))
    return done(ctx, FetchOutcome::kBadResponse, std::string(*bad));
  const ContactChoice choice = chooseContact(*all, plan.key);
  if (!choice.contact) return done(ctx, FetchOutcome::kNotFound, "");
  if (const auto bad = untrustedReason(*choice.contact, lead.location_id, ""))
    return done(ctx, FetchOutcome::kBadResponse, std::string(*bad));
  detail = choice.ambiguous ? "ambiguous" : "";
  if (!lacksFieldLeadMisses(*choice.contact, lead)) return done(ctx, FetchOutcome::kFound, detail);
  // The location's search payloads lack fields its contacts simply do not have: no GET.
  if (ctx.followUpsOff()) return done(ctx, FetchOutcome::kFound, detail);
  if (const auto stopped = ctx.stopped()) return done(ctx, *stopped, "location_stopped");
  follow_get = true;
  follow_id = choice.contact->id;
  chosen = choice.contact;
  tries = 0;
  not_before = ctx.now();
  return Next::kAgain;  // finish started leads first
}

void lookUpEachAlone(TaskContext& ctx, std::vector<LeadLookup>& leads, int attempts, const char* what,
                     const char* reason, int status) {
  ctx.fallBack(what, reason, status);
  for (auto& lead : leads) {
    lead.tries = 0;
    lead.attempts = attempts;
    lead.not_before = ctx.now();
    ctx.push(std::make_unique<LeadLookup>(std::move(lead)), false);
  }
  leads.clear();
}

}  // namespace ghlb
