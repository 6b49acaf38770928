// fetch_tasks: the cost of each lookup strategy, auto's choice, and the index that cuts batch
// answers and scan pages into per-lead answers.
#include "fetch_tasks.h"

#include <doctest/doctest.h>

using ghlb::ContactIndex;
using ghlb::FetchStrategy;
using ghlb::LocationWork;

namespace {

LocationWork emails(std::int64_t n, std::optional<std::int64_t> contacts) {
  return LocationWork{.gets = 0, .searches = n, .emails = n, .contacts = contacts};
}

LocationWork gets(std::int64_t n, std::optional<std::int64_t> contacts) {
  return LocationWork{.gets = n, .searches = 0, .emails = 0, .contacts = contacts};
}

// The strategy's name (doctest would find ghlb::toString by ADL and fail to print the enum).
std::string name(const ghlb::StrategyChoice& c) { return ghlb::toString(c.strategy); }

}  // namespace

TEST_CASE("fetch_tasks: expected requests of each strategy") {
  const LocationWork w{.gets = 3, .searches = 250, .emails = 201, .contacts = 1001};
  CHECK(*ghlb::expectedRequests(FetchStrategy::kPerLead, w, 100) == 253);
  CHECK(*ghlb::expectedRequests(FetchStrategy::kBatched, w, 100) == 3 + 3);
  CHECK(*ghlb::expectedRequests(FetchStrategy::kScan, w, 100) == 3);
  LocationWork unknown = w;
  unknown.contacts.reset();
  CHECK_FALSE(ghlb::expectedRequests(FetchStrategy::kScan, unknown, 100).has_value());
  CHECK(*ghlb::expectedRequests(FetchStrategy::kScan, gets(0, 0), 100) == std::int64_t{0});
  CHECK(*ghlb::expectedRequests(FetchStrategy::kScan, gets(1, 0), 100) == std::int64_t{1});
}

TEST_CASE("fetch_tasks: auto picks the fewest requests on the issue's three shapes") {
  // 5,000 eligible leads in a 10,000-contact location: scan (20) beats batched (50).
  auto c = ghlb::chooseStrategy(emails(5000, 10000), 100);
  CHECK(name(c) == "scan");
  CHECK(c.requests == 20);
  // 200 in 100,000: batched (2) beats scan (200).
  c = ghlb::chooseStrategy(emails(200, 100000), 100);
  CHECK(name(c) == "batched");
  CHECK(c.requests == 2);
  // 50,000 in 60,000: scan (120) beats batched (500).
  c = ghlb::chooseStrategy(emails(50000, 60000), 100);
  CHECK(name(c) == "scan");
  CHECK(c.requests == 120);
  // Leads by contact id only: scan when the location is small enough, else per-lead.
  c = ghlb::chooseStrategy(gets(10, 300), 100);
  CHECK(name(c) == "scan");
  c = ghlb::chooseStrategy(gets(10, 50000), 100);
  CHECK(name(c) == "per-lead");
  // A tie goes to the simpler strategy.
  c = ghlb::chooseStrategy(emails(1, 1), 100);
  CHECK(name(c) == "per-lead");
}

TEST_CASE("fetch_tasks: a probe is sent only when it can pay") {
  CHECK_FALSE(ghlb::probeWorthIt(emails(150, std::nullopt), 100));  // batched: 2 requests
  CHECK(ghlb::probeWorthIt(emails(201, std::nullopt), 100));        // batched: 3
  CHECK(ghlb::probeWorthIt(gets(3, std::nullopt), 100));
  CHECK_FALSE(ghlb::probeWorthIt(gets(2, std::nullopt), 100));
}

TEST_CASE("fetch_tasks: the index gives each lead exactly the contacts of its email, and contacts by id") {
  ContactIndex index;
  index.wantEmail("ann@x.com");
  index.wantEmail("bob@x.com");
  index.wantId("contactCCCCCCCCC3");
  const std::string page1 =
      R"({"contacts":[{"id":"contactAAAAAAAAA1","email":" Ann@X.com ","dateAdded":"2024-02-01T00:00:00Z"},)"
      R"({"id":"contactBBBBBBBBB2","email":"other@x.com","additionalEmails":["bob@x.com"]}],"total":4})";
  const std::string page2 =
      R"({"contacts":[{"id":"contactAAAAAAAAA1","email":" Ann@X.com "},)"
      R"({"id":"contactCCCCCCCCC3","email":"ann@x.com","dateAdded":"2024-01-01T00:00:00Z"}],"total":4})";
  std::int64_t n = 0;
  CHECK(index.addBody(page1, &n));
  CHECK(n == 2);
  CHECK(index.addBody(page2));
  CHECK_FALSE(index.addBody(R"({"contacts":[{"noid":1}]})"));
  // Primary email only, case and whitespace folded, a contact repeated by a page boundary once.
  const auto ann = ghlb::parseSearchBody(index.searchBodyFor("ann@x.com"));
  REQUIRE(ann);
  REQUIRE(ann->contacts.size() == 2);
  CHECK(ann->total == 2);
  const auto choice = ghlb::chooseContact(*ann, "ann@x.com");
  CHECK(choice.ambiguous);
  CHECK(choice.contact->id == "contactCCCCCCCCC3");  // the oldest, across pages
  const auto bob = ghlb::parseSearchBody(index.searchBodyFor("bob@x.com"));
  REQUIRE(bob);
  CHECK(bob->contacts.empty());  // additionalEmails never match
  REQUIRE(index.byId("contactCCCCCCCCC3"));
  CHECK(ghlb::parseGetBody(ghlb::contactBodyOf(index.byId("contactCCCCCCCCC3")->json))->id ==
        "contactCCCCCCCCC3");
  CHECK(index.byId("contactAAAAAAAAA1") == nullptr);  // not wanted by id
}
