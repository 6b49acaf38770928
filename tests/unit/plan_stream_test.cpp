// plan streamed (plan_run.cpp): the review it prints is counted as it writes the rows, then
// corrected by what the conflict rule took back. It must equal loadReview's SQL count of the same
// rows afterwards, on a work DB where every case that moves a count occurs: fills, conflicts (with
// a report taken back), waiting, ambiguous, applied fields, a rejected value, reports, no lookup.
// And a stop before commit leaves the previous plan standing.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

#include "json_util.h"
#include "log.h"
#include "plan.h"
#include "plan_store.h"
#include "review.h"
#include "review_json.h"
#include "stop_signal.h"
#include "temp_path.h"
#include "work_db.h"

using namespace ghlb;

namespace {

std::string contact(const std::string& id, const std::string& email, const std::string& loc,
                    const std::string& extra = "") {
  return R"({"id":")" + id + R"(","email":")" + email + R"(","locationId":")" + loc +
         R"(","firstName":"First","dateAdded":"2024-01-01T00:00:00.000Z")" + extra + "}";
}

// A work DB as extract and fetch leave it, with apply's log and a reviewer's decision.
void fill(SQLite::Database& db) {
  db.exec(
      "INSERT INTO stage_run(id, stage, started_at, finished_at, status) VALUES "
      "(1, 'extract', '2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z', 'done'),"
      "(2, 'fetch', '2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z', 'done'),"
      "(3, 'apply', '2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z', 'done')");
  db.exec(
      "INSERT INTO client(id, location_id, extract_run, name) VALUES ('c1', 'loc1', 1, 'Alpha'), "
      "('c2', 'loc2', 1, NULL)");
  SQLite::Statement lead(
      db,
      "INSERT INTO lead(id, client_id, location_id, ghl_contact_id, email, phone, first_name, "
      "extract_run) VALUES (?, ?, ?, ?, ?, NULL, NULL, 1)");
  SQLite::Statement fetch(db,
                          "INSERT INTO fetch_result(lead_id, lookup, lookup_key, outcome, search_body, "
                          "contact_body, fetched_at, fetch_run) VALUES (?, ?, ?, ?, ?, ?, 'now', 2)");
  const auto addLead = [&](const char* id, const char* client, const char* loc, const char* cid,
                           const char* email) {
    lead.bind(1, id);
    lead.bind(2, client);
    lead.bind(3, loc);
    if (cid)
      lead.bind(4, cid);
    else
      lead.bind(4);
    if (email)
      lead.bind(5, email);
    else
      lead.bind(5);
    lead.exec();
    lead.reset();
  };
  const auto addFetch = [&](const char* id, const char* lookup, const char* key, const char* outcome,
                            const std::string& search, const std::string& get) {
    fetch.bind(1, id);
    fetch.bind(2, lookup);
    if (key)
      fetch.bind(3, key);
    else
      fetch.bind(3);
    fetch.bind(4, outcome);
    if (search.empty())
      fetch.bind(5);
    else
      fetch.bind(5, search);
    if (get.empty())
      fetch.bind(6);
    else
      fetch.bind(6, get);
    fetch.exec();
    fetch.reset();
  };
  const auto page = [](const std::string& c) { return R"({"contacts":[)" + c + R"(],"total":1})"; };
  const std::string phone = R"(,"phone":"+14155550134")";
  const std::string bad_phone = R"(,"phone":"12")";
  // L01 fills (link, phone, enrichment, name); L02 wants the same contact: conflict.
  addLead("L01", "c1", "loc1", nullptr, "a@x.com");
  addFetch("L01", "search", "a@x.com", "found", page(contact("ccccccccccccccc1", "a@x.com", "loc1", phone)),
           "");
  addLead("L02", "c1", "loc1", nullptr, "a@x.com");
  addFetch("L02", "search", "a@x.com", "found", page(contact("ccccccccccccccc1", "a@x.com", "loc1", phone)),
           "");
  // L03: its contact is linked to another lead of the application table.
  addLead("L03", "c1", "loc1", nullptr, "b@x.com");
  addFetch("L03", "search", "b@x.com", "found", page(contact("ccccccccccccccc2", "b@x.com", "loc1")), "");
  db.exec("INSERT INTO linked_contact(contact_id, lead_id) VALUES ('ccccccccccccccc2', 'Zother')");
  // L04 not fetched (pending); L05 found the contact of the same email: waiting.
  addLead("L04", "c2", "loc2", nullptr, "d@x.com");
  addLead("L05", "c2", "loc2", nullptr, "d@x.com");
  addFetch("L05", "search", "d@x.com", "found", page(contact("ccccccccccccccc4", "d@x.com", "loc2")), "");
  // L06 fills with a phone that has no storage form (a report); L12 wants the same: conflict.
  addLead("L06", "c2", "loc2", nullptr, "e@x.com");
  addFetch("L06", "search", "e@x.com", "found",
           page(contact("ccccccccccccccc6", "e@x.com", "loc2", bad_phone)), "");
  addLead("L12", "c2", "loc2", nullptr, "e@x.com");
  addFetch("L12", "search", "e@x.com", "found",
           page(contact("ccccccccccccccc6", "e@x.com", "loc2", bad_phone)), "");
  // L07: nothing to look up.
  addLead("L07", "c1", "loc1", nullptr, nullptr);
  addFetch("L07", "none", nullptr, "no_lookup", "", "");
  // L08: two contacts with the email: ambiguous.
  addLead("L08", "c1", "loc1", nullptr, "f@x.com");
  addFetch("L08", "search", "f@x.com", "found",
           R"({"contacts":[)" + contact("ccccccccccccccc8", "f@x.com", "loc1") + "," +
               contact("ccccccccccccccc9", "f@x.com", "loc1") + R"(],"total":2})",
           "");
  // L09: a GET; apply already wrote its first name (applied).
  addLead("L09", "c2", "loc2", "ggggggggggggggg1", "g@x.com");
  addFetch("L09", "get", "ggggggggggggggg1", "found", "",
           R"({"contact":)" + contact("ggggggggggggggg1", "g@x.com", "loc2") + "}");
  db.exec(
      "INSERT INTO apply_log(lead_id, field, outcome, new_value, applied_at, apply_run) VALUES "
      "('L09', 'firstName', 'written', 'First', 'now', 3), ('Lgone', 'phone', 'stale', 'x', 'now', 3)");
  // L10: fills; the reviewer rejected its first name.
  addLead("L10", "c1", "loc1", nullptr, "h@x.com");
  addFetch("L10", "search", "h@x.com", "found", page(contact("ccccccccccccccc7", "h@x.com", "loc1")), "");
  db.exec(
      "INSERT INTO decision(lead_id, field, new_value, decision, decided_at) VALUES "
      "('L10', 'firstName', 'First', 'rejected', 'now')");
  // L11: not found.
  addLead("L11", "c2", "loc2", nullptr, "k@x.com");
  addFetch("L11", "search", "k@x.com", "not_found", R"({"contacts":[],"total":0})", "");
  // An ineligible lead of c2 with an apply_log row: counted in apply's outcomes only.
  addLead("Lgone", "c2", "loc2", nullptr, "z@x.com");
  db.exec("UPDATE lead SET eligible = 0 WHERE id = 'Lgone'");
}

std::string runPlanJson(const std::string& path, std::int64_t& rc) {
  PlanOptions opts;
  opts.common.work_db = path;
  opts.common.quiet = true;
  opts.json = true;
  std::ostringstream log_out, out;
  const Log log("plan", LogFormat::kText, true, &log_out);
  auto* old = std::cout.rdbuf(out.rdbuf());
  try {
    rc = static_cast<std::int64_t>(runPlan(opts, log));
  } catch (...) {
    std::cout.rdbuf(old);
    throw;
  }
  std::cout.rdbuf(old);
  return out.str();
}

}  // namespace

TEST_CASE("plan: the review counted while writing equals loadReview's count of the stored rows") {
  const std::string path = test::freshPath("plan-stream.db");
  {
    WorkDb work(path, WorkDb::Mode::kCreate);
    fill(work.db());
  }
  for (int pass = 1; pass <= 2; ++pass) {  // the second replaces the first's rows
    CAPTURE(pass);
    std::int64_t rc = 0;
    const std::string printed = runPlanJson(path, rc);
    WorkDb work(path, WorkDb::Mode::kExisting);
    auto& db = work.db();
    ReviewSummary counted = loadReview(db, {});
    const auto plan = PlanStore(db).latestCovering({});
    REQUIRE(plan);
    counted.plan_id = plan->id;
    counted.fingerprint = plan->fingerprint;
    std::ostringstream expected;
    printReviewJson(counted, expected);
    CHECK(printed == expected.str());
    // The cases this test is about all occurred.
    const auto status = [&db](const char* lead) {
      SQLite::Statement q(db, "SELECT status || ':' || coalesce(note, '') FROM plan_lead WHERE lead_id = ?");
      q.bind(1, lead);
      return q.executeStep() ? q.getColumn(0).getString() : std::string("none");
    };
    CHECK(status("L01") == "fill:");
    CHECK(status("L02") == "conflict:contact_taken_by_smaller_lead_id");
    CHECK(status("L03") == "conflict:contact_already_linked");
    CHECK(status("L04") == "pending:not_fetched");
    CHECK(status("L05") == "waiting:smaller_lead_pending");
    CHECK(status("L12") == "conflict:contact_taken_by_smaller_lead_id");
    CHECK(status("L08") == "fill:ambiguous_email");
    CHECK(status("L09") == "applied:applied");
    CHECK(status("Lgone") == "none");
    CHECK(db.execAndGet("SELECT count(*) FROM plan_report WHERE lead_id = 'L06'").getInt() == 1);
    CHECK(db.execAndGet("SELECT count(*) FROM plan_report WHERE lead_id = 'L12'").getInt() == 0);
    CHECK(db.execAndGet("SELECT count(*) FROM plan_item WHERE lead_id IN ('L02', 'L03', 'L05', 'L12')")
              .getInt() == 0);
    CHECK(db.execAndGet("SELECT count(*) FROM plan").getInt() == pass);
    CHECK(db.execAndGet("PRAGMA foreign_keys").getInt() == 1);
  }
}

TEST_CASE("plan: a stop before commit leaves the previous plan standing") {
  const std::string path = test::freshPath("plan-stop.db");
  {
    WorkDb work(path, WorkDb::Mode::kCreate);
    fill(work.db());
  }
  std::int64_t rc = 0;
  runPlanJson(path, rc);
  const auto snapshot = [&path] {
    WorkDb work(path, WorkDb::Mode::kExisting);
    auto& db = work.db();
    return db.execAndGet(
                 "SELECT group_concat(x, ';') FROM (SELECT lead_id || status || plan_run AS x FROM plan_lead "
                 "UNION ALL SELECT lead_id || field || new_value FROM plan_item ORDER BY 1)")
               .getString() +
           "|" + db.execAndGet("SELECT count(*) FROM plan").getString();
  };
  const std::string before = snapshot();
  raiseStopForTesting(StopReason::kSignal);
  CHECK_THROWS_AS(runPlanJson(path, rc), StopRequested);
  resetStopForTesting();
  CHECK(snapshot() == before);
  WorkDb work(path, WorkDb::Mode::kExisting);
  CHECK(work.db()
            .execAndGet("SELECT status FROM stage_run WHERE stage = 'plan' ORDER BY id DESC LIMIT 1")
            .getString() == "interrupted");
}

// The rows plan stores are planLead's, lead for lead, across the planning thread's batches (256
// leads) and the writer's multi-row statements (32 rows): 700 leads, distinct contacts (no
// conflict), each with a different mix of fills, reports (a phone with no storage form, a value
// that is not clean text), ambiguous candidates, not found and no lookup.
static std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& s : parts) out += (out.empty() ? "" : ";") + s;
  return out;
}

TEST_CASE("plan: the stored rows of many leads are planLead's, lead for lead") {
  const std::string path = test::freshPath("plan-many.db");
  constexpr int kLeads = 700;
  {
    WorkDb work(path, WorkDb::Mode::kCreate);
    auto& db = work.db();
    db.exec(
        "INSERT INTO stage_run(id, stage, started_at, finished_at, status) VALUES "
        "(1, 'extract', 'now', 'now', 'done'), (2, 'fetch', 'now', 'now', 'done');"
        "INSERT INTO client(id, location_id, extract_run, name) VALUES ('c1', 'loc1', 1, 'A'), "
        "('c2', 'loc2', 1, 'B')");
    SQLite::Transaction tx(db);
    SQLite::Statement lead(
        db,
        "INSERT INTO lead(id, client_id, location_id, email, phone, first_name, extract_run) "
        "VALUES (?, ?, ?, ?, ?, ?, 1)");
    SQLite::Statement fetch(db,
                            "INSERT INTO fetch_result(lead_id, lookup, lookup_key, outcome, search_body, "
                            "fetched_at, fetch_run) VALUES (?, ?, ?, ?, ?, 'now', 2)");
    for (int n = 0; n < kLeads; ++n) {
      char id[16], cid[24];
      std::snprintf(id, sizeof id, "L%05d", n);
      std::snprintf(cid, sizeof cid, "c%015d", n);
      const std::string loc = n % 3 ? "loc1" : "loc2";
      const std::string email = "m" + std::to_string(n) + "@x.com";
      lead.bind(1, id);
      lead.bind(2, n % 3 ? "c1" : "c2");
      lead.bind(3, loc);
      if (n % 11 == 5)
        lead.bind(4);  // no email: no lookup
      else
        lead.bind(4, email);
      if (n % 4 == 0)
        lead.bind(5, "+14155550100");
      else
        lead.bind(5);
      if (n % 5 == 0)
        lead.bind(6, "Known");
      else
        lead.bind(6);
      lead.exec();
      lead.reset();
      fetch.bind(1, id);
      if (n % 11 == 5) {
        fetch.bind(2, "none");
        fetch.bind(3);
        fetch.bind(4, "no_lookup");
        fetch.bind(5);
      } else {
        std::string extra =
            n % 7 == 0 ? R"(,"phone":"12")" : R"(,"phone":"+1415555)" + std::to_string(1000 + n) + "\"";
        if (n % 13 == 0) extra += R"(,"lastName":"bad\u0000name")";
        if (n % 6 == 0) extra += R"(,"companyName":"Co )" + std::to_string(n) + "\"";
        std::string page;
        if (n % 9 == 0)
          page = R"({"contacts":[],"total":0})";
        else if (n % 10 == 0)  // two contacts of the email: ambiguous
          page = R"({"contacts":[)" + contact(cid, email, loc, extra) + "," +
                 contact(std::string(cid) + "b", email, loc) + R"(],"total":2})";
        else
          page = R"({"contacts":[)" + contact(cid, email, loc, extra) + R"(],"total":1})";
        fetch.bind(2, "search");
        fetch.bind(3, email);
        fetch.bind(4, n % 9 == 0 ? "not_found" : "found");
        fetch.bind(5, page);
      }
      fetch.exec();
      fetch.reset();
    }
    tx.commit();
  }
  std::int64_t rc = 0;
  runPlanJson(path, rc);
  WorkDb work(path, WorkDb::Mode::kExisting);
  auto& db = work.db();
  // Every lead's rows as one line, from the DB and from planLead over the same inputs.
  SQLite::Statement in(
      db, std::string("SELECT ") + kLeadSnapshotColumns +
              ", f.lookup, f.lookup_key, f.outcome, f.search_body, f.contact_body "
              "FROM lead l LEFT JOIN fetch_result f ON f.lead_id = l.id WHERE l.eligible = 1 AND " +
              clientScope("l.client_id") + " ORDER BY l.id");
  bindClientScope(in, {});
  SQLite::Statement lead_row(
      db,
      "SELECT lead_id, client_id, status, coalesce(contact_id, '-'), link, ambiguous, note, "
      "coalesce(other_lead, '-'), coalesce(candidates, '-'), coalesce(claim_key, '-') "
      "FROM plan_lead ORDER BY lead_id");
  SQLite::Statement item_rows(
      db,
      "SELECT lead_id, group_concat(field || '=' || coalesce(old_value, '~') || '>' || "
      "new_value, ';') FROM (SELECT * FROM plan_item ORDER BY lead_id, field) "
      "GROUP BY lead_id");
  SQLite::Statement report_rows(
      db,
      "SELECT lead_id, group_concat(field || ':' || reason, ';') FROM (SELECT * FROM "
      "plan_report ORDER BY lead_id, field) GROUP BY lead_id");
  std::map<std::string, std::string> items, reports;
  while (item_rows.executeStep())
    items[item_rows.getColumn(0).getString()] = item_rows.getColumn(1).getString();
  while (report_rows.executeStep())
    reports[report_rows.getColumn(0).getString()] = report_rows.getColumn(1).getString();
  int leads = 0, with_items = 0, with_reports = 0, ambiguous = 0;
  while (in.executeStep()) {
    const LeadSnapshot l = readLeadSnapshot(in);
    FetchRecord f;
    f.lookup = in.getColumn(10).getString();
    f.lookup_key = in.getColumn(11).getString();
    f.outcome = fetchOutcomeFromString(in.getColumn(12).getString()).value();
    f.search_body = optionalText(in.getColumn(13));
    const LeadPlan p = planLead(l, f);
    REQUIRE(lead_row.executeStep());
    std::string want =
        p.lead_id + "|" + p.client_id + "|" + p.status + "|" + p.contact_id.value_or("-") + "|" +
        (p.link ? "1" : "0") + "|" + (p.ambiguous ? "1" : "0") + "|" + p.note + "|" +
        p.other_lead.value_or("-") + "|" + (p.candidates.empty() ? "-" : joinIds(p.candidates)) + "|" +
        (!p.claim_key.empty() && (p.link || p.status == plan_status::kPending) ? p.claim_key : "-");
    std::string got;
    for (int i = 0; i < 10; ++i) got += (i ? "|" : "") + lead_row.getColumn(i).getString();
    CHECK(got == want);
    std::vector<std::string> changes, reported;
    for (const auto& c : p.changes)
      changes.push_back(c.field + "=" + c.old_value.value_or("~") + ">" + c.new_value);
    for (const auto& [field, reason] : p.reports) reported.push_back(field + ":" + reason);
    std::sort(changes.begin(), changes.end());
    std::sort(reported.begin(), reported.end());
    CHECK(items[p.lead_id] == join(changes));
    CHECK(reports[p.lead_id] == join(reported));
    ++leads;
    with_items += changes.empty() ? 0 : 1;
    with_reports += reported.empty() ? 0 : 1;
    ambiguous += p.ambiguous ? 1 : 0;
  }
  CHECK_FALSE(lead_row.executeStep());
  CHECK(leads == kLeads);
  // The mix the test means to cover is there.
  CHECK(with_items > 300);
  CHECK(with_reports > 50);
  CHECK(ambiguous > 30);
}
