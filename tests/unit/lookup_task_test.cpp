// The lookup tasks (lookup_task.h) one kind at a time, on recorded answers, through a fake
// TaskContext that keeps what a task records, pushes, stores and reports: no engine, no work DB,
// no transport. Answers are classified by the real classify(), as the engine does.
#include "lookup_task.h"

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "fetch_tasks.h"
#include "fetch_work.h"
#include "lookup_batch.h"
#include "lookup_lead.h"
#include "lookup_scan.h"

using namespace ghlb;

namespace {

const char* const kLoc = "locationAAAAAAAAAAA1";

struct Recorded {
  std::string lead_id;
  std::string outcome;  // toString(FetchOutcome)
  std::string detail, search_body, contact_body;
  int attempts = 0, status = 0;
};

class FakeContext final : public TaskContext {
 public:
  SteadyTime now() const override { return now_; }
  const Log& log() const override { return log_; }
  const std::string& clientId() const override { return client_; }
  std::int64_t maxBodyBytes() const override { return max_body; }
  std::optional<FetchOutcome> stopped() const override { return stopped_; }
  void stop(FetchOutcome outcome, const char* reason, int) override {
    stopped_ = outcome;
    stops.push_back(reason);
  }
  void dailySpent() override { ++daily_spent; }
  void record(LeadLookup& lead, FetchOutcome outcome, std::string detail, std::string contact_body) override {
    const std::string body =
        !lead.search_body.empty() || lead.pages.empty() ? lead.search_body : lead.pages.front();
    results[lead.lead.id] = {
        lead.lead.id,    std::string(toString(outcome)), detail, body, contact_body, lead.attempts,
        lead.last_status};
  }
  void push(std::unique_ptr<LookupTask> task, bool first) override {
    pushed.push_back({std::move(task), first});
  }
  bool followUpsOff() const override { return follow_ups_off; }
  void noteFollowUp(bool useful) override { follow_ups.push_back(useful); }
  void probed(std::optional<std::int64_t> contacts, const char* reason) override {
    probes.push_back({contacts, reason});
  }
  void fallBack(const char* what, const char* reason, int status) override {
    fallbacks.push_back(std::string(what) + ":" + reason + ":" + std::to_string(status));
  }
  std::vector<ScanPage> batchPages(const std::string& key) override { return batch_pages[key]; }
  void addBatchPage(const std::string& key, ScanPage page) override {
    batch_pages[key].push_back(std::move(page));
  }
  void finishBatch(const std::string& key) override { batches_done.push_back(key); }
  std::vector<ScanPage> scanPages() override { return scan_pages; }
  void beginScan() override { ++scans_begun; }
  void addScanPage(ScanPage page) override { scan_pages.push_back(std::move(page)); }
  void finishScan() override { ++scans_done; }

  std::int64_t max_body = 1 << 20;
  bool follow_ups_off = false;
  std::optional<FetchOutcome> stopped_;
  std::vector<std::string> stops;
  int daily_spent = 0;
  std::map<std::string, Recorded> results;
  struct Pushed {
    std::unique_ptr<LookupTask> task;
    bool first;
  };
  std::vector<Pushed> pushed;
  std::vector<bool> follow_ups;
  std::vector<std::pair<std::optional<std::int64_t>, std::string>> probes;
  std::vector<std::string> fallbacks;
  std::map<std::string, std::vector<ScanPage>> batch_pages;
  std::vector<std::string> batches_done;
  std::vector<ScanPage> scan_pages;
  int scans_begun = 0, scans_done = 0;

 private:
  SteadyTime now_ = SteadyTime{} + std::chrono::hours(1);
  std::ostringstream log_out_;
  Log log_{"fetch", LogFormat::kText, true, &log_out_};
  std::string client_ = "client-a";
};

LeadSnapshot emailLead(const std::string& id, const std::string& email) {
  LeadSnapshot l;
  l.id = id;
  l.client_id = "client-a";
  l.location_id = kLoc;
  l.email = email;
  return l;
}

LeadSnapshot idLead(const std::string& id, const std::string& contact_id) {
  LeadSnapshot l;
  l.id = id;
  l.client_id = "client-a";
  l.location_id = kLoc;
  l.ghl_contact_id = contact_id;
  return l;
}

// A full contact (every field a lead may miss), in location LOC, with a searchAfter cursor.
std::string contact(const std::string& id, const std::string& email, const std::string& loc = kLoc) {
  return R"({"id":")" + id + R"(","email":")" + email + R"(","locationId":")" + loc +
         R"(","phone":"+15551234567","firstName":"Ann","lastName":"Lee","companyName":"Acme",)" +
         R"("dateAdded":"2023-01-01T00:00:00.000Z","searchAfter":[1672531200000,")" + id + R"("]})";
}

std::string page(const std::vector<std::string>& contacts, std::int64_t total) {
  std::string list;
  for (const auto& c : contacts) list += (list.empty() ? "" : ",") + c;
  return R"({"contacts":[)" + list + R"(],"total":)" + std::to_string(total) + "}";
}

Reply answer(const std::string& body, int status = 200, const std::string& error = "") {
  return classify(Endpoint::kSearch, HttpResponse{1, status, body, {}, error});
}

// Sends TASK's answer BODY as the engine does: counts the send, classifies, hands it back.
Next reply(LookupTask& task, FakeContext& ctx, const std::string& body, int status = 200,
           const std::string& error = "") {
  ++task.attempts;
  ++task.tries;
  task.last_status = status;
  return task.onReply(ctx, answer(body, status, error), body);
}

std::vector<LeadLookup> leads(const std::vector<LeadSnapshot>& snaps) {
  std::vector<LeadLookup> out;
  for (const auto& s : snaps) out.emplace_back(s);
  return out;
}

int countOf(const std::string& hay, const std::string& needle) {
  int n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

const GhlTarget kTarget{"http://127.0.0.1:1", kLoc, "token-0001", 1000};

}  // namespace

TEST_CASE("lookup_batch: an answer over two pages gives each member the contacts of its own email") {
  FakeContext ctx;
  BatchLookup batch(leads({emailLead("l1", "a@x.com"), emailLead("l2", "b@x.com"), emailLead("l3", "a@x.com"),
                           emailLead("l4", "c@x.com")}));
  CHECK(batch.emails() == std::vector<std::string>{"a@x.com", "b@x.com", "c@x.com"});
  CHECK(batch.request(kTarget, 100).body.find("searchAfter") == std::string::npos);
  // Page 1: a's two contacts (one ambiguous pair) and b's; page 2: c's and nothing of d.
  const std::string p1 =
      page({contact("cA1aaaaaaaaaaaaaa", "a@x.com"), contact("cA2aaaaaaaaaaaaaa", "A@X.com "),
            contact("cBbbbbbbbbbbbbbbb", "b@x.com")},
           4);
  CHECK(reply(batch, ctx, p1) == Next::kAgain);
  CHECK(ctx.results.empty());
  CHECK(batch.request(kTarget, 100).body.find("searchAfter") != std::string::npos);
  CHECK(reply(batch, ctx, page({contact("cCccccccccccccccc", "c@x.com")}, 4)) == Next::kDone);
  REQUIRE(ctx.results.size() == 4);
  CHECK(ctx.batch_pages[batch.key()].size() == 2);
  CHECK(ctx.batches_done == std::vector<std::string>{batch.key()});
  for (const char* id : {"l1", "l3"}) {
    const auto& r = ctx.results[id];
    CHECK(r.outcome == "found");
    CHECK(r.detail == "ambiguous");
    CHECK(countOf(r.search_body, "\"id\":") == 2);
    CHECK(r.search_body.find("cBbbbbbbbbbbbbbbb") == std::string::npos);
    CHECK(r.attempts == 2);
  }
  CHECK(ctx.results["l2"].outcome == "found");
  CHECK(countOf(ctx.results["l2"].search_body, "\"id\":") == 1);
  CHECK(ctx.results["l4"].search_body.find("cCccccccccccccccc") != std::string::npos);
  CHECK(ctx.fallbacks.empty());
  CHECK(ctx.pushed.empty());  // full contacts: no follow-up GET
}

TEST_CASE(
    "lookup_batch: a member missing from the answer is not_found; a contact lacking a field gets its GET") {
  FakeContext ctx;
  BatchLookup batch(leads({emailLead("l1", "a@x.com"), emailLead("l2", "nobody@x.com")}));
  const std::string lacking = R"({"id":"cAaaaaaaaaaaaaaaa","email":"a@x.com","locationId":")" +
                              std::string(kLoc) + R"(","dateAdded":"2023-01-01T00:00:00.000Z"})";
  CHECK(reply(batch, ctx, page({lacking}, 1)) == Next::kDone);
  CHECK(ctx.results["l2"].outcome == "not_found");
  REQUIRE(ctx.pushed.size() == 1);
  CHECK(ctx.pushed[0].first);
  CHECK(ctx.pushed[0].task->endpoint() == Endpoint::kGet);
  CHECK(ctx.pushed[0].task->request(kTarget, 100).url.find("cAaaaaaaaaaaaaaaa") != std::string::npos);
}

TEST_CASE("lookup_batch: a 4xx on the OR group falls back to per-lead, once, recording nothing") {
  FakeContext ctx;
  BatchLookup batch(leads({emailLead("l1", "a@x.com"), emailLead("l2", "b@x.com")}));
  CHECK(reply(batch, ctx, R"({"statusCode":422,"message":"bad filter"})", 422) == Next::kDone);
  CHECK(ctx.fallbacks == std::vector<std::string>{"batch:http_422:422"});
  CHECK(ctx.results.empty());
  REQUIRE(ctx.pushed.size() == 2);
  for (auto& p : ctx.pushed) {
    CHECK_FALSE(p.first);
    CHECK(p.task->tries == 0);
    CHECK(p.task->endpoint() == Endpoint::kSearch);
    CHECK(p.task->request(kTarget, 100).body.find("searchAfter") == std::string::npos);
  }
}

TEST_CASE("lookup_batch: auth, daily limit, retry and a stopped location") {
  SUBCASE("401 stops the location and records every member auth_failed") {
    FakeContext ctx;
    BatchLookup batch(leads({emailLead("l1", "a@x.com"), emailLead("l2", "b@x.com")}));
    CHECK(reply(batch, ctx, "{}", 401) == Next::kDone);
    CHECK(ctx.stops == std::vector<std::string>{"auth"});
    CHECK(ctx.results.size() == 2);
    CHECK(ctx.results["l2"].outcome == "auth_failed");
  }
  SUBCASE("503 is a retry") {
    FakeContext ctx;
    BatchLookup batch(leads({emailLead("l1", "a@x.com")}));
    CHECK(reply(batch, ctx, "{}", 503) == Next::kRetry);
    CHECK(ctx.results.empty());
  }
  SUBCASE("an answer for a stopped location records its members stopped") {
    FakeContext ctx;
    ctx.stopped_ = FetchOutcome::kDailyLimit;
    BatchLookup batch(leads({emailLead("l1", "a@x.com")}));
    CHECK(reply(batch, ctx, page({}, 0)) == Next::kDone);
    CHECK(ctx.results["l1"].outcome == "daily_limit");
    CHECK(ctx.results["l1"].detail == "location_stopped");
  }
}

TEST_CASE("lookup_scan: a page holding another location's contact: only the lead of that email is refused") {
  FakeContext ctx;
  ScanLookup scan(leads({emailLead("l1", "a@x.com"), emailLead("l2", "b@x.com"),
                         idLead("l3", "cIdddddddddddddddd"), idLead("l4", "cMissingmmmmmmmmm")}));
  const std::string p1 = page({contact("cAaaaaaaaaaaaaaaa", "a@x.com"),
                               contact("cBbbbbbbbbbbbbbbb", "b@x.com", "locationOTHERRRRRRR9")},
                              3);
  CHECK(reply(scan, ctx, p1) == Next::kAgain);
  CHECK(ctx.scan_pages.size() == 1);
  CHECK(reply(scan, ctx, page({contact("cIdddddddddddddddd", "d@x.com")}, 3)) == Next::kDone);
  CHECK(ctx.scans_done == 1);
  CHECK(ctx.scan_pages.size() == 2);
  CHECK(ctx.scan_pages[1].cursor == ctx.scan_pages[0].next_cursor);
  CHECK(ctx.results["l1"].outcome == "found");
  CHECK(ctx.results["l2"].outcome == "bad_response");
  CHECK(ctx.results["l2"].detail == "wrong_location");
  CHECK(ctx.results["l3"].outcome == "found");  // hydrated from the scan, no GET
  CHECK(ctx.results["l3"].contact_body.find("cIdddddddddddddddd") != std::string::npos);
  CHECK(ctx.results.count("l4") == 0);  // not shown: its GET follows
  REQUIRE(ctx.pushed.size() == 1);
  CHECK(ctx.pushed[0].task->endpoint() == Endpoint::kGet);
  CHECK(ctx.fallbacks.empty());
}

TEST_CASE("lookup_scan: a page without a cursor while contacts are unread falls back, leads go on per lead") {
  FakeContext ctx;
  ScanLookup scan(leads({emailLead("l1", "a@x.com"), idLead("l2", "cIdddddddddddddddd")}));
  const std::string no_cursor =
      R"({"id":"cAaaaaaaaaaaaaaaa","email":"a@x.com","locationId":")" + std::string(kLoc) + R"("})";
  CHECK(reply(scan, ctx, page({no_cursor}, 900)) == Next::kDone);
  CHECK(ctx.fallbacks == std::vector<std::string>{"scan:no_search_after:200"});
  CHECK(ctx.results.empty());
  CHECK(ctx.pushed.size() == 2);
}

TEST_CASE("lookup_task: a probe reports the contact count, or that it failed") {
  SUBCASE("its total") {
    FakeContext ctx;
    ProbeLookup probe;
    CHECK(probe.request(kTarget, 100).body.find("\"pageLimit\":1") != std::string::npos);
    CHECK(reply(probe, ctx, page({contact("cAaaaaaaaaaaaaaaa", "a@x.com")}, 100000)) == Next::kDone);
    REQUIRE(ctx.probes.size() == 1);
    CHECK(ctx.probes[0].first == 100000);
    CHECK(ctx.probes[0].second == "cheapest");
    // What the location does with it (Location::probed): the cheapest strategy by cost.
    LocationWork w{.gets = 0, .searches = 200, .emails = 200, .contacts = ctx.probes[0].first};
    CHECK(std::string(toString(chooseStrategy(w, 100).strategy)) == "batched");
    w = LocationWork{.gets = 0, .searches = 50000, .emails = 50000, .contacts = 60000};
    CHECK(std::string(toString(chooseStrategy(w, 100).strategy)) == "scan");
  }
  SUBCASE("a 400: no count") {
    FakeContext ctx;
    ProbeLookup probe;
    CHECK(reply(probe, ctx, "{}", 400) == Next::kDone);
    REQUIRE(ctx.probes.size() == 1);
    CHECK_FALSE(ctx.probes[0].first);
    CHECK(ctx.probes[0].second == "probe_failed");
  }
  SUBCASE("a 503 is retried; spent retries end the probe without a count") {
    FakeContext ctx;
    ProbeLookup probe;
    CHECK(reply(probe, ctx, "{}", 503) == Next::kRetry);
    CHECK(ctx.probes.empty());
    probe.fail(ctx, FetchOutcome::kTransient, "http_503");
    REQUIRE(ctx.probes.size() == 1);
    CHECK_FALSE(ctx.probes[0].first);
  }
}

TEST_CASE("lookup_lead: a search over two pages, then the GET that completes the chosen contact") {
  FakeContext ctx;
  LeadLookup lead(emailLead("l1", "a@x.com"));
  const std::string lacking = R"({"id":"cAaaaaaaaaaaaaaaa","email":"a@x.com","locationId":")" +
                              std::string(kLoc) +
                              R"(","dateAdded":"2023-01-01T00:00:00.000Z","searchAfter":[1,"a"]})";
  CHECK(reply(lead, ctx, page({contact("cZzzzzzzzzzzzzzzz", "a@x.com")}, 2)) == Next::kAgain);
  CHECK(lead.request(kTarget, 1).body.find("searchAfter") != std::string::npos);
  CHECK(reply(lead, ctx, page({lacking}, 2)) == Next::kAgain);  // the oldest lacks a field: its GET
  CHECK(lead.endpoint() == Endpoint::kGet);
  const std::string get =
      R"({"contact":{"id":"cAaaaaaaaaaaaaaaa","email":"a@x.com","phone":"+15550000000"}})";
  ++lead.attempts;
  lead.last_status = 200;
  CHECK(lead.onReply(ctx, classify(Endpoint::kGet, HttpResponse{1, 200, get, {}, ""}), get) == Next::kDone);
  CHECK(ctx.results["l1"].outcome == "found");
  CHECK(ctx.results["l1"].detail == "ambiguous");
  CHECK(ctx.results["l1"].attempts == 3);
  CHECK(ctx.follow_ups == std::vector<bool>{true});
}

// Hostile answers to an OR group or a scan page: one clear fallback of the location (its reason
// said), the leads handed on per lead, nothing recorded wrongly, no crash.
TEST_CASE("lookup tasks: hostile batch and scan answers give one fallback of the location") {
  std::string nested;
  for (int i = 0; i < 2000; ++i) nested += "[";
  const std::string bad_utf8 =
      page({"{\"id\":\"cAaaaaaaaaaaaaaaa\",\"email\":\"a\xff\xfe@x.com\",\"searchAfter\":[1,\"a\"]}"}, 1);
  struct Case {
    std::string name;
    std::string body;
    std::string error;
    std::string reason;  // "" : any
  };
  const std::vector<Case> cases = {
      {"huge", "", "too_large", "body_too_large"},
      {"nested", R"({"contacts":)" + nested, "", "too_deep"},
      {"not json", "\x01\x02<html>", "", "malformed_json"},
      {"contacts not an array", R"({"contacts":{"a":1},"total":1})", "", "unexpected_shape"},
      {"total a string", R"({"contacts":[],"total":"many"})", "", "bad_total"},
      {"no total", R"({"contacts":[]})", "", "bad_total"},
      {"negative total", R"({"contacts":[],"total":-5})", "", "bad_total"},
      {"a non-cursor last contact",
       R"({"contacts":[{"id":"cAaaaaaaaaaaaaaaa","email":"z@x.com","searchAfter":{"a":1}}],"total":700})", "",
       ""},
      {"a contact not an object", R"({"contacts":[1,"x",null],"total":3})", "", "unexpected_shape"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    for (const bool is_scan : {false, true}) {
      CAPTURE(is_scan);
      FakeContext ctx;
      std::unique_ptr<LookupTask> task;
      if (is_scan)
        task = std::make_unique<ScanLookup>(
            leads({emailLead("l1", "a@x.com"), idLead("l2", "cIdddddddddddddddd")}));
      else
        task = std::make_unique<BatchLookup>(leads({emailLead("l1", "a@x.com"), emailLead("l2", "b@x.com")}));
      const int status = c.error.empty() ? 200 : 0;
      CHECK(reply(*task, ctx, c.body, status, c.error) == Next::kDone);
      REQUIRE(ctx.fallbacks.size() == 1);
      if (!c.reason.empty()) CHECK(ctx.fallbacks[0].find(":" + c.reason + ":") != std::string::npos);
      CHECK(ctx.results.empty());
      CHECK(ctx.pushed.size() == 2);
    }
  }
  SUBCASE("a contact with a non-UTF-8 email is a contact of no lead") {
    FakeContext ctx;
    BatchLookup batch(leads({emailLead("l1", "a@x.com")}));
    CHECK(reply(batch, ctx, bad_utf8) == Next::kDone);
    CHECK(ctx.results["l1"].outcome == "not_found");
    FakeContext sctx;
    ScanLookup scan(leads({emailLead("l1", "a@x.com")}));
    CHECK(reply(scan, sctx, bad_utf8) == Next::kDone);
    CHECK(sctx.results["l1"].outcome == "not_found");
  }
}
