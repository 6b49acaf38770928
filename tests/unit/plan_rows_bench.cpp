// The writing half of plan alone, for measuring (not part of the test run: skipped unless asked
// for). GHLB_PLAN_ROWS_BENCH names a work DB that extract and fetch filled; its leads are planned
// into memory first, then written as plan's writing thread writes them (clearScope, the rows in
// batches of 256, the conflict rule, the tenant index, commit), each step's CPU time printed. That
// is the writer's ceiling whatever the planning thread costs:
//   build/bin/unit_tests -tc='plan rows bench' --no-skip
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <set>
#include <string>
#include <vector>

#include "fetch_store.h"
#include "plan.h"
#include "plan_store.h"
#include "work_db.h"

using namespace ghlb;

namespace {
double cpuSeconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }
std::optional<std::string> opt(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getString();
}
}  // namespace

TEST_CASE("plan rows bench" * doctest::skip()) {
  const char* path = std::getenv("GHLB_PLAN_ROWS_BENCH");
  if (!path) return;
  WorkDb work(path, WorkDb::Mode::kExisting);
  auto& db = work.db();
  std::vector<std::vector<LeadPlan>> batches;  // as the planning thread hands them over
  size_t leads = 0;
  {
    SQLite::Statement q(db, PlanStore::inputsQuery());
    bindClientScope(q, {});
    while (q.executeStep()) {
      const LeadSnapshot l = readLeadSnapshot(q);
      std::optional<FetchRecord> f;
      constexpr int f0 = kLeadSnapshotColumnCount;
      if (!q.getColumn(f0).isNull()) {
        f.emplace();
        f->lookup = q.getColumn(f0).getString();
        f->lookup_key = q.getColumn(f0 + 1).getString();
        f->outcome =
            fetchOutcomeFromString(q.getColumn(f0 + 2).getString()).value_or(FetchOutcome::kTransient);
        f->search_body = opt(q.getColumn(f0 + 3));
        f->contact_body = opt(q.getColumn(f0 + 4));
      }
      if (batches.empty() || batches.back().size() == 256) batches.emplace_back();
      batches.back().push_back(planLead(l, f));
      ++leads;
    }
  }
  const std::int64_t run = work.beginRun("plan", "{}");
  db.exec("PRAGMA foreign_keys = OFF");
  db.exec("PRAGMA cache_size = -8192");
  db.exec("PRAGMA secure_delete = FAST");  // as storePlan
  double t = cpuSeconds();
  const auto step = [&t](const char* what) {
    const double now = cpuSeconds();
    std::printf("%-12s %.3f s cpu\n", what, now - t);
    t = now;
  };
  SQLite::Transaction tx(db);
  PlanStore store(db);
  store.clearScope({});
  store.dropIndexes();
  step("clear");
  PlanRows rows(db, run);
  bool pending_claims = false;
  for (const auto& batch : batches) {
    rows.add(batch);
    for (const auto& p : batch)
      pending_claims = pending_claims || (p.status == plan_status::kPending && !p.claim_key.empty());
  }
  step("rows");
  store.resolveConflicts(run, pending_claims);
  step("conflicts");
  store.buildTenantIndex();
  step("index");
  tx.commit();
  step("commit");
  std::printf("%zu leads\n", leads);
}
