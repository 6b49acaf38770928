// plan_inputs: the input fingerprint changes exactly when what plan reads changes.
#include "plan_inputs.h"

#include <doctest/doctest.h>

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

TEST_CASE("the input fingerprint changes when the snapshot, a fetch result or a link changes, not else") {
  WorkDb work(test::freshPath("fingerprint.db"));
  auto& db = work.db();
  seed(db);
  PlanInputs store(db);
  const std::vector<std::string> a = {"client-a"};
  const std::string base = store.fingerprint(a);
  const std::string all = store.fingerprint({});
  CHECK(base.size() == 16);
  CHECK(base == store.fingerprint(a));  // stable
  CHECK(all != base);                   // the scope is part of it

  const auto changes = [&](const std::string& sql, const std::string& undo) {
    db.exec(sql);
    const bool changed = store.fingerprint(a) != base;
    db.exec(undo);
    REQUIRE(store.fingerprint(a) == base);
    return changed;
  };
  SUBCASE("what plan reads changes it") {
    CHECK(changes("UPDATE lead SET email = 'x@example.com' WHERE id = 'lead-1'",
                  "UPDATE lead SET email = 'a@example.com' WHERE id = 'lead-1'"));
    CHECK(changes("UPDATE lead SET email = '' WHERE id = 'lead-2'",  // NULL -> '' is a change
                  "UPDATE lead SET email = NULL WHERE id = 'lead-2'"));
    CHECK(changes("UPDATE lead SET eligible = 0 WHERE id = 'lead-2'",
                  "UPDATE lead SET eligible = 1 WHERE id = 'lead-2'"));
    CHECK(changes("UPDATE fetch_result SET outcome = 'not_found'",
                  "UPDATE fetch_result SET outcome = 'found'"));
    CHECK(changes("UPDATE fetch_result SET search_body = '{\"contacts\":[1]}'",
                  "UPDATE fetch_result SET search_body = '{\"contacts\":[]}'"));
    CHECK(changes(
        "DELETE FROM fetch_result",
        "INSERT INTO fetch_result(lead_id, lookup, lookup_key, outcome, search_body, fetched_at, "
        "fetch_run) VALUES ('lead-1', 'search', 'a@example.com', 'found', '{\"contacts\":[]}', 't', 1)"));
    CHECK(changes("INSERT INTO linked_contact VALUES ('ccccccccccccccc2', 'lead-1')",
                  "DELETE FROM linked_contact WHERE contact_id = 'ccccccccccccccc2'"));
    CHECK(changes("UPDATE linked_contact SET lead_id = 'lead-1'",
                  "UPDATE linked_contact SET lead_id = 'lead-0'"));
  }
  SUBCASE("bookkeeping and other tenants do not") {
    CHECK_FALSE(
        changes("INSERT INTO stage_run(id, stage, started_at, status) VALUES (7, 'extract', 't', 'done'); "
                "UPDATE lead SET extract_run = 7",
                "UPDATE lead SET extract_run = 1; DELETE FROM stage_run WHERE id = 7"));
    CHECK_FALSE(changes("UPDATE fetch_result SET attempts = 3, fetched_at = 'u', http_status = 200",
                        "UPDATE fetch_result SET attempts = 0, fetched_at = 't', http_status = NULL"));
    CHECK_FALSE(changes("UPDATE lead SET email = 'z@example.com' WHERE id = 'lead-9'",
                        "UPDATE lead SET email = 'b@example.com' WHERE id = 'lead-9'"));
  }
}

TEST_CASE("InputDigest: field boundaries and NULL count") {
  const auto digest = [](std::initializer_list<std::optional<std::string_view>> fields) {
    InputDigest d;
    for (const auto& f : fields) d.add(f);
    return d.hex();
  };
  CHECK(digest({"ab", "c"}) != digest({"a", "bc"}));
  CHECK(digest({std::nullopt}) != digest({""}));
  CHECK(digest({"x"}) == digest({"x"}));
}

TEST_CASE("InputDigest: the same bytes as ever, so that a reviewed plan's fingerprint stays valid") {
  // FNV-1a 64 over "v<length>:" and the bytes of each field, "n:" for NULL: computed apart (the
  // plan's identity must not change when the digest's code does).
  InputDigest d;
  d.add(kInputDigestTag);
  d.add(std::nullopt);
  d.add(std::string_view("abc"));
  d.add(std::string_view(""));
  d.add(std::string(300, 'x'));
  CHECK(d.hex() == "2a579b69d7d82bc4");
}
