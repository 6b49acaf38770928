#include "contact.h"

#include <doctest/doctest.h>

using namespace ghlb;

TEST_CASE("search: the oldest contact with the primary email wins; several are ambiguous") {
  const auto page = parseSearchBody(R"({"contacts":[
    {"id":"bbbbbbbbbbbbbbb2","email":"ann@example.com","dateAdded":"2024-03-01T00:00:00.000Z"},
    {"id":"bbbbbbbbbbbbbbb1","email":"ANN@example.com ","dateAdded":"2024-03-01T00:00:00.000Z"},
    {"id":"aaaaaaaaaaaaaaa9","email":"ann@example.com","dateAdded":"2024-05-01T00:00:00.000Z"}],"total":3})");
  REQUIRE(page);
  const auto c = chooseContact(*page, "ann@example.com");
  REQUIRE(c.contact);
  CHECK(c.contact->id == "bbbbbbbbbbbbbbb1");  // tie on dateAdded: smaller id
  CHECK(c.ambiguous);
  CHECK(c.matches == 3);
}

TEST_CASE("search: additionalEmails never match") {
  const auto page = parseSearchBody(
      R"({"contacts":[{"id":"ccccccccccccccc1","email":"other@example.com","additionalEmails":["ann@example.com"]}],"total":1})");
  REQUIRE(page);
  const auto c = chooseContact(*page, "ann@example.com");
  CHECK_FALSE(c.contact);
  CHECK_FALSE(c.ambiguous);
}

TEST_CASE("search: one match is not ambiguous") {
  const auto page =
      parseSearchBody(R"({"contacts":[{"id":"ccccccccccccccc1","email":"ann@example.com"}],"total":1})");
  const auto c = chooseContact(*page, "ann@example.com");
  REQUIRE(c.contact);
  CHECK_FALSE(c.ambiguous);
}

TEST_CASE("unexpected payloads are refused, not guessed") {
  CHECK_FALSE(parseSearchBody("<html>").has_value());
  CHECK_FALSE(parseSearchBody(R"({"unexpected":true})").has_value());
  CHECK_FALSE(parseSearchBody(R"({"contacts":[{"email":"x"}]})").has_value());  // no id
  CHECK_FALSE(parseGetBody(R"({"contacts":[]})").has_value());
  CHECK(parseGetBody(R"({"contact":{"id":"ccccccccccccccc1"}})").has_value());
}

TEST_CASE("GET only when the payload lacks a field the lead is missing") {
  LeadSnapshot lead;
  lead.email = "ann@example.com";
  lead.phone = "+14155550134";
  lead.company_name = "Acme";
  const auto with_names = parseSearchBody(
      R"({"contacts":[{"id":"ccccccccccccccc1","email":"ann@example.com","firstName":"Ann","lastName":null}]})");
  CHECK_FALSE(lacksFieldLeadMisses(with_names->contacts[0], lead));  // null counts as present
  const auto lower_only = parseSearchBody(
      R"({"contacts":[{"id":"ccccccccccccccc1","email":"ann@example.com","firstNameLowerCase":"ann"}]})");
  CHECK(lacksFieldLeadMisses(lower_only->contacts[0], lead));
  lead.first_name = "Ann";
  lead.last_name = "Lee";
  CHECK_FALSE(lacksFieldLeadMisses(lower_only->contacts[0], lead));  // lead misses nothing it lacks
}

TEST_CASE("merge takes from GET only what search lacked") {
  const auto s = parseSearchBody(R"({"contacts":[{"id":"ccccccccccccccc1","email":"a@b.c","phone":"1"}]})");
  const auto g = parseGetBody(R"({"contact":{"id":"ccccccccccccccc1","phone":"2","firstName":"Ann"}})");
  const auto m = mergeContact(s->contacts[0], *g);
  CHECK(*m.phone == "1");
  CHECK(*m.first_name == "Ann");
}

TEST_CASE("ISO dates to epoch milliseconds") {
  CHECK(*parseIsoMillis("1970-01-01T00:00:00.000Z") == 0);
  CHECK(*parseIsoMillis("2024-01-02T03:04:05.678Z") == 1704164645678);
  CHECK(*parseIsoMillis("2024-01-02T04:04:05.678+01:00") == 1704164645678);
  CHECK_FALSE(parseIsoMillis("yesterday").has_value());
}

TEST_CASE("jsonTooDeep counts nesting outside strings, escapes included") {
  CHECK_FALSE(jsonTooDeep(R"({"a":[1,{"b":[]}]})", 4));
  CHECK(jsonTooDeep(R"({"a":[1,{"b":[]}]})", 3));
  CHECK_FALSE(jsonTooDeep(R"({"a":"[[[[[[{{{{"})", 1));       // brackets inside a string
  CHECK_FALSE(jsonTooDeep(R"({"a":"\"[[[[[[[","b":1})", 1));  // an escaped quote does not end it
  CHECK_FALSE(jsonTooDeep(R"({"a":"x\\","b":"[[[["})", 1));   // an escaped backslash does
  CHECK(jsonTooDeep(std::string(120000, '[') + std::string(120000, ']')));
  CHECK_FALSE(jsonTooDeep(std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']')));
}

TEST_CASE("deeply nested bodies are refused without recursion") {
  const std::string deep = R"({"contacts":)" + std::string(120000, '[') + std::string(120000, ']') + "}";
  CHECK_FALSE(parseSearchBody(deep).has_value());
  CHECK_FALSE(parseGetBody(R"({"contact":)" + std::string(120000, '{')).has_value());
}

TEST_CASE("locationId is parsed; a non-string one never matches a location") {
  const auto c = parseGetBody(R"({"contact":{"id":"ccccccccccccccc1","locationId":"LOC1"}})");
  REQUIRE(c);
  CHECK(c->location_id == "LOC1");
  const auto n = parseGetBody(R"({"contact":{"id":"ccccccccccccccc1","locationId":7}})");
  REQUIRE(n);
  CHECK(untrustedReason(*n, "LOC1", "") == "wrong_location");
  const auto absent = parseGetBody(R"({"contact":{"id":"ccccccccccccccc1","locationId":null}})");
  REQUIRE(absent);
  CHECK_FALSE(untrustedReason(*absent, "LOC1", "ccccccccccccccc1"));
}

TEST_CASE("untrustedReason: id shape, location, the id asked") {
  Contact c;
  c.id = "ccccccccccccccc1";
  CHECK_FALSE(untrustedReason(c, "LOC1", ""));
  CHECK_FALSE(untrustedReason(c, "LOC1", "ccccccccccccccc1"));
  CHECK(untrustedReason(c, "LOC1", "ccccccccccccccc2") == "wrong_contact_id");
  c.location_id = "LOC1";
  CHECK_FALSE(untrustedReason(c, "LOC1", ""));
  c.location_id = "LOC2";
  CHECK(untrustedReason(c, "LOC1", "") == "wrong_location");
  c.location_id.reset();
  for (const char* bad : {"abc/../x?y\"z", "short1", "ccccccccccccccc1 ", "ccccccccccccccé1"}) {
    c.id = bad;
    CHECK(untrustedReason(c, "LOC1", "") == "invalid_contact_id");
  }
}

TEST_CASE("search pages: the cursor of the last contact, and merged bodies") {
  const std::string p1 = R"({"contacts":[{"id":"ccccccccccccccc1","searchAfter":[1,"ccccccccccccccc1"]},)"
                         R"({"id":"ccccccccccccccc2","searchAfter":[2, "ccccccccccccccc2"]}],"total":3})";
  const std::string p2 = R"({"contacts":[{"id":"ccccccccccccccc3","searchAfter":[{"x":1}]}],"total":3})";
  const auto a = parseSearchBody(p1);
  REQUIRE(a);
  CHECK(a->next_cursor == R"([2,"ccccccccccccccc2"])");
  const auto b = parseSearchBody(p2);
  REQUIRE(b);
  CHECK(b->next_cursor.empty());  // not an array of scalars
  const auto merged = parseSearchBody(mergeSearchBodies({p1, p2}, 3));
  REQUIRE(merged);
  CHECK(merged->total == 3);
  REQUIRE(merged->contacts.size() == 3);
  CHECK(merged->contacts[2].id == "ccccccccccccccc3");
}
