// The compact answer fetch stores for plan (contact.h encodeAnswer/decodeAnswer, fetch_store.h
// answerFormOf) against the raw bodies it stands for: decoded, it is what scan*Body read, field by
// field; and planLead on the stored form alone gives exactly planLead on the raw bodies, for the
// hostile bodies of contact_scan_test, the answers of plan_test and plan_trust_test, and thousands
// of mutations of real-shaped bodies, each planned for leads of every lookup and missing field,
// into a fresh LeadPlan and into one reused from lead to lead.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "contact.h"
#include "contact_bodies.h"
#include "fetch_store.h"
#include "json_util.h"
#include "plan.h"

using namespace ghlb;

namespace {

std::string show(const ParsedAnswer& a) {
  std::string out = "search=" + std::to_string(static_cast<int>(a.search));
  if (a.search == ParsedAnswer::Part::kParsed) {
    out += " total=" + std::to_string(a.page.total);
    for (const auto& c : a.page.contacts) out += "\n  " + test::showContact(c);
  }
  out += "\nget=" + std::to_string(static_cast<int>(a.get));
  if (a.get == ParsedAnswer::Part::kParsed) out += "\n  " + test::showContact(a.contact);
  return out;
}

std::string show(const LeadPlan& p) {
  std::string out = p.lead_id + "|" + p.client_id + "|" + p.status + "|" + p.contact_id.value_or("-") + "|" +
                    std::to_string(p.link) + std::to_string(p.ambiguous) + "|" + p.note + "|" + p.claim_key +
                    "|" + p.other_lead.value_or("-") + "|" + joinIds(p.candidates);
  for (const auto& c : p.changes)
    out += "\n  " + c.field + "=" + c.old_value.value_or("~") + ">" + c.new_value;
  for (const auto& [field, reason] : p.reports) out += "\n  " + field + ":" + reason;
  return out;
}

const char* kObject =
    R"({"id":"gc000000000000000042","locationId":"loc-1","contactName":"first42 last42",)"
    R"("firstName":"First42","lastName":"Last42","companyName":"Company42","email":"a@example.com",)"
    R"("phone":"+15550000042","dnd":false,"dndSettings":{},"tags":["bench","imported","tier-0"],)"
    R"("dateAdded":"2024-01-15T10:00:00.000Z","customFields":[{"id":"cfA9","value":"value 42"},{"id":"cfB3","value":42}],)"
    R"("additionalEmails":[],"attributions":[{"utmSessionSource":"Direct traffic","isFirst":true}],)"
    R"("searchAfter":[1704103200042,"gc000000000000000042"]})";

// Leads of every lookup kind, each field missing or not, with the email and contact id the bodies
// above use.
std::vector<LeadSnapshot> leads() {
  std::vector<LeadSnapshot> out;
  for (int shape = 0; shape < 6; ++shape) {
    LeadSnapshot l;
    l.id = "lead-" + std::to_string(shape);
    l.client_id = "client-1";
    l.location_id = "loc-1";
    l.email = "a@example.com";
    if (shape == 1) l.phone = "+14155550100";
    if (shape == 2) l.first_name = "Existing";
    if (shape == 3) l.enrichment_status = "not_needed";
    if (shape == 4) l.ghl_contact_id = "gc000000000000000042";
    if (shape == 5) {
      l.ghl_contact_id = "ccccccccccccccc1";
      l.email.reset();
    }
    out.push_back(l);
  }
  return out;
}

ParsedAnswer g_parsed, g_decoded;  // reused, as plan reuses them: nothing stale may leak
LeadPlan g_reused;

// BODY as a search answer, as a GET answer and as both; each round-tripped through the form and
// planned from it alone and from the raw bodies, for each lead.
void checkBody(const std::string& body) {
  CAPTURE(body);
  const std::vector<std::pair<std::optional<std::string>, std::optional<std::string>>> pairs = {
      {body, std::nullopt},
      {std::nullopt, body},
      {body, body},
      {body, std::string(R"({"contact":)") + kObject + "}"}};
  for (const auto& [search, contact] : pairs) {
    std::string form;
    REQUIRE(answerFormOf(FetchOutcome::kFound, search, contact, form));
    parseAnswer(search, contact, g_parsed);
    REQUIRE(decodeAnswer(form, g_decoded));
    CHECK(show(g_decoded) == show(g_parsed));
    for (const auto& lead : leads()) {
      const LookupPlan want = lookupFor(lead);
      FetchRecord raw;
      raw.lookup = toString(want.kind);
      raw.lookup_key = want.key;
      raw.outcome = FetchOutcome::kFound;
      raw.search_body = search;
      raw.contact_body = contact;
      FetchRecord stored = raw;
      stored.search_body.reset();
      stored.contact_body.reset();
      stored.answer = form;
      const std::string from_raw = show(planLead(lead, raw));
      CHECK(show(planLead(lead, stored)) == from_raw);
      // Into a LeadPlan that held another lead's plan, as plan's planning thread reuses them.
      planLead(lead, stored, g_reused);
      CHECK(show(g_reused) == from_raw);
    }
  }
}

}  // namespace

TEST_CASE("the stored answer plans as the raw bodies, on hostile and hand-written answers") {
  const std::string obj = kObject;
  std::vector<std::string> cases = test::edgeCaseBodies(obj);
  const std::vector<std::string> answers = {
      // plan_test's and plan_trust_test's answers: fills, blanks, ambiguity, merge, trust rules
      R"({"contacts":[{"id":"ccccccccccccccc1","email":"a@example.com","phone":"+1 415 555 0134",)"
      R"("firstName":"  Ann ","lastName":"Lee","companyName":"  "}],"total":1})",
      R"({"contacts":[{"id":"ccccccccccccccc2","email":"A@example.com","dateAdded":"2024-01-02T00:00:00Z"},)"
      R"({"id":"ccccccccccccccc1","email":"a@example.com","dateAdded":"2023-01-02T00:00:00Z"},)"
      R"({"id":"ccccccccccccccc3","email":"other@example.com"}],"total":3})",
      R"({"contacts":[{"id":"ccccccccccccccc1","email":"a@example.com"}],"total":2})",
      R"({"contacts":[{"id":"bad id!","email":"a@example.com"},{"id":"ccccccccccccccc1","email":"a@example.com"}],"total":2})",
      R"({"contacts":[{"id":"ccccccccccccccc1","email":"a@example.com","locationId":"loc-9"}],"total":1})",
      R"({"contacts":[{"id":"ccccccccccccccc1","email":"a@example.com","phone":"12"}],"total":1})",
      "{\"contacts\":[{\"id\":\"ccccccccccccccc1\",\"email\":\"a@example.com\",\"lastName\":"
      "\"Sm\xC0\xAFith\"}]}",
      "{\"contacts\":[{\"id\":\"ccccccccccccccc1\",\"email\":\"a@example.com\",\"lastName\":\"Sm\\u0000ith\"}"
      "]}",
      R"({"contact":{"id":"ccccccccccccccc1","email":" Ann@Example.COM","firstName":"Ann"}})",
      R"({"contact":{"id":"ccccccccccccccc2","phone":"+14155550100"}})",
      R"({"contact":{"id":"ccccccccccccccc1","locationId":"loc-2","phone":"+14155550100"}})",
      R"({"contact":{"id":"gc000000000000000042","firstName":"Ann","lastName":"Lee","phone":"+14155550134"}})",
  };
  cases.insert(cases.end(), answers.begin(), answers.end());
  for (const auto& body : cases) checkBody(body);
}

TEST_CASE("the stored answer plans as the raw bodies, on mutated real-shaped bodies") {
  const std::string obj = kObject;
  const std::vector<std::string> seeds = {
      "{\"contacts\":[" + obj + "],\"total\":1}",
      "{\"contacts\":[" + obj + "," + obj + "],\"total\":2}",
      "{\"contact\":" + obj + "}",
  };
  const std::string alphabet = "{}[]\",:\\u0 1aeI-.tfn";
  std::mt19937 rng(20261129);
  for (const auto& seed : seeds)
    for (int i = 0; i < 300; ++i) {
      std::string body = seed;
      const int edits = 1 + static_cast<int>(rng() % 3);
      for (int e = 0; e < edits && !body.empty(); ++e) {
        const size_t at = rng() % body.size();
        switch (rng() % 4) {
          case 0:
            body[at] = alphabet[rng() % alphabet.size()];
            break;
          case 1:
            body.resize(at);
            break;
          case 2:
            body.erase(at, 1);
            break;
          default:
            body.insert(at, body.substr(at, 1 + rng() % 40));
        }
      }
      checkBody(body);
    }
}

TEST_CASE("a form of another version, or damaged, is refused (plan then parses the bodies)") {
  std::string form;
  REQUIRE(answerFormOf(FetchOutcome::kFound, "{\"contacts\":[" + std::string(kObject) + "],\"total\":1}",
                       std::nullopt, form));
  ParsedAnswer a;
  CHECK(answerFormCurrent(form));
  CHECK(decodeAnswer(form, a));
  std::string other = form;
  other[1] = static_cast<char>(kAnswerFormVersion + 1);
  CHECK_FALSE(answerFormCurrent(other));
  CHECK_FALSE(decodeAnswer(other, a));
  for (size_t cut = 0; cut < form.size(); ++cut) CHECK_FALSE(decodeAnswer(form.substr(0, cut), a));
  CHECK_FALSE(decodeAnswer(form + "x", a));
  // Any other outcome has no form: plan does not read its bodies.
  CHECK_FALSE(answerFormOf(FetchOutcome::kNotFound, "{\"contacts\":[]}", std::nullopt, form));
  CHECK(form.empty());

  // A stored form that fails to decode is never trusted over the bodies.
  LeadSnapshot lead;
  lead.id = "lead-1";
  lead.client_id = "client-1";
  lead.location_id = "loc-1";
  lead.email = "a@example.com";
  FetchRecord f;
  f.lookup = "search";
  f.lookup_key = "a@example.com";
  f.outcome = FetchOutcome::kFound;
  f.search_body = "{\"contacts\":[" + std::string(kObject) + "],\"total\":1}";
  const std::string want = show(planLead(lead, f));
  f.answer = other;
  CHECK(show(planLead(lead, f)) == want);
}
