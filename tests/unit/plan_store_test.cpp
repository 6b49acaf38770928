// plan_store: the plan a given set of tenants may apply (planCovers, latestCovering).
#include "plan_store.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "temp_path.h"
#include "work_db.h"

using namespace ghlb;

namespace {

void seed(SQLite::Database& db) {
  db.exec(
      "INSERT INTO stage_run(id, stage, started_at, status) VALUES (1, 'extract', 't', 'done');"
      "INSERT INTO lead(id, client_id, location_id, email, extract_run) VALUES "
      " ('lead-1', 'client-a', 'loc-a', 'a@example.com', 1), ('lead-2', 'client-a', 'loc-a', NULL, 1),"
      " ('lead-9', 'client-b', 'loc-b', 'b@example.com', 1);"
      "INSERT INTO fetch_result(lead_id, lookup, lookup_key, outcome, search_body, fetched_at, fetch_run) "
      " VALUES ('lead-1', 'search', 'a@example.com', 'found', '{\"contacts\":[]}', 't', 1);"
      "INSERT INTO linked_contact(contact_id, lead_id) VALUES ('ccccccccccccccc1', 'lead-0');");
}

}  // namespace

TEST_CASE("the plan apply takes: the newest that covers the tenants asked") {
  CHECK(planCovers({}, {}));
  CHECK(planCovers({}, {"client-a"}));
  CHECK(planCovers({"client-a", "client-b"}, {"client-b"}));
  CHECK_FALSE(planCovers({"client-a"}, {}));  // every tenant asked, one planned
  CHECK_FALSE(planCovers({"client-a"}, {"client-a", "client-b"}));

  WorkDb work(test::freshPath("plans.db"));
  auto& db = work.db();
  seed(db);
  PlanStore store(db);
  const auto add = [&](std::vector<std::string> scope) {
    PlanRecord r;
    r.plan_run = 1;
    r.created_at = "t";
    r.scope = std::move(scope);
    r.fingerprint = "f";
    return store.add(r);
  };
  CHECK_FALSE(store.latestCovering({}).has_value());
  const auto p_all = add({});
  const auto p_a = add({"client-a"});
  CHECK(store.latestCovering({"client-a"})->id == p_a);
  CHECK(store.latestCovering({"client-b"})->id == p_all);
  CHECK(store.latestCovering({})->id == p_all);
  CHECK(store.find(p_a)->scope == std::vector<std::string>{"client-a"});
  CHECK_FALSE(store.find(p_a + 10).has_value());
}
