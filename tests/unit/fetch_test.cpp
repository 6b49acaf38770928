// fetch: the engine against a real SQLite work DB on a temp file, a FakeTransport answering from
// each test's script and a FakeClock, so retries, backoffs and rate limits take no real time.
#include "fetch.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <sstream>

#include "contact.h"
#include "error.h"
#include "fetch_fakes.h"
#include "fetch_work.h"
#include "lookup_store.h"
#include "quota_store.h"
#include "temp_path.h"

using namespace std::chrono_literals;
using ghlb::FetchOutcome;
using ghlb::fetch_test::FakeClock;
using ghlb::fetch_test::FakeReply;
using ghlb::fetch_test::FakeTransport;

namespace {

const char* const kIdA = "contactAAAAAAAAA1";  // valid GHL ids: 15-64 letters or digits
const char* const kIdB = "contactBBBBBBBBB2";

struct LeadSpec {
  std::string id{};
  std::string client = "client-a";
  std::optional<std::string> email{};
  std::optional<std::string> contact_id{};
  std::optional<std::string> phone{};
  std::optional<std::string> first{};
  std::optional<std::string> last{};
  std::optional<std::string> company{};
};

struct StoredResult {
  bool exists = false;
  std::string lookup, lookup_key, outcome, detail, search_body, contact_body;
  int http_status = 0, attempts = 0;
  std::int64_t fetch_run = 0;
};

// A contact as GHL's search returns it; WITH_PHONE = false leaves the phone key out.
std::string contactJson(const std::string& id, const std::string& email, const std::string& date,
                        bool with_phone = true) {
  std::string c = R"({"id":")" + id + R"(","email":")" + email + R"(","dateAdded":")" + date +
                  R"(","firstName":"Ann","lastName":"Lee","companyName":"Acme")";
  if (with_phone) c += R"(,"phone":"+15551234567")";
  return c + "}";
}

std::string searchJson(const std::vector<std::string>& contacts) {
  std::string list;
  for (const auto& c : contacts) list += (list.empty() ? "" : ",") + c;
  return R"({"contacts":[)" + list + R"(],"total":)" + std::to_string(contacts.size()) + "}";
}

std::string getJson(const std::string& id) {
  return R"({"contact":{"id":")" + id + R"(","email":"a@x.com","phone":"+15551234567","firstName":"Ann"}})";
}

FakeReply ok(std::string body) { return FakeReply{200, std::move(body), {}, "", 20ms}; }
FakeReply status(int s) { return FakeReply{s, R"({"statusCode":)" + std::to_string(s) + "}", {}, "", 20ms}; }

std::string valueOf(const std::string& email) { return R"("value":")" + email + R"(")"; }

using ghlb::test::TempDir;

struct Fixture {
  TempDir dir;
  std::unique_ptr<ghlb::WorkDb> work;
  FakeClock clock;
  FakeTransport transport{clock};
  std::ostringstream log_out;
  ghlb::Log log{"fetch", ghlb::LogFormat::kText, false, &log_out};
  ghlb::FetchOptions opts;
  std::map<std::string, ghlb::Credential> creds;
  std::int64_t extract_run = 0;
  std::int64_t last_run = 0;

  Fixture() {
    opts.common.work_db = dir.path() + "/work.db";
    opts.base_url = "https://ghl.test";
    opts.strategy = ghlb::FetchStrategy::kPerLead;  // these tests count per-lead requests
    work = std::make_unique<ghlb::WorkDb>(opts.common.work_db);
    extract_run = work->beginRun("extract", "{}");
    work->finishRun(extract_run, "done", "{}");
    creds["client-a"] = {"LOCA", "tok-a"};
    creds["client-b"] = {"LOCB", "tok-b"};
  }

  void add(const LeadSpec& l) {
    SQLite::Statement st(work->db(),
                         "INSERT INTO lead(id, client_id, location_id, ghl_contact_id, email, phone, "
                         "first_name, last_name, company_name, extract_run) VALUES (?,?,?,?,?,?,?,?,?,?)");
    st.bind(1, l.id);
    st.bind(2, l.client);
    st.bind(3, l.client == "client-a" ? "LOCA" : "LOCB");
    const std::optional<std::string>* opt[] = {&l.contact_id, &l.email, &l.phone,
                                               &l.first,      &l.last,  &l.company};
    for (int i = 0; i < 6; ++i) {
      if (*opt[i])
        st.bind(4 + i, **opt[i]);
      else
        st.bind(4 + i);
    }
    st.bind(10, extract_run);
    st.exec();
  }

  ghlb::FetchCounts fetch(ghlb::Transport& t, const ghlb::FetchControl& control = {}) {
    last_run = work->beginRun("fetch", "{}");
    return ghlb::fetchLeads(*work, creds, t, clock, opts, log, last_run, control);
  }
  ghlb::FetchCounts fetch(const ghlb::FetchControl& control = {}) { return fetch(transport, control); }

  StoredResult result(const std::string& lead_id) {
    SQLite::Statement st(
        work->db(),
        "SELECT lookup, IFNULL(lookup_key,''), outcome, IFNULL(detail,''), IFNULL(search_body,''), "
        "IFNULL(contact_body,''), IFNULL(http_status,0), attempts, fetch_run "
        "FROM fetch_result WHERE lead_id = ?");
    st.bind(1, lead_id);
    StoredResult r;
    if (!st.executeStep()) return r;
    r.exists = true;
    r.lookup = st.getColumn(0).getString();
    r.lookup_key = st.getColumn(1).getString();
    r.outcome = st.getColumn(2).getString();
    r.detail = st.getColumn(3).getString();
    r.search_body = st.getColumn(4).getString();
    r.contact_body = st.getColumn(5).getString();
    r.http_status = st.getColumn(6).getInt();
    r.attempts = st.getColumn(7).getInt();
    r.fetch_run = st.getColumn(8).getInt64();
    return r;
  }

  std::size_t sentWithToken(const FakeTransport& t, const std::string& token) const {
    std::size_t n = 0;
    for (const auto& s : t.sent)
      for (const auto& h : s.request.headers)
        if (h == "Authorization: Bearer " + token) ++n;
    return n;
  }
};

// Checks that no 10 s window can have seen more than BURST of REQS arrive at GHL, an arrival
// being anywhere between the send and the answer.
void checkWindow(const std::vector<ghlb::fetch_test::SentRequest>& reqs, int burst) {
  for (const auto& r : reqs) {
    const auto t = r.at;
    const auto n = std::count_if(reqs.begin(), reqs.end(), [&](const ghlb::fetch_test::SentRequest& q) {
      return q.at <= t && q.answered > t - 10s;
    });
    CHECK(n <= burst);
  }
}

}  // namespace

TEST_CASE("fetch: search found, not found, ambiguous; raw bodies stored") {
  Fixture f;
  f.add({.id = "l1", .email = "  A@X.com ", .phone = "1", .first = "a", .last = "b"});
  f.add({.id = "l2", .email = "nobody@x.com"});
  f.add({.id = "l3", .email = "twice@x.com", .phone = "1", .first = "a", .last = "b"});
  const auto found = searchJson({contactJson(kIdA, "a@x.com", "2024-01-01T00:00:00Z")});
  const auto none = searchJson({});
  const auto two = searchJson({contactJson(kIdB, "twice@x.com", "2024-02-01T00:00:00Z"),
                               contactJson(kIdA, "Twice@x.com", "2024-01-01T00:00:00Z")});
  f.transport.on("/contacts/search", valueOf("a@x.com"), {ok(found)});
  f.transport.on("/contacts/search", valueOf("nobody@x.com"), {ok(none)});
  f.transport.on("/contacts/search", valueOf("twice@x.com"), {ok(two)});

  const auto counts = f.fetch();
  CHECK(f.transport.unmatched == 0);
  CHECK(f.transport.sent.size() == 3);  // complete payloads: no GET
  const auto r1 = f.result("l1");
  CHECK(r1.outcome == "found");
  CHECK(r1.lookup == "search");
  CHECK(r1.lookup_key == "a@x.com");
  CHECK(r1.search_body == found);
  CHECK(r1.contact_body.empty());
  CHECK(r1.http_status == 200);
  CHECK(r1.attempts == 1);
  CHECK(r1.fetch_run == f.last_run);
  CHECK(f.result("l2").outcome == "not_found");
  CHECK(f.result("l2").search_body == none);
  const auto r3 = f.result("l3");
  CHECK(r3.outcome == "found");
  CHECK(r3.detail == "ambiguous");
  CHECK(r3.search_body == two);
  CHECK(counts.total == 3);
  CHECK(counts.outcomes.at(FetchOutcome::kFound) == 2);
  CHECK(ghlb::fetchExitCode(counts) == ghlb::ExitCode::kDone);
}

TEST_CASE("fetch: GET by contact id: 200 found, 404 contact_gone") {
  Fixture f;
  f.add({.id = "l1", .contact_id = kIdA});
  f.add({.id = "l2", .email = "x@x.com", .contact_id = kIdB});  // the id wins over the email
  f.transport.on(std::string("/contacts/") + kIdA, "", {ok(getJson(kIdA))});
  f.transport.on(std::string("/contacts/") + kIdB, "", {status(404)});
  const auto counts = f.fetch();
  CHECK(f.transport.unmatched == 0);
  CHECK(f.transport.count("/contacts/search") == 0);
  CHECK(f.transport.sent.at(0).request.method == "GET");
  const auto r1 = f.result("l1");
  CHECK(r1.outcome == "found");
  CHECK(r1.lookup == "get");
  CHECK(r1.lookup_key == kIdA);
  CHECK(r1.contact_body == getJson(kIdA));
  const auto r2 = f.result("l2");
  CHECK(r2.outcome == "contact_gone");
  CHECK(r2.http_status == 404);
  CHECK(ghlb::fetchExitCode(counts) == ghlb::ExitCode::kDone);
}

TEST_CASE("fetch: a search payload lacking a field the lead misses costs exactly one GET") {
  Fixture f;
  // l1 misses phone and the payload has no phone key: one GET. l2 has a phone: no GET.
  f.add({.id = "l1", .email = "a@x.com", .first = "a", .last = "b"});
  f.add({.id = "l2", .email = "b@x.com", .phone = "555", .first = "a", .last = "b"});
  const auto no_phone_a = searchJson({contactJson(kIdA, "a@x.com", "2024-01-01T00:00:00Z", false)});
  const auto no_phone_b = searchJson({contactJson(kIdB, "b@x.com", "2024-01-01T00:00:00Z", false)});
  f.transport.on("/contacts/search", valueOf("a@x.com"), {ok(no_phone_a)});
  f.transport.on("/contacts/search", valueOf("b@x.com"), {ok(no_phone_b)});
  f.transport.on(std::string("/contacts/") + kIdA, "", {ok(getJson(kIdA))});
  f.fetch();
  CHECK(f.transport.unmatched == 0);
  CHECK(f.transport.count(std::string("/contacts/") + kIdA) == 1);
  CHECK(f.transport.count(std::string("/contacts/") + kIdB) == 0);
  CHECK(f.transport.sent.size() == 3);
  const auto r1 = f.result("l1");
  CHECK(r1.outcome == "found");
  CHECK(r1.search_body == no_phone_a);
  CHECK(r1.contact_body == getJson(kIdA));
  CHECK(r1.attempts == 2);
  CHECK(f.result("l2").contact_body.empty());
  CHECK(f.result("l2").attempts == 1);
}

TEST_CASE("fetch: the follow-up GET: 404 keeps the search payload, 5xx forever fails the lead") {
  Fixture f;
  f.opts.max_retries = 2;
  f.add({.id = "l1", .email = "a@x.com"});
  f.add({.id = "l2", .email = "b@x.com"});
  f.transport.on("/contacts/search", valueOf("a@x.com"),
                 {ok(searchJson({contactJson(kIdA, "a@x.com", "2024-01-01T00:00:00Z", false)}))});
  f.transport.on("/contacts/search", valueOf("b@x.com"),
                 {ok(searchJson({contactJson(kIdB, "b@x.com", "2024-01-01T00:00:00Z", false)}))});
  f.transport.on(std::string("/contacts/") + kIdA, "", {status(404)});
  f.transport.on(std::string("/contacts/") + kIdB, "", {status(502)});
  const auto counts = f.fetch();
  const auto r1 = f.result("l1");
  CHECK(r1.outcome == "found");
  CHECK(r1.detail == "get_404");
  CHECK_FALSE(r1.search_body.empty());
  CHECK(r1.contact_body.empty());
  const auto r2 = f.result("l2");
  CHECK(r2.outcome == "failed_transient");
  CHECK(r2.attempts == 1 + 3);  // the search, then the GET max_retries + 1 times
  CHECK(f.transport.count(std::string("/contacts/") + kIdB) == 3);
  CHECK(ghlb::fetchExitCode(counts) == ghlb::ExitCode::kRetryable);
}

TEST_CASE("fetch: 5xx then 200 is found after 2 attempts; 5xx forever fails after max_retries + 1") {
  Fixture f;
  f.opts.max_retries = 3;
  f.add({.id = "l1", .contact_id = kIdA});
  f.add({.id = "l2", .contact_id = kIdB});
  f.transport.on(kIdA, "", {status(503), ok(getJson(kIdA))});
  f.transport.on(kIdB, "", {status(500)});
  const auto counts = f.fetch();
  const auto r1 = f.result("l1");
  CHECK(r1.outcome == "found");
  CHECK(r1.attempts == 2);
  const auto r2 = f.result("l2");
  CHECK(r2.outcome == "failed_transient");
  CHECK(r2.detail == "http_500");
  CHECK(r2.http_status == 500);
  CHECK(r2.attempts == 4);
  CHECK(f.transport.count(kIdB) == 4);
  CHECK(ghlb::fetchExitCode(counts) == ghlb::ExitCode::kRetryable);
}

TEST_CASE("fetch: network errors are retried with backoff") {
  Fixture f;
  f.opts.max_retries = 5;
  f.add({.id = "l1", .contact_id = kIdA});
  f.transport.on(
      kIdA, "",
      {FakeReply{0, "", {}, "timeout", 20ms}, FakeReply{0, "", {}, "connect", 20ms}, ok(getJson(kIdA))});
  f.fetch();
  CHECK(f.result("l1").outcome == "found");
  CHECK(f.result("l1").attempts == 3);
  REQUIRE(f.transport.sent.size() == 3);
  // Each retry waits after the failure (full jitter may be short, never negative).
  CHECK(f.transport.sent[1].at >= f.transport.sent[0].at + 20ms);
  CHECK(f.transport.sent[2].at >= f.transport.sent[1].at + 20ms);
}

TEST_CASE("fetch: 401 stops that location only; its other leads are auth_failed with no request") {
  Fixture f;
  f.opts.concurrency = 1;
  for (const char* id : {"a1", "a2", "a3"}) f.add({.id = id, .client = "client-a", .contact_id = kIdA});
  for (const char* id : {"b1", "b2"}) f.add({.id = id, .client = "client-b", .contact_id = kIdB});
  f.add({.id = "a4", .client = "client-a"});  // no lookup: keeps its own outcome
  f.transport.on(kIdA, "", {status(401)});
  f.transport.on(kIdB, "", {ok(getJson(kIdB))});
  const auto counts = f.fetch();
  CHECK(f.sentWithToken(f.transport, "tok-a") == 1);
  CHECK(f.sentWithToken(f.transport, "tok-b") == 2);
  int stopped = 0;
  for (const char* id : {"a1", "a2", "a3"}) {
    const auto r = f.result(id);
    CHECK(r.outcome == "auth_failed");
    stopped += r.detail == "location_stopped";
  }
  CHECK(stopped == 2);
  CHECK(f.result("a4").outcome == "no_lookup");
  CHECK(f.result("b1").outcome == "found");
  CHECK(f.result("b2").outcome == "found");
  CHECK(counts.outcomes.at(FetchOutcome::kAuthFailed) == 3);
  CHECK(ghlb::fetchExitCode(counts) == ghlb::ExitCode::kRetryable);
  CHECK(f.log_out.str().find("location_stopped") != std::string::npos);
  CHECK(f.log_out.str().find("client_id=client-a") != std::string::npos);
}

TEST_CASE("fetch: 401 with requests in flight: no request after the 401 arrives") {
  Fixture f;
  f.opts.concurrency = 4;
  for (int i = 0; i < 20; ++i) f.add({.id = "a" + std::to_string(100 + i), .contact_id = kIdA});
  f.transport.on(kIdA, "", {status(401)});
  f.fetch();
  CHECK(f.transport.sent.size() <= 4);
  for (int i = 0; i < 20; ++i) CHECK(f.result("a" + std::to_string(100 + i)).outcome == "auth_failed");
}

TEST_CASE("fetch: a client without a token has its leads auth_failed, no request") {
  Fixture f;
  f.creds.erase("client-b");
  f.add({.id = "b1", .client = "client-b", .contact_id = kIdB});
  f.add({.id = "a1", .contact_id = kIdA});
  f.transport.on(kIdA, "", {ok(getJson(kIdA))});
  f.fetch();
  CHECK(f.sentWithToken(f.transport, "tok-b") == 0);
  CHECK(f.transport.sent.size() == 1);
  CHECK(f.result("b1").outcome == "auth_failed");
  CHECK(f.result("b1").detail == "location_stopped");
  CHECK(f.result("a1").outcome == "found");
}

TEST_CASE("fetch: daily limit stops the location with one warning") {
  Fixture f;
  f.opts.concurrency = 1;
  for (const char* id : {"a1", "a2", "a3"}) f.add({.id = id, .contact_id = kIdA});
  f.add({.id = "b1", .client = "client-b", .contact_id = kIdB});
  f.transport.on(kIdA, "", {FakeReply{429, "{}", {{"x-ratelimit-daily-remaining", "0"}}, "", 20ms}});
  f.transport.on(kIdB, "", {ok(getJson(kIdB))});
  const auto counts = f.fetch();
  CHECK(f.sentWithToken(f.transport, "tok-a") == 1);
  for (const char* id : {"a1", "a2", "a3"}) CHECK(f.result(id).outcome == "daily_limit");
  CHECK(f.result("b1").outcome == "found");
  CHECK(counts.rate_limited == 1);
  const auto log = f.log_out.str();
  CHECK(log.find("reason=daily_limit") != std::string::npos);
  CHECK(log.find("reason=daily_limit", log.find("reason=daily_limit") + 1) == std::string::npos);
  CHECK(ghlb::fetchExitCode(counts) == ghlb::ExitCode::kRetryable);
}

TEST_CASE("fetch: 429 with Retry-After is retried after the pause") {
  Fixture f;
  f.add({.id = "a1", .contact_id = kIdA});
  f.transport.on(kIdA, "", {FakeReply{429, "{}", {{"retry-after", "2"}}, "", 20ms}, ok(getJson(kIdA))});
  const auto counts = f.fetch();
  REQUIRE(f.transport.sent.size() == 2);
  CHECK(f.transport.sent[1].at - f.transport.sent[0].at >= 2020ms);
  CHECK(f.result("a1").outcome == "found");
  CHECK(f.result("a1").attempts == 2);
  CHECK(counts.rate_limited == 1);
}

TEST_CASE("fetch: 400/422 are permanent, a bad 2xx body is bad_response") {
  Fixture f;
  f.add({.id = "a1", .contact_id = kIdA});
  f.add({.id = "a2", .email = "q@x.com"});
  f.add({.id = "a3", .contact_id = kIdB});
  f.transport.on(kIdA, "", {status(422)});
  f.transport.on("/contacts/search", "", {status(400)});
  f.transport.on(kIdB, "", {ok("<html>gateway</html>")});
  const auto counts = f.fetch();
  CHECK(f.transport.sent.size() == 3);  // none retried
  CHECK(f.result("a1").outcome == "failed_permanent");
  CHECK(f.result("a1").detail == "http_422");
  CHECK(f.result("a2").outcome == "failed_permanent");
  CHECK(f.result("a3").outcome == "bad_response");
  CHECK(f.result("a3").detail == "malformed_json");
  CHECK(ghlb::fetchExitCode(counts) == ghlb::ExitCode::kRetryable);  // bad_response is retryable
}

TEST_CASE("fetch: invalid id and no lookup make no request") {
  Fixture f;
  f.add({.id = "a1", .email = "a@x.com", .contact_id = "not a ghl id!"});
  f.add({.id = "a2", .email = "   "});
  f.add({.id = "a3"});
  const auto counts = f.fetch();
  CHECK(f.transport.sent.empty());
  CHECK(f.result("a1").outcome == "invalid_id");
  CHECK(f.result("a1").lookup == "invalid_id");
  CHECK(f.result("a2").outcome == "no_lookup");
  CHECK(f.result("a3").outcome == "no_lookup");
  CHECK(ghlb::fetchExitCode(counts) == ghlb::ExitCode::kDone);
}

TEST_CASE("fetch: a re-run fetches only missing, retryable or changed leads; --refetch fetches all") {
  Fixture f;
  f.opts.max_retries = 0;
  f.add({.id = "l1", .contact_id = kIdA});
  f.add({.id = "l2", .contact_id = kIdB});
  f.add({.id = "l3", .email = "c@x.com", .phone = "1", .first = "a", .last = "b"});
  f.add({.id = "l4"});
  f.transport.on(kIdA, "", {ok(getJson(kIdA))});
  f.transport.on(kIdB, "", {status(500)});
  f.transport.on("/contacts/search", "", {ok(searchJson({}))});
  CHECK(ghlb::fetchExitCode(f.fetch()) == ghlb::ExitCode::kRetryable);
  CHECK(f.result("l2").outcome == "failed_transient");

  SUBCASE("only the transient lead again") {
    FakeTransport t2(f.clock);
    t2.on(kIdB, "", {ok(getJson(kIdB))});
    const auto counts = f.fetch(t2);
    CHECK(counts.total == 1);
    CHECK(t2.sent.size() == 1);
    CHECK(t2.unmatched == 0);
    CHECK(f.result("l2").outcome == "found");
    CHECK(ghlb::fetchExitCode(counts) == ghlb::ExitCode::kDone);
    FakeTransport t3(f.clock);
    CHECK(f.fetch(t3).total == 0);
    CHECK(t3.sent.empty());
  }
  SUBCASE("a changed snapshot key is fetched again") {
    f.work->db().exec("UPDATE lead SET email = 'new@x.com' WHERE id = 'l3'");
    FakeTransport t2(f.clock);
    t2.on(kIdB, "", {ok(getJson(kIdB))});
    t2.on("/contacts/search", valueOf("new@x.com"), {ok(searchJson({}))});
    f.fetch(t2);
    CHECK(t2.sent.size() == 2);
    CHECK(t2.unmatched == 0);
    CHECK(f.result("l3").lookup_key == "new@x.com");
  }
  SUBCASE("--refetch") {
    f.opts.refetch = true;
    FakeTransport t2(f.clock);
    t2.on(kIdA, "", {ok(getJson(kIdA))});
    t2.on(kIdB, "", {ok(getJson(kIdB))});
    t2.on("/contacts/search", "", {ok(searchJson({}))});
    const auto counts = f.fetch(t2);
    CHECK(counts.total == 4);
    CHECK(t2.sent.size() == 3);
    CHECK(f.result("l4").fetch_run == f.last_run);
  }
}

TEST_CASE("fetch: --recheck-not-found-after: a not_found is looked up again only once older (fake clock)") {
  Fixture f;
  f.add({.id = "l1", .email = "late@x.com"});
  f.add({.id = "l2", .contact_id = kIdA});
  f.transport.on("/contacts/search", "", {ok(searchJson({}))});
  f.transport.on(kIdA, "", {ok(getJson(kIdA))});
  f.opts.recheck_not_found_after_s = 3600;
  f.fetch();
  CHECK(f.result("l1").outcome == "not_found");
  CHECK(f.transport.sent.size() == 2);
  // Before the age: nothing to do.
  f.clock.advance(std::chrono::minutes(59));
  FakeTransport t2(f.clock);
  CHECK(f.fetch(t2).total == 0);
  CHECK(t2.sent.empty());
  // 0 = never, whatever the age.
  f.clock.advance(std::chrono::hours(2));
  f.opts.recheck_not_found_after_s = 0;
  CHECK(f.fetch(t2).total == 0);
  CHECK(t2.sent.empty());
  // After the age: the not_found lead only (the found one stays), and now its contact exists.
  f.opts.recheck_not_found_after_s = 3600;
  FakeTransport t3(f.clock);
  t3.on("/contacts/search", "", {ok(searchJson({contactJson(kIdB, "late@x.com", "2024-01-01T00:00:00Z")}))});
  const auto counts = f.fetch(t3);
  CHECK(counts.total == 1);
  CHECK(t3.sent.size() == 1);
  CHECK(f.result("l1").outcome == "found");
  CHECK(f.result("l2").fetch_run < f.last_run);
}

TEST_CASE("fetch: --client-id limits the work list") {
  Fixture f;
  f.add({.id = "a1", .contact_id = kIdA});
  f.add({.id = "b1", .client = "client-b", .contact_id = kIdB});
  f.opts.common.client_ids = {"client-b"};
  CHECK(ghlb::countWork(*f.work, f.opts, f.clock) == std::map<std::string, std::int64_t>{{"client-b", 1}});
  f.transport.on(kIdB, "", {ok(getJson(kIdB))});
  f.fetch();
  CHECK(f.transport.sent.size() == 1);
  CHECK_FALSE(f.result("a1").exists);
}

TEST_CASE("fetch: concurrency bound respected across locations") {
  Fixture f;
  f.opts.concurrency = 4;
  f.creds["client-c"] = {"LOCC", "tok-c"};
  for (int i = 0; i < 60; ++i) {
    const char* client = i % 3 == 0 ? "client-a" : i % 3 == 1 ? "client-b" : "client-c";
    f.add({.id = "l" + std::to_string(100 + i), .client = client, .contact_id = kIdA});
  }
  f.transport.on(kIdA, "", {FakeReply{200, getJson(kIdA), {}, "", 100ms}});
  const auto counts = f.fetch();
  CHECK(f.transport.max_in_flight == 4);
  CHECK(f.transport.sent.size() == 60);
  CHECK(counts.outcomes.at(FetchOutcome::kFound) == 60);
  // Round-robin: the first three requests go to three different locations.
  std::set<std::string> first;
  for (int i = 0; i < 3; ++i) first.insert(f.transport.sent[static_cast<size_t>(i)].request.headers[0]);
  CHECK(first.size() == 3);
}

TEST_CASE("fetch: locations take turns even with one request in flight") {
  Fixture f;
  f.opts.concurrency = 1;
  f.creds["client-c"] = {"LOCC", "tok-c"};
  for (int i = 0; i < 4; ++i)
    for (const char* client : {"client-a", "client-b", "client-c"})
      f.add({.id = std::string(client) + std::to_string(i), .client = client, .contact_id = kIdA});
  f.transport.on(kIdA, "", {ok(getJson(kIdA))});
  f.fetch();
  REQUIRE(f.transport.sent.size() == 12);
  for (size_t i = 0; i + 1 < 12; ++i)  // never the same location twice in a row
    CHECK(f.transport.sent[i].request.headers[0] != f.transport.sent[i + 1].request.headers[0]);
}

TEST_CASE("fetch: requests to a location never exceed the burst per 10 s window") {
  Fixture f;
  f.opts.burst_per_10s = 5;
  f.opts.concurrency = 16;
  for (int i = 0; i < 30; ++i) f.add({.id = "a" + std::to_string(100 + i), .contact_id = kIdA});
  for (int i = 0; i < 12; ++i)
    f.add({.id = "b" + std::to_string(100 + i), .client = "client-b", .contact_id = kIdA});
  std::vector<FakeReply> replies;  // latencies from 10 ms to 2.5 s, in a scrambled order
  for (int i = 0; i < 42; ++i)
    replies.push_back(FakeReply{200, getJson(kIdA), {}, "", ghlb::Millis(10 + (i * 617) % 2500)});
  f.transport.on(kIdA, "", replies);
  const auto start = f.clock.now();
  const auto counts = f.fetch();
  CHECK(counts.outcomes.at(FetchOutcome::kFound) == 42);
  std::vector<ghlb::fetch_test::SentRequest> a, b;
  for (const auto& s : f.transport.sent)
    (s.request.headers[0] == "Authorization: Bearer tok-a" ? a : b).push_back(s);
  CHECK(a.size() == 30);
  checkWindow(a, 5);
  checkWindow(b, 5);
  CHECK(f.clock.now() - start >= 50s);  // 30 requests at 5 per 10 s
  CHECK(f.clock.now() - start < 80s);   // and not needlessly slower
}

TEST_CASE("fetch: --max-requests stops issuing; the rest stays unfetched") {
  Fixture f;
  for (int i = 0; i < 5; ++i) f.add({.id = "a" + std::to_string(i), .contact_id = kIdA});
  f.opts.max_requests = 2;
  f.transport.on(kIdA, "", {ok(getJson(kIdA))});
  const auto counts = f.fetch();
  CHECK(f.transport.sent.size() == 2);
  CHECK(counts.capped);
  CHECK(counts.unfetched == 3);
  CHECK(ghlb::fetchExitCode(counts) == ghlb::ExitCode::kRetryable);
  FakeTransport t2(f.clock);
  t2.on(kIdA, "", {ok(getJson(kIdA))});
  f.opts.max_requests = 0;
  CHECK(f.fetch(t2).total == 3);
}

TEST_CASE("fetch: a stop request ends issuing, waits for in-flight, flushes") {
  Fixture f;
  f.opts.concurrency = 8;
  for (int i = 0; i < 10; ++i) f.add({.id = "a" + std::to_string(i), .contact_id = kIdA});
  std::atomic<bool> stop{false};
  f.transport.on(kIdA, "", {ok(getJson(kIdA))});
  f.transport.on_submit = [&](const ghlb::HttpRequest&) {
    if (f.transport.sent.size() == 2) stop = true;
  };
  ghlb::FetchControl control;
  control.stop = &stop;
  const auto counts = f.fetch(control);
  CHECK(f.transport.sent.size() == 2);
  CHECK(counts.interrupted);
  CHECK(counts.outcomes.at(FetchOutcome::kFound) == 2);  // in-flight answers were kept
  CHECK(counts.unfetched == 8);
  CHECK(ghlb::fetchExitCode(counts) == ghlb::ExitCode::kRetryable);
  CHECK(f.result("a0").outcome == "found");
}

TEST_CASE("fetch: after a stop, in-flight requests are waited for only until the grace ends") {
  Fixture f;
  f.add({.id = "a1", .contact_id = kIdA});
  f.add({.id = "a2", .contact_id = kIdB});
  std::atomic<bool> stop{false};
  f.transport.on(kIdA, "", {ok(getJson(kIdA))});
  f.transport.on(kIdB, "", {FakeReply{200, getJson(kIdB), {}, "", std::chrono::hours(1)}});
  f.transport.on_submit = [&](const ghlb::HttpRequest&) {
    if (f.transport.sent.size() == 2) stop = true;
  };
  ghlb::FetchControl control;
  control.stop = &stop;
  control.stop_grace = 3s;
  const auto start = f.clock.now();
  const auto counts = f.fetch(control);
  CHECK(f.clock.now() - start < 10s);
  CHECK(f.result("a1").outcome == "found");
  CHECK_FALSE(f.result("a2").exists);
  CHECK(counts.unfetched == 1);
  CHECK(ghlb::fetchExitCode(counts) == ghlb::ExitCode::kRetryable);
}

TEST_CASE("fetch: tokens and PII never reach the work DB or the log") {
  Fixture f;
  f.add({.id = "a1", .email = "secret.person@x.com"});
  f.add({.id = "b1", .client = "client-b", .contact_id = kIdB});
  f.transport.on("/contacts/search", "", {status(500), ok(searchJson({}))});
  f.transport.on(kIdB, "", {status(401)});
  f.opts.max_retries = 1;
  const auto counts = f.fetch();
  f.work->finishRun(f.last_run, "retryable", ghlb::fetchCountsJson(counts));
  SQLite::Statement st(
      f.work->db(),
      "SELECT IFNULL(detail,'') || IFNULL(search_body,'') || IFNULL(contact_body,'') || "
      "IFNULL(lookup_key,'') FROM fetch_result UNION ALL SELECT options || counts FROM stage_run");
  while (st.executeStep()) CHECK(st.getColumn(0).getString().find("tok-") == std::string::npos);
  const auto log = f.log_out.str();
  CHECK(log.find("tok-") == std::string::npos);
  CHECK(log.find('@') == std::string::npos);
  CHECK(log.find("fetch_summary") != std::string::npos);
  CHECK(log.find("not_found=1") != std::string::npos);
}

TEST_CASE("fetch: results are written in batches as they come") {
  Fixture f;
  ghlb::FetchControl control;
  control.flush_every = 3;
  for (int i = 0; i < 7; ++i) f.add({.id = "a" + std::to_string(i)});
  const auto counts = f.fetch(control);
  CHECK(counts.outcomes.at(FetchOutcome::kNoLookup) == 7);
  CHECK(f.work->db().execAndGet("SELECT COUNT(*) FROM fetch_result").getInt() == 7);
}

TEST_CASE("fetch: options are validated") {
  const auto refused = [](auto change) {
    ghlb::FetchOptions o;
    change(o);
    try {
      ghlb::validateFetchOptions(o);
      return false;
    } catch (const ghlb::FatalError& e) {
      return e.code() == ghlb::ExitCode::kUsage;
    }
  };
  CHECK_FALSE(refused([](ghlb::FetchOptions&) {}));
  CHECK(refused([](ghlb::FetchOptions& o) { o.concurrency = 0; }));
  CHECK(refused([](ghlb::FetchOptions& o) { o.burst_per_10s = 0; }));
  CHECK(refused([](ghlb::FetchOptions& o) { o.burst_per_10s = 101; }));
  CHECK(refused([](ghlb::FetchOptions& o) { o.per_location_rps = -1; }));
  CHECK(refused([](ghlb::FetchOptions& o) { o.max_retries = -1; }));
  CHECK(refused([](ghlb::FetchOptions& o) { o.timeout_ms = 0; }));
  CHECK(refused([](ghlb::FetchOptions& o) { o.max_requests = -1; }));
}

TEST_CASE("fetch: runFetch refuses a plain-http non-loopback base URL before touching anything") {
  TempDir dir;
  ghlb::FetchOptions o;
  o.common.work_db = dir.path() + "/w.db";
  o.base_url = "http://services.leadconnectorhq.com";
  std::ostringstream out;
  const ghlb::Log log("fetch", ghlb::LogFormat::kText, true, &out);
  CHECK_THROWS_AS(ghlb::runFetch(o, log), ghlb::FatalError);
  CHECK_FALSE(std::filesystem::exists(o.common.work_db));
}

// ---------------------------------------------------------------------------------------------
// Hostile GHL: tokens, answers that do not match the question, bodies, paging, reachability.

namespace {

std::string located(std::string contact, const std::string& location) {
  contact.pop_back();  // the closing brace
  return contact + R"(,"locationId":")" + location + R"("})";
}

std::string withCursor(std::string contact, std::int64_t ms, const std::string& id) {
  contact.pop_back();
  return contact + R"(,"searchAfter":[)" + std::to_string(ms) + R"(,")" + id + R"("]})";
}

std::string pageJson(const std::vector<std::string>& contacts, int total) {
  std::string list;
  for (const auto& c : contacts) list += (list.empty() ? "" : ",") + c;
  return R"({"contacts":[)" + list + R"(],"total":)" + std::to_string(total) + "}";
}

FakeReply netError(const char* error) { return FakeReply{0, "", {}, error, 20ms}; }

}  // namespace

TEST_CASE("fetch: a token that is not visible ASCII is never sent; only its location stops") {
  const std::vector<std::string> tokens = {"tok\r\n\r\nDELETE /contacts/x HTTP/1.1\r\nHost: a\r\n\r\n",
                                           "tok en", "tok\x01", "t\xC3\xB6k"};
  for (const auto& bad : tokens) {
    CAPTURE(bad.size());
    Fixture f;
    f.creds["client-b"] = {"LOCB", bad};
    f.add({.id = "b1", .client = "client-b", .contact_id = kIdB});
    f.add({.id = "b2", .client = "client-b", .email = "b2@x.com"});
    f.add({.id = "a1", .contact_id = kIdA});
    f.transport.on(kIdA, "", {ok(getJson(kIdA))});
    const auto counts = f.fetch();
    REQUIRE(f.transport.sent.size() == 1);  // a1 only
    CHECK(f.transport.count(kIdB) == 0);
    for (const auto& s : f.transport.sent)
      for (const auto& h : s.request.headers) CHECK(h.find_first_of("\r\n") == std::string::npos);
    CHECK(f.result("a1").outcome == "found");
    CHECK(f.result("b1").outcome == "auth_failed");
    CHECK(f.result("b1").detail == "invalid_token");
    CHECK(f.result("b2").outcome == "auth_failed");
    const std::string log = f.log_out.str();
    CHECK(log.find("client_id=client-b reason=invalid_token") != std::string::npos);
    CHECK(log.find(bad) == std::string::npos);  // never the token
    CHECK(log.find("DELETE") == std::string::npos);
    CHECK_FALSE(ghlb::fetchFailure(counts));  // one location still worked: exit 3
    CHECK(ghlb::fetchExitCode(counts) == ghlb::ExitCode::kRetryable);
  }
}

TEST_CASE("fetch: every location failing authentication is an exit-1 failure, some is not") {
  Fixture f;
  f.creds["client-b"] = {"LOCB", "tok\nb"};
  f.add({.id = "a1", .contact_id = kIdA});
  f.add({.id = "b1", .client = "client-b", .contact_id = kIdB});
  f.transport.on(kIdA, "", {status(401)});
  const auto counts = f.fetch();
  CHECK(counts.auth_stopped == 2);
  const auto failure = ghlb::fetchFailure(counts);
  REQUIRE(failure);
  CHECK(failure->find("no location could be authenticated") != std::string::npos);
  CHECK(failure->find("ghlPrivateKey") != std::string::npos);

  Fixture g;
  g.add({.id = "a1", .contact_id = kIdA});
  g.add({.id = "b1", .client = "client-b", .contact_id = kIdB});
  g.transport.on(kIdA, "", {status(401)});
  g.transport.on(kIdB, "", {ok(getJson(kIdB))});
  CHECK_FALSE(ghlb::fetchFailure(g.fetch()));
}

TEST_CASE("fetch: answers that do not match the question are bad_response, never found") {
  Fixture f;
  f.add({.id = "get-other", .contact_id = kIdA});
  f.add({.id = "get-loc", .contact_id = kIdB});
  f.add({.id = "s-loc", .email = "loc@x.com"});
  f.add({.id = "s-badid", .email = "badid@x.com"});
  f.add({.id = "s-ok", .email = "ok@x.com"});
  f.transport.on(kIdA, "", {ok(getJson(kIdB))});  // asked A, answered B
  f.transport.on(kIdB, "", {ok(R"({"contact":{"id":")" + std::string(kIdB) + R"(","locationId":"LOCB"}})")});
  f.transport.on(
      "/contacts/search", valueOf("loc@x.com"),
      {ok(searchJson({contactJson(kIdA, "loc@x.com", "2024-01-01T00:00:00Z"),
                      located(contactJson(kIdB, "other@x.com", "2024-01-02T00:00:00Z"), "LOCX")}))});
  f.transport.on("/contacts/search", valueOf("badid@x.com"),
                 {ok(searchJson({contactJson("abc/../x?y\\\"z", "badid@x.com", "2024-01-01T00:00:00Z")}))});
  f.transport.on("/contacts/search", valueOf("ok@x.com"),
                 {ok(searchJson({located(contactJson(kIdA, "ok@x.com", "2024-01-01T00:00:00Z"), "LOCA")}))});
  f.fetch();
  CHECK(f.result("get-other").outcome == "bad_response");
  CHECK(f.result("get-other").detail == "wrong_contact_id");
  CHECK(f.result("get-loc").outcome == "bad_response");
  CHECK(f.result("get-loc").detail == "wrong_location");
  CHECK(f.result("s-loc").outcome == "bad_response");
  CHECK(f.result("s-loc").detail == "wrong_location");
  CHECK(f.result("s-badid").outcome == "bad_response");
  CHECK(f.result("s-badid").detail == "invalid_contact_id");
  CHECK(f.result("s-ok").outcome == "found");  // its own location is fine
  CHECK(f.transport.count("abc") == 0);        // no GET of a bad id either
}

TEST_CASE("fetch: a deeply nested body is bad_response too_deep, without a crash") {
  Fixture f;
  f.add({.id = "l1", .contact_id = kIdA});
  f.add({.id = "l2", .email = "deep@x.com"});
  f.transport.on(kIdA, "", {ok(std::string(120000, '[') + std::string(120000, ']'))});
  f.transport.on("/contacts/search", "",
                 {ok(R"({"contacts":)" + std::string(70, '[') + std::string(70, ']') + "}")});
  f.fetch();
  CHECK(f.result("l1").outcome == "bad_response");
  CHECK(f.result("l1").detail == "too_deep");
  CHECK(f.result("l2").detail == "too_deep");
}

TEST_CASE("fetch: a body over --max-body-bytes fails the lead for good, without a retry") {
  Fixture f;
  f.opts.max_retries = 5;
  f.add({.id = "l1", .contact_id = kIdA});
  f.transport.on(kIdA, "", {netError("too_large")});
  const auto counts = f.fetch();
  CHECK(f.transport.sent.size() == 1);
  CHECK(f.result("l1").outcome == "failed_permanent");
  CHECK(f.result("l1").detail == "body_too_large");
  CHECK(counts.retryable() == 0);
}

TEST_CASE("fetch: search pages are followed with searchAfter; the oldest across pages wins") {
  Fixture f;
  f.opts.search_page_limit = 2;
  f.add({.id = "l1", .email = "p@x.com"});
  const std::string c1 = withCursor(contactJson("contactP1PPPPPPPP1", "p@x.com", "2024-02-01T00:00:00Z"),
                                    1706745600000, "contactP1PPPPPPPP1");
  const std::string c2 = withCursor(contactJson("contactP2PPPPPPPP2", "p@x.com", "2024-03-01T00:00:00Z"),
                                    1709251200000, "contactP2PPPPPPPP2");
  const std::string c3 = withCursor(contactJson("contactP3PPPPPPPP3", "p@x.com", "2024-01-01T00:00:00Z"),
                                    1704067200000, "contactP3PPPPPPPP3");
  f.transport.on("/contacts/search", R"("searchAfter":[1709251200000,"contactP2PPPPPPPP2"])",
                 {ok(pageJson({c3}, 3))});
  f.transport.on("/contacts/search", "", {ok(pageJson({c1, c2}, 3))});
  f.fetch();
  REQUIRE(f.transport.sent.size() == 2);
  CHECK(f.transport.sent[0].request.body.find("searchAfter") == std::string::npos);
  CHECK(f.transport.sent[1].request.body.find(R"("searchAfter":[1709251200000,"contactP2PPPPPPPP2"])") !=
        std::string::npos);
  CHECK(f.transport.sent[1].request.body.find(R"("page")") == std::string::npos);
  const auto r = f.result("l1");
  CHECK(r.outcome == "found");
  CHECK(r.detail == "ambiguous");
  const auto page = ghlb::parseSearchBody(r.search_body);
  REQUIRE(page);
  CHECK(page->contacts.size() == 3);
  const auto choice = ghlb::chooseContact(*page, "p@x.com");
  REQUIRE(choice.contact);
  CHECK(choice.contact->id == "contactP3PPPPPPPP3");
}

TEST_CASE("fetch: a total that never ends stops at the page bound as bad_response") {
  Fixture f;
  f.add({.id = "l1", .email = "p@x.com"});
  const std::string c1 =
      withCursor(contactJson("contactP1PPPPPPPP1", "p@x.com", "2024-02-01T00:00:00Z"), 1, "x");
  f.transport.on("/contacts/search", "", {ok(pageJson({c1}, 100000))});
  f.fetch();
  CHECK(f.transport.sent.size() == 20);
  CHECK(f.result("l1").outcome == "bad_response");
  CHECK(f.result("l1").detail == "too_many_pages");
}

TEST_CASE("fetch: a location failing 5 times in a row is paused 30 s, then probed and resumed") {
  Fixture f;
  f.opts.max_retries = 10;
  f.opts.concurrency = 1;
  for (int i = 0; i < 3; ++i) f.add({.id = "a" + std::to_string(i), .contact_id = kIdA});
  for (int i = 0; i < 40; ++i)
    f.add({.id = "b" + std::to_string(100 + i), .client = "client-b", .contact_id = kIdB});
  f.transport.on(kIdA, "",
                 {netError("refused"), netError("refused"), netError("refused"), netError("refused"),
                  netError("refused"), ok(getJson(kIdA))});
  f.transport.on(kIdB, "", {FakeReply{200, getJson(kIdB), {}, "", 1000ms}});  // keeps B busy for 40 s
  const auto counts = f.fetch();
  CHECK(counts.unreachable_error.empty());
  for (int i = 0; i < 3; ++i) CHECK(f.result("a" + std::to_string(i)).outcome == "found");
  // Nothing went to A between its fifth failure and 30 s later.
  std::vector<ghlb::fetch_test::SentRequest> to_a;
  for (const auto& s : f.transport.sent)
    if (s.request.url.find(kIdA) != std::string::npos) to_a.push_back(s);
  REQUIRE(to_a.size() >= 6);
  CHECK(to_a[5].at >= to_a[4].answered + 30s);
  const std::string log = f.log_out.str();
  const auto first = log.find("location_unreachable");
  REQUIRE(first != std::string::npos);
  CHECK(log.find("location_unreachable", first + 1) == std::string::npos);  // one line
  CHECK(log.find("client_id=client-a error=refused") != std::string::npos);
}

TEST_CASE("fetch: every location unreachable stops the run fast; exit-1 message names the error") {
  Fixture f;
  f.opts.max_retries = 5;
  for (int i = 0; i < 50; ++i) {
    f.add({.id = "a" + std::to_string(100 + i), .contact_id = kIdA});
    f.add({.id = "b" + std::to_string(100 + i), .client = "client-b", .email = "b@x.com"});
  }
  f.transport.on("", "", {netError("refused")});
  const auto counts = f.fetch();
  CHECK(counts.unreachable_error == "refused");
  CHECK(counts.requests <= 2 * (5 + f.opts.concurrency));  // far below 100 leads x 6 tries
  const auto failure = ghlb::fetchFailure(counts);
  REQUIRE(failure);
  CHECK(failure->find("cannot reach GHL (connection refused) for every location") != std::string::npos);
  CHECK(failure->find("--ghl-base-url") != std::string::npos);
  CHECK(counts.unfetched > 0);  // left for the next run, not spent
}

TEST_CASE("fetch: a TLS failure stops the run at once") {
  Fixture f;
  f.opts.concurrency = 1;
  for (int i = 0; i < 5; ++i) f.add({.id = "a" + std::to_string(i), .contact_id = kIdA});
  f.transport.on(kIdA, "", {netError("tls")});
  const auto counts = f.fetch();
  CHECK(f.transport.sent.size() == 1);
  CHECK(counts.tls_failed);
  const auto failure = ghlb::fetchFailure(counts);
  REQUIRE(failure);
  CHECK(failure->rfind("TLS verification failed for the GHL API", 0) == 0);
}

TEST_CASE("fetch: --max-body-bytes range and its bound with --concurrency") {
  const auto refused = [](auto change) {
    ghlb::FetchOptions o;
    change(o);
    try {
      ghlb::validateFetchOptions(o);
      return std::string();
    } catch (const ghlb::FatalError& e) {
      return std::string(e.what());
    }
  };
  CHECK(refused([](ghlb::FetchOptions& o) { o.max_body_bytes = 1000; }).find("--max-body-bytes") == 0);
  CHECK(refused([](ghlb::FetchOptions& o) { o.max_body_bytes = 65LL << 20; }).find("--max-body-bytes") == 0);
  const std::string both = refused([](ghlb::FetchOptions& o) {
    o.concurrency = 256;
    o.max_body_bytes = 4 << 20;
  });
  CHECK(both.find("--concurrency") != std::string::npos);
  CHECK(both.find("--max-body-bytes") != std::string::npos);
  CHECK(refused([](ghlb::FetchOptions& o) {
          o.concurrency = 128;
          o.max_body_bytes = 4 << 20;
        }).empty());
}

TEST_CASE("fetch: a pause over a minute is logged once with the client id and the resume time") {
  Fixture f;
  f.add({.id = "a1", .contact_id = kIdA});
  f.add({.id = "b1", .client = "client-b", .contact_id = kIdB});
  f.transport.on(kIdA, "",
                 {FakeReply{429, "{}", {{"retry-after", "120"}}, "", 20ms},
                  FakeReply{429, "{}", {{"retry-after", "30"}}, "", 20ms}, ok(getJson(kIdA))});
  f.transport.on(kIdB, "", {ok(getJson(kIdB))});
  f.fetch();
  CHECK(f.result("a1").outcome == "found");
  CHECK(f.result("b1").outcome == "found");
  const std::string log = f.log_out.str();
  const auto at = log.find("location_paused");
  REQUIRE(at != std::string::npos);
  CHECK(log.find("location_paused", at + 1) == std::string::npos);  // the 30 s pause is not logged
  const std::string line = log.substr(at, log.find('\n', at) - at);
  CHECK(line.find("client_id=client-a") != std::string::npos);
  CHECK(line.find("pause_s=12") != std::string::npos);  // 120 s (+ jitter under a second)
  CHECK(line.find("resumes_at=20") != std::string::npos);
  // B was not held up by A's pause.
  CHECK(f.transport.sent[1].at - f.transport.sent[0].at < 60s);
}

namespace {

// A not-found search answer saying GHL's daily remaining is LEFT.
FakeReply dailyLeft(std::int64_t left) {
  return FakeReply{200, searchJson({}), {{"x-ratelimit-daily-remaining", std::to_string(left)}}, "", 20ms};
}

std::int64_t storedDaily(ghlb::WorkDb& work, const std::string& client) {
  SQLite::Statement st(work.db(), "SELECT daily_remaining FROM quota_daily WHERE client_id = ?");
  st.bind(1, client);
  return st.executeStep() ? st.getColumn(0).getInt64() : -1;
}

}  // namespace

TEST_CASE("fetch: --daily-reserve is never spent, across a restart the same UTC day; a new day resumes") {
  Fixture f;
  f.opts.daily_reserve = 20;
  for (int i = 0; i < 30; ++i)
    f.add({.id = "a" + std::to_string(i), .email = "p" + std::to_string(i) + "@x.com"});
  f.add({.id = "b1", .client = "client-b", .contact_id = kIdB});
  std::vector<FakeReply> replies;
  for (int left = 29; left >= 0; --left) replies.push_back(dailyLeft(left));
  f.transport.on("search", "", replies);  // GHL's day: 30 requests left
  f.transport.on(kIdB, "", {ok(getJson(kIdB))});
  auto counts = f.fetch();
  // 29 left after the first answer: 9 more, leaving exactly the 20 of the reserve.
  CHECK(f.transport.count("search") == 10);
  CHECK(counts.outcomes[ghlb::FetchOutcome::kDailyLimit] == 20);
  CHECK(f.result("b1").outcome == "found");  // the other location went on
  CHECK(ghlb::fetchExitCode(counts) == ghlb::ExitCode::kRetryable);
  CHECK(storedDaily(*f.work, "client-a") == 20);
  const std::string log = f.log_out.str();
  CHECK(log.find("location_paused client_id=client-a daily_remaining=20 daily_reserve=20 "
                 "resumes_at=2026-11-29T00:00:00.000Z") != std::string::npos);

  // A restart the same day spends nothing: the work DB remembers.
  f.transport.sent.clear();
  counts = f.fetch();
  CHECK(f.transport.count("search") == 0);
  CHECK(counts.outcomes[ghlb::FetchOutcome::kDailyLimit] == 20);

  // The next UTC day, the stored count is an old day's: fetch asks GHL again.
  f.clock.shiftWall(std::chrono::hours(24));
  f.opts.daily_reserve = 0;
  counts = f.fetch();
  CHECK(f.transport.count("search") > 0);
}

TEST_CASE("fetch: a stale daily count in the work DB is corrected by GHL's first answer") {
  Fixture f;
  f.opts.daily_reserve = 20;
  for (int i = 0; i < 40; ++i)
    f.add({.id = "a" + std::to_string(i), .email = "p" + std::to_string(i) + "@x.com"});
  ghlb::QuotaStore(f.work->db())
      .saveDaily("client-a", ghlb::utcDay(f.clock.wallNow()), {50, std::nullopt}, "x");
  std::vector<FakeReply> replies;
  for (int left = 29; left >= 0; --left) replies.push_back(dailyLeft(left));  // a killed run spent 20
  f.transport.on("search", "", replies);
  f.fetch();
  CHECK(f.transport.count("search") == 10);
  CHECK(storedDaily(*f.work, "client-a") == 20);
  f.transport.sent.clear();
  f.fetch();
  CHECK(f.transport.count("search") == 0);
}

TEST_CASE("fetch: a resumed run says what was already done; the summary counts the whole stage") {
  Fixture f;
  for (int i = 0; i < 6; ++i)
    f.add({.id = "a" + std::to_string(i), .email = "p" + std::to_string(i) + "@x.com"});
  f.transport.on("search", "", {ok(searchJson({}))});
  f.opts.max_requests = 4;
  f.fetch();
  CHECK(f.log_out.str().find("fetch_resumed") == std::string::npos);
  f.log_out.str("");
  f.opts.max_requests = 0;
  f.fetch();
  const std::string log = f.log_out.str();
  CHECK(log.find("fetch_resumed already_done=4 stage_total=6 to_fetch=2") != std::string::npos);
  CHECK(log.find("fetch_summary stage_done=6 stage_total=6 total=2") != std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Strategies (issue 8): batched, scan, auto.

namespace {

// A contact of a scan page, with the searchAfter cursor GHL puts on each.
std::string scanContact(const std::string& id, const std::string& email, const std::string& date) {
  std::string c = contactJson(id, email, date);
  c.pop_back();
  return c + R"(,"searchAfter":[1,")" + id + R"("]})";
}

}  // namespace

TEST_CASE("fetch strategies: batched: one OR group answers every email lead, each gets its own contacts") {
  Fixture f;
  f.opts.strategy = ghlb::FetchStrategy::kBatched;
  f.add({.id = "l1", .email = " A@X.com ", .phone = "1", .first = "a", .last = "b"});
  f.add({.id = "l2", .email = "b@x.com", .phone = "1", .first = "a", .last = "b"});
  f.add({.id = "l3", .email = "nobody@x.com"});
  f.add({.id = "l4", .email = "a@x.com", .phone = "1", .first = "a", .last = "b"});  // same email as l1
  f.add({.id = "l5", .contact_id = kIdB, .phone = "1"});
  const auto answer = searchJson({contactJson(kIdA, "a@X.com", "2024-01-01T00:00:00Z"),
                                  contactJson(kIdB, "B@x.com ", "2024-01-02T00:00:00Z")});
  f.transport.on("/contacts/search", R"("group":"OR")", {ok(answer)});
  f.transport.on("/contacts/" + std::string(kIdB), "", {ok(getJson(kIdB))});
  const auto counts = f.fetch();
  CHECK(f.transport.unmatched == 0);
  CHECK(f.transport.count("/contacts/search") == 1);
  CHECK(f.transport.count("/contacts/search", "nobody@x.com") == 1);
  CHECK(f.transport.sent.size() == 2);
  const auto r1 = f.result("l1");
  CHECK(r1.outcome == "found");
  CHECK(r1.search_body.find(kIdA) != std::string::npos);
  CHECK(r1.search_body.find(kIdB) == std::string::npos);  // only its own email's contacts
  CHECK(r1.attempts == 1);
  CHECK(f.result("l2").outcome == "found");
  CHECK(f.result("l2").search_body.find(kIdB) != std::string::npos);
  CHECK(f.result("l3").outcome == "not_found");
  CHECK(f.result("l4").outcome == "found");
  CHECK(f.result("l5").outcome == "found");
  CHECK(counts.requests == 2);
}

TEST_CASE(
    "fetch strategies: batched: the raw answer is stored with its cursor; a killed group resumes from it") {
  Fixture f;
  f.opts.strategy = ghlb::FetchStrategy::kBatched;
  f.add({.id = "l1", .email = "a@x.com", .phone = "1", .first = "a", .last = "b"});
  f.add({.id = "l2", .email = "b@x.com", .phone = "1", .first = "a", .last = "b"});
  f.add({.id = "l3", .email = "nobody@x.com"});
  // Two pages: total 2, one contact each, the cursor between them.
  const std::string page0 = pageJson({scanContact(kIdA, "a@x.com", "2024-01-01T00:00:00Z")}, 2);
  const std::string page1 = pageJson({scanContact(kIdB, "b@x.com", "2024-01-02T00:00:00Z")}, 2);
  f.transport.on("/contacts/search", "searchAfter", {ok(page1)});
  f.transport.on("/contacts/search", R"("group":"OR")", {ok(page0)});
  f.fetch();
  CHECK(f.transport.unmatched == 0);
  CHECK(f.transport.count("/contacts/search") == 2);
  const auto pages = [&f] {
    std::vector<std::string> out;
    SQLite::Statement st(
        f.work->db(),
        "SELECT seq || '|' || IFNULL(cursor, '') || '|' || IFNULL(next_cursor, '') || '|' || "
        "complete FROM lookup_batch_page ORDER BY seq");
    while (st.executeStep()) out.push_back(st.getColumn(0).getString());
    return out;
  };
  const auto stored = pages();
  REQUIRE(stored.size() == 2);
  CHECK(stored[0].rfind("0||", 0) == 0);             // the first page: no cursor sent
  CHECK(stored[0].back() == '1');                    // complete: the results are recorded
  CHECK(stored[1].find(kIdA) != std::string::npos);  // page 1 was asked with page 0's cursor
  {
    SQLite::Statement st(f.work->db(), "SELECT body FROM lookup_batch_page WHERE seq = 0");
    REQUIRE(st.executeStep());
    CHECK(st.getColumn(0).getString() == page0);  // raw, as GHL sent it
  }
  const auto l1 = f.result("l1"), l2 = f.result("l2");
  CHECK(l1.outcome == "found");
  CHECK(l2.outcome == "found");
  CHECK(f.result("l3").outcome == "not_found");

  // A run killed after the group's pages were stored, before its results were: the next run
  // derives them from the stored pages without a request.
  f.work->db().exec("UPDATE lookup_batch_page SET complete = 0; DELETE FROM fetch_result");
  FakeTransport t2(f.clock);
  f.fetch(t2);
  CHECK(t2.sent.empty());
  CHECK(f.log_out.str().find("batch_resumed") != std::string::npos);
  CHECK(f.result("l1").outcome == "found");
  CHECK(f.result("l1").search_body == l1.search_body);
  CHECK(f.result("l2").search_body == l2.search_body);
  CHECK(f.result("l3").outcome == "not_found");

  // Killed after page 0 only: the next run asks for page 1 alone, with page 0's cursor.
  f.work->db().exec(
      "UPDATE lookup_batch_page SET complete = 0; DELETE FROM lookup_batch_page WHERE seq = 1; "
      "DELETE FROM fetch_result");
  FakeTransport t3(f.clock);
  t3.on("/contacts/search", "searchAfter", {ok(page1)});
  f.fetch(t3);
  CHECK(t3.unmatched == 0);
  REQUIRE(t3.sent.size() == 1);
  CHECK(t3.sent[0].request.body.find(kIdA) != std::string::npos);
  CHECK(f.result("l2").search_body == l2.search_body);
  CHECK(f.result("l1").search_body == l1.search_body);
}

TEST_CASE("fetch strategies: batched: a group the server rejects (422) falls back to per-lead, said once") {
  Fixture f;
  f.opts.strategy = ghlb::FetchStrategy::kBatched;
  f.add({.id = "l1", .email = "a@x.com", .phone = "1", .first = "a", .last = "b"});
  f.add({.id = "l2", .email = "b@x.com", .phone = "1", .first = "a", .last = "b"});
  f.transport.on("/contacts/search", R"("group":"OR")", {status(422)});
  f.transport.on("/contacts/search", valueOf("a@x.com"),
                 {ok(searchJson({contactJson(kIdA, "a@x.com", "2024")}))});
  f.transport.on("/contacts/search", valueOf("b@x.com"), {ok(searchJson({}))});
  const auto counts = f.fetch();
  CHECK(counts.fallbacks == 1);
  CHECK(ghlb::fetchCountsJson(counts).find(R"("fallbacks":1)") != std::string::npos);
  CHECK(f.transport.unmatched == 0);
  CHECK(f.transport.count("/contacts/search", R"("group":"OR")") == 1);
  CHECK(f.transport.sent.size() == 3);
  CHECK(f.result("l1").outcome == "found");
  CHECK(f.result("l2").outcome == "not_found");
  CHECK(f.log_out.str().find("strategy_fallback") != std::string::npos);
  ghlb::LookupStore store(f.work->db());
  CHECK(store.location("client-a")->strategy == "per-lead");
  CHECK(store.location("client-a")->reason.find("batch_rejected") == 0);
}

TEST_CASE("fetch strategies: scan: leads by id hydrated without GET, emails matched across pages") {
  Fixture f;
  f.opts.strategy = ghlb::FetchStrategy::kScan;
  const std::string kIdC = "contactCCCCCCCCC3";
  f.add({.id = "l1", .email = "twice@x.com", .phone = "1", .first = "a", .last = "b"});
  f.add({.id = "l2", .contact_id = kIdC, .phone = "1"});
  f.add({.id = "l3", .email = "nobody@x.com"});
  f.add({.id = "l4", .client = "client-b", .email = "twice@x.com", .phone = "1", .first = "a", .last = "b"});
  const auto page1 = pageJson({scanContact(kIdB, "twice@x.com", "2024-02-01T00:00:00Z"),
                               scanContact(kIdC, "c@x.com", "2024-02-02T00:00:00Z")},
                              3);
  const auto page2 = pageJson({scanContact(kIdA, "Twice@X.com", "2024-01-01T00:00:00Z")}, 3);
  f.transport.on("/contacts/search", R"("locationId":"LOCB")", {ok(pageJson({}, 0))});
  f.transport.on("/contacts/search", "searchAfter", {ok(page2)});
  f.transport.on("/contacts/search", "", {ok(page1)});
  f.fetch();
  CHECK(f.transport.unmatched == 0);
  CHECK(f.transport.count("/contacts/search", "LOCA") == 2);
  CHECK(f.transport.count("/contacts/search", "LOCB") == 1);
  CHECK(f.transport.count("/contacts/" + kIdC) == 0);  // hydrated from the scan
  const auto r1 = f.result("l1");
  CHECK(r1.outcome == "found");
  CHECK(r1.detail == "ambiguous");  // one match on each page
  const auto page = ghlb::parseSearchBody(r1.search_body);
  REQUIRE(page);
  CHECK(ghlb::chooseContact(*page, "twice@x.com").contact->id == kIdA);  // the oldest, on page 2
  const auto r2 = f.result("l2");
  CHECK(r2.outcome == "found");
  CHECK(r2.lookup == "get");
  CHECK(ghlb::parseGetBody(r2.contact_body)->id == kIdC);
  CHECK(f.result("l3").outcome == "not_found");
  CHECK(f.result("l4").outcome == "not_found");  // the other location's contacts never match
  ghlb::LookupStore store(f.work->db());
  CHECK(store.location("client-a")->scan_complete);
}

TEST_CASE("fetch strategies: a scan stopped mid-walk resumes from its last stored page") {
  Fixture f;
  f.opts.strategy = ghlb::FetchStrategy::kScan;
  f.creds.erase("client-b");
  f.add({.id = "l1", .email = "twice@x.com", .phone = "1", .first = "a", .last = "b"});
  const auto page1 = pageJson({scanContact(kIdB, "twice@x.com", "2024-02-01T00:00:00Z")}, 2);
  const auto page2 = pageJson({scanContact(kIdA, "twice@x.com", "2024-01-01T00:00:00Z")}, 2);
  f.transport.on("/contacts/search", "searchAfter", {ok(page2)});
  f.transport.on("/contacts/search", "", {ok(page1)});
  f.opts.max_requests = 1;
  auto counts = f.fetch();
  CHECK(counts.unfetched == 1);
  CHECK_FALSE(f.result("l1").exists);
  f.opts.max_requests = 0;
  counts = f.fetch();
  CHECK(counts.requests == 1);
  CHECK(f.transport.count("/contacts/search", "searchAfter") == 1);
  CHECK(f.transport.sent.size() == 2);  // page 1 was not read again
  CHECK(f.result("l1").outcome == "found");
  CHECK(f.result("l1").detail == "ambiguous");
}

TEST_CASE("fetch strategies: auto probes the location, then scans when that is cheapest") {
  Fixture f;
  f.creds.erase("client-b");
  f.opts.strategy = ghlb::FetchStrategy::kAuto;
  for (int i = 0; i < 5; ++i)
    f.add({.id = "l" + std::to_string(i),
           .contact_id = "contact" + std::string(9, 'A') + std::to_string(i),
           .phone = "1"});
  f.transport.on("/contacts/search", R"("pageLimit":1,)", {ok(pageJson({}, 2))});
  f.transport.on("/contacts/search", R"("pageLimit":500,)", {ok(pageJson({}, 0))});
  f.transport.on("/contacts/contact", "", {status(404)});
  f.fetch();
  CHECK(f.transport.unmatched == 0);
  CHECK(f.transport.count("/contacts/search", R"("pageLimit":1,)") == 1);
  CHECK(f.transport.count("/contacts/search", R"("pageLimit":500,)") == 1);
  // Ids the scan did not show are asked one by one, as per-lead would.
  CHECK(f.transport.count("/contacts/contact") == 5);
  CHECK(f.result("l0").outcome == "contact_gone");
  CHECK(f.log_out.str().find("fetch_strategy") != std::string::npos);
}

TEST_CASE("fetch: follow-up GETs stop for a location once 5 of them added nothing; said in the work DB") {
  Fixture f;
  f.opts.concurrency = 1;  // answers in order: the sixth search is seen after the fifth GET
  f.creds.erase("client-b");
  for (int i = 0; i < 7; ++i) {
    const std::string email = "p" + std::to_string(i) + "@x.com";
    f.add({.id = "l" + std::to_string(i), .email = email, .phone = "1", .first = "a", .last = "b"});
    // No companyName key in the search payload, and none in the GET either.
    f.transport.on("/contacts/search", valueOf(email),
                   {ok(R"({"contacts":[{"id":"contactAAAAAAAA)" + std::to_string(i) + R"(","email":")" +
                       email + R"("}],"total":1})")});
    const std::string id = "contactAAAAAAAA" + std::to_string(i);
    f.transport.on("/contacts/" + id, "", {ok(R"({"contact":{"id":")" + id + R"("}})")});
  }
  f.fetch();
  CHECK(f.transport.unmatched == 0);
  CHECK(f.transport.count("/contacts/search") == 7);
  CHECK(f.transport.count("/contacts/contact") == 5);
  CHECK(f.result("l6").outcome == "found");
  CHECK(f.result("l6").contact_body.empty());
  ghlb::LookupStore store(f.work->db());
  SQLite::Statement st(f.work->db(), "SELECT follow_ups FROM lookup_location WHERE client_id = 'client-a'");
  REQUIRE(st.executeStep());
  CHECK(st.getColumn(0).getString().find("5 follow-up GETs") == 0);
}
