// wave_store: waves are numbered 1, 2, 3 per work DB, a wave left running is marked interrupted,
// the journal keeps before/after per value, and a revert marks only restored values 'reverted'
// in apply_log.
#include "wave_store.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "temp_path.h"
#include "work_db.h"

using namespace ghlb;

TEST_CASE("waves are numbered 1, 2, 3; a wave left running is interrupted by the next") {
  WorkDb work(test::freshPath("waves.db"));
  auto& db = work.db();
  const auto run = work.beginRun("apply", "{}");
  WaveStore store(db);
  CHECK(store.find(1) == std::nullopt);
  CHECK(store.begin(1, run, R"({"sample":0.1})") == 1);
  CHECK(store.begin(1, run, "{}") == 2);  // wave 1 never finished: its process died
  CHECK(store.find(1)->status == "interrupted");
  store.finish(2, WaveStatus::kDone, R"({"leads":3})");
  const auto w = store.find(2);
  REQUIRE(w);
  CHECK(w->status == "done");
  CHECK(w->counts == R"({"leads":3})");
  CHECK(w->finished_at.has_value());
  CHECK(store.find(1)->selection == R"({"sample":0.1})");
  CHECK(store.all().size() == 2);
  CHECK(store.begin(2, run, "{}") == 3);
}

TEST_CASE("the journal keeps before and after; a revert marks restored values reverted in apply_log") {
  WorkDb work(test::freshPath("journal.db"));
  auto& db = work.db();
  const auto run = work.beginRun("apply", "{}");
  WaveStore store(db);
  const auto wave = store.begin(1, run, "{}");
  db.exec(
      "INSERT INTO apply_log(lead_id, field, outcome, new_value, applied_at, apply_run) VALUES "
      "('lead-1', 'email', 'written', 'a@example.com', 't', 1), ('lead-1', 'phone', 'written', '+1', 't', "
      "1), "
      "('lead-2', 'email', 'written', 'b@example.com', 't', 1)");
  store.journal(wave, {{"lead-2", "email", std::nullopt, "b@example.com"},
                       {"lead-1", "phone", std::string("  "), "+1"},
                       {"lead-1", "email", std::string(""), "a@example.com"}});
  const auto rows = store.unreverted(wave);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].lead_id == "lead-1");
  CHECK(rows[0].field == "email");
  CHECK(rows[0].before == std::string(""));
  CHECK(rows[1].before == std::string("  "));
  CHECK(rows[2].before == std::nullopt);  // NULL stays NULL, distinct from ''
  CHECK(rows[2].after == "b@example.com");

  store.recordRevert(wave, {{"lead-1", "email", RevertOutcome::kRestored},
                            {"lead-2", "email", RevertOutcome::kLeftChanged}});
  const auto left = store.unreverted(wave);
  REQUIRE(left.size() == 1);
  CHECK(left[0].field == "phone");
  const auto outcome = [&db](const char* lead, const char* field) {
    SQLite::Statement q(db, "SELECT outcome FROM apply_log WHERE lead_id = ? AND field = ?");
    q.bind(1, lead);
    q.bind(2, field);
    REQUIRE(q.executeStep());
    return q.getColumn(0).getString();
  };
  CHECK(outcome("lead-1", "email") == "reverted");
  CHECK(outcome("lead-2", "email") == "written");  // changed by the application: not ours to undo
  CHECK(outcome("lead-1", "phone") == "written");
  const auto w = store.find(wave);
  CHECK(w->journaled == 3);
  CHECK(w->restored == 1);
  CHECK(w->left_changed == 1);
}
