// Unit tests of ghl-sim's logic (tools/ghl-sim, everything but main.cpp): data file validation,
// email filter matching, sorting and paging, rate-limit accounting on a hand-driven clock, fault
// script consumption, response shaping, the request log's privacy, and the connection reset.
// The simulator's headers are included by path: stages/core has headers of the same names.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <rapidjson/document.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "../../tools/ghl-sim/sim.h"
#include "../../tools/ghl-sim/sim_connections.h"
#include "../../tools/ghl-sim/sim_request_log.h"
#include "../../tools/ghl-sim/sim_search.h"
#include "../../tools/ghl-sim/sim_text.h"

namespace {

using namespace std::chrono_literals;
using ghlsim::SimData;

constexpr const char* kData = R"json({
  "locations": [
    {"id": "LOC1", "token": "TOKEN1", "contacts": [
      {"id": "c1", "email": " Ann@Example.com ", "phone": "+14155550134", "firstName": "Ann",
       "lastName": "Lee", "companyName": "Acme", "dateAdded": "2024-01-02T03:04:05.000Z",
       "additionalEmails": ["other@example.com"], "tags": ["x"]},
      {"id": "c2", "email": "bob@example.com", "firstName": "Bob", "lastName": "Stone",
       "dateAdded": "2024-01-01T00:00:00.000Z", "searchOmitNames": true},
      {"id": "c3", "email": null, "firstName": "NoMail", "dateAdded": "2024-01-01T00:00:00.000Z"},
      {"id": "c4", "email": "dana@example.com", "dateAdded": "2024-03-01T00:00:00Z",
       "additionalEmails": [{"email": "ann@example.com"}]},
      {"id": "c5", "email": "eve@example.com", "dateAdded": "2023-12-31T23:59:59.999Z"}
    ]},
    {"id": "LOC2", "token": "TOKEN2", "contacts": [
      {"id": "z1", "email": "ann@example.com", "dateAdded": "2024-01-01T00:00:00.000Z"}
    ]}
  ],
  "faults": [
    {"contactId": "c1", "responses": ["500", "reset", "malformed", "429", "slow"]},
    {"email": "BOB@example.com", "responses": ["503"]},
    {"email": "bob@example.com", "responses": ["notjson"]}
  ]
})json";

SimData loadOk(const char* json = kData) {
  auto r = SimData::parse(json);
  if (const auto* e = std::get_if<ghlsim::DataError>(&r)) FAIL("unexpected data error: " << e->what);
  return std::move(std::get<SimData>(r));
}

ghlsim::DataError loadErr(const std::string& json) {
  auto r = SimData::parse(json);
  REQUIRE(std::holds_alternative<ghlsim::DataError>(r));
  return std::get<ghlsim::DataError>(r);
}

ghlsim::SearchRequest parseOk(const std::string& body) {
  auto r = ghlsim::parseSearchRequest(body);
  if (const auto* e = std::get_if<ghlsim::RequestError>(&r)) {
    FAIL("unexpected request error: " << (e->messages.empty() ? "" : e->messages.front()));
  }
  return std::get<ghlsim::SearchRequest>(r);
}

ghlsim::RequestError parseErr(const std::string& body) {
  auto r = ghlsim::parseSearchRequest(body);
  REQUIRE(std::holds_alternative<ghlsim::RequestError>(r));
  return std::get<ghlsim::RequestError>(r);
}

bool hasMessage(const ghlsim::RequestError& e, const std::string& needle) {
  for (const auto& m : e.messages) {
    if (m.find(needle) != std::string::npos) return true;
  }
  return false;
}

std::vector<std::string> searchIds(const SimData& data, const std::string& body,
                                   std::size_t* total = nullptr) {
  const auto req = parseOk(body);
  const auto page = ghlsim::runSearch(req, data, *data.locationById(req.locationId));
  if (total != nullptr) *total = page.total;
  std::vector<std::string> ids;
  for (const auto* c : page.contacts) ids.push_back(c->id);
  return ids;
}

std::string emailEq(const std::string& email) {
  return R"({"field":"email","operator":"eq","value":")" + email + R"("})";
}

ghlsim::SteadyTime at(std::chrono::milliseconds ms) { return ghlsim::SteadyTime{} + 1h + ms; }

rapidjson::Document json(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

std::string headerOf(const ghlsim::SimResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "<absent>";
}

ghlsim::SimRequest apiRequest(std::string method, std::string path, std::string body = "",
                              std::string token = "TOKEN1") {
  return {std::move(method), std::move(path), "Bearer " + token, std::string(ghlsim::kApiVersion),
          std::move(body)};
}

ghlsim::SimOptions smallLimits() {
  ghlsim::SimOptions o;
  o.rate.burst = 5;
  o.rate.window = 1000ms;
  o.rate.daily = 1000;
  return o;
}

}  // namespace

TEST_CASE("ghl-sim text helpers") {
  CHECK(ghlsim::trim("  a b \t\n") == "a b");
  CHECK(ghlsim::toLower("Ann@Example.COM") == "ann@example.com");
  CHECK(ghlsim::toLower("ÉLODIE Ångström ŁUKASZ") == "élodie ångström łukasz");
  CHECK(ghlsim::parseIsoMillis("1970-01-01T00:00:01.500Z") == 1500);
  CHECK(ghlsim::parseIsoMillis("2024-01-02T03:04:05.000Z") == 1704164645000);
  CHECK(ghlsim::parseIsoMillis("2024-01-02T05:04:05+02:00") == 1704164645000);
  CHECK_FALSE(ghlsim::parseIsoMillis("2023-02-29T00:00:00Z"));
  CHECK_FALSE(ghlsim::parseIsoMillis("yesterday"));
  CHECK(ghlsim::isLoopbackHost("127.0.0.1"));
  CHECK(ghlsim::isLoopbackHost("127.1.2.3"));
  CHECK(ghlsim::isLoopbackHost("::1"));
  CHECK(ghlsim::isLoopbackHost("localhost"));
  CHECK_FALSE(ghlsim::isLoopbackHost("0.0.0.0"));
  CHECK_FALSE(ghlsim::isLoopbackHost("10.0.0.1"));
  CHECK_FALSE(ghlsim::isLoopbackHost("example.com"));
  CHECK(ghlsim::redactPath("/contacts/abcDEF1234567890ab") == "/contacts/abcDEF1234567890ab");
  CHECK(ghlsim::redactPath("/contacts/ann@example.com") == "/contacts/[redacted]");
  CHECK(ghlsim::redactPath("/contacts/ann%40example.com/x") == "/contacts/[redacted]/x");
  CHECK(ghlsim::redactPath("/contacts/+1 (415) 555-0134") == "/contacts/[redacted]");
  CHECK(ghlsim::redactPath("/contacts/%2B14155550134") == "/contacts/[redacted]");
}

TEST_CASE("ghl-sim data file loading") {
  const SimData data = loadOk();
  CHECK(data.locations().size() == 2);
  CHECK(data.contacts().size() == 6);
  CHECK(data.faults().size() == 3);
  REQUIRE(data.locationByToken("TOKEN2") != nullptr);
  CHECK(data.locationByToken("TOKEN2")->id == "LOC2");
  CHECK(data.locationByToken("nope") == nullptr);
  const auto* c1 = data.contactById("c1");
  REQUIRE(c1 != nullptr);
  CHECK(c1->emailKey == "ann@example.com");
  CHECK(c1->locationId == "LOC1");
  CHECK(c1->dateAddedMs == 1704164645000);
  CHECK(data.contactById("c3")->emailKey.empty());
  CHECK(data.contactById("c2")->searchOmitNames);
  CHECK(data.faults()[1].emailKey == "bob@example.com");
}

TEST_CASE("ghl-sim data file validation errors") {
  CHECK(loadErr("{\"locations\": [").what.find("not valid JSON") != std::string::npos);
  CHECK(loadErr("[]").what.find("not a JSON object") != std::string::npos);
  CHECK(loadErr("{}").what.find("locations") != std::string::npos);
  CHECK(loadErr(R"({"locations":[],"extra":1})").what.find("'extra'") != std::string::npos);
  CHECK(loadErr(R"({"locations":[{"id":"A"}]})").what ==
        "locations[0].token is missing or not a non-empty string");

  const auto dupLocation = loadErr(R"({"locations":[{"id":"A","token":"t1"},{"id":"A","token":"t2"}]})");
  CHECK(dupLocation.what == "location id 'A' appears twice (locations[0] and locations[1])");
  CHECK_FALSE(dupLocation.fix.empty());

  const auto dupToken = loadErr(R"({"locations":[{"id":"A","token":"SECRET"},{"id":"B","token":"SECRET"}]})");
  CHECK(dupToken.what == "locations[1] uses the same token as locations[0]");
  CHECK(dupToken.what.find("SECRET") == std::string::npos);
  CHECK(dupToken.fix.find("SECRET") == std::string::npos);

  const auto dupContact = loadErr(
      R"({"locations":[{"id":"A","token":"t1","contacts":[{"id":"x"}]},{"id":"B","token":"t2","contacts":[{"id":"x"}]}]})");
  CHECK(dupContact.what.find("contact id 'x' appears twice") == 0);

  const auto badEmail =
      loadErr(R"({"locations":[{"id":"A","token":"t","contacts":[{"id":"x","email":5}]}]})");
  CHECK(badEmail.what == "locations[0].contacts[0].email must be a string or null");
  CHECK(loadErr(R"({"locations":[{"id":"A","token":"t","contacts":[{"id":"x","dateAdded":"soon"}]}]})")
            .what.find("dateAdded") != std::string::npos);
  CHECK(loadErr(R"({"locations":[{"id":"A","token":"t","contacts":[{"id":"x","additionalEmails":[1]}]}]})")
            .what.find("additionalEmails") != std::string::npos);
  CHECK(loadErr(R"({"locations":[{"id":"A","token":"t","contacts":[{"email":"a@b.c"}]}]})").what ==
        "locations[0].contacts[0].id is missing or not a non-empty string");

  const auto badFault = loadErr(
      R"({"locations":[{"id":"A","token":"t"}],"faults":[{"email":"a@b.c","responses":["500","boom"]}]})");
  CHECK(badFault.what == "faults[0].responses[1] is not a known fault");
  CHECK(badFault.what.find("a@b.c") == std::string::npos);
  CHECK(
      loadErr(
          R"({"locations":[{"id":"A","token":"t"}],"faults":[{"contactId":"x","email":"a@b.c","responses":["500"]}]})")
          .what.find("exactly one") != std::string::npos);
  CHECK(loadErr(R"({"locations":[{"id":"A","token":"t"}],"faults":[{"contactId":"x","responses":[]}]})")
            .what.find("responses") != std::string::npos);
}

TEST_CASE("ghl-sim fault action spellings") {
  CHECK(ghlsim::parseFaultAction("429") == ghlsim::FaultAction{ghlsim::FaultAction::Kind::Status, 429});
  CHECK(ghlsim::parseFaultAction("reset") == ghlsim::FaultAction{ghlsim::FaultAction::Kind::Reset, 0});
  CHECK(ghlsim::parseFaultAction("wrongshape")->kind == ghlsim::FaultAction::Kind::WrongShape);
  CHECK_FALSE(ghlsim::parseFaultAction("200"));
  CHECK_FALSE(ghlsim::parseFaultAction("5000"));
  CHECK_FALSE(ghlsim::parseFaultAction("RESET"));
  CHECK(ghlsim::describeFaultAction(*ghlsim::parseFaultAction("notjson")) == "notjson");
}

TEST_CASE("ghl-sim email filters match the primary email only") {
  const SimData data = loadOk();
  const std::string head = R"({"locationId":"LOC1","pageLimit":100,"filters":[)";

  SUBCASE("eq is case-insensitive and trims both sides") {
    CHECK(searchIds(data, head + emailEq("  ANN@example.COM ") + "]}") == std::vector<std::string>{"c1"});
  }
  SUBCASE("additionalEmails never match, as strings or as objects") {
    CHECK(searchIds(data, head + emailEq("other@example.com") + "]}").empty());
    // c4 has ann@example.com only as an additional email; c1 has it as its primary.
    CHECK(searchIds(data, head + emailEq("ann@example.com") + "]}") == std::vector<std::string>{"c1"});
  }
  SUBCASE("the location scopes the search") {
    CHECK(searchIds(data, R"({"locationId":"LOC2","pageLimit":10,"filters":[)" + emailEq("ann@example.com") +
                              "]}") == std::vector<std::string>{"z1"});
  }
  SUBCASE("OR groups, nested AND, top-level AND") {
    const std::string orGroup = R"({"group":"OR","filters":[)" + emailEq("dana@example.com") + "," +
                                emailEq("bob@EXAMPLE.com") + "," + emailEq("nobody@example.com") + "]}";
    CHECK(searchIds(data, head + orGroup + "]}") == std::vector<std::string>{"c2", "c4"});
    const std::string nested = R"({"group":"OR","filters":[{"group":"AND","filters":[)" +
                               emailEq("eve@example.com") + R"(,{"field":"email","operator":"exists"}]},)" +
                               emailEq("dana@example.com") + "]}";
    CHECK(searchIds(data, head + nested + "]}") == std::vector<std::string>{"c5", "c4"});
    // Top-level filters are AND-ed: the OR group and an eq that only one of its members satisfies.
    CHECK(searchIds(data, head + orGroup + "," + emailEq("dana@example.com") + "]}") ==
          std::vector<std::string>{"c4"});
  }
  SUBCASE("not_eq, exists, not_exists") {
    CHECK(searchIds(data, head + R"({"field":"email","operator":"not_exists"}]})") ==
          std::vector<std::string>{"c3"});
    CHECK(searchIds(data, head + R"({"field":"email","operator":"exists"}]})").size() == 4);
    const auto notAnn =
        searchIds(data, head + R"({"field":"email","operator":"not_eq","value":"ANN@example.com"}]})");
    CHECK(notAnn == std::vector<std::string>{"c5", "c2", "c3", "c4"});
  }
  SUBCASE("matches() directly") {
    ghlsim::Filter any{ghlsim::Filter::Kind::Any, "", {}};
    CHECK_FALSE(ghlsim::matches(any, *data.contactById("c1")));
    any.children.push_back({ghlsim::Filter::Kind::EmailEq, "ann@example.com", {}});
    CHECK(ghlsim::matches(any, *data.contactById("c1")));
    CHECK_FALSE(ghlsim::matches(any, *data.contactById("c4")));
  }
  SUBCASE("email eq values are collected for faults and the log") {
    const auto req = parseOk(head + R"({"group":"OR","filters":[)" + emailEq("A@x.com") + "," +
                             emailEq("b@x.com") + "]}]}");
    CHECK(req.emailEqValues == std::vector<std::string>{"a@x.com", "b@x.com"});
  }
}

TEST_CASE("ghl-sim search request validation") {
  SUBCASE("missing locationId and pageLimit: 422 with a list of messages") {
    const auto e = parseErr("{}");
    CHECK(e.status == 422);
    CHECK(hasMessage(e, "locationId must be a string"));
    CHECK(hasMessage(e, "pageLimit"));
    CHECK(parseErr("").status == 422);  // an empty body counts as {}
  }
  SUBCASE("body that is not JSON: 400") {
    CHECK(parseErr("{nope").status == 400);
    CHECK(parseErr("[1]").status == 400);
  }
  SUBCASE("limits") {
    CHECK(hasMessage(parseErr(R"({"locationId":"L","pageLimit":501})"),
                     "pageLimit must not be greater than 500"));
    CHECK(hasMessage(parseErr(R"({"locationId":"L","pageLimit":0})"), "pageLimit must not be less than 1"));
    CHECK(hasMessage(parseErr(R"({"locationId":"L","pageLimit":2.5})"), "pageLimit must be an integer"));
    CHECK(parseOk(R"({"locationId":"L","pageLimit":500,"page":20})").page == 20);
    CHECK(hasMessage(parseErr(R"({"locationId":"L","pageLimit":500,"page":21})"), "10000"));
    CHECK(hasMessage(parseErr(R"({"locationId":"L","pageLimit":5,"page":1,"searchAfter":[1,"a"]})"),
                     "page and searchAfter cannot be used together"));
    CHECK(hasMessage(parseErr(R"({"locationId":"L","pageLimit":5,"searchAfter":"a"})"), "searchAfter"));
    CHECK(hasMessage(parseErr(R"({"locationId":"L","pageLimit":5,"query":")" + std::string(76, 'q') + "\"}"),
                     "query must be shorter than or equal to 75 characters"));
    CHECK(parseErr(R"({"locationId":"L","pageLimit":5,"query":")" + std::string(75, 'q') + "\"} x").status ==
          400);
    parseOk(R"({"locationId":"L","pageLimit":5,"query":")" + std::string(75, 'q') + "\"}");
  }
  SUBCASE("unsupported filters and sorts: 422") {
    CHECK(hasMessage(
        parseErr(
            R"({"locationId":"L","pageLimit":5,"filters":[{"field":"phone","operator":"eq","value":"1"}]})"),
        "filters.0.field"));
    CHECK(hasMessage(
        parseErr(
            R"({"locationId":"L","pageLimit":5,"filters":[{"field":"email","operator":"contains","value":"a"}]})"),
        "filters.0.operator"));
    CHECK(hasMessage(parseErr(R"({"locationId":"L","pageLimit":5,"filters":[{"group":"XOR","filters":[]}]})"),
                     "filters.0.group"));
    CHECK(hasMessage(parseErr(R"({"locationId":"L","pageLimit":5,"filters":[{"group":"OR","filters":[]}]})"),
                     "should not be empty"));
    CHECK(hasMessage(
        parseErr(
            R"({"locationId":"L","pageLimit":5,"filters":[{"group":"OR","filters":[{"field":"email","operator":"eq"}]}]})"),
        "filters.0.filters.0.value"));
    CHECK(hasMessage(parseErr(R"({"locationId":"L","pageLimit":5,"sort":[{"field":"firstName"}]})"),
                     "sort.0.field"));
    CHECK(hasMessage(
        parseErr(R"({"locationId":"L","pageLimit":5,"sort":[{"field":"id"},{"field":"id"},{"field":"id"}]})"),
        "no more than 2"));
    CHECK(hasMessage(parseErr(R"({"locationId":"L","pageLimit":5,"limit":5})"),
                     "property limit should not exist"));
  }
  SUBCASE("messages never quote a filter value") {
    const auto e = parseErr(
        R"({"locationId":"L","pageLimit":900,"filters":[{"field":"phone","operator":"eq","value":"secret@example.com"}]})");
    for (const auto& m : e.messages) CHECK(m.find("secret@example.com") == std::string::npos);
  }
}

TEST_CASE("ghl-sim ordering, paging and searchAfter") {
  const SimData data = loadOk();
  std::size_t total = 0;
  SUBCASE("default order is dateAdded asc then id asc; total counts every match") {
    CHECK(searchIds(data, R"({"locationId":"LOC1","pageLimit":100})", &total) ==
          std::vector<std::string>{"c5", "c2", "c3", "c1", "c4"});
    CHECK(total == 5);
  }
  SUBCASE("page numbers") {
    CHECK(searchIds(data, R"({"locationId":"LOC1","pageLimit":2,"page":2})", &total) ==
          std::vector<std::string>{"c3", "c1"});
    CHECK(total == 5);
    CHECK(searchIds(data, R"({"locationId":"LOC1","pageLimit":2,"page":3})") ==
          std::vector<std::string>{"c4"});
    CHECK(searchIds(data, R"({"locationId":"LOC1","pageLimit":2,"page":9})", &total).empty());
    CHECK(total == 5);
  }
  SUBCASE("sort keys") {
    CHECK(searchIds(
              data,
              R"({"locationId":"LOC1","pageLimit":100,"sort":[{"field":"dateAdded","direction":"desc"}]})") ==
          std::vector<std::string>{"c4", "c1", "c2", "c3", "c5"});
    CHECK(searchIds(data,
                    R"({"locationId":"LOC1","pageLimit":100,"sort":[{"field":"id","direction":"desc"}]})") ==
          std::vector<std::string>{"c5", "c4", "c3", "c2", "c1"});
  }
  SUBCASE("walking with searchAfter visits every contact once, in order") {
    std::vector<std::string> seen;
    std::string after;
    for (int guard = 0; guard < 10; ++guard) {
      const std::string body = R"({"locationId":"LOC1","pageLimit":2)" + after + "}";
      const auto req = parseOk(body);
      const auto page = ghlsim::runSearch(req, data, *data.locationById("LOC1"));
      CHECK(page.total == 5);
      if (page.contacts.empty()) break;
      for (const auto* c : page.contacts) seen.push_back(c->id);
      const auto last = json(ghlsim::renderSearchContact(*page.contacts.back()));
      after = R"(,"searchAfter":[)" + std::to_string(last["searchAfter"][0].GetInt64()) + ",\"" +
              last["searchAfter"][1].GetString() + "\"]";
    }
    CHECK(seen == std::vector<std::string>{"c5", "c2", "c3", "c1", "c4"});
  }
  SUBCASE("searchAfter is strictly after the cursor, ties broken by id") {
    // c2 and c3 share a dateAdded: after [ms, "c2"] comes c3.
    CHECK(searchIds(data, R"({"locationId":"LOC1","pageLimit":1,"searchAfter":[1704067200000,"c2"]})") ==
          std::vector<std::string>{"c3"});
    CHECK(searchIds(data, R"({"locationId":"LOC1","pageLimit":10,"searchAfter":[1709251200000,"c4"]})")
              .empty());
  }
}

TEST_CASE("ghl-sim contact shapes") {
  const SimData data = loadOk();
  SUBCASE("search form") {
    const auto c1 = json(ghlsim::renderSearchContact(*data.contactById("c1")));
    CHECK(std::string(c1["locationId"].GetString()) == "LOC1");
    CHECK(std::string(c1["firstName"].GetString()) == "Ann");
    CHECK(std::string(c1["firstNameLowerCase"].GetString()) == "ann");
    CHECK(std::string(c1["lastNameLowerCase"].GetString()) == "lee");
    CHECK(std::string(c1["contactName"].GetString()) == "ann lee");
    CHECK(std::string(c1["companyName"].GetString()) == "Acme");  // unknown fields pass through
    CHECK(c1["tags"].IsArray());
    CHECK(std::string(c1["additionalEmails"][0].GetString()) == "other@example.com");
    CHECK(c1["searchAfter"][0].GetInt64() == 1704164645000);
    CHECK(std::string(c1["searchAfter"][1].GetString()) == "c1");
    CHECK_FALSE(c1.HasMember("searchOmitNames"));
    CHECK_FALSE(c1.HasMember("name"));

    const auto c4 = json(ghlsim::renderSearchContact(*data.contactById("c4")));
    CHECK(std::string(c4["additionalEmails"][0].GetString()) == "ann@example.com");
    CHECK_FALSE(c4.HasMember("firstNameLowerCase"));
    CHECK_FALSE(c4.HasMember("contactName"));
  }
  SUBCASE("searchOmitNames hides firstName/lastName in search results only") {
    const auto c2 = json(ghlsim::renderSearchContact(*data.contactById("c2")));
    CHECK_FALSE(c2.HasMember("firstName"));
    CHECK_FALSE(c2.HasMember("lastName"));
    CHECK_FALSE(c2.HasMember("searchOmitNames"));
    CHECK(std::string(c2["firstNameLowerCase"].GetString()) == "bob");
    CHECK(std::string(c2["lastNameLowerCase"].GetString()) == "stone");
    const auto full = json(ghlsim::renderContactBody(*data.contactById("c2")));
    CHECK(std::string(full["contact"]["firstName"].GetString()) == "Bob");
    CHECK(std::string(full["contact"]["name"].GetString()) == "Bob Stone");
    CHECK_FALSE(full["contact"].HasMember("searchOmitNames"));
  }
  SUBCASE("GET form") {
    const auto c1 = json(ghlsim::renderContactBody(*data.contactById("c1")));
    const auto& contact = c1["contact"];
    CHECK(std::string(contact["name"].GetString()) == "Ann Lee");
    CHECK(std::string(contact["locationId"].GetString()) == "LOC1");
    CHECK(std::string(contact["additionalEmails"][0]["email"].GetString()) == "other@example.com");
    CHECK(std::string(contact["phone"].GetString()) == "+14155550134");
    CHECK_FALSE(contact.HasMember("searchAfter"));
    const auto c3 = json(ghlsim::renderContactBody(*data.contactById("c3")));
    CHECK(c3["contact"]["email"].IsNull());  // null stays null
    CHECK(std::string(c3["contact"]["name"].GetString()) == "NoMail");
  }
  SUBCASE("search body") {
    ghlsim::SearchPage page;
    page.contacts = {data.contactById("c5")};
    page.total = 7;
    const auto body = json(ghlsim::renderSearchBody(page, "abc123"));
    CHECK(body["contacts"].Size() == 1);
    CHECK(body["total"].GetInt() == 7);
    CHECK(std::string(body["traceId"].GetString()) == "abc123");
  }
}

TEST_CASE("ghl-sim rate limiter: sliding burst window") {
  ghlsim::RateLimiter limiter({5, 1000ms, 1000, 0});
  using V = ghlsim::RateDecision::Verdict;
  for (int i = 0; i < 5; ++i) {
    const auto d = limiter.admit("L", at(std::chrono::milliseconds(i * 100)));
    CHECK(d.verdict == V::Accepted);
    CHECK(d.remaining == 4 - i);
    CHECK(d.inWindow == i + 1);
    CHECK(d.dailyRemaining == 1000 - (i + 1));
  }
  // Sixth request at 450 ms: the first slot (taken at 0 ms) frees at 1000 ms.
  auto d = limiter.admit("L", at(450ms));
  CHECK(d.verdict == V::BurstExceeded);
  CHECK(d.remaining == 0);
  CHECK(d.retryAfterSeconds == 1);
  CHECK(d.dailyRemaining == 995);  // rejections are not counted
  // Other locations have their own window.
  CHECK(limiter.admit("M", at(450ms)).verdict == V::Accepted);
  // The window slides: at 999 ms the 0 ms request is still inside, at 1000 ms it is not.
  CHECK(limiter.admit("L", at(999ms)).verdict == V::BurstExceeded);
  d = limiter.admit("L", at(1000ms));
  CHECK(d.verdict == V::Accepted);
  CHECK(d.inWindow == 5);
  CHECK(limiter.admit("L", at(1050ms)).verdict == V::BurstExceeded);
  CHECK(limiter.admit("L", at(1100ms)).verdict == V::Accepted);
  // Long after, the window is empty again.
  d = limiter.admit("L", at(5000ms));
  CHECK(d.verdict == V::Accepted);
  CHECK(d.remaining == 4);
}

TEST_CASE("ghl-sim rate limiter: retry-after rounds up to whole seconds") {
  ghlsim::RateLimiter limiter({2, 10000ms, 1000, 0});
  limiter.admit("L", at(0ms));
  limiter.admit("L", at(3000ms));
  const auto d = limiter.admit("L", at(3500ms));
  CHECK(d.verdict == ghlsim::RateDecision::Verdict::BurstExceeded);
  CHECK(d.retryAfterSeconds == 7);  // 6.5 s until the 0 ms slot frees
}

TEST_CASE("ghl-sim rate limiter: external traffic shares the window") {
  ghlsim::RateLimiter limiter({10, 1000ms, 1000, 7});
  for (int i = 0; i < 3; ++i) {
    const auto d = limiter.admit("L", at(std::chrono::milliseconds(i)));
    CHECK(d.verdict == ghlsim::RateDecision::Verdict::Accepted);
    CHECK(d.remaining == 2 - i);
  }
  CHECK(limiter.admit("L", at(3ms)).verdict == ghlsim::RateDecision::Verdict::BurstExceeded);
}

TEST_CASE("ghl-sim rate limiter: daily quota") {
  ghlsim::RateLimiter limiter({100, 1000ms, 3, 0});
  using V = ghlsim::RateDecision::Verdict;
  CHECK(limiter.admit("L", at(0ms)).dailyResetSeconds == 86400);
  CHECK(limiter.admit("L", at(2000ms)).dailyRemaining == 1);
  CHECK(limiter.admit("L", at(4000ms)).dailyRemaining == 0);
  auto d = limiter.admit("L", at(6000ms));
  CHECK(d.verdict == V::DailyExceeded);
  CHECK(d.dailyRemaining == 0);
  CHECK(d.dailyResetSeconds == 86394);
  CHECK(limiter.admit("M", at(6000ms)).verdict == V::Accepted);
  // The "day" is 24 h from the location's first request.
  CHECK(limiter.admit("L", at(std::chrono::milliseconds(86399999))).verdict == V::DailyExceeded);
  d = limiter.admit("L", at(std::chrono::milliseconds(86400000)));
  CHECK(d.verdict == V::Accepted);
  CHECK(d.dailyRemaining == 2);
}

TEST_CASE("ghl-sim fault scripts are consumed in order") {
  const SimData data = loadOk();
  ghlsim::FaultScripts scripts(data.faults());
  using K = ghlsim::FaultAction::Kind;
  const std::vector<K> expected{K::Status, K::Reset, K::Malformed, K::Status, K::Slow};
  for (const K kind : expected) {
    const auto f = scripts.nextForContact("c1");
    REQUIRE(f);
    CHECK(f->kind == kind);
  }
  CHECK_FALSE(scripts.nextForContact("c1"));  // exhausted: behave normally
  CHECK_FALSE(scripts.nextForContact("c2"));
  // Two scripts for one email: the first runs out, then the second is used.
  CHECK(scripts.nextForEmails({"x@example.com", "bob@example.com"})->status == 503);
  CHECK(scripts.nextForEmails({"bob@example.com"})->kind == K::NotJson);
  CHECK_FALSE(scripts.nextForEmails({"bob@example.com"}));
  CHECK_FALSE(scripts.nextForEmails({}));
}

TEST_CASE("ghl-sim random faults are reproducible") {
  const ghlsim::RandomFaultConfig config{0.2, 0.1, 0.1, 5, 10, 42};
  ghlsim::RandomFaults a(config);
  ghlsim::RandomFaults b(config);
  int faults = 0;
  for (int i = 0; i < 1000; ++i) {
    const auto fa = a.draw();
    const auto fb = b.draw();
    CHECK(fa == fb);
    if (fa) ++faults;
    const auto delay = a.delay();
    CHECK(delay == b.delay());
    CHECK(delay >= 5ms);
    CHECK(delay <= 15ms);
  }
  CHECK(faults > 300);
  CHECK(faults < 500);

  ghlsim::RandomFaults none({0, 0, 0, 0, 0, 1});
  for (int i = 0; i < 100; ++i) CHECK_FALSE(none.draw());
  ghlsim::RandomFaults always({1.0, 0, 0, 0, 0, 7});
  for (int i = 0; i < 100; ++i) {
    const auto f = always.draw();
    REQUIRE(f);
    CHECK((f->status == 500 || f->status == 502 || f->status == 503));
  }
}

TEST_CASE("ghl-sim simulator: auth, version, access, routes") {
  ghlsim::Simulator sim(loadOk(), smallLimits());
  const auto now = at(0ms);

  auto r =
      sim.handle({"POST", "/contacts/search", std::nullopt, std::string(ghlsim::kApiVersion), "{}"}, now);
  CHECK(r.status == 401);
  CHECK(r.body == R"({"statusCode":401,"message":"Invalid token: access token is invalid"})");
  CHECK(headerOf(r, "X-RateLimit-Max") == "<absent>");
  CHECK(sim.handle(apiRequest("GET", "/contacts/c1", "", "WRONG"), now).status == 401);

  auto noVersion = apiRequest("GET", "/contacts/c4");
  noVersion.version.reset();
  r = sim.handle(noVersion, now);
  CHECK(r.status == 400);
  CHECK(r.body == R"({"statusCode":400,"message":"version header is missing or invalid"})");
  CHECK(headerOf(r, "X-RateLimit-Max") == "5");

  r = sim.handle(apiRequest("POST", "/contacts/search", R"({"locationId":"LOC2","pageLimit":5})"), now);
  CHECK(r.status == 403);
  CHECK(r.body == R"({"statusCode":403,"message":"The token does not have access to this location."})");
  CHECK(sim.handle(apiRequest("GET", "/contacts/z1"), now).status == 403);

  r = sim.handle(apiRequest("GET", "/contacts/unknown"), now);
  CHECK(r.status == 404);
  CHECK(r.body == R"({"statusCode":404,"message":"Contact not found"})");

  r = sim.handle(apiRequest("POST", "/contacts/search", R"({"pageLimit":5})"), at(1500ms));
  CHECK(r.status == 422);
  CHECK(json(r.body)["message"].IsArray());

  r = sim.handle(apiRequest("POST", "/contacts/upsert", R"({"email":"a@b.c"})"), at(1500ms));
  CHECK(r.status == 404);
  CHECK(r.body == R"({"statusCode":404,"message":"Cannot POST /contacts/upsert"})");
  CHECK(sim.handle(apiRequest("PUT", "/contacts/c4", "{}"), at(1500ms)).status == 404);
  CHECK(sim.handle(apiRequest("POST", "/contacts/", "{}"), at(1500ms)).status == 404);
  CHECK(sim.handle(apiRequest("GET", "/locations/LOC1"), at(1500ms)).status == 404);

  r = sim.handle(apiRequest("GET", "/contacts/c4"), at(1500ms));
  CHECK(r.status == 200);
  CHECK(std::string(json(r.body)["contact"]["id"].GetString()) == "c4");

  r = sim.handle(
      apiRequest("POST", "/contacts/search",
                 R"({"locationId":"LOC1","pageLimit":2,"filters":[)" + emailEq("ANN@example.com") + "]}"),
      at(1500ms));
  CHECK(r.status == 200);
  CHECK(r.emailFilters == 1);
  const auto body = json(r.body);
  CHECK(body["total"].GetInt() == 1);
  CHECK(std::string(body["traceId"].GetString()).size() == 32);

  const auto stats = json(sim.statsJson());
  CHECK(stats["write_attempts"].GetInt() == 3);  // POST upsert, PUT, POST /contacts/
  CHECK(stats["status_counts"]["401"].GetInt() == 2);
  CHECK(stats["by_location"]["LOC1"]["get"].GetInt() >= 3);
  CHECK(stats["by_location"]["LOC2"]["requests"].GetInt() == 0);
  sim.resetStats();
  CHECK(json(sim.statsJson())["requests"].GetInt() == 0);
}

TEST_CASE("ghl-sim simulator: rate limit headers and 429s") {
  ghlsim::SimOptions options = smallLimits();
  options.dailyResetHeader = true;
  ghlsim::Simulator sim(loadOk(), options);
  for (int i = 0; i < 5; ++i) {
    const auto r = sim.handle(apiRequest("GET", "/contacts/c4"), at(std::chrono::milliseconds(i)));
    CHECK(r.status == 200);
    CHECK(headerOf(r, "X-RateLimit-Remaining") == std::to_string(4 - i));
    CHECK(headerOf(r, "X-RateLimit-Interval-Milliseconds") == "1000");
    CHECK(headerOf(r, "X-RateLimit-Limit-Daily") == "1000");
    CHECK(headerOf(r, "X-RateLimit-Daily-Remaining") == std::to_string(999 - i));
    CHECK(headerOf(r, "X-RateLimit-Daily-Reset") == "86400");
  }
  auto r = sim.handle(apiRequest("GET", "/contacts/c4"), at(10ms));
  CHECK(r.status == 429);
  CHECK(r.body == R"({"statusCode":429,"message":"Too many requests"})");
  CHECK(headerOf(r, "Retry-After") == "1");
  CHECK(headerOf(r, "X-RateLimit-Remaining") == "0");
  // 401s are not rate limited and carry no rate headers.
  CHECK(sim.handle(apiRequest("GET", "/contacts/c4", "", "nope"), at(11ms)).status == 401);
  const auto stats = json(sim.statsJson());
  CHECK(stats["by_location"]["LOC1"]["rate_limited"].GetInt() == 1);
  CHECK(stats["by_location"]["LOC1"]["max_in_window"].GetInt() == 5);
  CHECK(stats["status_counts"]["429"].GetInt() == 1);

  ghlsim::SimOptions quiet = smallLimits();
  quiet.retryAfter = false;
  quiet.rate.daily = 2;
  ghlsim::Simulator daily(loadOk(), quiet);
  daily.handle(apiRequest("GET", "/contacts/c4"), at(0ms));
  daily.handle(apiRequest("GET", "/contacts/c4"), at(1ms));
  r = daily.handle(apiRequest("GET", "/contacts/c4"), at(2ms));
  CHECK(r.status == 429);
  CHECK(r.body == R"({"statusCode":429,"message":"Daily limit exceeded"})");
  CHECK(headerOf(r, "X-RateLimit-Daily-Remaining") == "0");
  CHECK(headerOf(r, "Retry-After") == "<absent>");
}

TEST_CASE("ghl-sim simulator: injected faults count as accepted requests") {
  ghlsim::SimOptions options = smallLimits();
  options.slow = 250ms;
  ghlsim::Simulator sim(loadOk(), options);
  const auto get = [&](int ms) {
    return sim.handle(apiRequest("GET", "/contacts/c1"), at(std::chrono::milliseconds(ms)));
  };

  auto r = get(0);
  CHECK(r.status == 500);
  CHECK(std::string(json(r.body)["error"].GetString()) == "Internal Server Error");
  CHECK(r.fault == "500");
  CHECK(headerOf(r, "X-RateLimit-Remaining") == "4");
  r = get(1);
  CHECK(r.reset);
  CHECK(r.fault == "reset");
  r = get(2);
  CHECK(r.status == 200);
  CHECK(r.body == R"({"contact": {)");
  r = get(3);
  CHECK(r.status == 429);
  CHECK(headerOf(r, "Retry-After") == "1");
  r = get(4);
  CHECK(r.status == 200);
  CHECK(r.delay == 250ms);
  CHECK(std::string(json(r.body)["contact"]["id"].GetString()) == "c1");
  // All five were accepted, so the window is now full.
  CHECK(get(5).status == 429);
  const auto stats = json(sim.statsJson());
  CHECK(stats["by_location"]["LOC1"]["max_in_window"].GetInt() == 5);
  CHECK(stats["resets"].GetInt() == 1);
  CHECK(stats["faults_injected"].GetInt() == 5);

  r = sim.handle(
      apiRequest("POST", "/contacts/search",
                 R"({"locationId":"LOC1","pageLimit":1,"filters":[)" + emailEq(" Bob@Example.com") + "]}"),
      at(2000ms));
  CHECK(r.status == 503);
  r = sim.handle(
      apiRequest("POST", "/contacts/search",
                 R"({"locationId":"LOC1","pageLimit":1,"filters":[)" + emailEq("bob@example.com") + "]}"),
      at(2001ms));
  CHECK(r.status == 200);
  CHECK(r.body == "<html>oops</html>");
  CHECK(r.contentType.find("text/html") == 0);
}

TEST_CASE("ghl-sim control endpoints and the request log") {
  ghlsim::Simulator sim(loadOk(), smallLimits());
  auto r = sim.handle({"GET", "/__sim/stats", std::nullopt, std::nullopt, ""}, at(0ms));
  CHECK(r.control);
  CHECK(r.status == 200);
  CHECK(json(r.body)["requests"].GetInt() == 0);
  r = sim.handle({"POST", "/__sim/reset-stats", std::nullopt, std::nullopt, ""}, at(0ms));
  CHECK(r.status == 200);

  const ghlsim::LogEntry entry{
      1700000000000, "GET", "/contacts/ann@example.com", std::string("LOC1"), 404, 0, ""};
  const std::string line = ghlsim::formatLogLine(entry);
  CHECK(
      line ==
      R"({"ts_ms":1700000000000,"method":"GET","path":"/contacts/[redacted]","location":"LOC1","status":404,"emails":0})");
  const ghlsim::LogEntry reset{1, "POST", "/contacts/search", std::nullopt, 0, 3, "reset"};
  CHECK(
      ghlsim::formatLogLine(reset) ==
      R"({"ts_ms":1,"method":"POST","path":"/contacts/search","location":null,"status":0,"emails":3,"fault":"reset"})");
  CHECK(ghlsim::formatVerboseLine(reset) == "POST /contacts/search reset location=- fault=reset");
}

TEST_CASE("ghl-sim abortConnection resets a live TCP connection") {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listener >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener, 1) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const int serverPort = ntohs(addr.sin_port);

  const int client = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  const int accepted = ::accept(listener, nullptr, nullptr);
  REQUIRE(accepted >= 0);
  sockaddr_in clientAddr{};
  len = sizeof clientAddr;
  REQUIRE(::getsockname(client, reinterpret_cast<sockaddr*>(&clientAddr), &len) == 0);

  CHECK_FALSE(ghlsim::abortConnection("127.0.0.1", serverPort, "127.0.0.1", 1));
  CHECK(ghlsim::abortConnection("127.0.0.1", serverPort, "127.0.0.1", ntohs(clientAddr.sin_port)));
  char buf[8];
  errno = 0;
  const auto n = ::recv(client, buf, sizeof buf, 0);
  CHECK(n == -1);
  CHECK(errno == ECONNRESET);
  // The server-side descriptor is still open (now /dev/null) and closes normally.
  CHECK(::write(accepted, "x", 1) == 1);
  CHECK(::close(accepted) == 0);
  ::close(client);
  ::close(listener);
}

TEST_CASE("ghl-sim hostile faults: altered contacts, deep and huge bodies") {
  const char* data = R"json({"locations":[{"id":"LOC1","token":"TOKEN1","contacts":[
    {"id":"cHostile00000001","email":"h@example.com","firstName":"Ann","lastName":"Lee"},
    {"id":"cPaged0000000001","email":"p@example.com"},{"id":"cPaged0000000002","email":"p@example.com"}]}],
    "faults":[{"contactId":"cHostile00000001","responses":
      ["wrong_id","wrong_location","bad_id","bad_utf8","nul","deep","huge"]},
      {"email":"h@example.com","responses":["wrong_location"]},
      {"email":"p@example.com","responses":["paged"]}]})json";
  ghlsim::SimOptions options;
  options.rate.burst = 100;
  ghlsim::Simulator sim(loadOk(data), options);
  const auto get = [&](int ms) {
    return sim.handle(apiRequest("GET", "/contacts/cHostile00000001"), at(std::chrono::milliseconds(ms)));
  };
  auto r = get(0);
  CHECK(r.status == 200);
  CHECK(r.fault == "wrong_id");
  CHECK(std::string(json(r.body)["contact"]["id"].GetString()) == "zzWrongContactId0001");
  r = get(1);
  CHECK(std::string(json(r.body)["contact"]["locationId"].GetString()) == "zzOtherLocation00001");
  CHECK(std::string(json(r.body)["contact"]["id"].GetString()) == "cHostile00000001");
  r = get(2);
  CHECK(std::string(json(r.body)["contact"]["id"].GetString()) == "abc/../x?y\"z");
  r = get(3);
  CHECK(r.body.find("\"firstName\":\"\xC3\x28\"") != std::string::npos);  // raw invalid bytes
  r = get(4);
  CHECK(r.body.find(R"("lastName":"Smith\u0000Evil")") != std::string::npos);
  r = get(5);
  CHECK(r.status == 200);
  CHECK(r.body.size() == 2 * ghlsim::kDeepLevels);
  r = get(6);
  CHECK(r.status == 200);
  CHECK(r.body.size() > ghlsim::kHugeBodyBytes);
  r = sim.handle(
      apiRequest("POST", "/contacts/search",
                 R"({"locationId":"LOC1","pageLimit":10,"filters":[)" + emailEq("h@example.com") + "]}"),
      at(10ms));
  CHECK(std::string(json(r.body)["contacts"][0]["locationId"].GetString()) == "zzOtherLocation00001");
  CHECK(json(r.body)["total"].GetInt() == 1);
  const std::string paged =
      R"({"locationId":"LOC1","pageLimit":10,"filters":[)" + emailEq("p@example.com") + "]}";
  r = sim.handle(apiRequest("POST", "/contacts/search", paged), at(11ms));
  CHECK(json(r.body)["contacts"].Size() == 1);  // one per page ...
  CHECK(json(r.body)["total"].GetInt() == 2);   // ... of two
  r = sim.handle(apiRequest("POST", "/contacts/search", paged), at(12ms));
  CHECK(json(r.body)["contacts"].Size() == 2);  // the script is spent
  for (const char* spelling :
       {"wrong_id", "wrong_location", "bad_id", "deep", "bad_utf8", "nul", "huge", "paged"})
    CHECK(ghlsim::describeFaultAction(*ghlsim::parseFaultAction(spelling)) == spelling);
}

TEST_CASE("ghl-sim counts unexpected requests and Authorization values with bad bytes") {
  ghlsim::Simulator sim(loadOk(), smallLimits());
  sim.handle(apiRequest("GET", "/contacts/c1"), at(0ms));
  auto stats = json(sim.statsJson());
  CHECK(stats["unexpected_requests"].GetInt() == 0);
  CHECK(stats["bad_auth_header"].GetInt() == 0);
  sim.handle(apiRequest("DELETE", "/contacts/c1"), at(1ms));
  sim.handle(apiRequest("GET", "/contacts/c1/notes"), at(2ms));
  sim.handle(apiRequest("HEAD", "/contacts/c1"), at(3ms));
  sim.handle(apiRequest("GET", "/contacts/c1", "", "TOKEN1\r\nX-Evil: 1"), at(4ms));
  sim.handle(apiRequest("GET", "/contacts/c1", "", "TOK EN1"), at(5ms));
  sim.handle(apiRequest("GET", "/__sim/stats"), at(6ms));  // control: neither
  stats = json(sim.statsJson());
  CHECK(stats["unexpected_requests"].GetInt() == 3);
  CHECK(stats["bad_auth_header"].GetInt() == 2);
  sim.resetStats();
  CHECK(json(sim.statsJson())["unexpected_requests"].GetInt() == 0);
}
