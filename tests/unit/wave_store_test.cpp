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

TEST_CASE("the journal is read a batch of leads at a time, each lead whole, and summed up by one query") {
  WorkDb work(test::freshPath("journal-cursor.db"));
  auto& db = work.db();
  const auto run = work.beginRun("apply", "{}");
  WaveStore store(db);
  const auto wave = store.begin(1, run, "{}");
  const auto other = store.begin(1, run, "{}");
  // lead-2 has three values, lead-4 one of a field this build does not write; wave `other` holds
  // lead-3, which must never show up in wave's batches.
  store.journal(wave, {{"lead-1", "email", std::nullopt, "a@example.com"},
                       {"lead-2", "phone", std::string(""), "+1"},
                       {"lead-2", "email", std::nullopt, "b@example.com"},
                       {"lead-2", "enrichedAt", std::nullopt, "2026-01-01 00:00:00"},
                       {"lead-4", "fax", std::nullopt, "1"},
                       {"lead-5", "email", std::nullopt, "c@example.com"}});
  store.journal(other, {{"lead-3", "email", std::nullopt, "d@example.com"}});
  store.recordRevert(wave, {{"lead-1", "email", RevertOutcome::kRestored}});  // already reverted

  const auto batches = [&](std::size_t max) {
    JournalCursor cursor(db, wave);
    std::vector<std::string> out;  // per batch: "lead/field ..."
    for (bool more = true; more;) {
      std::vector<JournalRow> rows;
      more = cursor.next(rows, max);
      std::string b;
      for (const auto& r : rows) b += (b.empty() ? "" : " ") + r.lead_id + "/" + r.field;
      out.push_back(b);
    }
    return out;
  };
  CHECK(batches(1) == std::vector<std::string>{"lead-2/email lead-2/enrichedAt lead-2/phone", "lead-4/fax",
                                               "lead-5/email"});
  CHECK(batches(2) ==
        std::vector<std::string>{"lead-2/email lead-2/enrichedAt lead-2/phone lead-4/fax", "lead-5/email"});
  CHECK(batches(10) ==
        std::vector<std::string>{"lead-2/email lead-2/enrichedAt lead-2/phone lead-4/fax lead-5/email"});
  {
    JournalCursor cursor(db, wave);
    std::vector<JournalRow> rows;
    CHECK(cursor.next(rows, 1));
    REQUIRE(rows.size() == 3);
    CHECK(rows[2].before == std::string(""));  // '' stays '', distinct from NULL
    CHECK(rows[0].before == std::nullopt);
    CHECK(rows[0].after == "b@example.com");
  }

  const auto todo = store.unrevertedSummary(wave, {"email", "phone", "enrichedAt"});
  CHECK(todo.values == 4);
  CHECK(todo.leads == 2);  // lead-4's only value is of an unknown field, lead-1 is reverted
  CHECK(todo.by_field == std::map<std::string, std::int64_t>{{"email", 2}, {"enrichedAt", 1}, {"phone", 1}});
  CHECK(store.unrevertedSummary(other, {"email"}).leads == 1);
  CHECK(store.unrevertedSummary(wave, {}).values == 0);
}
