// plan_store: the plan a given set of tenants may apply (planCovers, latestCovering).
#include "plan_store.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "plan_seed.h"
#include "temp_path.h"
#include "work_db.h"

using namespace ghlb;

TEST_CASE("the plan apply takes: the newest that covers the tenants asked") {
  CHECK(planCovers({}, {}));
  CHECK(planCovers({}, {"client-a"}));
  CHECK(planCovers({"client-a", "client-b"}, {"client-b"}));
  CHECK_FALSE(planCovers({"client-a"}, {}));  // every tenant asked, one planned
  CHECK_FALSE(planCovers({"client-a"}, {"client-a", "client-b"}));

  WorkDb work(test::freshPath("plans.db"));
  auto& db = work.db();
  test::seedPlanInputs(db);
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
