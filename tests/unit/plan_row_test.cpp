// plan_row (schema/work_db/014_plan_row.sql): one row per lead, the written fields of kFields as
// columns, and plan_lead, plan_item and plan_report as views of it. The schema's field list must be
// kFields' (a field added to fields.h needs a migration), and a work DB migrated from version 13
// must show its plan through the views exactly as its tables held it.
#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "fields.h"
#include "migrations.h"
#include "plan_store.h"
#include "temp_path.h"

using namespace ghlb;

namespace {

std::vector<std::string> rowsOf(SQLite::Database& db, const std::string& sql) {
  std::vector<std::string> out;
  SQLite::Statement q(db, sql);
  while (q.executeStep()) {
    std::string row;
    for (int i = 0; i < q.getColumnCount(); ++i)
      row += (i ? "|" : "") + (q.getColumn(i).isNull() ? std::string("NULL") : q.getColumn(i).getString());
    out.push_back(row);
  }
  return out;
}

}  // namespace

TEST_CASE("plan_row: its field columns and plan_field are kFields'") {
  SQLite::Database db(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  for (const auto& m : workDbMigrations()) db.exec(std::string(m.sql));
  std::set<std::string> columns;
  SQLite::Statement info(db, "SELECT name FROM pragma_table_info('plan_row')");
  while (info.executeStep()) columns.insert(info.getColumn(0).getString());
  std::set<std::string> names;
  for (const auto& f : kFields) {
    names.insert(f.name);
    for (const char* suffix : {"_old", "_new", "_reason"})
      CHECK(columns.count(std::string(f.name) + suffix) == 1);
  }
  CHECK(columns.size() == 11 + 3 * std::size(kFields));  // the lead's own columns and the fields'
  const auto listed = rowsOf(db, "SELECT name FROM plan_field ORDER BY name");
  CHECK(std::set<std::string>(listed.begin(), listed.end()) == names);
  CHECK(listed.size() == names.size());
  // PlanRows binds the columns it names: the same list as the table's.
  std::string expected;
  for (const auto& c : rowsOf(db, "SELECT name FROM pragma_table_info('plan_row') ORDER BY cid"))
    expected += (expected.empty() ? "" : ", ") + c;
  CHECK(planRowColumns() == expected);
}

TEST_CASE("plan_row: migration 014 carries a plan over, the views show it as the tables held it") {
  const std::string path = test::freshPath("migrate014.db");
  SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  const auto& all = workDbMigrations();
  size_t v = 0;
  for (; v < all.size() && std::string(all[v].name) != "014_plan_row.sql"; ++v)
    db.exec(std::string(all[v].sql));
  REQUIRE(v < all.size());
  db.exec(
      "INSERT INTO stage_run(id, stage, started_at, status) VALUES (7, 'plan', '2026-01-01T00:00:00Z', "
      "'done');"
      "INSERT INTO plan_lead(lead_id, client_id, status, contact_id, link, ambiguous, note, plan_run, "
      "other_lead, candidates, claim_key) VALUES "
      "('lead-a', 'c1', 'fill', 'gc1', 1, 1, 'found', 7, NULL, 'gc1,gc2', 'loc|a@x.test'),"
      "('lead-b', 'c1', 'conflict', 'gc1', 0, 0, 'contact_taken_by_smaller_lead_id', 7, 'lead-a', NULL, "
      "NULL),"
      "('lead-c', 'c2', 'fill', NULL, 0, 0, 'found', 7, NULL, NULL, NULL);"
      "INSERT INTO plan_item(lead_id, field, old_value, new_value) VALUES "
      "('lead-a', 'ghlContactId', NULL, 'gc1'), ('lead-a', 'firstName', '', 'Ann'),"
      "('lead-a', 'enrichedAt', NULL, '(time of write)'), ('lead-c', 'email', ' ', 'c@x.test');"
      "INSERT INTO plan_report(lead_id, field, reason) VALUES ('lead-a', 'phone', 'no_storage_form'),"
      "('lead-c', 'lastName', 'invalid_value');");
  const char* kLeads = "SELECT * FROM plan_lead ORDER BY lead_id";
  const char* kItems = "SELECT * FROM plan_item";  // no ORDER BY: the views keep (lead_id, field) order
  const char* kReports = "SELECT * FROM plan_report";
  const auto leads = rowsOf(db, kLeads), items = rowsOf(db, kItems), reports = rowsOf(db, kReports);
  for (; v < all.size(); ++v) db.exec(std::string(all[v].sql));
  CHECK(rowsOf(db, kLeads) == leads);
  CHECK(rowsOf(db, kItems) == items);
  CHECK(rowsOf(db, kReports) == reports);
  CHECK(rowsOf(db, "SELECT count(*) FROM plan_row") == std::vector<std::string>{"3"});
  CHECK(
      rowsOf(db, "SELECT type FROM sqlite_master WHERE name IN ('plan_lead', 'plan_item', 'plan_report')") ==
      std::vector<std::string>{"view", "view", "view"});
  // plan_value is plan_item with its lead's columns, in the same order.
  CHECK(
      rowsOf(db, "SELECT * FROM plan_value") ==
      rowsOf(
          db,
          "SELECT i.lead_id, i.field, p.client_id, p.status, p.link, p.contact_id, p.ambiguous, i.old_value, "
          "i.new_value FROM plan_item i JOIN plan_lead p USING (lead_id) ORDER BY i.lead_id, i.field"));
  // Written through the views, as the tables were (INSTEAD OF triggers).
  db.exec(
      "UPDATE plan_item SET new_value = 'Anna' WHERE lead_id = 'lead-a' AND field = 'firstName';"
      "DELETE FROM plan_item WHERE lead_id = 'lead-a' AND field = 'enrichedAt';"
      "DELETE FROM plan_report WHERE lead_id = 'lead-c';");
  CHECK(rowsOf(db,
               "SELECT firstName_new, enrichedAt_new, lastName_reason FROM plan_row WHERE lead_id IN "
               "('lead-a', 'lead-c') ORDER BY lead_id") ==
        std::vector<std::string>{"Anna|NULL|NULL", "NULL|NULL|NULL"});
  CHECK_THROWS(
      db.exec("INSERT INTO plan_item(lead_id, field, new_value) VALUES ('lead-a', 'nickname', 'x')"));
}
