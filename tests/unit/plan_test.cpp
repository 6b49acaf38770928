// The field rules of backfill-rules.md on planLead and the conflict rule (run in SQL on a real
// work DB, as plan runs it: sql_conflicts.h), one case per rule.
#include "plan.h"

#include <doctest/doctest.h>

#include "sql_conflicts.h"
#include "text.h"

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
  const auto p =
      planLead(lead, searchFound("ann@example.com", R"([{"id":"ccccccccccccccc1","email":"ann@example.com",
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
  const auto p = planLead(
      emailLead("lead-a", "a@example.com"),
      searchFound("a@example.com", R"([{"id":"ccccccccccccccc1","email":"a@example.com","phone":"12345"}])"));
  CHECK_FALSE(change(p, "phone"));
  CHECK_FALSE(change(p, "enrichmentStatus"));
  REQUIRE(p.reports.size() == 1);
  CHECK(p.reports[0].second == "no_storage_form");
}

TEST_CASE("enrichmentStatus not_needed is left alone when the phone is written") {
  auto lead = emailLead("lead-a", "a@example.com");
  lead.enrichment_status = "not_needed";
  const auto p = planLead(
      lead, searchFound("a@example.com",
                        R"([{"id":"ccccccccccccccc1","email":"a@example.com","phone":"+442079460958"}])"));
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
               searchFound("x@example.com",
                           R"([{"id":"ddddddddddddddd1","email":"x@example.com","firstName":"X"}])")),
  };
  test::resolveConflictsInSql(plans, [](const std::string& id) {
    return id == "ddddddddddddddd1" ? std::optional<std::string>("other-lead") : std::nullopt;
  });
  CHECK(plans[1].status == std::string(plan_status::kFill));
  CHECK(plans[0].status == std::string(plan_status::kConflict));
  CHECK(plans[0].changes.empty());  // nothing filled from a contact it cannot link
  CHECK(plans[2].status == std::string(plan_status::kConflict));
  CHECK(plans[2].note == "contact_already_linked");
}

TEST_CASE("search payload lacking names is completed from the GET fetch stored") {
  auto f = searchFound("a@example.com",
                       R"([{"id":"ccccccccccccccc1","email":"a@example.com","firstNameLowerCase":"ann"}])");
  f.contact_body = R"({"contact":{"id":"ccccccccccccccc1","firstName":"Ann","lastName":"Lee"}})";
  const auto p = planLead(emailLead("lead-a", "a@example.com"), f);
  CHECK(change(p, "firstName")->new_value == "Ann");
  CHECK(change(p, "lastName")->new_value == "Lee");
}

// ---- waiting: the smallest-id rule whatever order lookups finish in ----------------------------

namespace {

const char* kAnn = R"([{"id":"ccccccccccccccc1","email":"a@example.com","firstName":"Ann"}])";

FetchRecord transient(const std::string& email) {
  FetchRecord f;
  f.lookup = "search";
  f.lookup_key = email;
  f.outcome = FetchOutcome::kTransient;
  return f;
}

FetchRecord notFound(const std::string& email) {
  FetchRecord f = transient(email);
  f.outcome = FetchOutcome::kNotFound;
  return f;
}

std::vector<LeadPlan> resolve(std::vector<LeadPlan> plans, const std::string& linked = "") {
  test::resolveConflictsInSql(plans, [&](const std::string& id) {
    return id == linked ? std::optional<std::string>("other-lead") : std::nullopt;
  });
  return plans;
}

bool is(const LeadPlan& p, const char* status) { return p.status == std::string(status); }

}  // namespace

TEST_CASE("waiting: a larger lead is held back while a smaller one with the same email is pending") {
  const auto found = searchFound("a@example.com", kAnn);
  SUBCASE("smaller not fetched yet") {
    const auto plans = resolve({planLead(emailLead("lead-1", "a@example.com"), std::nullopt),
                                planLead(emailLead("lead-2", "a@example.com"), found)});
    CHECK(is(plans[0], plan_status::kPending));
    CHECK(is(plans[1], plan_status::kWaiting));
    CHECK(plans[1].note == "smaller_lead_pending");
    CHECK_FALSE(plans[1].link);
    CHECK(plans[1].changes.empty());  // no fill at all while waiting
  }
  SUBCASE("smaller has a retryable outcome") {
    const auto plans = resolve({planLead(emailLead("lead-2", "a@example.com"), found),
                                planLead(emailLead("lead-1", "a@example.com"), transient("a@example.com"))});
    CHECK(is(plans[0], plan_status::kWaiting));
  }
  SUBCASE("smaller's snapshot changed since fetch (now the same email as the larger)") {
    const auto plans =
        resolve({planLead(emailLead("lead-1", "a@example.com"), searchFound("old@example.com", kAnn)),
                 planLead(emailLead("lead-2", "a@example.com"), found)});
    CHECK(is(plans[0], plan_status::kPending));
    CHECK(is(plans[1], plan_status::kWaiting));
  }
  SUBCASE("the same email in another spelling (normalized) still waits") {
    const auto plans = resolve({planLead(emailLead("lead-1", " A@EXAMPLE.com\t"), std::nullopt),
                                planLead(emailLead("lead-2", "a@example.com"), found)});
    CHECK(is(plans[1], plan_status::kWaiting));
  }
  SUBCASE("every larger lead of the key waits, not only the next one") {
    const auto plans = resolve({planLead(emailLead("lead-1", "a@example.com"), std::nullopt),
                                planLead(emailLead("lead-3", "a@example.com"), found),
                                planLead(emailLead("lead-2", "a@example.com"), found)});
    CHECK(is(plans[2], plan_status::kWaiting));  // the would-be winner waits
    CHECK_FALSE(plans[1].link);                  // the other cannot win whatever lead-1 finds
    CHECK(plans[1].changes.empty());
  }
}

TEST_CASE("waiting: what does not hold a lead back") {
  const auto found = searchFound("a@example.com", kAnn);
  SUBCASE("a smaller lead whose final lookup found no contact: the larger links") {
    const auto plans = resolve({planLead(emailLead("lead-1", "a@example.com"), notFound("a@example.com")),
                                planLead(emailLead("lead-2", "a@example.com"), found)});
    CHECK(is(plans[1], plan_status::kFill));
    CHECK(plans[1].link);
  }
  SUBCASE("a smaller lead whose final lookup failed permanently") {
    auto f = transient("a@example.com");
    f.outcome = FetchOutcome::kPermanent;
    const auto plans = resolve({planLead(emailLead("lead-1", "a@example.com"), f),
                                planLead(emailLead("lead-2", "a@example.com"), found)});
    CHECK(is(plans[0], plan_status::kError));
    CHECK(is(plans[1], plan_status::kFill));
  }
  SUBCASE("a smaller lead that found a different contact") {
    auto lead1 = emailLead("lead-1", "a@example.com");
    const auto plans =
        resolve({planLead(lead1, searchFound("a@example.com",
                                             R"([{"id":"ddddddddddddddd1","email":"a@example.com"}])")),
                 planLead(emailLead("lead-2", "a@example.com"), found)});
    CHECK(is(plans[0], plan_status::kFill));
    CHECK(is(plans[1], plan_status::kFill));  // different contacts: no conflict, nothing to wait for
  }
  SUBCASE("a smaller pending lead with another email") {
    const auto plans = resolve({planLead(emailLead("lead-1", "b@example.com"), std::nullopt),
                                planLead(emailLead("lead-2", "a@example.com"), found)});
    CHECK(is(plans[1], plan_status::kFill));
  }
  SUBCASE("a smaller pending lead of another location") {
    auto other = emailLead("lead-1", "a@example.com");
    other.location_id = "loc-2";
    const auto plans =
        resolve({planLead(other, std::nullopt), planLead(emailLead("lead-2", "a@example.com"), found)});
    CHECK(is(plans[1], plan_status::kFill));
  }
  SUBCASE("a larger pending lead") {
    const auto plans = resolve({planLead(emailLead("lead-2", "a@example.com"), std::nullopt),
                                planLead(emailLead("lead-1", "a@example.com"), found)});
    CHECK(is(plans[1], plan_status::kFill));
  }
}

TEST_CASE("waiting never overrides a final conflict") {
  const auto found = searchFound("a@example.com", kAnn);
  SUBCASE("a smaller final lead links the same contact: the larger is a conflict") {
    const auto plans = resolve({planLead(emailLead("lead-1", "a@example.com"), found),
                                planLead(emailLead("lead-2", "a@example.com"), found)});
    CHECK(is(plans[0], plan_status::kFill));
    CHECK(is(plans[1], plan_status::kConflict));
    CHECK(plans[1].note == "contact_taken_by_smaller_lead_id");
  }
  SUBCASE("a contact already linked anywhere: conflict even with a smaller lead pending") {
    const auto plans = resolve({planLead(emailLead("lead-1", "a@example.com"), std::nullopt),
                                planLead(emailLead("lead-2", "a@example.com"), found)},
                               "ccccccccccccccc1");
    CHECK(is(plans[1], plan_status::kConflict));
    CHECK(plans[1].note == "contact_already_linked");
  }
  SUBCASE("a GET lead never waits (it links nothing)") {
    LeadSnapshot g;
    g.id = "lead-9";
    g.client_id = "client-1";
    g.location_id = "loc-1";
    g.ghl_contact_id = "ccccccccccccccc1";
    FetchRecord f;
    f.lookup = "get";
    f.lookup_key = "ccccccccccccccc1";
    f.outcome = FetchOutcome::kFound;
    f.contact_body = R"({"contact":{"id":"ccccccccccccccc1","firstName":"Ann"}})";
    const auto plans =
        resolve({planLead(emailLead("lead-1", "a@example.com"), std::nullopt), planLead(g, f)});
    CHECK(is(plans[1], plan_status::kFill));
  }
}

// ---- invalid values: reported, never written -------------------------------------------------

namespace {

const std::pair<const char*, std::string> kBadValues[] = {
    {"NUL", std::string("Smith\0Jones", 11)},
    {"overlong", "Sm\xC0\xAFith"},
    {"surrogate", "Sm\xED\xA0\x80ith"},
    {"truncated", "Smith\xE2\x82"},
};

// A search payload whose contact has `bad` in one field; JSON carries it escaped (\u0000) or raw.
LeadPlan planWithBad(const std::string& field, const std::string& bad) {
  std::string v;
  for (const char c : bad) {
    if (c == '\0')
      v += "\\u0000";
    else
      v += c;
  }
  std::string contact = R"({"id":"ccccccccccccccc1","email":"a@example.com","phone":"+1 415 555 0134",)"
                        R"("firstName":"Ann","lastName":"Lee","companyName":"Acme")";
  const std::string key = "\"" + field + "\":\"";
  const auto at = contact.find(key);
  if (at != std::string::npos) {
    const auto end = contact.find('"', at + key.size());
    contact.replace(at + key.size(), end - at - key.size(), v);
  }
  contact += "}";
  auto lead = emailLead("lead-a", "a@example.com");
  if (field == "email") {
    lead.email = std::nullopt;
    lead.ghl_contact_id = "ccccccccccccccc1";
    FetchRecord f;
    f.lookup = "get";
    f.lookup_key = "ccccccccccccccc1";
    f.outcome = FetchOutcome::kFound;
    f.contact_body = R"({"contact":)" + contact + "}";
    return planLead(lead, f);
  }
  return planLead(lead, searchFound("a@example.com", "[" + contact + "]"));
}

}  // namespace

TEST_CASE("a GHL value that is not clean text is reported invalid_value; the other fields are written") {
  for (const auto& [what, bad] : kBadValues) {
    for (const char* field : {"email", "phone", "firstName", "lastName", "companyName"}) {
      CAPTURE(what);
      CAPTURE(field);
      const auto p = planWithBad(field, bad);
      // A parser that refuses raw ill-formed UTF-8 makes the payload unusable: nothing is written
      // either. A NUL arrives as \u0000, which every JSON parser accepts: always checked below.
      if (std::string(what) != "NUL" && is(p, plan_status::kError)) {
        CHECK(p.changes.empty());
        continue;
      }
      CHECK(is(p, plan_status::kFill));
      CHECK_FALSE(change(p, field));
      REQUIRE(p.reports.size() == 1);
      CHECK(p.reports[0].first == field);
      CHECK(p.reports[0].second == "invalid_value");
      for (const auto& c : p.changes) CHECK(isCleanText(c.new_value));
      const bool phone = std::string(field) == "phone";
      CHECK(bool(change(p, "phone")) == !phone);
      CHECK(bool(change(p, "enrichmentStatus")) == !phone);  // no phone written: no enrichment
      if (std::string(field) != "firstName") CHECK(change(p, "firstName")->new_value == "Ann");
    }
  }
}

TEST_CASE("a NUL is never truncated into a shorter value") {
  const auto p = planWithBad("lastName", std::string("Smith\0Jones", 11));
  CHECK_FALSE(change(p, "lastName"));  // never "Smith"
}

TEST_CASE("a contact whose id is not clean text is never linked nor filled from") {
  const auto p =
      planLead(emailLead("lead-a", "a@example.com"),
               searchFound("a@example.com", R"([{"id":"ccccccccccccccc\u00001","email":"a@example.com",
                              "firstName":"Ann"}])"));
  CHECK(is(p, plan_status::kError));  // whether the parser or planLead refuses it
  CHECK_FALSE(p.link);
  CHECK(p.changes.empty());
  if (p.note == "invalid_value") {
    REQUIRE(p.reports.size() == 1);
    CHECK(p.reports[0].first == "ghlContactId");
  }
}

// ---- a second pass: what this tool wrote is applied, never again to-write or a conflict ----------

TEST_CASE("a contact linked to this very lead (our own apply) is not a conflict, and the lead keeps it") {
  const auto found = searchFound("a@example.com", kAnn);
  const auto linkedTo = [](std::string lead) {
    return [lead](const std::string& id) {
      return id == "ccccccccccccccc1" ? std::optional<std::string>(lead) : std::nullopt;
    };
  };
  SUBCASE("linked to the lead itself: it keeps its fill") {
    std::vector<LeadPlan> plans = {planLead(emailLead("lead-2", "a@example.com"), found)};
    test::resolveConflictsInSql(plans, linkedTo("lead-2"));
    CHECK(is(plans[0], plan_status::kFill));
    CHECK(plans[0].link);
  }
  SUBCASE("linked to another lead: conflict") {
    std::vector<LeadPlan> plans = {planLead(emailLead("lead-2", "a@example.com"), found)};
    test::resolveConflictsInSql(plans, linkedTo("lead-7"));
    CHECK(is(plans[0], plan_status::kConflict));
    CHECK(plans[0].note == "contact_already_linked");
  }
  SUBCASE("the holder keeps it even when a smaller lead (new since) wants it too") {
    std::vector<LeadPlan> plans = {planLead(emailLead("lead-1", "a@example.com"), found),
                                   planLead(emailLead("lead-2", "a@example.com"), found)};
    test::resolveConflictsInSql(plans, linkedTo("lead-2"));
    CHECK(is(plans[0], plan_status::kConflict));
    CHECK(plans[0].note == "contact_already_linked");
    CHECK(is(plans[1], plan_status::kFill));
  }
  SUBCASE("the holder never waits for a smaller pending lead") {
    std::vector<LeadPlan> plans = {planLead(emailLead("lead-1", "a@example.com"), std::nullopt),
                                   planLead(emailLead("lead-2", "a@example.com"), found)};
    test::resolveConflictsInSql(plans, linkedTo("lead-2"));
    CHECK(is(plans[1], plan_status::kFill));
  }
}

TEST_CASE("dropApplied: fields in apply_log are no longer changes; a lead with none left is applied") {
  const auto p0 = planLead(emailLead("lead-1", "a@example.com"), searchFound("a@example.com", kAnn));
  REQUIRE(is(p0, plan_status::kFill));
  REQUIRE(p0.changes.size() == 2);  // ghlContactId, firstName
  SUBCASE("nothing applied: unchanged") {
    auto p = p0;
    dropApplied(p, {});
    CHECK(p.changes.size() == 2);
    CHECK(is(p, plan_status::kFill));
  }
  SUBCASE("some fields applied: the rest is still to write") {
    auto p = p0;
    dropApplied(p, {"ghlContactId"});
    REQUIRE(p.changes.size() == 1);
    CHECK(p.changes[0].field == "firstName");
    CHECK(is(p, plan_status::kFill));
  }
  SUBCASE("every field applied: applied, nothing to write") {
    auto p = p0;
    dropApplied(p, {"ghlContactId", "firstName", "phone"});
    CHECK(p.changes.empty());
    CHECK(is(p, plan_status::kApplied));
  }
}

TEST_CASE("per-lead review: a conflict names the lead that holds or takes the contact") {
  const auto contacts = R"([{"id":"ccccccccccccccc1","email":"a@example.com","firstName":"Ann"}])";
  std::vector<LeadPlan> plans = {
      planLead(emailLead("b-lead", "a@example.com"), searchFound("a@example.com", contacts)),
      planLead(emailLead("B-lead", "a@example.com"), searchFound("a@example.com", contacts)),
      planLead(emailLead("c-lead", "a@example.com"), searchFound("a@example.com", contacts)),
      planLead(emailLead("x-lead", "x@example.com"),
               searchFound("x@example.com",
                           R"([{"id":"ddddddddddddddd1","email":"x@example.com","firstName":"X"}])")),
  };
  test::resolveConflictsInSql(plans, [](const std::string& id) {
    return id == "ddddddddddddddd1" ? std::optional<std::string>("holder-lead") : std::nullopt;
  });
  CHECK_FALSE(plans[1].other_lead.has_value());  // the winner names nobody
  REQUIRE(plans[0].other_lead.has_value());
  CHECK(*plans[0].other_lead == "B-lead");  // contact_taken_by_smaller_lead_id: the winner
  CHECK(*plans[2].other_lead == "B-lead");
  CHECK(plans[3].note == "contact_already_linked");
  CHECK(*plans[3].other_lead == "holder-lead");  // the lead that holds it in the application table
}

TEST_CASE("per-lead review: a waiting lead names the smaller pending lead it waits for") {
  const auto found = searchFound("a@example.com", kAnn);
  const auto plans = resolve({planLead(emailLead("lead-3", "a@example.com"), found),
                              planLead(emailLead("lead-2", "a@example.com"), std::nullopt),
                              planLead(emailLead("lead-1", "a@example.com"), std::nullopt)});
  REQUIRE(is(plans[0], plan_status::kWaiting));
  REQUIRE(plans[0].other_lead.has_value());
  CHECK(*plans[0].other_lead == "lead-1");  // the smallest pending lead of the key
  CHECK_FALSE(plans[1].other_lead.has_value());
}

TEST_CASE("per-lead review: an ambiguous lead lists every matching contact id, the taken one first") {
  const auto p = planLead(emailLead("lead-a", "a@example.com"), searchFound("a@example.com", R"([
      {"id":"ccccccccccccccc3","email":"a@example.com","dateAdded":"2024-06-01T00:00:00Z"},
      {"id":"ccccccccccccccc9","email":"other@example.com","dateAdded":"2020-01-01T00:00:00Z"},
      {"id":"bad id!","email":"A@example.com","dateAdded":"2025-01-01T00:00:00Z"},
      {"id":"ccccccccccccccc2","email":"a@example.com","dateAdded":"2023-01-01T00:00:00Z"},
      {"id":"ccccccccccccccc1","email":"a@example.com"}])"));
  CHECK(p.ambiguous);
  CHECK(*p.contact_id == "ccccccccccccccc2");
  // Oldest first, unknown date last; another email is no candidate, nor an id that is no GHL id.
  CHECK(p.candidates == std::vector<std::string>{"ccccccccccccccc2", "ccccccccccccccc3", "ccccccccccccccc1"});
  const auto single = planLead(emailLead("lead-b", "a@example.com"), searchFound("a@example.com", kAnn));
  CHECK_FALSE(single.ambiguous);
  CHECK(single.candidates.empty());
}
