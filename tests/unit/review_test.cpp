#include "review.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "error.h"
#include "work_db.h"

using namespace ghlb;

TEST_CASE("review tables print a tenant id with control characters escaped, never raw") {
  ReviewSummary s;
  TenantReview t;
  t.leads = 1;
  t.by_status["planned"] = 1;
  t.fields["email"] = 1;
  t.applied["written"] = 1;
  s.tenants["evil\n\x1b[31mred"] = t;
  std::ostringstream out;
  printReview(s, out);
  const std::string text = out.str();
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(text.find("evil\n") == std::string::npos);
  CHECK(text.find("evil\\n\\x1b[31mred") != std::string::npos);
}

TEST_CASE("displayText escapes control characters, C1 and bidi controls, and cuts with an ellipsis") {
  CHECK(displayText("Acme", 10) == "Acme");
  CHECK(displayText("a\nb\x1b[2J", 40) == "a\\nb\\x1b[2J");
  CHECK(displayText("x\xC2\x9B"
                    "2J\xE2\x80\xAE"
                    "y",
                    40) == "x\\u009b2J\\u202ey");
  CHECK(displayText("bad\xFF", 40) == "bad\\xff");
  CHECK(displayText("Northwind Dental Group", 10) == "Northwind\xE2\x80\xA6");
  CHECK(displayText("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", 3) ==
        "\xC3\xA9\xC3\xA9\xE2\x80\xA6");                // by character
  CHECK(displayText("ab\ncd", 4) == "ab\xE2\x80\xA6");  // never half an escape
}

TEST_CASE("--field and --outcome are checked against the known values") {
  CHECK_NOTHROW(
      checkReviewFilter({{}, {"phone", "ghlContactId"}, {"conflict", "ambiguous", "no_storage_form"}}));
  try {
    checkReviewFilter({{}, {"phones"}, {}});
    FAIL("no usage error");
  } catch (const FatalError& e) {
    CHECK(std::string(e.what()).find(
              "--field phones is not a field; did you mean phone? (fields: ghlContactId, email, phone") == 0);
  }
  try {
    checkReviewFilter({{}, {}, {"conflicts"}});
    FAIL("no usage error");
  } catch (const FatalError& e) {
    CHECK(std::string(e.what()).find("--outcome conflicts: unknown outcome; valid: fill, nothing_to_fill") ==
          0);
  }
}

namespace {

std::filesystem::path reviewDir() {
  const auto dir = std::filesystem::temp_directory_path() / ("ghlb-review-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

void seed(WorkDb& work, const std::string& name) {
  SQLite::Statement c(work.db(),
                      "INSERT INTO client(id, location_id, extract_run, name) VALUES "
                      "('aed09b82-4ca8-4fc2-bfb6-37dd5bae2d26', 'loc', 1, ?)");
  work.db().exec("INSERT INTO stage_run(id, stage, started_at, status) VALUES (1, 'plan', 't', 'done')");
  c.bind(1, name);
  c.exec();
  work.db().exec(
      "INSERT INTO client(id, location_id, extract_run) VALUES ('client-2', 'loc2', 1);"
      "INSERT INTO lead(id, client_id, location_id, extract_run) VALUES "
      "('lead-a', 'aed09b82-4ca8-4fc2-bfb6-37dd5bae2d26', 'loc', 1), "
      "('lead-b', 'aed09b82-4ca8-4fc2-bfb6-37dd5bae2d26', 'loc', 1), ('lead-c', 'client-2', 'loc2', 1), "
      "('lead-d', 'client-2', 'loc2', 1), ('lead-f', 'client-2', 'loc2', 1);"
      "INSERT INTO plan_lead(lead_id, client_id, status, contact_id, link, ambiguous, note, plan_run, "
      "other_lead, "
      "candidates) VALUES "
      "('lead-a', 'aed09b82-4ca8-4fc2-bfb6-37dd5bae2d26', 'fill', 'ccccccccccccccc1', 1, 0, '', 1, NULL, "
      "NULL),"
      "('lead-b', 'aed09b82-4ca8-4fc2-bfb6-37dd5bae2d26', 'conflict', 'ccccccccccccccc1', 0, 0, "
      "'contact_taken_by_smaller_lead_id', 1, 'lead-a', NULL),"
      "('lead-c', 'client-2', 'fill', 'ddddddddddddddd1', 1, 1, 'ambiguous_email', 1, NULL, "
      "'ddddddddddddddd1,ddddddddddddddd2'),"
      "('lead-d', 'client-2', 'not_found', NULL, 0, 0, 'not_found', 1, NULL, NULL),"
      "('lead-f', 'client-2', 'applied', 'fffffffffffffff1', 0, 0, 'applied', 1, NULL, NULL);"
      "INSERT INTO plan_item(lead_id, field, old_value, new_value) VALUES "
      "('lead-a', 'phone', NULL, '+14155550101'), ('lead-a', 'ghlContactId', NULL, 'ccccccccccccccc1'),"
      "('lead-a', 'enrichmentStatus', NULL, 'enriched'), ('lead-a', 'enrichmentSource', NULL, 'ghl'),"
      "('lead-a', 'enrichedAt', NULL, '(time of write)'), ('lead-c', 'firstName', '', 'Ann');"
      "INSERT INTO plan_report(lead_id, field, reason) VALUES ('lead-c', 'phone', 'no_storage_form');"
      "INSERT INTO apply_log(lead_id, field, outcome, new_value, applied_at, apply_run) VALUES "
      "('lead-f', 'email', 'written', 'f@example.com', 't', 1);");
}

std::vector<std::string> leadsOf(SQLite::Database& db, const ReviewFilter& f) {
  std::vector<std::string> out;
  forEachLeadReview(db, {}, f, [&out](const LeadReview& r) { out.push_back(r.lead_id); });
  return out;
}

using Ids = std::vector<std::string>;

}  // namespace

TEST_CASE("filters select leads by id, field and outcome, ORed within and ANDed together") {
  const auto dir = reviewDir();
  WorkDb work((dir / "work.db").string());
  seed(work, "Northwind Dental Group");
  auto& db = work.db();
  CHECK(leadsOf(db, {}) == Ids{"lead-a", "lead-b", "lead-c", "lead-d", "lead-f"});
  CHECK(leadsOf(db, {{"lead-b", "lead-d"}, {}, {}}) == Ids{"lead-b", "lead-d"});
  CHECK(leadsOf(db, {{}, {"phone"}, {}}) == Ids{"lead-a", "lead-c"});  // a change, or a report
  CHECK(leadsOf(db, {{}, {"email"}, {}}) == Ids{"lead-f"});            // an apply result
  CHECK(leadsOf(db, {{}, {}, {"conflict", "not_found"}}) == Ids{"lead-b", "lead-d"});
  CHECK(leadsOf(db, {{}, {}, {"ambiguous"}}) == Ids{"lead-c"});
  CHECK(leadsOf(db, {{}, {}, {"no_storage_form"}}) == Ids{"lead-c"});
  CHECK(leadsOf(db, {{}, {"firstName"}, {"no_storage_form"}}).empty());  // the report is on phone
  CHECK(leadsOf(db, {{"lead-a"}, {}, {"conflict"}}).empty());
  LeadReview a;
  forEachLeadReview(db, {}, {{"lead-c"}, {}, {}}, [&a](const LeadReview& r) { a = r; });
  CHECK_FALSE(a.client_name.has_value());  // client-2 has no name
  CHECK(a.candidates == Ids{"ddddddddddddddd1", "ddddddddddddddd2"});
}

TEST_CASE("a filtered summary counts exactly what the SQL summary counts for the same leads") {
  const auto dir = reviewDir();
  WorkDb work((dir / "work.db").string());
  seed(work, "Northwind Dental Group");
  const ReviewSummary all = loadReview(work.db(), {});
  // A filter that selects every lead takes the lead-by-lead path.
  const ReviewSummary every = loadReview(work.db(), {}, {{}, {}, reviewOutcomes()});
  REQUIRE(all.tenants.size() == every.tenants.size());
  for (const auto& [id, t] : all.tenants) {
    const TenantReview& u = every.tenants.at(id);
    CHECK(t.by_status == u.by_status);
    CHECK(t.fields == u.fields);
    CHECK(t.reported == u.reported);
    CHECK(t.applied == u.applied);
    CHECK(t.ambiguous == u.ambiguous);
    CHECK(t.links == u.links);
    CHECK(t.leads == u.leads);
    CHECK(t.name == u.name);
  }
  CHECK(every.leads_in_plan == 5);
  const ReviewSummary phones = loadReview(work.db(), {}, {{}, {"phone"}, {}});
  CHECK(phones.totalByStatus("fill") == 2);
  CHECK(phones.totalToWrite() == 1);  // only the phone column is counted
}

TEST_CASE(
    "the printed review names tenants beside their ids, within 100 columns, hostile names neutralized") {
  const auto dir = reviewDir();
  WorkDb work((dir / "work.db").string());
  std::string hostile = "Evil\n\x1b[31m\xE2\x80\xAE Corp ";
  hostile += std::string(10000, 'x');
  seed(work, hostile);
  ReviewSummary s = loadReview(work.db(), {});
  s.plan_id = 3;
  s.fingerprint = "0123456789abcdef";
  std::ostringstream out;
  printReview(s, out);
  const std::string text = out.str();
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(text.find("\xE2\x80\xAE") == std::string::npos);
  CHECK(text.find("T1   aed09b82-4ca8-4fc2-bfb6-37dd5bae2d26  Evil\\n\\x1b[31m\\u202e Corp xxx") !=
        std::string::npos);
  CHECK(text.find("T2   client-2\n") != std::string::npos);  // no name: the id alone
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    size_t chars = 0;
    for (const char c : line) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
    CHECK_MESSAGE(chars <= 100, line);
  }
  CHECK(text.find("\nT1 Evil\\n\\x1b[31m\\u202e \xE2\x80\xA6") != std::string::npos);
  // The enrichment trio shares one column, counted once per lead.
  CHECK(text.find("companyName enrichment") == std::string::npos);
  CHECK(text.find(" ghlContactId  phone firstName enrichment\n") != std::string::npos);
}

TEST_CASE("printLeadReviews: one line per lead without values; --lead shows the lead in detail") {
  const auto dir = reviewDir();
  WorkDb work((dir / "work.db").string());
  seed(work, "Northwind Dental Group");
  std::ostringstream lines;
  printLeadReviews(work.db(), {}, {{}, {}, {"conflict", "ambiguous"}}, lines);
  CHECK(lines.str().find("  lead-b  conflict (contact_taken_by_smaller_lead_id)  other=lead-a\n") !=
        std::string::npos);
  CHECK(
      lines.str().find("  lead-c  fill (ambiguous_email)  candidates=2  firstName,phone:no_storage_form\n") !=
      std::string::npos);
  CHECK(lines.str().find("Ann") == std::string::npos);  // no value without --lead
  std::ostringstream capped;
  printLeadReviews(work.db(), {}, {{}, {}, reviewOutcomes()}, capped, 2);
  CHECK(capped.str().find("... and 3 more (5 in all)") != std::string::npos);
  std::ostringstream detail;
  printLeadReviews(work.db(), {}, {{"lead-c"}, {}, {}}, detail);
  const std::string d = detail.str();
  CHECK(d.find("Lead lead-c\n") != std::string::npos);
  CHECK(d.find("  candidates: ddddddddddddddd1 ddddddddddddddd2 (the first is taken)\n") !=
        std::string::npos);
  CHECK(d.find("  to write:   firstName: \"\" -> \"Ann\"\n") != std::string::npos);
  CHECK(d.find("  reported:   phone: no_storage_form\n") != std::string::npos);
}
