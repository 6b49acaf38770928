#include "report_html.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "error.h"
#include "random_plan.h"
#include "temp_path.h"
#include "work_db.h"

using namespace ghlb;

namespace {

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

std::filesystem::path reportDir() {
  const auto dir = std::filesystem::temp_directory_path() / ("ghlb-report-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// A page of one tenant and one sampled lead, its values given by the test.
ReportData onePage(const std::string& tenant_name, const std::string& field, const std::string& value) {
  ReportData d;
  TenantReview t;
  t.leads = 1;
  t.by_status["fill"] = 1;
  t.fields[field] = 1;
  d.summary.tenants["c1"] = t;
  d.summary.plan_id = 7;
  d.tenant_names.emplace_back("c1", tenant_name);
  d.sample.rows.push_back({"lead-1", "c1", field, std::nullopt, value});
  d.sample.total = 1;
  d.sample_leads = 1;
  return d;
}

// A work DB whose plan has `fills` leads with an email and a phone to write and `conflicts`
// conflicts, in one tenant; lead ids are inserted in the order asked.
void fillPlan(SQLite::Database& db, int fills, int conflicts, bool reverse = false) {
  db.exec("INSERT INTO stage_run(id, stage, started_at, status) VALUES (1, 'plan', 't', 'done')");
  db.exec("INSERT INTO client(id, location_id, extract_run, name) VALUES ('c1', 'loc1', 1, 'Acme')");
  SQLite::Transaction tx(db);
  SQLite::Statement lead(db,
                         "INSERT INTO plan_lead(lead_id, client_id, status, contact_id, note, other_lead, "
                         "plan_run) VALUES (?, 'c1', ?, 'contact0000000001', ?, ?, 1)");
  SQLite::Statement item(
      db, "INSERT INTO plan_item(lead_id, field, old_value, new_value) VALUES (?, ?, NULL, ?)");
  const int n = fills + conflicts;
  for (int k = 0; k < n; ++k) {
    const int i = reverse ? n - 1 - k : k;
    char id[32];
    std::snprintf(id, sizeof id, "lead-%07d", i);
    const bool fill = i < fills;
    lead.bind(1, id);
    lead.bind(2, fill ? "fill" : "conflict");
    lead.bind(3, fill ? "" : "contact_already_linked");
    if (fill)
      lead.bind(4);
    else
      lead.bind(4, "holder-lead");
    lead.exec();
    lead.reset();
    if (!fill) continue;
    for (const auto& [field, value] :
         {std::pair<std::string, std::string>{"email", "person" + std::to_string(i) + "@example.com"},
          {"phone", "+1415555" + std::to_string(1000 + i % 9000)}}) {
      item.bind(1, id);
      item.bind(2, field);
      item.bind(3, value);
      item.exec();
      item.reset();
    }
  }
  tx.commit();
}

std::string pageOf(SQLite::Database& db, const ReportOptions& opts) {
  ReviewSummary s = loadReview(db, {});
  return renderReportHtml(loadReportData(db, {}, s, opts), opts);
}

}  // namespace

TEST_CASE("htmlEscape escapes the five characters that matter in text and attributes") {
  CHECK(htmlEscape("<script>alert('x')</script>") == "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
  CHECK(htmlEscape("a & \"b\"") == "a &amp; &quot;b&quot;");
  CHECK(htmlEscape("plain é") == "plain é");
  CHECK(htmlEscape("&amp;") == "&amp;amp;");
}

TEST_CASE("emails are masked to their first characters and top-level label, never whole") {
  CHECK(maskEmail("john.doe@example.com") == "j***@e***.com");
  CHECK(maskEmail("  Ann@Mail.Example.co.uk ") == "A***@M***.uk");
  CHECK(maskEmail("x@y") == "x***@y***");
  CHECK(maskEmail("x@") == "x***@***");
  CHECK(maskEmail("no-at-sign") == "***");
  CHECK(maskEmail("@example.com") == "***");
  CHECK(maskEmail("é@ü.de") == "é***@ü***.de");       // whole UTF-8 characters, never half of one
  CHECK(maskEmail("a@b.c0m<x>") == "a***@b***.***");  // an odd last label is not shown
  const std::string email = "a@b.co";
  CHECK_FALSE(has(maskEmail(email), email));
}

TEST_CASE("phones keep a leading +, the first digit and the last four; the rest are stars") {
  CHECK(maskPhone("+14155550134") == "+1******0134");
  CHECK(maskPhone("0412345678") == "0*****5678");
  CHECK(maskPhone(" (415) 555-0134 ") == "4*****0134");
  CHECK(maskPhone("1234567") == "1**4567");
  CHECK(maskPhone("123456") == "***");
  CHECK(maskPhone("") == "***");
}

TEST_CASE("maskValue masks by field, and masks names or companies that look like an email or phone") {
  CHECK(maskValue("email", "john@example.com") == "j***@e***.com");
  CHECK(maskValue("phone", "+14155550134") == "+1******0134");
  CHECK(maskValue("firstName", "Ann") == "Ann");
  CHECK(maskValue("firstName", "ann@example.com") == "a***@e***.com");
  CHECK(maskValue("companyName", "call 415 555 0134") == "4*****0134");
  CHECK(maskValue("companyName", "Route 66 Diner") == "Route 66 Diner");
  // Ids and the enrichment values are no personal data: shown as they are.
  CHECK(maskValue("ghlContactId", "abc1234567890def") == "abc1234567890def");
  CHECK(maskValue("enrichedAt", "(time of write)") == "(time of write)");
  CHECK(maskValue("someNewField", "x@example.com") == "x***@e***.com");
}

TEST_CASE("the report path must end in .html or .htm and its directory must exist") {
  const auto dir = reportDir();
  CHECK_NOTHROW(checkReportPath(""));
  CHECK_NOTHROW(checkReportPath("report.html"));
  CHECK_NOTHROW(checkReportPath((dir / "r.HTM").string()));
  const auto code = [](const std::string& p) {
    try {
      checkReportPath(p);
    } catch (const FatalError& e) {
      return e.code();
    }
    return ExitCode::kDone;
  };
  CHECK(code("report.csv") == ExitCode::kUsage);
  CHECK(code("report.html.txt") == ExitCode::kUsage);
  CHECK(code((dir / "missing" / "r.html").string()) == ExitCode::kUsage);
}

TEST_CASE("a hostile tenant name or GHL value renders as text, never as markup") {
  const std::string evil = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>";
  const std::string page = renderReportHtml(onePage(evil, "firstName", evil), ReportOptions{});
  CHECK_FALSE(has(page, "<script"));
  CHECK_FALSE(has(page, "<img"));
  CHECK(has(page, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  // Control characters are made visible, never raw.
  const std::string page2 =
      renderReportHtml(onePage("bad\x1b[31mname\n", "lastName", "x\ry"), ReportOptions{});
  CHECK_FALSE(has(page2, "\x1b"));
  CHECK(has(page2, "bad\\x1b[31mname\\n"));
  CHECK(has(page2, "x\\ry"));
}

TEST_CASE("the page is self-contained: a strict CSP, no script, nothing loaded from outside") {
  const std::string page = renderReportHtml(onePage("Acme", "email", "ann@example.com"), ReportOptions{});
  CHECK(has(page,
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
            "'unsafe-inline'\">"));
  for (const char* external :
       {"<script", "<link", "<img", "<iframe", "src=", "href=", "url(", "@import", "http:", "https:", "//"})
    CHECK_MESSAGE(!has(page, external), external);
}

TEST_CASE("emails and phones of the sample are masked unless show_pii") {
  ReportData d = onePage("Acme", "email", "ann.lee@example.com");
  d.sample.rows.push_back({"lead-1", "c1", "phone", std::string(" "), "+14155550134"});
  ReportOptions masked;
  const std::string page = renderReportHtml(d, masked);
  CHECK_FALSE(has(page, "ann.lee@example.com"));
  CHECK_FALSE(has(page, "4155550134"));
  CHECK(has(page, "a***@e***.com"));
  CHECK(has(page, "+1******0134"));
  CHECK(has(page, "data-masked=\"1\""));
  ReportOptions shown;
  shown.show_pii = true;
  const std::string open = renderReportHtml(d, shown);
  CHECK(has(open, "ann.lee@example.com"));
  CHECK(has(open, "+14155550134"));
  CHECK(has(open, "data-masked=\"0\""));
}

TEST_CASE("totals carry ids and data-value attributes equal to the review summary's") {
  ReportData d;
  TenantReview a, b;
  a.leads = 1200;
  a.by_status["fill"] = 1000;
  a.by_status["conflict"] = 200;
  a.ambiguous = 3;
  a.fields["email"] = 700;
  a.fields["phone"] = 600;
  b.leads = 5;
  b.by_status["not_found"] = 5;
  b.fields["email"] = 1;
  b.applied["written"] = 9;
  d.summary.tenants["a"] = a;
  d.summary.tenants["b"] = b;
  const std::string page = renderReportHtml(d, ReportOptions{});
  CHECK(has(page, "id=\"total-to-write\" data-value=\"1301\">1,301<"));
  CHECK(has(page, "id=\"total-leads\" data-value=\"1205\">1,205<"));
  CHECK(has(page, "id=\"total-status-fill\" data-value=\"1000\""));
  CHECK(has(page, "id=\"total-status-not_found\" data-value=\"5\""));
  CHECK(has(page, "id=\"total-ambiguous\" data-value=\"3\""));
  CHECK(has(page, "id=\"total-field-email\" data-value=\"701\""));
  CHECK(has(page, "id=\"total-field-firstName\" data-value=\"0\""));
  CHECK(has(page, "id=\"chart-field-phone\" data-value=\"600\""));
  CHECK(has(page, "id=\"total-applied-written\" data-value=\"9\""));
  CHECK(has(page, "width:100%"));  // the largest bar fills its track
}

TEST_CASE("lead-by-lead lists are capped and say how many there are in all") {
  const auto dir = reportDir();
  WorkDb work((dir / "work.db").string());
  fillPlan(work.db(), 30, 25);
  ReportOptions opts;
  opts.list_cap = 10;
  opts.sample_leads = 4;
  const ReportData d = loadReportData(work.db(), {}, loadReview(work.db(), {}), opts);
  CHECK(d.conflicts.rows.size() == 10);
  CHECK(d.conflicts.total == 25);
  CHECK(d.conflicts.rows.front().other_lead == std::optional<std::string>("holder-lead"));
  CHECK(d.sample_leads == 4);
  CHECK(d.sample.total == 30);
  CHECK(d.sample.rows.size() == 8);  // 4 leads, 2 fields each
  const std::string page = renderReportHtml(d, opts);
  CHECK(has(page, "Showing 10 of 25 conflicts"));
  CHECK(has(page, "id=\"sample-count\" data-shown=\"4\" data-total=\"30\""));
  CHECK(has(page, ">Acme</bdi>"));  // the tenant's name beside its id
}

TEST_CASE("the sample of diffs is the same whatever the row order, and not simply the first ids") {
  const auto dir = reportDir();
  const auto sampled = [&](bool reverse) {
    const auto path = dir / (reverse ? "rev.db" : "fwd.db");
    WorkDb work(path.string());
    fillPlan(work.db(), 200, 0, reverse);
    ReportOptions opts;
    opts.sample_leads = 20;
    std::vector<std::string> leads;
    for (const auto& r : loadReportData(work.db(), {}, loadReview(work.db(), {}), opts).sample.rows)
      if (leads.empty() || leads.back() != r.lead_id) leads.push_back(r.lead_id);
    return leads;
  };
  const auto forward = sampled(false);
  CHECK(forward.size() == 20);
  CHECK(forward == sampled(true));
  // Exactly the 20 ids of smallest sampleKey.
  std::vector<std::pair<std::string, std::string>> keyed;
  for (int i = 0; i < 200; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "lead-%07d", i);
    keyed.emplace_back(sampleKey(id), id);
  }
  std::sort(keyed.begin(), keyed.end());
  std::vector<std::string> want;
  for (int i = 0; i < 20; ++i) want.push_back(keyed[static_cast<size_t>(i)].second);
  std::sort(want.begin(), want.end());
  CHECK(forward == want);
  CHECK(forward.back() > "lead-0000019");  // spread over the range, not the first 20 ids
}

TEST_CASE("the page does not grow with the lead count") {
  const auto dir = reportDir();
  WorkDb small((dir / "small.db").string());
  fillPlan(small.db(), 400, 400);
  WorkDb large((dir / "large.db").string());
  fillPlan(large.db(), 4000, 4000);
  const std::string a = pageOf(small.db(), ReportOptions{});
  const std::string b = pageOf(large.db(), ReportOptions{});
  CHECK(has(b, "Showing 200 of 4,000 conflicts"));
  CHECK(b.size() < a.size() + a.size() / 20);
}

TEST_CASE("writeReport writes a 0600 page") {
  const auto dir = reportDir();
  WorkDb work((dir / "work.db").string());
  fillPlan(work.db(), 3, 1);
  const auto path = dir / "report.html";
  ::umask(022);
  writeReport(work.db(), {}, loadReview(work.db(), {}), path.string(), ReportOptions{});
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  CHECK(has(ss.str(), "<!DOCTYPE html>"));
  CHECK_FALSE(has(ss.str(), "@example.com"));
}

TEST_CASE("the sample shows every field that changes, even a rare one outside the hash's first leads") {
  const auto dir = reportDir();
  WorkDb work((dir / "work.db").string());
  fillPlan(work.db(), 100, 0);
  // One lead with a company to write: the lead of largest sampleKey, far from the first 5.
  std::string last;
  for (int i = 0; i < 100; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "lead-%07d", i);
    if (last.empty() || sampleKey(id) > sampleKey(last)) last = id;
  }
  SQLite::Statement add(work.db(),
                        "INSERT INTO plan_item(lead_id, field, old_value, new_value) VALUES (?, "
                        "'companyName', NULL, 'Rare Co')");
  add.bind(1, last);
  add.exec();
  ReportOptions opts;
  opts.sample_leads = 5;
  const ReportData d = loadReportData(work.db(), {}, loadReview(work.db(), {}), opts);
  CHECK(d.sample_leads == 6);
  CHECK(std::any_of(d.sample.rows.begin(), d.sample.rows.end(),
                    [&](const ReportDiff& r) { return r.lead_id == last && r.field == "companyName"; }));
  opts.sample_leads = 0;
  const ReportData none = loadReportData(work.db(), {}, loadReview(work.db(), {}), opts);
  CHECK(none.sample.rows.empty());
  CHECK(none.sample.total == 100);
}

TEST_CASE(
    "the report's reported values and sample of diffs from plan_row equal the plan_report/plan_item "
    "queries") {
  WorkDb work(test::freshPath("report-merge.db"));
  auto& db = work.db();
  test::seedRandomPlan(db);
  for (const auto& ids : std::vector<std::vector<std::string>>{{}, {"client-a"}, {"client-b", "client-c"}}) {
    CAPTURE(ids.size());
    ReportOptions opts;
    opts.list_cap = 25;
    opts.sample_leads = 10;
    const ReportData d = loadReportData(db, ids, ReviewSummary{}, opts);
    // Reported: the view's rows in (lead, field) order, capped, and their count.
    SQLite::Statement rep(
        db,
        "SELECT r.lead_id, p.client_id, r.field, r.reason FROM plan_report r JOIN plan_lead p "
        "USING (lead_id) WHERE " +
            clientScope("p.client_id") + " ORDER BY r.lead_id, r.field");
    bindClientScope(rep, ids);
    std::vector<std::string> want, got;
    while (rep.executeStep())
      want.push_back(rep.getColumn(0).getString() + "|" + rep.getColumn(1).getString() + "|" +
                     rep.getColumn(2).getString() + "|" + rep.getColumn(3).getString());
    CHECK((d.reported.total == static_cast<std::int64_t>(want.size())));
    CHECK((want.size() > opts.list_cap));
    want.resize(std::min(want.size(), opts.list_cap));
    for (const auto& l : d.reported.rows)
      got.push_back(l.lead_id + "|" + l.client_id + "|" + l.field + "|" + l.reason);
    CHECK((got == want));
    // Sample: the leads with a change of smallest sampleKey, plus each field's first by that key.
    SQLite::Statement items(
        db, "SELECT i.lead_id, i.field FROM plan_item i JOIN plan_lead p USING (lead_id) WHERE " +
                clientScope("p.client_id"));
    bindClientScope(items, ids);
    std::set<std::pair<std::string, std::string>> keyed;
    std::map<std::string, std::pair<std::string, std::string>> first;
    while (items.executeStep()) {
      const std::string lead = items.getColumn(0).getString();
      const auto k = std::make_pair(sampleKey(lead), lead);
      keyed.insert(k);
      auto [it, added] = first.try_emplace(items.getColumn(1).getString(), k);
      if (!added && k < it->second) it->second = k;
    }
    CHECK((d.sample.total == static_cast<std::int64_t>(keyed.size())));
    std::set<std::string> want_leads, got_leads;
    for (const auto& k : keyed)
      if (want_leads.size() < opts.sample_leads) want_leads.insert(k.second);
    for (const auto& [field, k] : first) want_leads.insert(k.second);
    for (const auto& r : d.sample.rows) got_leads.insert(r.lead_id);
    CHECK((got_leads == want_leads));
    CHECK((d.sample_leads == static_cast<std::int64_t>(want_leads.size())));
  }
}
