// Regression tests, each named after the bug it pins. Every bug here is a mutation of
// tests/mutants/mutations.txt that the rest of the unit suite let through (tools/mutants showed
// it). They go through public interfaces only (RateLimiter, fetchLeads, ResultStore,
// chooseContact, lacksFieldLeadMisses, planLead, resolveConflicts, lookupFor), so
// the code behind them may change.
#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <sstream>

#include "contact.h"
#include "fetch.h"
#include "fetch_fakes.h"
#include "fetch_store.h"
#include "plan.h"
#include "rate_limiter.h"
#include "sql_conflicts.h"
#include "temp_path.h"
#include "text.h"
#include "work_db.h"

using namespace std::chrono_literals;
using ghlb::fetch_test::FakeClock;
using ghlb::fetch_test::FakeReply;
using ghlb::fetch_test::FakeTransport;

namespace {

const ghlb::SteadyTime kT0 = ghlb::SteadyTime{} + std::chrono::hours(1);
const char* const kIdA = "contactAAAAAAAAA1";
const char* const kIdB = "contactBBBBBBBBB2";

ghlb::RateLimiterConfig limiterConfig(std::uint64_t seed) {
  ghlb::RateLimiterConfig c;
  c.burst = 90;
  c.seed = seed;
  return c;
}

using ghlb::test::TempDir;

// A work DB with one finished extract run, leads of client-a (location LOCA), and fetchLeads over
// a FakeTransport and a FakeClock.
struct FetchFixture {
  TempDir dir;
  std::unique_ptr<ghlb::WorkDb> work;
  FakeClock clock;
  FakeTransport transport{clock};
  std::ostringstream log_out;
  ghlb::Log log{"fetch", ghlb::LogFormat::kText, false, &log_out};
  ghlb::FetchOptions opts;
  std::map<std::string, ghlb::Credential> creds{{"client-a", {"LOCA", "tok-a"}}};
  std::int64_t extract_run = 0;

  FetchFixture() {
    opts.common.work_db = dir.path() + "/work.db";
    opts.base_url = "https://ghl.test";
    work = std::make_unique<ghlb::WorkDb>(opts.common.work_db);
    extract_run = work->beginRun("extract", "{}");
    work->finishRun(extract_run, "done", "{}");
  }

  void addLead(const std::string& id, const std::optional<std::string>& contact_id,
               const std::optional<std::string>& email) {
    SQLite::Statement st(work->db(),
                         "INSERT INTO lead(id, client_id, location_id, ghl_contact_id, email, extract_run) "
                         "VALUES (?, 'client-a', 'LOCA', ?, ?, ?)");
    st.bind(1, id);
    contact_id ? st.bind(2, *contact_id) : st.bind(2);
    email ? st.bind(3, *email) : st.bind(3);
    st.bind(4, extract_run);
    st.exec();
  }

  ghlb::FetchCounts fetch() {
    const auto run = work->beginRun("fetch", "{}");
    return ghlb::fetchLeads(*work, creds, transport, clock, opts, log, run);
  }

  std::string outcome(const std::string& lead_id) {
    SQLite::Statement st(work->db(), "SELECT outcome FROM fetch_result WHERE lead_id = ?");
    st.bind(1, lead_id);
    return st.executeStep() ? st.getColumn(0).getString() : std::string("(none)");
  }
};

FakeReply reply(int status, std::string body = "{}") {
  return FakeReply{status, std::move(body), {}, "", 20ms};
}

std::string getBody(const std::string& id) {
  return R"({"contact":{"id":")" + id + R"(","email":"a@x.com","phone":"+15551234567","firstName":"Ann"}})";
}

ghlb::LeadSnapshot emailLead(const std::string& id, const std::string& email) {
  ghlb::LeadSnapshot l;
  l.id = id;
  l.client_id = "client-1";
  l.location_id = "loc-1";
  l.email = email;
  return l;
}

ghlb::FetchRecord searchFound(const std::string& email, const std::string& body) {
  ghlb::FetchRecord f;
  f.lookup = "search";
  f.lookup_key = email;
  f.outcome = ghlb::FetchOutcome::kFound;
  f.search_body = body;
  return f;
}

ghlb::SearchPage page(const std::string& body) {
  const auto p = ghlb::parseSearchBody(body);
  REQUIRE(p);
  return *p;
}

}  // namespace

// ---- rate limiter ---------------------------------------------------------------------------

TEST_CASE("regression: a 429 without hints backed off 0 ms (backoff429 returned zero)") {
  // Full jitter over 500 ms * 2^(n-1): zero every time is not jitter, it is no backoff at all.
  ghlb::RateLimiter lim(limiterConfig(11));
  ghlb::SteadyTime t = kT0;
  ghlb::Millis longest{0};
  int positive = 0;
  for (int n = 1; n <= 10; ++n) {
    lim.onResponse(t, 429, {});
    const auto pause = std::chrono::duration_cast<ghlb::Millis>(lim.nextSendTime() - t);
    longest = std::max(longest, pause);
    if (pause > ghlb::Millis(0)) ++positive;
    t = std::max(t, lim.nextSendTime()) + 1ms;
  }
  CHECK(positive >= 8);
  CHECK(longest >= ghlb::Millis(1000));
}

TEST_CASE("regression: Retry-After honoured without jitter (locations retried in lockstep)") {
  // The same Retry-After under different seeds must not give the same pause every time, and the
  // pause is Retry-After plus 0..retry_after_jitter.
  std::set<ghlb::SteadyTime::rep> pauses;
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    ghlb::RateLimiter lim(limiterConfig(seed));
    lim.onResponse(kT0, 429, {{"retry-after", "2"}});
    const auto next = lim.nextSendTime();
    CHECK(next >= kT0 + 2s);
    CHECK(next <= kT0 + 2s + lim.config().retry_after_jitter);
    pauses.insert((next - kT0).count());
  }
  CHECK(pauses.size() >= 6);
  CHECK(*pauses.rbegin() > std::chrono::duration_cast<ghlb::SteadyTime::duration>(2s + 50ms).count());
}

// ---- fetch: retries -------------------------------------------------------------------------

TEST_CASE("regression: 5xx and network failures were retried at once (retry backoff removed)") {
  FetchFixture f;
  f.opts.max_retries = 6;
  f.addLead("l1", std::string(kIdA), std::nullopt);
  f.addLead("l2", std::string(kIdB), std::nullopt);
  f.transport.on(kIdA, "", {reply(503)});
  f.transport.on(kIdB, "", {FakeReply{0, "", {}, "timeout", 20ms}});
  f.fetch();
  CHECK(f.outcome("l1") == "failed_transient");
  CHECK(f.outcome("l2") == "failed_transient");
  for (const char* id : {kIdA, kIdB}) {
    std::vector<ghlb::SteadyTime> at;
    for (const auto& s : f.transport.sent)
      if (s.request.url.find(id) != std::string::npos) at.push_back(s.at);
    REQUIRE(at.size() == 7);
    // Seven sends 20 ms apart would be a hammering; full jitter over 0.5, 1, 2, 4, 8, 16 s
    // spreads them over seconds (under 1 s in total: a chance of 2.5e-6 for any seed). Each wait
    // stays under the cap (30 s) plus the engine's slack.
    CHECK(at.back() - at.front() >= 1s);
    for (size_t i = 1; i < at.size(); ++i) CHECK(at[i] - at[i - 1] <= 31s);
  }
}

TEST_CASE("regression: a GET 404 was recorded as not_found (the contact no longer exists)") {
  FetchFixture f;
  f.addLead("l1", std::string(kIdA), std::nullopt);
  f.addLead("l2", std::string(kIdB), std::nullopt);
  f.transport.on(kIdA, "", {reply(404, R"({"statusCode":404})")});
  f.transport.on(kIdB, "", {reply(200, getBody(kIdB))});
  f.fetch();
  CHECK(f.outcome("l1") == "contact_gone");
  CHECK(f.outcome("l2") == "found");
  // The stored id is never cleared: the snapshot still holds it.
  CHECK(f.work->db().execAndGet("SELECT ghl_contact_id FROM lead WHERE id = 'l1'").getString() == kIdA);
}

// ---- fetch: batched writes ------------------------------------------------------------------

TEST_CASE("regression: fetch results written one transaction per row (batching lost)") {
  TempDir dir;
  const std::string path = dir.path() + "/work.db";
  ghlb::WorkDb work(path);
  const auto run = work.beginRun("fetch", "{}");
  int commits = 0;
  sqlite3_commit_hook(
      work.db().getHandle(), [](void* n) { return ++*static_cast<int*>(n), 0; }, &commits);
  SQLite::Database other(path, SQLite::OPEN_READONLY);  // sees committed rows only
  const auto visible = [&] { return other.execAndGet("SELECT COUNT(*) FROM fetch_result").getInt(); };

  ghlb::ResultStore store(work.db(), run, /*flush_every=*/3, /*flush_interval=*/1000ms, kT0);
  const auto row = [](int i) {
    ghlb::FetchResultRow r;
    r.lead_id = "lead-" + std::to_string(i);
    r.lookup = ghlb::Lookup::kNone;
    r.outcome = ghlb::FetchOutcome::kNoLookup;
    return r;
  };
  store.add(row(1), kT0);
  store.add(row(2), kT0 + 10ms);
  CHECK(visible() == 0);  // a batch not yet full is not written
  CHECK(commits == 0);
  store.add(row(3), kT0 + 20ms);
  CHECK(visible() == 3);  // the full batch, in one transaction
  CHECK(commits == 1);
  store.add(row(4), kT0 + 30ms);
  store.flushIfDue(kT0 + 500ms);  // the interval runs from the last flush (at 20 ms)
  CHECK(visible() == 3);
  store.flushIfDue(kT0 + 1020ms);
  CHECK(visible() == 4);
  CHECK(commits == 2);
  store.add(row(5), kT0 + 1100ms);
  store.add(row(6), kT0 + 1100ms);
  store.flush(kT0 + 1200ms);
  CHECK(visible() == 6);
  CHECK(commits == 3);
  sqlite3_commit_hook(work.db().getHandle(), nullptr, nullptr);
}

// ---- contact choice -------------------------------------------------------------------------

TEST_CASE("regression: ambiguity from total > 1 ignored (matches on pages not fetched)") {
  // One contact on the page, all matching, but GHL says there are 3: the others are on pages
  // we did not fetch, so the email is ambiguous.
  const auto one_of_three = ghlb::chooseContact(
      page(R"({"contacts":[{"id":"ccccccccccccccc1","email":"ann@example.com"}],"total":3})"),
      "ann@example.com");
  REQUIRE(one_of_three.contact);
  CHECK(one_of_three.matches == 1);
  CHECK(one_of_three.ambiguous);
  // total counts non-matching contacts too when not every contact on the page matched: no proof.
  const auto mixed =
      ghlb::chooseContact(page(R"({"contacts":[{"id":"ccccccccccccccc1","email":"ann@example.com"},
      {"id":"ccccccccccccccc2","email":"bob@example.com"}],"total":2})"),
                          "ann@example.com");
  REQUIRE(mixed.contact);
  CHECK_FALSE(mixed.ambiguous);
  // And plan flags the lead.
  const auto p = ghlb::planLead(
      emailLead("lead-a", "ann@example.com"),
      searchFound("ann@example.com",
                  R"({"contacts":[{"id":"ccccccccccccccc1","email":"ann@example.com"}],"total":2})"));
  CHECK(p.ambiguous);
  CHECK(p.contact_id == std::optional<std::string>("ccccccccccccccc1"));
}

TEST_CASE("regression: contacts without a dateAdded sorted before dated ones") {
  // Unknown dates sort after every known one, whatever the order of the page and the ids.
  const char* undated = R"({"id":"aaaaaaaaaaaaaaa1","email":"ann@example.com"})";
  const char* dated =
      R"({"id":"zzzzzzzzzzzzzzz9","email":"ann@example.com","dateAdded":"2030-01-01T00:00:00Z"})";
  for (const bool undated_first : {true, false}) {
    const std::string list =
        undated_first ? std::string(undated) + "," + dated : std::string(dated) + "," + undated;
    const auto c =
        ghlb::chooseContact(page(R"({"contacts":[)" + list + R"(],"total":2})"), "ann@example.com");
    REQUIRE(c.contact);
    CHECK(c.contact->id == "zzzzzzzzzzzzzzz9");
    CHECK(c.ambiguous);
  }
  // Two undated: the smaller id.
  const auto both =
      ghlb::chooseContact(page(R"({"contacts":[{"id":"bbbbbbbbbbbbbbb2","email":"ann@example.com"},
      {"id":"bbbbbbbbbbbbbbb1","email":"ann@example.com"}],"total":2})"),
                          "ann@example.com");
  REQUIRE(both.contact);
  CHECK(both.contact->id == "bbbbbbbbbbbbbbb1");
}

// ---- plan -----------------------------------------------------------------------------------

TEST_CASE("regression: contact_gone planned as not_found") {
  ghlb::LeadSnapshot lead;
  lead.id = "lead-g";
  lead.client_id = "client-1";
  lead.ghl_contact_id = kIdA;
  ghlb::FetchRecord f;
  f.lookup = "get";
  f.lookup_key = kIdA;
  f.outcome = ghlb::FetchOutcome::kContactGone;
  const auto p = ghlb::planLead(lead, f);
  CHECK(p.status == std::string(ghlb::plan_status::kContactGone));
  CHECK(p.changes.empty());
  CHECK_FALSE(p.link);
}

TEST_CASE("regression: conflict leads kept their reports") {
  // Both leads would take the same contact, whose phone has no storage form (a report). The
  // larger id is a conflict: reported as such and left entirely unchanged, its reports included.
  const auto body =
      R"({"contacts":[{"id":"ccccccccccccccc1","email":"a@example.com","phone":"12345","firstName":"Ann"}],"total":1})";
  std::vector<ghlb::LeadPlan> plans = {
      planLead(emailLead("lead-2", "a@example.com"), searchFound("a@example.com", body)),
      planLead(emailLead("lead-1", "a@example.com"), searchFound("a@example.com", body))};
  REQUIRE(plans[0].reports.size() == 1);
  REQUIRE(plans[1].reports.size() == 1);
  ghlb::test::resolveConflictsInSql(plans, [](const std::string&) { return std::optional<std::string>(); });
  CHECK(plans[0].status == std::string(ghlb::plan_status::kConflict));
  CHECK(plans[0].changes.empty());
  CHECK(plans[0].reports.empty());
  CHECK_FALSE(plans[0].link);
  CHECK(plans[1].status == std::string(ghlb::plan_status::kFill));
  CHECK(plans[1].reports.size() == 1);
}

TEST_CASE("regression: a stored GET of another contact merged into the chosen one") {
  // The search now chooses ccc...1 but the GET stored (from an earlier choice) is of ccc...2: its
  // values belong to another person and are not used.
  auto f = searchFound(
      "a@example.com",
      R"({"contacts":[{"id":"ccccccccccccccc1","email":"a@example.com","dateAdded":"2020-01-01T00:00:00Z"}],"total":1})");
  f.contact_body = R"({"contact":{"id":"ccccccccccccccc2","firstName":"Bob","phone":"+14155550134"}})";
  const auto p = ghlb::planLead(emailLead("lead-a", "a@example.com"), f);
  CHECK(p.contact_id == std::optional<std::string>("ccccccccccccccc1"));
  for (const auto& c : p.changes) CHECK(c.field == std::string("ghlContactId"));
}

// ---- per-lead rules without a caller yet ---------------------------------------------------

TEST_CASE("regression: the GET fallback ignored a lacking field (each field on its own)") {
  // The lead misses exactly one field; the payload has every key but that one: GET. With the
  // key present (even null) or the field not missing: no GET.
  struct Case {
    const char* key;
    std::optional<std::string> ghlb::LeadSnapshot::*member;
  };
  const Case cases[] = {{"phone", &ghlb::LeadSnapshot::phone},
                        {"firstName", &ghlb::LeadSnapshot::first_name},
                        {"lastName", &ghlb::LeadSnapshot::last_name},
                        {"companyName", &ghlb::LeadSnapshot::company_name},
                        {"email", &ghlb::LeadSnapshot::email}};
  for (const auto& missing : cases) {
    INFO("field: " << missing.key);
    ghlb::LeadSnapshot lead;
    for (const auto& c : cases) lead.*c.member = "present";
    lead.*missing.member = " ";  // blank: missing
    std::string all = R"("id":"ccccccccccccccc1")", lacking = all;
    for (const auto& c : cases) {
      all += std::string(R"(,")") + c.key + R"(":null)";
      if (c.key != missing.key) lacking += std::string(R"(,")") + c.key + R"(":"v")";
    }
    const auto with_all = page(R"({"contacts":[{)" + all + "}]}");
    const auto without = page(R"({"contacts":[{)" + lacking + "}]}");
    CHECK_FALSE(ghlb::lacksFieldLeadMisses(with_all.contacts[0], lead));
    CHECK(ghlb::lacksFieldLeadMisses(without.contacts[0], lead));
    lead.*missing.member = "present";
    CHECK_FALSE(ghlb::lacksFieldLeadMisses(without.contacts[0], lead));
  }
}

TEST_CASE("regression: plan filled present fields or skipped missing ones (blank and NBSP are missing)") {
  const std::string body =
      R"({"contacts":[{"id":"ccccccccccccccc1","email":"a@example.com","phone":"+14155550134",)"
      R"("firstName":"Ann","lastName":"Lee","companyName":"Lee Co"}],"total":1})";
  const auto fields = [&](const ghlb::LeadSnapshot& lead) {
    std::vector<std::string> out;
    for (const auto& c : ghlb::planLead(lead, searchFound("a@example.com", body)).changes)
      out.push_back(c.field);
    return out;
  };
  auto lead = emailLead("lead-a", "a@example.com");
  lead.phone = "+14155550134";
  lead.last_name = "";
  lead.company_name = "Acme";
  CHECK(fields(lead) == std::vector<std::string>{"ghlContactId", "firstName", "lastName"});
  lead.first_name = "Ann";
  lead.last_name = "Lee";
  CHECK(fields(lead) == std::vector<std::string>{"ghlContactId"});
  lead.company_name = "\xC2\xA0";  // NBSP only: missing
  lead.first_name = " ";
  CHECK(fields(lead) == std::vector<std::string>{"ghlContactId", "firstName", "companyName"});
}

TEST_CASE("regression: normalizeEmail folded A-Y but left Z upper-case") {
  CHECK(ghlb::normalizeEmail("ZOE@ZED.AZ") == std::optional<std::string>("zoe@zed.az"));
  CHECK(ghlb::normalizeEmail("\tAZaz09@X.Z ") == std::optional<std::string>("azaz09@x.z"));
}

TEST_CASE("regression: a blank ghlContactId was sent as an id instead of searching by email") {
  ghlb::LeadSnapshot lead;
  lead.ghl_contact_id = " \t";
  lead.email = " Ann@Example.com";
  const auto plan = ghlb::lookupFor(lead);
  CHECK(std::string(ghlb::toString(plan.kind)) == "search");
  CHECK(plan.key == "ann@example.com");
  lead.ghl_contact_id = "";
  CHECK(std::string(ghlb::toString(ghlb::lookupFor(lead).kind)) == "search");
  lead.email.reset();
  CHECK(std::string(ghlb::toString(ghlb::lookupFor(lead).kind)) == "none");
}

TEST_CASE("regression: a present phone was overwritten by GHL's") {
  auto lead = emailLead("lead-a", "a@example.com");
  lead.phone = "6175550151";
  const auto p = ghlb::planLead(
      lead,
      searchFound(
          "a@example.com",
          R"({"contacts":[{"id":"ccccccccccccccc1","email":"a@example.com","phone":"+14155550134"}],"total":1})"));
  for (const auto& c : p.changes) {
    CHECK(c.field != std::string("phone"));
    CHECK(c.field.rfind("enrich", 0) != 0);  // no enrichment without a phone written
  }
  CHECK(p.status == std::string(ghlb::plan_status::kFill));  // the link alone
}
