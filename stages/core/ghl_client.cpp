#include "ghl_client.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <vector>

#include "error.h"
#include "json_write.h"
#include "names.h"

namespace ghlb {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// Defence in depth behind isSendableToken(): a header line holding CR, LF or NUL would let its
// value write further headers or a whole request. The message never shows the value.
void checkHeaderValue(std::string_view value) {
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos)
    throw FatalError("refusing to send a GHL request whose header holds CR, LF or NUL: a token is malformed");
}

HttpRequest baseRequest(const GhlTarget& target, const char* method, std::string url) {
  checkHeaderValue(target.token);
  HttpRequest r;
  r.method = method;
  r.url = std::move(url);
  r.headers = {"Authorization: Bearer " + target.token,
               std::string(names::kGhlVersionHeader) + ": " + names::kGhlVersion};
  if (r.method == "POST") r.headers.emplace_back("Content-Type: application/json");
  r.headers.emplace_back("Accept: application/json");
  r.timeout_ms = target.timeout_ms;
  return r;
}

void writeEmailEq(Writer& w, std::string_view email) {
  w.StartObject();
  json::member(w, "field", "email");
  json::member(w, "operator", "eq");
  json::member(w, "value", email);
  w.EndObject();
}

// EMAILS: none (every contact of the location), one (an eq filter) or several (an OR group).
std::string searchBody(std::string_view location_id, const std::vector<std::string_view>& emails,
                       int page_limit, std::string_view cursor) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  json::member(w, "locationId", location_id);
  json::member(w, "pageLimit", page_limit);
  if (!emails.empty()) {
    w.Key("filters");
    w.StartArray();
    if (emails.size() == 1) {
      writeEmailEq(w, emails.front());
    } else {
      w.StartObject();
      json::member(w, "group", "OR");
      w.Key("filters");
      w.StartArray();
      for (const auto e : emails) writeEmailEq(w, e);
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
  }
  w.Key("sort");
  w.StartArray();
  w.StartObject();
  json::member(w, "field", "dateAdded");
  json::member(w, "direction", "asc");
  w.EndObject();
  w.EndArray();
  if (!cursor.empty()) {  // SearchPage::next_cursor: re-serialized by us, valid JSON
    w.Key("searchAfter");
    w.RawValue(cursor.data(), cursor.size(), rapidjson::kArrayType);
  }
  w.EndObject();
  return buf.GetString();
}

bool isJson(std::string_view body) {
  if (jsonTooDeep(body)) return false;
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  return !doc.HasParseError();
}

Reply make(ReplyKind kind, int status, std::string detail) {
  Reply r;
  r.kind = kind;
  r.status = status;
  r.detail = std::move(detail);
  return r;
}

// A 2xx: the body decides between kOk and kBadResponse.
Reply classifyBody(Endpoint endpoint, const HttpResponse& resp) {
  if (resp.status != 200) return make(ReplyKind::kBadResponse, resp.status, "unexpected_2xx");
  if (jsonTooDeep(resp.body)) return make(ReplyKind::kBadResponse, resp.status, "too_deep");
  Reply r = make(ReplyKind::kOk, resp.status, "");
  if (endpoint == Endpoint::kSearch)
    r.page = parseSearchBody(resp.body);
  else
    r.contact = parseGetBody(resp.body);
  if (r.page || r.contact) return r;
  return make(ReplyKind::kBadResponse, resp.status,
              isJson(resp.body) ? "unexpected_shape" : "malformed_json");
}

Reply classify429(const HttpResponse& resp) {
  const auto* daily = findHeader(resp.headers, names::kHdrDailyRemaining);
  if (daily && *daily == "0") return make(ReplyKind::kDailyLimit, 429, "daily_limit");
  // The search backend's own 429 (too many point-in-time contexts) wants a longer pause.
  std::string lower;
  for (const char c : resp.body.substr(0, 4096))
    lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (lower.find("point in time") != std::string::npos || lower.find("point-in-time") != std::string::npos)
    return make(ReplyKind::kRateLimited, 429, "point_in_time");
  return make(ReplyKind::kRateLimited, 429, "http_429");
}

}  // namespace

bool isSendableToken(std::string_view token) {
  return !token.empty() &&
         std::all_of(token.begin(), token.end(), [](char c) { return c >= 0x21 && c <= 0x7E; });
}

HttpRequest buildSearchRequest(const GhlTarget& target, std::string_view normalized_email, int page_limit,
                               std::string_view cursor) {
  HttpRequest r = baseRequest(target, "POST", target.base_url + names::kGhlSearchPath);
  r.body = searchBody(target.location_id, {normalized_email}, page_limit, cursor);
  return r;
}

HttpRequest buildBatchSearchRequest(const GhlTarget& target, const std::vector<std::string>& emails,
                                    int page_limit, std::string_view cursor) {
  HttpRequest r = baseRequest(target, "POST", target.base_url + names::kGhlSearchPath);
  r.body = searchBody(target.location_id, std::vector<std::string_view>(emails.begin(), emails.end()),
                      page_limit, cursor);
  return r;
}

HttpRequest buildScanRequest(const GhlTarget& target, int page_limit, std::string_view cursor) {
  HttpRequest r = baseRequest(target, "POST", target.base_url + names::kGhlSearchPath);
  r.body = searchBody(target.location_id, {}, page_limit, cursor);
  return r;
}

HttpRequest buildGetRequest(const GhlTarget& target, std::string_view contact_id) {
  return baseRequest(target, "GET", target.base_url + names::kGhlContactPath + std::string(contact_id));
}

Reply classify(Endpoint endpoint, const HttpResponse& resp) {
  const int s = resp.status;
  const std::string http = "http_" + std::to_string(s);
  if (s == 0 && resp.error == "too_large") return make(ReplyKind::kTooLarge, 0, "body_too_large");
  if (s == 0 && resp.error == "tls") return make(ReplyKind::kFatal, 0, "tls");
  if (s == 0) return make(ReplyKind::kRetry, 0, resp.error.empty() ? "other" : resp.error);
  if (s >= 200 && s < 300) return classifyBody(endpoint, resp);
  if (s == 404 && endpoint == Endpoint::kGet) return make(ReplyKind::kNotFound, s, http);
  if (s == 401 || s == 403) return make(ReplyKind::kAuth, s, http);
  if (s == 429) return classify429(resp);
  if (s >= 500) return make(ReplyKind::kRetry, s, http);
  return make(ReplyKind::kPermanent, s, http);
}

const char* toString(ReplyKind k) {
  switch (k) {
    case ReplyKind::kOk:
      return "ok";
    case ReplyKind::kNotFound:
      return "not_found";
    case ReplyKind::kAuth:
      return "auth";
    case ReplyKind::kRateLimited:
      return "rate_limited";
    case ReplyKind::kDailyLimit:
      return "daily_limit";
    case ReplyKind::kRetry:
      return "retry";
    case ReplyKind::kPermanent:
      return "permanent";
    case ReplyKind::kBadResponse:
      return "bad_response";
    case ReplyKind::kTooLarge:
      return "too_large";
    case ReplyKind::kFatal:
      return "fatal";
  }
  return "retry";
}

}  // namespace ghlb
