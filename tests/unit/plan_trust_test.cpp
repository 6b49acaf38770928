// plan re-checks a stored "found" answer with untrustedReason(): a work DB written by an older
// fetch (which trusted every answer) can never make plan link or fill from an untrusted contact.
#include <doctest/doctest.h>

#include "plan.h"

using namespace ghlb;

namespace {

LeadSnapshot lead(std::optional<std::string> email, std::optional<std::string> contact_id) {
  LeadSnapshot l;
  l.id = "lead-t";
  l.client_id = "client-1";
  l.location_id = "loc-1";
  l.email = std::move(email);
  l.ghl_contact_id = std::move(contact_id);
  return l;
}

FetchRecord found(std::string lookup, std::string key, std::optional<std::string> search,
                  std::optional<std::string> contact) {
  FetchRecord f;
  f.lookup = std::move(lookup);
  f.lookup_key = std::move(key);
  f.outcome = FetchOutcome::kFound;
  f.search_body = std::move(search);
  f.contact_body = std::move(contact);
  return f;
}

std::string search(const std::string& contacts) { return R"({"contacts":[)" + contacts + R"(],"total":1})"; }

}  // namespace

TEST_CASE("plan: a stored answer that fails the trust rules is an error, never a link or a fill") {
  const auto s = lead("a@x.com", std::nullopt);
  const auto g = lead(std::nullopt, "ccccccccccccccc1");
  struct Row {
    LeadSnapshot lead;
    FetchRecord fetch;
    const char* note;
  };
  const Row rows[] = {
      {s,
       found(
           "search", "a@x.com",
           search(
               R"({"id":"ccccccccccccccc1","email":"a@x.com","locationId":"loc-2","phone":"+14155550100"})"),
           std::nullopt),
       "wrong_location"},
      {s,
       found("search", "a@x.com",
             search(R"({"id":"abc/../x?y\"z","email":"a@x.com","phone":"+14155550100"})"), std::nullopt),
       "invalid_contact_id"},
      {s,
       found(
           "search", "a@x.com",
           search(
               R"({"id":"ccccccccccccccc1","email":"a@x.com"},{"id":"ccccccccccccccc2","email":"b@x.com","locationId":"loc-9"})"),
           std::nullopt),
       "wrong_location"},  // any contact of the page from another location
      {g,
       found("get", "ccccccccccccccc1", std::nullopt,
             R"({"contact":{"id":"ccccccccccccccc2","phone":"+14155550100"}})"),
       "wrong_contact_id"},
      {g,
       found("get", "ccccccccccccccc1", std::nullopt,
             R"({"contact":{"id":"ccccccccccccccc1","locationId":"loc-2","phone":"+14155550100"}})"),
       "wrong_location"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.note);
    const auto p = planLead(r.lead, r.fetch);
    CHECK(p.status == std::string(plan_status::kError));
    CHECK(p.note == r.note);
    CHECK_FALSE(p.link);
    CHECK(p.changes.empty());
  }
  // The same answers from the lead's own location are used.
  const auto ok = planLead(
      s,
      found("search", "a@x.com",
            search(
                R"({"id":"ccccccccccccccc1","email":"a@x.com","locationId":"loc-1","phone":"+14155550100"})"),
            std::nullopt));
  CHECK(ok.status == std::string(plan_status::kFill));
  CHECK(ok.link);
}
