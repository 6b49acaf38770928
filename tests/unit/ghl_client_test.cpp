// ghl_client: exact requests (ghl-api.md) and the response classification table.
#include "ghl_client.h"

#include <doctest/doctest.h>

#include "error.h"

using ghlb::Endpoint;
using ghlb::HttpResponse;
using ghlb::ReplyKind;

namespace {

ghlb::GhlTarget target() { return {"https://services.leadconnectorhq.com", "LOC123", "tok-secret", 12345}; }

HttpResponse response(int status, std::string body = "", std::map<std::string, std::string> headers = {},
                      std::string error = "") {
  return HttpResponse{7, status, std::move(body), std::move(headers), std::move(error)};
}

const char* const kSearchOk =
    R"({"contacts":[{"id":"abcdefghijklmnop1","email":"a@x.com","dateAdded":"2024-01-01T00:00:00.000Z"}],"total":1})";
const char* const kGetOk =
    R"({"contact":{"id":"abcdefghijklmnop1","email":"a@x.com","phone":"+15551234567"}})";

}  // namespace

TEST_CASE("ghl_client: search request is exact") {
  const auto r = ghlb::buildSearchRequest(target(), "a@x.com", 100);
  CHECK(r.method == "POST");
  CHECK(r.url == "https://services.leadconnectorhq.com/contacts/search");
  CHECK(r.headers == std::vector<std::string>{"Authorization: Bearer tok-secret", "Version: 2021-07-28",
                                              "Content-Type: application/json", "Accept: application/json"});
  CHECK(
      r.body ==
      R"({"locationId":"LOC123","pageLimit":100,"filters":[{"field":"email","operator":"eq","value":"a@x.com"}],)"
      R"("sort":[{"field":"dateAdded","direction":"asc"}]})");
  CHECK(r.timeout_ms == 12345);
}

TEST_CASE("ghl_client: search body escapes JSON") {
  const auto r = ghlb::buildSearchRequest(target(), "a\"b\\c@x.com", 5);
  CHECK(r.body.find(R"("value":"a\"b\\c@x.com")") != std::string::npos);
  CHECK(r.body.find(R"("pageLimit":5)") != std::string::npos);
}

TEST_CASE("ghl_client: get request is exact") {
  const auto r = ghlb::buildGetRequest(target(), "abcdefghijklmnop1");
  CHECK(r.method == "GET");
  CHECK(r.url == "https://services.leadconnectorhq.com/contacts/abcdefghijklmnop1");
  CHECK(r.headers == std::vector<std::string>{"Authorization: Bearer tok-secret", "Version: 2021-07-28",
                                              "Accept: application/json"});
  CHECK(r.body.empty());
  CHECK(r.url.find("tok-secret") == std::string::npos);
}

TEST_CASE("ghl_client: classification table") {
  struct Row {
    Endpoint endpoint;
    HttpResponse resp;
    ReplyKind kind;
    const char* detail;
  };
  const std::vector<Row> rows = {
      {Endpoint::kSearch, response(200, kSearchOk), ReplyKind::kOk, ""},
      {Endpoint::kGet, response(200, kGetOk), ReplyKind::kOk, ""},
      {Endpoint::kSearch, response(200, R"({"contacts":[],"total":0})"), ReplyKind::kOk, ""},
      {Endpoint::kSearch, response(200, "<html>oops</html>"), ReplyKind::kBadResponse, "malformed_json"},
      {Endpoint::kSearch, response(200, R"({"contact":{}})"), ReplyKind::kBadResponse, "unexpected_shape"},
      {Endpoint::kGet, response(200, kSearchOk), ReplyKind::kBadResponse, "unexpected_shape"},
      {Endpoint::kGet, response(200, ""), ReplyKind::kBadResponse, "malformed_json"},
      {Endpoint::kGet, response(204, ""), ReplyKind::kBadResponse, "unexpected_2xx"},
      {Endpoint::kGet, response(404, R"({"statusCode":404,"message":"Contact not found"})"),
       ReplyKind::kNotFound, "http_404"},
      {Endpoint::kSearch, response(404, "{}"), ReplyKind::kPermanent, "http_404"},
      {Endpoint::kSearch, response(401, R"({"message":"Invalid JWT"})"), ReplyKind::kAuth, "http_401"},
      {Endpoint::kGet, response(403, "{}"), ReplyKind::kAuth, "http_403"},
      {Endpoint::kSearch, response(429, "{}"), ReplyKind::kRateLimited, "http_429"},
      {Endpoint::kSearch, response(429, "{}", {{"x-ratelimit-daily-remaining", "12"}}),
       ReplyKind::kRateLimited, "http_429"},
      {Endpoint::kGet, response(429, "{}", {{"x-ratelimit-daily-remaining", "0"}}), ReplyKind::kDailyLimit,
       "daily_limit"},
      {Endpoint::kSearch, response(500, "{}"), ReplyKind::kRetry, "http_500"},
      {Endpoint::kGet, response(503, "down"), ReplyKind::kRetry, "http_503"},
      {Endpoint::kGet, response(0, "", {}, "timeout"), ReplyKind::kRetry, "timeout"},
      {Endpoint::kSearch, response(0, "", {}, "connect"), ReplyKind::kRetry, "connect"},
      {Endpoint::kSearch, response(0, "", {}, ""), ReplyKind::kRetry, "other"},
      {Endpoint::kSearch, response(400, "{}"), ReplyKind::kPermanent, "http_400"},
      {Endpoint::kSearch, response(422, R"({"message":["pageLimit must be..."]})"), ReplyKind::kPermanent,
       "http_422"},
      {Endpoint::kGet, response(410, "{}"), ReplyKind::kPermanent, "http_410"},
      {Endpoint::kGet, response(302, ""), ReplyKind::kPermanent, "http_302"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.resp.status);
    CAPTURE(row.resp.body);
    const auto reply = ghlb::classify(row.endpoint, row.resp);
    CHECK(std::string(ghlb::toString(reply.kind)) == ghlb::toString(row.kind));
    CHECK(reply.detail == row.detail);
    CHECK(reply.status == row.resp.status);
  }
}

TEST_CASE("ghl_client: ok replies carry the parsed payload") {
  const auto s = ghlb::classify(Endpoint::kSearch, response(200, kSearchOk));
  REQUIRE(s.page);
  CHECK(s.page->contacts.size() == 1);
  CHECK_FALSE(s.contact);
  const auto g = ghlb::classify(Endpoint::kGet, response(200, kGetOk));
  REQUIRE(g.contact);
  CHECK(g.contact->id == "abcdefghijklmnop1");
  CHECK_FALSE(g.page);
}

TEST_CASE("ghl_client: only visible-ASCII tokens are sendable") {
  CHECK(ghlb::isSendableToken("pit-abc.DEF_123~!"));
  CHECK_FALSE(ghlb::isSendableToken(""));
  CHECK_FALSE(ghlb::isSendableToken("a b"));
  CHECK_FALSE(ghlb::isSendableToken("a\r\nb"));
  CHECK_FALSE(ghlb::isSendableToken(std::string("a\0b", 3)));
  CHECK_FALSE(ghlb::isSendableToken("a\x7f"));
  CHECK_FALSE(ghlb::isSendableToken("t\xC3\xB6k"));
}

TEST_CASE("ghl_client: a header value with CR, LF or NUL is refused, the token not shown") {
  for (const std::string& token :
       {std::string("SECRET\r\nDELETE /x"), std::string("SECRET\nX: y"), std::string("SECRET\0z", 8)}) {
    ghlb::GhlTarget t = target();
    t.token = token;
    try {
      ghlb::buildGetRequest(t, "abcdefghijklmnop1");
      FAIL("no throw");
    } catch (const ghlb::FatalError& e) {
      CHECK(std::string(e.what()).find("SECRET") == std::string::npos);
    }
    CHECK_THROWS_AS(ghlb::buildSearchRequest(t, "a@x.com", 10), ghlb::FatalError);
  }
}

TEST_CASE("ghl_client: the next search page carries searchAfter, never page") {
  const auto r = ghlb::buildSearchRequest(target(), "a@x.com", 100, R"([1704067200000,"abc"])");
  CHECK(r.body.find(R"(,"searchAfter":[1704067200000,"abc"]})") != std::string::npos);
  CHECK(r.body.find(R"("page")") == std::string::npos);
}

TEST_CASE("ghl_client: deep bodies, too large and TLS classes") {
  const std::string deep = std::string(100, '[') + std::string(100, ']');
  CHECK(ghlb::classify(Endpoint::kGet, response(200, deep)).detail == "too_deep");
  CHECK(std::string(ghlb::toString(ghlb::classify(Endpoint::kSearch, response(200, deep)).kind)) ==
        ghlb::toString(ReplyKind::kBadResponse));
  const std::string very = std::string(200000, '{');  // not even valid: no crash, no recursion
  CHECK(ghlb::classify(Endpoint::kSearch, response(200, very)).detail == "too_deep");
  const auto large = ghlb::classify(Endpoint::kGet, response(0, "", {}, "too_large"));
  CHECK(std::string(ghlb::toString(large.kind)) == ghlb::toString(ReplyKind::kTooLarge));
  CHECK(large.detail == "body_too_large");
  CHECK(std::string(ghlb::toString(ghlb::classify(Endpoint::kGet, response(0, "", {}, "tls")).kind)) ==
        ghlb::toString(ReplyKind::kFatal));
  CHECK(std::string(ghlb::toString(ghlb::classify(Endpoint::kGet, response(0, "", {}, "refused")).kind)) ==
        ghlb::toString(ReplyKind::kRetry));
  CHECK(ghlb::classify(Endpoint::kGet, response(0, "", {}, "refused")).detail == "refused");
}

TEST_CASE("ghl_client: batch and scan requests are exact") {
  const auto b = ghlb::buildBatchSearchRequest(target(), {"a@x.com", "b@x.com"}, 500);
  CHECK(b.url == "https://services.leadconnectorhq.com/contacts/search");
  CHECK(
      b.body ==
      R"({"locationId":"LOC123","pageLimit":500,"filters":[{"group":"OR","filters":[)"
      R"({"field":"email","operator":"eq","value":"a@x.com"},{"field":"email","operator":"eq","value":"b@x.com"}]}],)"
      R"("sort":[{"field":"dateAdded","direction":"asc"}]})");
  const auto one = ghlb::buildBatchSearchRequest(target(), {"a@x.com"}, 500);
  CHECK(one.body.find("group") == std::string::npos);  // a single email needs no group
  const auto s = ghlb::buildScanRequest(target(), 500, R"([1,"abc"])");
  CHECK(s.body ==
        R"({"locationId":"LOC123","pageLimit":500,"sort":[{"field":"dateAdded","direction":"asc"}],)"
        R"("searchAfter":[1,"abc"]})");
  CHECK(ghlb::buildScanRequest(target(), 1).body.find("searchAfter") == std::string::npos);
}

TEST_CASE("ghl_client: the search backend's point-in-time 429 is told apart") {
  const auto pit = ghlb::classify(
      Endpoint::kSearch, response(429, R"({"statusCode":429,"message":"Too many Point-In-Time contexts"})"));
  CHECK((pit.kind == ReplyKind::kRateLimited));
  CHECK(pit.detail == "point_in_time");
  CHECK(ghlb::classify(Endpoint::kSearch, response(429, R"({"message":"Too many requests"})")).detail ==
        "http_429");
}
