#include <doctest/doctest.h>

#include "contact.h"

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
  const auto page = parseSearchBody(R"({"contacts":[{"id":"ccccccccccccccc1","email":"ann@example.com"}],"total":1})");
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
