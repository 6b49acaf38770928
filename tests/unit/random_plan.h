// A random work DB for the readers' reference tests (decisions_test, status_test, review_test):
// three tenants, leads in and out of the snapshot (some no longer eligible), fetch results, plans
// with values to write and reports, leads that moved tenant since the plan, decisions on the planned
// value or another, apply_log rows of planned and unplanned fields (every outcome), ids whose byte
// order differs from their number's. The same seed gives the same DB.
#pragma once
#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <iterator>
#include <map>
#include <string>
#include <vector>

namespace ghlb::test {

inline void seedRandomPlan(SQLite::Database& db, int leads = 400, std::uint64_t seed = 88172645463325252ull) {
  const auto rnd = [&seed](std::uint64_t n) {
    seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
    return static_cast<size_t>(seed % n);
  };
  const auto run = [&db](const std::string& sql, const std::vector<std::string>& values) {
    SQLite::Statement st(db, sql);
    for (size_t i = 0; i < values.size(); ++i)
      if (values[i] != "<null>") st.bind(static_cast<int>(i + 1), values[i]);
    st.exec();
  };
  db.exec(
      "INSERT INTO stage_run(id, stage, started_at, status) VALUES (1, 'plan', 't', 'done');"
      "INSERT INTO client(id, location_id, extract_run, name) VALUES ('client-a', 'loc', 1, 'Alpha'),"
      " ('client-b', 'loc', 1, NULL), ('client-c', 'loc', 1, 'Gamma')");
  const char* fields[] = {
      "ghlContactId",     "email",     "phone", "firstName", "lastName", "companyName", "enrichmentStatus",
      "enrichmentSource", "enrichedAt"};
  const char* statuses[] = {"fill", "fill", "fill", "conflict", "waiting", "applied", "nothing_to_fill"};
  const char* fetch_outcomes[] = {"found",        "not_found",        "auth_failed", "daily_limit",
                                  "bad_response", "failed_transient", "no_lookup"};
  const char* apply_outcomes[] = {"written", "written",  "already_set", "stale",
                                  "gone",    "conflict", "reverted",    "invalid_value"};
  const char* reasons[] = {"invalid_value", "no_storage_form"};
  const char* tenants[] = {"client-a", "client-b", "client-c"};
  for (int n = 0; n < leads; ++n) {
    const std::string id = "lead-" + std::to_string(n * 7919 % 1000) + (rnd(9) == 0 ? "\xc3\xa9" : "");
    const std::string tenant = tenants[rnd(3)];
    if (rnd(20) != 0)  // 1 in 20: the snapshot no longer holds it
      run("INSERT INTO lead(id, client_id, location_id, eligible, extract_run) VALUES (?, ?, 'loc', ?, 1)",
          {id, tenant, rnd(8) == 0 ? "0" : "1"});
    if (rnd(6) != 0)
      run("INSERT INTO fetch_result(lead_id, lookup, outcome, fetched_at, fetch_run) VALUES (?, 'search', ?, "
          "'t', 1)",
          {id, fetch_outcomes[rnd(std::size(fetch_outcomes))]});
    std::map<std::string, std::string> values;
    if (rnd(5) != 0) {
      const std::string plan_tenant = rnd(15) == 0 ? tenants[rnd(3)] : tenant;  // moved since the plan
      const bool ambiguous = rnd(4) == 0;
      run("INSERT INTO plan_lead(lead_id, client_id, status, contact_id, link, ambiguous, note, plan_run, "
          "other_lead, candidates) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
          {id, plan_tenant, statuses[rnd(std::size(statuses))], rnd(2) ? "c-" + id : "<null>",
           std::to_string(rnd(2)), ambiguous ? "1" : "0", rnd(2) ? "some_reason" : "<null>",
           rnd(5) == 0 ? "lead-other" : "<null>", ambiguous ? "c-1,c-2,c-3" : "<null>"});
      for (const char* f : fields) {
        if (rnd(3) == 0) {
          values[f] = std::string("v-") + f + std::to_string(rnd(3));
          run("INSERT INTO plan_item(lead_id, field, old_value, new_value) VALUES (?, ?, ?, ?)",
              {id, f, rnd(2) ? "" : "<null>", values[f]});
        }
        if (rnd(10) == 0)
          run("INSERT INTO plan_report(lead_id, field, reason) VALUES (?, ?, ?)", {id, f, reasons[rnd(2)]});
      }
    }
    for (const char* f : fields) {
      if (rnd(4) == 0) {  // a decision, on the planned value or another
        const auto it = values.find(f);
        run("INSERT INTO decision(lead_id, field, new_value, decision, decided_at) VALUES (?, ?, ?, ?, 't')",
            {id, f, it != values.end() && rnd(4) != 0 ? it->second : "other",
             rnd(2) ? "approved" : "rejected"});
      }
      if (rnd(5) == 0)
        run("INSERT INTO apply_log(lead_id, field, outcome, new_value, applied_at, apply_run) VALUES (?, ?, "
            "?, ?, "
            "'t', 1)",
            {id, f, apply_outcomes[rnd(std::size(apply_outcomes))],
             rnd(6) == 0 ? "<null>" : "w-" + std::string(f)});
    }
  }
}

// Every row of Q, each as its first COLUMNS columns joined by '|' ("<null>" for NULL): the
// reference queries' rows, compared with what the readers under test produce.
inline std::vector<std::string> rowsOf(SQLite::Statement& q, int columns) {
  std::vector<std::string> out;
  while (q.executeStep()) {
    std::string row;
    for (int i = 0; i < columns; ++i)
      row += (q.getColumn(i).isNull() ? "<null>" : q.getColumn(i).getString()) + "|";
    out.push_back(row);
  }
  return out;
}

}  // namespace ghlb::test
