#include "review.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "error.h"
#include "json_util.h"
#include "random_plan.h"
#include "temp_path.h"
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

namespace {

// The lead-by-lead review as forEachLeadReview read it before its merged pass (session 9): the
// union of plan_lead, plan_item, plan_report and apply_log sorted by lead, kept as the reference.
std::vector<std::string> referenceLeadReviews(SQLite::Database& db, const std::vector<std::string>& ids,
                                              const std::vector<std::string>& leads) {
  const std::string scope = " WHERE " + clientScope("p.client_id") +
                            " AND (?3 = 0 OR p.lead_id IN (SELECT value FROM json_each(?4)))";
  SQLite::Statement q(
      db,
      "SELECT p.lead_id, 0, p.client_id, c.name, p.status, p.note, p.contact_id, p.link, p.ambiguous, "
      "p.other_lead, p.candidates FROM plan_lead p LEFT JOIN client c ON c.id = p.client_id" +
          scope +
          " UNION ALL SELECT i.lead_id, 1, i.field, i.old_value, i.new_value, NULL, NULL, NULL, NULL, NULL, "
          "NULL "
          "FROM plan_item i JOIN plan_lead p ON p.lead_id = i.lead_id" +
          scope +
          " UNION ALL SELECT r.lead_id, 2, r.field, r.reason, NULL, NULL, NULL, NULL, NULL, NULL, NULL "
          "FROM plan_report r JOIN plan_lead p ON p.lead_id = r.lead_id" +
          scope +
          " UNION ALL SELECT a.lead_id, 3, a.field, a.outcome, a.new_value, NULL, NULL, NULL, NULL, NULL, "
          "NULL "
          "FROM apply_log a JOIN plan_lead p ON p.lead_id = a.lead_id" +
          scope + " ORDER BY 1, 2, 3");
  bindClientScope(q, ids);
  q.bind(3, leads.empty() ? 0 : 1);
  q.bind(4, jsonStringArray(leads));
  return test::rowsOf(q, 11);
}

// The same rows from forEachLeadReview's LeadReviews (fields by name within a kind, as the reference).
std::vector<std::string> leadReviewRows(SQLite::Database& db, const std::vector<std::string>& ids,
                                        const std::vector<std::string>& leads) {
  std::vector<std::string> out;
  ReviewFilter filter;
  filter.leads = leads;
  const auto opt = [](const std::optional<std::string>& v) { return v ? *v : std::string("<null>"); };
  forEachLeadReview(db, ids, filter, [&](const LeadReview& r) {
    std::string candidates;
    for (const auto& c : r.candidates) candidates += (candidates.empty() ? "" : ",") + c;
    out.push_back(r.lead_id + "|0|" + r.client_id + "|" + opt(r.client_name) + "|" + r.status + "|" +
                  (r.note.empty() ? "<null>" : r.note) + "|" + opt(r.contact_id) + "|" +
                  (r.link ? "1" : "0") + "|" + (r.ambiguous ? "1" : "0") + "|" + opt(r.other_lead) + "|" +
                  (candidates.empty() ? "<null>" : candidates) + "|");
    std::vector<std::string> rows;
    const std::string tail = "|<null>|<null>|<null>|<null>|<null>|<null>|";
    for (const auto& c : r.changes)
      rows.push_back(r.lead_id + "|1|" + c.field + "|" + opt(c.old_value) + "|" + c.new_value + tail);
    for (const auto& [field, reason] : r.reports)
      rows.push_back(r.lead_id + "|2|" + field + "|" + reason + "|<null>" + tail);
    for (const auto& a : r.applied)
      rows.push_back(r.lead_id + "|3|" + a.field + "|" + a.outcome + "|" + opt(a.value) + tail);
    std::sort(rows.begin(), rows.end(), [](const std::string& x, const std::string& y) {
      const auto key = [](const std::string& s) {
        return s.substr(0, s.find('|', s.find('|', s.find('|') + 1) + 1));
      };
      return key(x) < key(y);
    });
    out.insert(out.end(), rows.begin(), rows.end());
  });
  return out;
}

}  // namespace

TEST_CASE("forEachLeadReview's merged pass yields the leads of the union it replaced") {
  WorkDb work(test::freshPath("review-merge.db"));
  auto& db = work.db();
  test::seedRandomPlan(db);
  for (const auto& ids : std::vector<std::vector<std::string>>{{}, {"client-a"}, {"client-b", "client-c"}})
    for (const auto& leads :
         std::vector<std::vector<std::string>>{{}, {"lead-0", "lead-919", "lead-838", "nope"}}) {
      CAPTURE(ids.size());
      CAPTURE(leads.size());
      const auto want = referenceLeadReviews(db, ids, leads);
      if (ids.empty() && leads.empty()) CHECK((want.size() > 900));
      CHECK((leadReviewRows(db, ids, leads) == want));
    }
}
