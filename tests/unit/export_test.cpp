#include "export.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "apply.h"
#include "error.h"
#include "random_plan.h"
#include "temp_path.h"
#include "work_db.h"

using namespace ghlb;

TEST_CASE("CSV fields are quoted only when needed") {
  CHECK(csvField("plain") == "plain");
  CHECK(csvField("a,b") == "\"a,b\"");
  CHECK(csvField("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(csvField("two\nlines") == "\"two\nlines\"");
}

TEST_CASE("CSV cells that a spreadsheet would run as a formula get a leading quote") {
  CHECK(csvField("=HYPERLINK(\"http://x\")") == "\"'=HYPERLINK(\"\"http://x\"\")\"");
  CHECK(csvField("=1+1") == "'=1+1");
  CHECK(csvField("+14155550101") == "'+14155550101");
  CHECK(csvField("-2") == "'-2");
  CHECK(csvField("@SUM(A1)") == "'@SUM(A1)");
  CHECK(csvField("\tx") == "'\tx");
  CHECK(csvField("\rx") == "\"'\rx\"");
  CHECK(csvField("a=b") == "a=b");
  CHECK(csvField("") == "");
}

TEST_CASE("export format comes from the file name") {
  CHECK(*exportFormatFor("x.csv") == ExportFormat::kCsv);
  CHECK(*exportFormatFor("dir/x.json") == ExportFormat::kJson);
  CHECK_FALSE(exportFormatFor("").has_value());
  CHECK_THROWS_AS(exportFormatFor("x.xlsx"), FatalError);
}

TEST_CASE("apply field outcomes") {
  CHECK(std::string(fieldOutcome(true, std::nullopt, "v")) == apply_outcome::kWritten);
  CHECK(std::string(fieldOutcome(false, std::string("v"), "v")) == apply_outcome::kAlreadySet);
  CHECK(std::string(fieldOutcome(false, std::string("other"), "v")) == apply_outcome::kStale);
}

namespace {

std::filesystem::path exportDir() {
  const auto dir = std::filesystem::temp_directory_path() / ("ghlb-export-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("export never follows a planted symlink and is 0600 even over a 0644 file") {
  const auto dir = exportDir();
  WorkDb work((dir / "work.db").string());
  const auto victim = dir / "victim.txt";
  std::ofstream(victim) << "untouched";
  const auto target = dir / "plan.csv";
  // Symlinks at the old temp name and at every name a predictable scheme would use.
  for (const char* name : {"plan.csv.tmp", ".plan.csv.tmp", "plan.csv~", ".plan.csv"})
    std::filesystem::create_symlink(victim, dir / name);

  SUBCASE("over a 0644 file") {
    std::ofstream(target) << "old";
    ::chmod(target.c_str(), 0644);
  }
  SUBCASE("over a symlink at the target: the link is replaced, its target untouched") {
    std::filesystem::create_symlink(victim, target);
  }
  writeExport(work.db(), {}, target.string(), ExportFormat::kCsv);

  CHECK(slurp(victim) == "untouched");
  CHECK_FALSE(std::filesystem::is_symlink(target));
  struct stat st {};
  REQUIRE(::lstat(target.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(slurp(target).find("lead_id,client_id") != std::string::npos);
  CHECK(std::filesystem::is_symlink(dir / "plan.csv.tmp"));  // left alone, never written through
  // No temp file is left behind.
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp") != std::string::npos &&
        !std::filesystem::is_symlink(e.path()))
      ++entries;
  CHECK(entries == 0);
}

TEST_CASE("an export into a directory that does not exist fails with one line and leaves nothing") {
  const auto dir = exportDir();
  WorkDb work((dir / "work.db").string());
  CHECK_THROWS_AS(writeExport(work.db(), {}, (dir / "nope" / "plan.json").string(), ExportFormat::kJson),
                  FatalError);
  CHECK_FALSE(std::filesystem::exists(dir / "nope"));
}

namespace {

LeadReview leadOf(const std::string& id, const std::string& status) {
  LeadReview l;
  l.lead_id = id;
  l.client_id = "client-1";
  l.client_name = "Acme";
  l.status = status;
  return l;
}

// A work DB holding one lead of each kind the export must list: a fill with a report, a conflict,
// an ambiguous fill, a not-found, a waiting lead and an applied one.
void seedPlan(WorkDb& work) {
  work.db().exec(
      "INSERT INTO stage_run(id, stage, started_at, status) VALUES (1, 'plan', 't', 'done');"
      "INSERT INTO client(id, location_id, extract_run, name) VALUES ('client-1', 'loc', 1, 'Acme, \"Inc\"');"
      "INSERT INTO client(id, location_id, extract_run) VALUES ('client-2', 'loc2', 1);"
      "INSERT INTO plan_lead(lead_id, client_id, status, contact_id, link, ambiguous, note, plan_run, "
      "other_lead, "
      "candidates) VALUES "
      "('lead-a', 'client-1', 'fill', 'ccccccccccccccc1', 1, 0, '', 1, NULL, NULL),"
      "('lead-b', 'client-1', 'conflict', 'ccccccccccccccc1', 0, 0, 'contact_taken_by_smaller_lead_id', 1, "
      "'lead-a', NULL),"
      "('lead-c', 'client-2', 'fill', 'ddddddddddddddd1', 1, 1, 'ambiguous_email', 1, NULL, "
      "'ddddddddddddddd1,ddddddddddddddd2'),"
      "('lead-d', 'client-2', 'not_found', NULL, 0, 0, 'not_found', 1, NULL, NULL),"
      "('lead-e', 'client-2', 'waiting', 'eeeeeeeeeeeeee1', 0, 0, 'smaller_lead_pending', 1, 'lead-0', NULL),"
      "('lead-f', 'client-1', 'applied', 'fffffffffffffff1', 0, 0, 'applied', 1, NULL, NULL);"
      "INSERT INTO plan_item(lead_id, field, old_value, new_value) VALUES "
      "('lead-a', 'phone', NULL, '+14155550101'), ('lead-a', 'ghlContactId', NULL, 'ccccccccccccccc1'),"
      "('lead-c', 'firstName', '', 'Ann');"
      "INSERT INTO plan_report(lead_id, field, reason) VALUES ('lead-a', 'lastName', 'invalid_value');"
      "INSERT INTO apply_log(lead_id, field, outcome, new_value, applied_at, apply_run) VALUES "
      "('lead-f', 'email', 'written', 'f@example.com', 't', 1);");
}

}  // namespace

TEST_CASE("export rows: one per change, settled field and report; a lead without any gets its own") {
  LeadReview fill = leadOf("lead-a", "fill");
  fill.changes = {{"ghlContactId", std::nullopt, "ccccccccccccccc1"},
                  {"phone", std::nullopt, "+14155550101"}};
  fill.reports = {{"lastName", "invalid_value"}};
  fill.applied = {{"email", "stale", std::string("a@example.com")}};
  const auto rows = exportRows(fill);
  REQUIRE(rows.size() == 4);
  CHECK(rows[0].field == "ghlContactId");
  CHECK(rows[1].field == "phone");
  CHECK(*rows[1].new_value == "+14155550101");
  CHECK(rows[2].field == "email");
  CHECK(rows[2].applied == "stale");
  CHECK(rows[3].field == "lastName");
  CHECK(rows[3].reason == "invalid_value");
  CHECK_FALSE(rows[3].new_value.has_value());
  for (const auto& r : rows) CHECK(*r.client_name == "Acme");

  LeadReview conflict = leadOf("lead-b", "conflict");
  conflict.note = "contact_already_linked";
  conflict.other_lead = "lead-holder";
  const auto one = exportRows(conflict);
  REQUIRE(one.size() == 1);
  CHECK(one[0].field.empty());
  CHECK(one[0].reason == "contact_already_linked");
  CHECK(*one[0].other_lead == "lead-holder");

  LeadReview amb = leadOf("lead-c", "not_found");
  amb.ambiguous = true;
  amb.candidates = {"c1", "c2"};
  CHECK(exportRows(amb)[0].candidates == std::vector<std::string>{"c1", "c2"});
}

TEST_CASE("the CSV export starts with its header row and lists every lead of the plan with its outcome") {
  const auto dir = exportDir();
  WorkDb work((dir / "work.db").string());
  seedPlan(work);
  const auto path = dir / "plan.csv";
  const auto rows = writeExport(work.db(), {}, path.string(), ExportFormat::kCsv);
  const std::string csv = slurp(path);
  std::istringstream in(csv);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  REQUIRE_FALSE(lines.empty());
  CHECK(lines[0] ==
        "lead_id,client_id,client_name,status,field,old_value,new_value,reason,applied,contact_id,ambiguous,"
        "candidates,other_lead");
  CHECK(rows == 8);  // lead-a: 2 changes + 1 report; b, c, d, e: 1 each; f: 1 applied
  CHECK(static_cast<std::int64_t>(lines.size()) == rows + 1);
  CHECK(csv.find("lead-a,client-1,\"Acme, "
                 "\"\"Inc\"\"\",fill,ghlContactId,,ccccccccccccccc1,,,ccccccccccccccc1,0,,\n") !=
        std::string::npos);
  CHECK(csv.find("lead-a,client-1,\"Acme, \"\"Inc\"\"\",fill,phone,,'+14155550101,") != std::string::npos);
  CHECK(csv.find("lead-a,client-1,\"Acme, \"\"Inc\"\"\",fill,lastName,,,invalid_value,") !=
        std::string::npos);
  CHECK(csv.find("lead-b,client-1,\"Acme, \"\"Inc\"\"\",conflict,,,,contact_taken_by_smaller_lead_id,,"
                 "ccccccccccccccc1,0,,lead-a\n") != std::string::npos);
  CHECK(csv.find("lead-c,client-2,,fill,firstName,,Ann,ambiguous_email,,ddddddddddddddd1,1,"
                 "ddddddddddddddd1;ddddddddddddddd2,\n") != std::string::npos);
  CHECK(csv.find("lead-d,client-2,,not_found,,,,not_found,") != std::string::npos);
  CHECK(csv.find("lead-e,client-2,,waiting,,,,smaller_lead_pending,,eeeeeeeeeeeeee1,0,,lead-0\n") !=
        std::string::npos);
  CHECK(csv.find("lead-f,client-1,\"Acme, \"\"Inc\"\"\",applied,email,,f@example.com,applied,written,") !=
        std::string::npos);
  SUBCASE("--client-id narrows the export to the tenant") {
    CHECK(writeExport(work.db(), {"client-2"}, path.string(), ExportFormat::kCsv) == 3);
    CHECK(slurp(path).find("lead-a") == std::string::npos);
  }
}

TEST_CASE("the JSON export has the warning key and the CSV's columns as keys") {
  const auto dir = exportDir();
  WorkDb work((dir / "work.db").string());
  seedPlan(work);
  const auto path = dir / "plan.json";
  CHECK(writeExport(work.db(), {}, path.string(), ExportFormat::kJson) == 8);
  const std::string json = slurp(path);
  CHECK(json.find("\"warning\": \"This file holds personal data") != std::string::npos);
  for (const char* col : kExportColumns)
    CHECK(json.find(std::string("\"") + col + "\"") != std::string::npos);
  CHECK(json.find("\"ddddddddddddddd1\",\n                \"ddddddddddddddd2\"") != std::string::npos);
  CHECK(json.find("\"other_lead\": \"lead-0\"") != std::string::npos);
}

TEST_CASE("the CSV export is, byte for byte, exportRows' rows with csvField on every cell") {
  // The export writes its CSV straight from each lead (session 11); before, it made exportRows'
  // rows and csvField's cells, kept here as the reference, on a random work DB (random_plan.h:
  // changes, settled fields, reports, leads with none, ambiguous candidates, tenants with and
  // without a name) with hostile values: quotes, commas, line breaks, formula starts.
  WorkDb work(test::freshPath("export-random.db"));
  auto& db = work.db();
  test::seedRandomPlan(db, 400, 0x2545F4914F6CDD1Dull);
  db.exec(
      "UPDATE plan_row SET phone_new = '+1415555' || substr(lead_id, 6) WHERE phone_new IS NOT NULL;"
      "UPDATE plan_row SET email_old = 'a,\"b\"' WHERE email_new IS NOT NULL;"
      "UPDATE plan_row SET note = '=cmd' || char(10) || 'x' WHERE status = 'conflict';"
      "UPDATE plan_row SET other_lead = '@x,y' WHERE other_lead IS NOT NULL;"
      "UPDATE client SET name = 'Acme, \"Inc\"' WHERE id = 'client-a';"
      "UPDATE apply_log SET new_value = '-1' || char(13) WHERE outcome = 'stale';");
  for (const std::vector<std::string>& scope : std::vector<std::vector<std::string>>{{}, {"client-b"}}) {
    std::string want;
    for (const char* col : kExportColumns) want += std::string(want.empty() ? "" : ",") + col;
    want += "\n";
    std::int64_t rows = 0;
    forEachLeadReview(db, scope, {}, [&](const LeadReview& lead) {
      for (const ExportRow& r : exportRows(lead)) {
        ++rows;
        std::string candidates;
        for (const auto& c : r.candidates) candidates += (candidates.empty() ? "" : ";") + c;
        const std::string cells[] = {r.lead_id,
                                     r.client_id,
                                     r.client_name.value_or(""),
                                     r.status,
                                     r.field,
                                     r.old_value.value_or(""),
                                     r.new_value.value_or(""),
                                     r.reason,
                                     r.applied,
                                     r.contact_id.value_or(""),
                                     r.ambiguous ? "1" : "0",
                                     candidates,
                                     r.other_lead.value_or("")};
        for (size_t i = 0; i < std::size(cells); ++i) want += (i ? "," : "") + csvField(cells[i]);
        want += '\n';
      }
    });
    CHECK(rows > (scope.empty() ? 300 : 50));
    const std::string path = test::freshPath("export-random.csv");
    CHECK(writeExport(db, scope, path, ExportFormat::kCsv) == rows);
    std::ifstream in(path, std::ios::binary);
    std::ostringstream got;
    got << in.rdbuf();
    CHECK(got.str() == want);
    for (const char* hostile : {"\"\"Inc\"\"", "'=cmd", "'+1415555", "'@x,y", "\"'-1"})
      CHECK_MESSAGE((want.find(hostile) != std::string::npos || !scope.empty()), hostile);
  }
}
