// status: the per-tenant table of a random work DB equals what the SQL join status ran before its
// merged pass (session 9) counts, kept here as the reference, for every tenant and for a scope.
#include "status.h"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <cstdint>
#include <map>
#include <sstream>

#include "decision_store.h"
#include "random_plan.h"
#include "temp_path.h"
#include "work_db.h"

using namespace ghlb;

namespace {

// client_id -> "leads fetched retryable planned waiting to_write written stale name".
using Table = std::map<std::string, std::string>;

Table referenceTable(SQLite::Database& db, const std::vector<std::string>& scope) {
  SQLite::Statement t(
      db,
      "SELECT l.client_id, count(*), "
      " sum(f.outcome IS NOT NULL), "
      " sum(f.outcome IN ('auth_failed','daily_limit','bad_response','failed_transient')), "
      " sum(p.lead_id IS NOT NULL), "
      " sum(p.status = 'waiting'), "
      " (SELECT count(*) FROM plan_item i JOIN plan_lead pl USING (lead_id) WHERE pl.client_id = "
      "l.client_id AND NOT EXISTS (SELECT 1 FROM apply_log a WHERE a.lead_id = i.lead_id AND a.field = "
      "i.field)), "
      " (SELECT count(*) FROM apply_log a JOIN lead x ON x.id = a.lead_id WHERE x.client_id = l.client_id "
      "AND a.outcome = 'written'), "
      " (SELECT count(*) FROM apply_log a JOIN lead x ON x.id = a.lead_id WHERE x.client_id = l.client_id "
      "AND a.outcome = 'stale'), "
      " (SELECT c.name FROM client c WHERE c.id = l.client_id) "
      "FROM lead l LEFT JOIN fetch_result f ON f.lead_id = l.id LEFT JOIN plan_lead p ON p.lead_id = l.id "
      "WHERE l.eligible = 1 AND " +
          clientScope("l.client_id") + " GROUP BY l.client_id ORDER BY l.client_id");
  bindClientScope(t, scope);
  std::map<std::string, std::int64_t> rejected;
  for (const auto& row : DecisionStore(db).loadChanges(scope, /*decided_only=*/true))
    if (row.state == ChangeState::kRejected) ++rejected[row.client_id];
  Table out;
  while (t.executeStep()) {
    const std::string id = t.getColumn(0).getString();
    std::string row;
    for (int i = 1; i <= 8; ++i)
      row += std::to_string(t.getColumn(i).getInt64() - (i == 6 ? rejected[id] : 0)) + " ";
    out[id] = row + (t.getColumn(9).isNull() ? "<null>" : t.getColumn(9).getString());
  }
  return out;
}

Table statusTable(const std::string& path, const std::vector<std::string>& scope) {
  StatusOptions o;
  o.common.work_db = path;
  o.common.client_ids = scope;
  o.json = true;
  std::ostringstream out;
  runStatus(o, out);
  rapidjson::Document d;
  d.Parse(out.str().c_str());
  REQUIRE(!d.HasParseError());
  Table t;
  for (const auto& r : d["tenants"].GetArray()) {
    std::string row;
    for (const char* k :
         {"leads", "fetched", "retryable", "planned", "waiting", "to_write", "written", "stale"})
      row += std::to_string(r[k].GetInt64()) + " ";
    t[r["client_id"].GetString()] = row + (r["name"].IsNull() ? "<null>" : r["name"].GetString());
  }
  return t;
}

}  // namespace

TEST_CASE("status: the per-tenant table of the merged pass equals the SQL join's, for every scope") {
  const std::string path = test::freshPath("status-merge.db");
  {
    WorkDb work(path);
    test::seedRandomPlan(work.db(), 300, 0x9E3779B97F4A7C15ull);
  }
  WorkDb work(path);
  for (const std::vector<std::string>& scope :
       std::vector<std::vector<std::string>>{{}, {"client-a"}, {"client-b", "client-c"}}) {
    CAPTURE(scope.size());
    const Table want = referenceTable(work.db(), scope);
    CHECK((want.size() == (scope.empty() ? 3 : scope.size())));
    CHECK((statusTable(path, scope) == want));
  }
  // Every column is exercised (non-zero somewhere).
  const Table all = referenceTable(work.db(), {});
  for (size_t col = 0; col < 8; ++col) {
    std::int64_t sum = 0;
    for (const auto& [id, row] : all) {
      std::istringstream in(row);
      std::int64_t v = 0;
      for (size_t i = 0; i <= col; ++i) in >> v;
      sum += v;
    }
    CHECK_MESSAGE((sum > 0), col);
  }
}
