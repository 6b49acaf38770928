// The field rules of backfill-rules.md on planLead/resolveConflicts, one case per rule.
#include <doctest/doctest.h>

#include "plan.h"

using namespace ghlb;

namespace {

LeadSnapshot emailLead(const std::string& id, const std::string& email) {
  LeadSnapshot l;
  l.id = id;
  l.client_id = "client-1";
  l.location_id = "loc-1";
  l.email = email;
  return l;
}

FetchRecord searchFound(const std::string& email, const std::string& contacts_json) {
  FetchRecord f;
  f.lookup = "search";
  f.lookup_key = email;
  f.outcome = FetchOutcome::kFound;
  f.search_body = R"({"contacts":)" + contacts_json + R"(,"total":1})";
  return f;
}

const FieldChange* change(const LeadPlan& p, const std::string& field) {
  for (const auto& c : p.changes)
    if (c.field == field) return &c;
  return nullptr;
}

}  // namespace

TEST_CASE("search found: link and fill only missing fields, normalized") {
  auto lead = emailLead("lead-a", " Ann@Example.com ");
  lead.last_name = "Existing";
  lead.first_name = "  ";  // whitespace only: missing
  const auto p = planLead(lead, searchFound("ann@example.com", R"([{"id":"ccccccccccccccc1","email":"ann@example.com",
      "phone":"+1 415 555 0134","firstName":"  Ann ","lastName":"Lee","companyName":"  "}])"));
  CHECK(p.status == std::string(plan_status::kFill));
  CHECK(p.link);
  REQUIRE(change(p, "ghlContactId"));
  CHECK(change(p, "ghlContactId")->new_value == "ccccccccccccccc1");
  CHECK(change(p, "phone")->new_value == "+14155550134");
  CHECK(change(p, "firstName")->new_value == "Ann");
  CHECK(change(p, "firstName")->old_value == std::optional<std::string>("  "));
  CHECK_FALSE(change(p, "lastName"));     // never overwrite
  CHECK_FALSE(change(p, "companyName"));  // blank GHL value is absent
  CHECK_FALSE(change(p, "email"));        // present already
  CHECK(change(p, "enrichmentStatus")->new_value == "enriched");
  CHECK(change(p, "enrichmentSource")->new_value == "ghl");
  CHECK(change(p, "enrichedAt"));
}

TEST_CASE("phone with no storage form is reported, not written, and enrichment untouched") {
  const auto p = planLead(emailLead("lead-a", "a@example.com"),
                          searchFound("a@example.com", R"([{"id":"ccccccccccccccc1","email":"a@example.com","phone":"12345"}])"));
  CHECK_FALSE(change(p, "phone"));
  CHECK_FALSE(change(p, "enrichmentStatus"));
  REQUIRE(p.reports.size() == 1);
  CHECK(p.reports[0].second == "no_storage_form");
}

TEST_CASE("enrichmentStatus not_needed is left alone when the phone is written") {
  auto lead = emailLead("lead-a", "a@example.com");
  lead.enrichment_status = "not_needed";
  const auto p = planLead(lead, searchFound("a@example.com", R"([{"id":"ccccccccccccccc1","email":"a@example.com","phone":"+442079460958"}])"));
  CHECK(change(p, "phone"));
  CHECK_FALSE(change(p, "enrichmentStatus"));
  CHECK_FALSE(change(p, "enrichedAt"));
}

TEST_CASE("GET path: fills email lower-cased, never links again") {
  LeadSnapshot lead;
  lead.id = "lead-g";
  lead.client_id = "client-1";
  lead.ghl_contact_id = "ccccccccccccccc1";
  FetchRecord f;
  f.lookup = "get";
  f.lookup_key = "ccccccccccccccc1";
  f.outcome = FetchOutcome::kFound;
  f.contact_body = R"({"contact":{"id":"ccccccccccccccc1","email":" Ann@Example.COM","firstName":"Ann"}})";
  const auto p = planLead(lead, f);
  CHECK_FALSE(p.link);
  CHECK_FALSE(change(p, "ghlContactId"));
  CHECK(change(p, "email")->new_value == "ann@example.com");
  CHECK(change(p, "firstName")->new_value == "Ann");
}

TEST_CASE("outcomes without a contact map to their statuses") {
  auto lead = emailLead("lead-a", "a@example.com");
  FetchRecord f;
  f.lookup = "search";
  f.lookup_key = "a@example.com";
  f.outcome = FetchOutcome::kNotFound;
  CHECK(planLead(lead, f).status == std::string(plan_status::kNotFound));
  f.outcome = FetchOutcome::kTransient;
  CHECK(planLead(lead, f).status == std::string(plan_status::kPending));
  f.outcome = FetchOutcome::kPermanent;
  CHECK(planLead(lead, f).status == std::string(plan_status::kError));
  CHECK(planLead(lead, std::nullopt).status == std::string(plan_status::kPending));
  f.lookup_key = "b@example.com";  // the snapshot's email changed since fetch
  f.outcome = FetchOutcome::kNotFound;
  CHECK(planLead(lead, f).status == std::string(plan_status::kPending));
}

TEST_CASE("several contacts: oldest taken, lead flagged ambiguous") {
  const auto p = planLead(emailLead("lead-a", "a@example.com"), searchFound("a@example.com", R"([
      {"id":"ccccccccccccccc2","email":"a@example.com","dateAdded":"2023-01-01T00:00:00Z","firstName":"Old"},
      {"id":"ccccccccccccccc1","email":"a@example.com","dateAdded":"2024-01-01T00:00:00Z","firstName":"New"}])"));
  CHECK(p.ambiguous);
  CHECK(*p.contact_id == "ccccccccccccccc2");
  CHECK(change(p, "firstName")->new_value == "Old");
}

TEST_CASE("conflicts: smallest lead id (byte order) wins, already linked contact loses everywhere") {
  const auto contacts = R"([{"id":"ccccccccccccccc1","email":"a@example.com","firstName":"Ann"}])";
  std::vector<LeadPlan> plans = {
      planLead(emailLead("b-lead", "a@example.com"), searchFound("a@example.com", contacts)),
      planLead(emailLead("B-lead", "a@example.com"), searchFound("a@example.com", contacts)),  // 'B' < 'b'
      planLead(emailLead("x-lead", "x@example.com"),
               searchFound("x@example.com", R"([{"id":"ddddddddddddddd1","email":"x@example.com","firstName":"X"}])")),
  };
  resolveConflicts(plans, [](const std::string& id) { return id == "ddddddddddddddd1"; });
  CHECK(plans[1].status == std::string(plan_status::kFill));
  CHECK(plans[0].status == std::string(plan_status::kConflict));
  CHECK(plans[0].changes.empty());  // nothing filled from a contact it cannot link
  CHECK(plans[2].status == std::string(plan_status::kConflict));
  CHECK(plans[2].note == "contact_already_linked");
}

TEST_CASE("search payload lacking names is completed from the GET fetch stored") {
  auto f = searchFound("a@example.com", R"([{"id":"ccccccccccccccc1","email":"a@example.com","firstNameLowerCase":"ann"}])");
  f.contact_body = R"({"contact":{"id":"ccccccccccccccc1","firstName":"Ann","lastName":"Lee"}})";
  const auto p = planLead(emailLead("lead-a", "a@example.com"), f);
  CHECK(change(p, "firstName")->new_value == "Ann");
  CHECK(change(p, "lastName")->new_value == "Lee");
}
