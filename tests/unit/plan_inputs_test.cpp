// plan_inputs: the input fingerprint changes exactly when what plan reads changes.
#include "plan_inputs.h"

#include <doctest/doctest.h>

#include "fetch_store.h"
#include "plan_seed.h"
#include "temp_path.h"
#include "work_db.h"

using namespace ghlb;

TEST_CASE("the input fingerprint changes when the snapshot, a fetch result or a link changes, not else") {
  WorkDb work(test::freshPath("fingerprint.db"));
  auto& db = work.db();
  test::seedPlanInputs(db);
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

TEST_CASE("the fingerprint reads the answer fetch stored, and is the same when plan parses the bodies") {
  WorkDb work(test::freshPath("fingerprint-answer.db"));
  auto& db = work.db();
  test::seedPlanInputs(db);
  PlanInputs store(db);
  const std::vector<std::string> a = {"client-a"};
  const auto answers = [&db] { return db.execAndGet("SELECT count(*) FROM fetch_answer").getInt64(); };
  // Every tenant is read by a merge of lead and fetch_answer, a scope by a join: the same inputs.
  // lead-0 is not eligible (its answer is skipped), lead-9 (client-b) has a found answer too.
  db.exec(
      "INSERT INTO lead(id, client_id, location_id, email, eligible, extract_run) VALUES "
      " ('lead-0', 'client-a', 'loc-a', 'z@example.com', 0, 1);"
      "INSERT INTO fetch_result(lead_id, lookup, lookup_key, outcome, search_body, fetched_at, fetch_run) "
      "VALUES "
      " ('lead-0', 'search', 'z@example.com', 'found', '{\"contacts\":[]}', 't', 1),"
      " ('lead-9', 'search', 'b@example.com', 'found', '{\"contacts\":[{\"id\":\"ccccccccccccccc9\"}]}', "
      "'t', 1)");
  const auto same_both_ways = [&store] {
    return store.fingerprint({}) == store.fingerprint({"client-a", "client-b"});
  };
  const std::string parsed = store.fingerprint(a);  // no stored answer: the bodies are parsed
  const std::string parsed_all = store.fingerprint({});
  CHECK(same_both_ways());
  CHECK(storeMissingAnswers(db) == 3);
  CHECK(answers() == 3);
  CHECK(store.fingerprint(a) == parsed);
  CHECK(store.fingerprint({}) == parsed_all);
  CHECK(same_both_ways());
  CHECK(storeMissingAnswers(db) == 0);
  db.exec("DELETE FROM fetch_answer WHERE lead_id = 'lead-1'");  // one stored, one parsed, in a merge
  CHECK(store.fingerprint({}) == parsed_all);
  CHECK(same_both_ways());
  CHECK(storeMissingAnswers(db) == 1);

  // What plan reads is the stored form: another one changes the fingerprint.
  std::string form;
  REQUIRE(answerFormOf(FetchOutcome::kFound,
                       R"({"contacts":[{"id":"ccccccccccccccc1","email":"a@example.com"}]})", std::nullopt,
                       form));
  SQLite::Statement set(db, "UPDATE fetch_answer SET form = ? WHERE lead_id = 'lead-1'");
  set.bind(1, form.data(), static_cast<int>(form.size()));
  set.exec();
  CHECK(store.fingerprint(a) != parsed);
  CHECK(store.fingerprint({}) != parsed_all);
  CHECK(same_both_ways());

  // Any write to fetch_result drops the stored answer; a body that differs only in what plan does
  // not read gives the same fingerprint.
  db.exec(
      R"(UPDATE fetch_result SET search_body = '{"contacts":[],"total":0,"tags":["x"]}' WHERE lead_id = 'lead-1')");
  CHECK(answers() == 2);
  CHECK(store.fingerprint(a) == parsed);

  // fetch's own write stores the answer with the row; the fingerprint is the parsed one.
  {
    const auto t0 = SteadyTime{};
    ResultStore results(db, 1, 1, Millis(1000), t0);
    FetchResultRow r;
    r.lead_id = "lead-1";
    r.lookup = Lookup::kSearch;
    r.key = "a@example.com";
    r.outcome = FetchOutcome::kFound;
    r.search_body =
        R"({"contacts":[{"id":"ccccccccccccccc1","email":"a@example.com","firstName":"Ann"}],"total":1})";
    results.add(r, t0);
    results.flush(t0);
  }
  CHECK(answers() == 3);
  const std::string stored = store.fingerprint(a);
  CHECK(stored != parsed);
  CHECK(same_both_ways());
  db.exec("DELETE FROM fetch_answer");
  CHECK(store.fingerprint(a) == stored);
  CHECK(same_both_ways());
  db.exec("DELETE FROM fetch_result WHERE lead_id = 'lead-1'");
  CHECK(store.fingerprint(a) != stored);
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

TEST_CASE("InputDigest: the same bytes as ever, so that the report's sample keys stay the same") {
  // FNV-1a 64 over "v<length>:" and the bytes of each field, "n:" for NULL: computed apart.
  InputDigest d;
  d.add("ghlb-plan-inputs-v1");
  d.add(std::nullopt);
  d.add(std::string_view("abc"));
  d.add(std::string_view(""));
  d.add(std::string(300, 'x'));
  CHECK(d.hex() == "2a579b69d7d82bc4");
}

TEST_CASE("InputHash: the same bytes as ever, so that a reviewed plan's fingerprint stays valid") {
  // Each field's length then its bytes as little-endian words (the last one zero-padded), NULL as
  // the length 2^64-1, each word folded in by wyhash's mum: computed apart (in Python), so that the
  // plan's identity does not change when the hash's code does.
  InputHash h;
  h.add(kInputDigestTag);
  h.add(std::nullopt);
  h.add(std::string_view("abc"));
  h.add(std::string_view(""));
  h.add(std::string(300, 'x'));
  CHECK(h.hex() == "0b3c8cb131a23343");
}

TEST_CASE("InputHash: field boundaries and NULL count") {
  const auto hash = [](std::initializer_list<std::optional<std::string_view>> fields) {
    InputHash h;
    for (const auto& f : fields) h.add(f);
    return h.hex();
  };
  CHECK(hash({"ab", "c"}) != hash({"a", "bc"}));
  CHECK(hash({"abcdefgh", ""}) != hash({"abcdefg", "h"}));
  CHECK(hash({std::nullopt}) != hash({""}));
  CHECK(hash({std::string_view("a\0", 2)}) != hash({"a"}));  // the padding is not a byte of the value
  CHECK(hash({"x"}) == hash({"x"}));
}
