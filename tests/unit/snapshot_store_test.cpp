// snapshot_store: a lead is new, then refreshed, never duplicated; an applied lead's snapshot is
// kept; drop and markUnseen spare applied leads; the pass and the watermarks round-trip; the
// linked ids by view, their holders, and linked_sync, forgotten when linked_contact is rewritten.
#include "snapshot_store.h"

#include <doctest/doctest.h>

#include "temp_path.h"
#include "work_db.h"

using namespace ghlb;

namespace {
SnapshotRow row(const char* id, const char* email) {
  SnapshotRow r;
  r.id = id;
  r.client_id = "c1";
  r.email = email;
  return r;
}
std::string text(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement st(db, sql);
  return st.executeStep() && !st.getColumn(0).isNull() ? st.getColumn(0).getString() : "-";
}
}  // namespace

TEST_CASE("snapshot store: new, refreshed, kept when applied, dropped, unseen") {
  WorkDb work(test::freshPath("snapshot.db"));
  auto& db = work.db();
  const auto run1 = work.beginRun("extract", "{}");
  {
    SnapshotStore s(db, run1);
    s.putClient("c1", "loc1", std::nullopt);
    CHECK(s.put(row("a", "a@x.example")) == SnapshotStore::Put::kNew);
    CHECK(s.put(row("b", nullptr)) == SnapshotStore::Put::kNew);
    CHECK(s.put(row("a", "a2@x.example")) == SnapshotStore::Put::kRefreshed);
  }
  CHECK(text(db, "SELECT count(*) FROM lead") == "2");
  CHECK(text(db, "SELECT email || '|' || location_id FROM lead WHERE id = 'a'") == "a2@x.example|loc1");
  CHECK(text(db, "SELECT email FROM lead WHERE id = 'b'") == "-");

  db.exec(
      "INSERT INTO apply_log(lead_id, field, outcome, applied_at, apply_run) VALUES ('a', 'phone', "
      "'written', 'x', 1)");
  const auto run2 = work.beginRun("extract", "{}");
  SnapshotStore s(db, run2);
  CHECK(s.put(row("a", "changed@x.example")) == SnapshotStore::Put::kKeptApplied);
  CHECK(text(db, "SELECT email FROM lead WHERE id = 'a'") == "a2@x.example");
  CHECK_FALSE(s.drop("a"));  // applied: kept
  CHECK(s.drop("b"));
  CHECK_FALSE(s.drop("b"));  // already dropped
  CHECK_FALSE(s.drop("nobody"));
  CHECK(text(db, "SELECT eligible FROM lead WHERE id = 'b'") == "0");
  s.put(row("b", "b@x.example"));
  CHECK(text(db, "SELECT eligible FROM lead WHERE id = 'b'") == "1");
  // b was seen by run2, a (applied) is spared: nothing unseen; a later pass sees neither.
  CHECK(s.markUnseen({}, run2) == 0);
  CHECK(s.markUnseen({"other"}, run2 + 1) == 0);
  CHECK(s.markUnseen({"c1"}, run2 + 1) == 1);
  CHECK(text(db, "SELECT group_concat(id || eligible) FROM (SELECT * FROM lead ORDER BY id)") == "a1,b0");
}

TEST_CASE("snapshot store: the pass and the watermarks round-trip") {
  WorkDb work(test::freshPath("snapshot-pass.db"));
  const auto run = work.beginRun("extract", "{}");
  SnapshotStore s(work.db(), run);
  CHECK_FALSE(s.pass());
  s.savePass({"c1,c2", SnapshotKind::kPages, run, "2026-01-02 03:04:05.6", "c2", "lead-9"});
  auto p = s.pass();
  REQUIRE(p);
  CHECK(p->scope == "c1,c2");
  CHECK(p->snapshot == SnapshotKind::kPages);
  CHECK(p->first_run == run);
  CHECK(p->since == "2026-01-02 03:04:05.6");
  CHECK(p->client_id == "c2");
  CHECK(p->lead_id == "lead-9");
  p->lead_id = "lead-10";
  s.savePass(*p);
  CHECK(s.pass()->lead_id == "lead-10");
  s.clearPass();
  CHECK_FALSE(s.pass());
  CHECK_FALSE(s.watermark("c1"));
  s.setWatermark("c1", "2026-01-01 00:00:00");
  s.setWatermark("c1", "2026-01-02 00:00:00");
  CHECK(*s.watermark("c1") == "2026-01-02 00:00:00");
  CHECK(parseSnapshotKind("pages") == SnapshotKind::kPages);
  CHECK_FALSE(parseSnapshotKind("Pages"));
}

TEST_CASE("snapshot store: a full rewrite of the linked ids batches ids and holders alike") {
  WorkDb work(test::freshPath("snapshot-append.db"));
  auto& db = work.db();
  SnapshotStore s(db, work.beginRun("extract", "{}"));
  s.appendLinked(std::string_view("cAAA"), std::string_view("lead-1"));
  s.appendLinked(std::string_view("cBBB"), std::string_view());
  CHECK(text(db, "SELECT count(*) FROM linked_contact") == "0");            // both wait in the batch
  s.appendLinked(std::string_view("cC\"C"), std::string_view("lead-\\3"));  // not JSON-plain: the batch first
  CHECK(text(db, "SELECT group_concat(contact_id || '>' || lead_id) FROM linked_contact") ==
        "cAAA>lead-1,cBBB>,cC\"C>lead-\\3");
  s.appendLinked(std::string_view("cDDD"), std::string_view("lead-4"));
  s.flushLinked();
  CHECK(text(db, "SELECT count(*) FROM linked_contact") == "4");
  CHECK(s.linkedHolder("cDDD") == std::optional<std::string>("lead-4"));
}

TEST_CASE("snapshot store: linked ids, their holders and linked_sync") {
  WorkDb work(test::freshPath("snapshot-linked.db"));
  auto& db = work.db();
  SnapshotStore s(db, work.beginRun("extract", "{}"));
  CHECK_FALSE(s.linkedSync().has_value());
  const std::string buf = "cAAA|cBBB|cCCC";  // views not NUL-terminated, as extract passes them
  s.addLinked(std::string_view(buf).substr(0, 4), std::string_view("lead-1|", 6));
  s.addLinked(std::string_view(buf).substr(5, 4), std::string_view());
  s.addLinked(std::string_view(buf).substr(10, 4), std::string_view());
  CHECK(text(db, "SELECT count(*) FROM linked_contact") == "1");  // the ids with no holder wait in the batch
  s.flushLinked();
  CHECK(text(db, "SELECT group_concat(contact_id || '>' || lead_id) FROM linked_contact") ==
        "cAAA>lead-1,cBBB>,cCCC>");
  CHECK(s.linkedHolder(std::string_view(buf).substr(0, 4)) == std::optional<std::string>("lead-1"));
  CHECK(s.linkedHolder("cBBB") == std::optional<std::string>(""));
  CHECK_FALSE(s.linkedHolder("cAA").has_value());
  CHECK(s.linkedNotKnown(10) == std::vector<std::string>{"cBBB", "cCCC"});
  CHECK(s.linkedNotKnown(1).size() == 1);
  s.setLinked("cBBB", "lead-2");
  CHECK(s.linkedNotKnown(10) == std::vector<std::string>{"cCCC"});

  s.setLinkedSync({"2026-01-02 03:04:05.678", 3, 1});
  s.setLinkedSync({"2026-01-02 03:04:06", 3, 1});  // one row: replaced
  const auto sync = s.linkedSync();
  REQUIRE(sync.has_value());
  CHECK(sync->since == "2026-01-02 03:04:06");
  CHECK(sync->linked == 3);
  CHECK(sync->not_known == 1);
  // A full extract's rewrite forgets it: the next --client-id compares every id.
  s.clearLinked();
  CHECK_FALSE(s.linkedSync().has_value());
  CHECK(text(db, "SELECT count(*) FROM linked_contact") == "0");

  // Ids JSON would have to escape are written one by one, in order, each as it came; the batch
  // keeps the rest, and writes them 10,000 to a statement.
  const std::vector<std::string> odd = {"a\"b", "a\\b", "a\nb", "caf\xc3\xa9", "x\x7f"};
  s.addLinked(std::string_view("c0"), std::string_view());
  for (const auto& id : odd) s.addLinked(std::string_view(id), std::string_view());
  for (int i = 0; i < 10001; ++i) s.addLinked(std::string_view("d" + std::to_string(i)), std::string_view());
  CHECK(text(db, "SELECT count(*) FROM linked_contact") == "10006");  // c0, the odd ones, one batch
  s.flushLinked();
  s.flushLinked();  // nothing left: no-op
  CHECK(text(db, "SELECT count(*) FROM linked_contact WHERE lead_id = ''") == "10007");
  for (const auto& id : odd) CHECK(s.linkedHolder(id) == std::optional<std::string>(""));
  CHECK(s.linkedHolder("d10000") == std::optional<std::string>(""));
}

TEST_CASE("snapshot store: putMany writes and counts what put() would, in groups and around them") {
  // 75 leads: two full groups and a remainder of 11; in the second group two leads are there
  // already (one of them applied) and one id comes twice.
  WorkDb work(test::freshPath("snapshot-many.db"));
  auto& db = work.db();
  const auto run1 = work.beginRun("extract", "{}");
  {
    SnapshotStore s(db, run1);
    s.putClient("c1", "loc1", std::nullopt);
    s.put(row("id40", "old40@x.example"));
    s.put(row("id41", "old41@x.example"));
  }
  db.exec(
      "INSERT INTO apply_log(lead_id, field, outcome, applied_at, apply_run) VALUES ('id41', 'phone', "
      "'written', 'x', 1)");
  const auto run2 = work.beginRun("extract", "{}");
  SnapshotStore s(db, run2);
  std::vector<std::string> ids, emails;
  for (int i = 0; i < 75; ++i) ids.push_back("id" + std::to_string(i)), emails.push_back("e" + ids.back());
  ids[50] = "id49";  // the second group holds id49 twice
  std::vector<SnapshotRow> rows;
  for (int i = 0; i < 75; ++i) rows.push_back(row(ids[i].c_str(), emails[i].c_str()));
  rows[3].phone = "+15550000003";
  std::int64_t added = 0, refreshed = 0, kept = 0;
  s.putMany(rows, added, refreshed, kept);
  // What put() one by one would count: 72 new (75, less id40 and id41 there already, less id49's
  // second read), id40 and id49's second read refreshed, id41 applied.
  CHECK(added == 72);
  CHECK(refreshed == 2);
  CHECK(kept == 1);
  CHECK(text(db, "SELECT count(*) FROM lead") == "74");                              // 75 reads of 74 ids
  CHECK(text(db, "SELECT email FROM lead WHERE id = 'id40'") == "eid40");            // refreshed
  CHECK(text(db, "SELECT email FROM lead WHERE id = 'id41'") == "old41@x.example");  // applied: kept
  CHECK(text(db, "SELECT email FROM lead WHERE id = 'id49'") == "eid50");            // the later read
  CHECK(text(db, "SELECT email FROM lead WHERE id = 'id74'") == "eid74");            // the remainder
  CHECK(text(db,
             "SELECT email || '|' || phone || '|' || location_id || '|' || client_id || '|' || eligible FROM "
             "lead WHERE id = "
             "'id3'") == "eid3|+15550000003|loc1|c1|1");
  CHECK(text(db, "SELECT count(*) FROM lead WHERE extract_run = " + std::to_string(run2)) == "74");
  CHECK(text(db, "SELECT count(*) FROM lead WHERE first_name IS NOT NULL OR ghl_contact_id IS NOT NULL") ==
        "0");
}

TEST_CASE("snapshot store: a first extract's load drops lead_client and builds it again") {
  WorkDb work(test::freshPath("snapshot-bulk.db"));
  auto& db = work.db();
  const auto index = "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'lead_client'";
  const auto run1 = work.beginRun("extract", "{}");
  {
    SnapshotStore s(db, run1);
    CHECK(s.prepareBulk(run1));  // nothing there
    s.putClient("c1", "loc1", std::nullopt);
    s.put(row("a", "a@x.example"));
    CHECK(s.prepareBulk(run1));  // only this pass's leads
    s.beginBulk();
    CHECK(text(db, index) == "0");
    s.put(row("b", "b@x.example"));
    s.endBulk();
    CHECK(text(db, index) == "1");
    // The build's own page cache and sorter thread are the load's again afterwards.
    CHECK(text(db, "PRAGMA cache_size") == "-16384");
    CHECK(text(db, "PRAGMA threads") == "0");
    CHECK(text(db, "SELECT group_concat(id) FROM lead INDEXED BY lead_client WHERE client_id = 'c1'") ==
          "a,b");
    s.beginBulk();  // and the run dies here
  }
  const auto run2 = work.beginRun("extract", "{}");
  SnapshotStore s(db, run2);  // the next extract builds it
  CHECK(text(db, index) == "1");
  CHECK_FALSE(s.prepareBulk(run2));  // leads of an earlier pass: no bulk load
}
