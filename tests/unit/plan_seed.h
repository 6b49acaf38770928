// A work DB's plan inputs for the plan_store and plan_inputs tests: three leads of two tenants,
// one fetch result and one link.
#pragma once
#include <SQLiteCpp/SQLiteCpp.h>

namespace ghlb::test {

inline void seedPlanInputs(SQLite::Database& db) {
  db.exec(
      "INSERT INTO stage_run(id, stage, started_at, status) VALUES (1, 'extract', 't', 'done');"
      "INSERT INTO lead(id, client_id, location_id, email, extract_run) VALUES "
      " ('lead-1', 'client-a', 'loc-a', 'a@example.com', 1), ('lead-2', 'client-a', 'loc-a', NULL, 1),"
      " ('lead-9', 'client-b', 'loc-b', 'b@example.com', 1);"
      "INSERT INTO fetch_result(lead_id, lookup, lookup_key, outcome, search_body, fetched_at, fetch_run) "
      " VALUES ('lead-1', 'search', 'a@example.com', 'found', '{\"contacts\":[]}', 't', 1);"
      "INSERT INTO linked_contact(contact_id, lead_id) VALUES ('ccccccccccccccc1', 'lead-0');");
}

}  // namespace ghlb::test
