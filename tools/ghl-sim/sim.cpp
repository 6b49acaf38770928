#include "sim.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "json_write.h"
#include "sim_search.h"
#include "sim_text.h"

namespace ghlsim {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
using ghlb::json::key;
using ghlb::json::member;
using ghlb::json::value;

std::vector<std::string> locationIds(const SimData& data) {
  std::vector<std::string> ids;
  for (const Location& l : data.locations()) ids.push_back(l.id);
  return ids;
}

// {"statusCode":N,"message":"..."} exactly, as GHL sends for auth, access and not-found errors.
std::string plainError(int status, std::string_view message) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  member(w, "statusCode", status);
  member(w, "message", message);
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

// {"statusCode":422,"message":[...],"error":"Unprocessable Entity"}, class-validator's shape.
std::string validationBody(int status, const std::vector<std::string>& messages) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  member(w, "statusCode", status);
  key(w, "message");
  w.StartArray();
  for (const std::string& m : messages) value(w, m);
  w.EndArray();
  member(w, "error", reasonPhrase(status));
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

// The token of "Bearer <token>" (scheme case-insensitive); nullopt for anything else.
std::optional<std::string> bearerToken(const std::optional<std::string>& header) {
  if (!header) return std::nullopt;
  const std::string_view h = trim(*header);
  if (h.size() < 7 || toLower(h.substr(0, 7)) != "bearer ") return std::nullopt;
  const std::string_view token = trim(h.substr(7));
  if (token.empty()) return std::nullopt;
  return std::string(token);
}

const char* faultMessage(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Invalid token: access token is invalid";
    case 403:
      return "The token does not have access to this location.";
    case 404:
      return "Not Found";
    case 429:
      return "Too many requests";
    case 500:
      return "Internal server error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Simulated failure";
  }
}

// Faults that answer the real 200 with its (first) contact altered (see mutateContact).
bool isContentFault(FaultAction::Kind k) {
  using K = FaultAction::Kind;
  return k == K::WrongId || k == K::WrongLocation || k == K::BadId || k == K::BadUtf8 || k == K::Nul;
}

void setString(rapidjson::Value& obj, const char* key, std::string_view value, rapidjson::Document& doc) {
  rapidjson::Value v(value.data(), static_cast<rapidjson::SizeType>(value.size()), doc.GetAllocator());
  if (const auto it = obj.FindMember(key); it != obj.MemberEnd()) {
    it->value = v;
  } else {
    obj.AddMember(rapidjson::Value(key, doc.GetAllocator()), v, doc.GetAllocator());
  }
}

// BODY (a 200 of ROUTE) with its contact, or a search's first contact, altered as KIND says. The
// writer does not validate encoding, so invalid UTF-8 goes out as the raw bytes.
std::string mutateContact(const std::string& body, FaultAction::Kind kind, Route route) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return body;
  rapidjson::Value* contact = nullptr;
  if (route == Route::Get && doc.HasMember("contact")) contact = &doc["contact"];
  if (route == Route::Search && doc.HasMember("contacts") && doc["contacts"].IsArray() &&
      !doc["contacts"].Empty())
    contact = &doc["contacts"][0];
  if (contact == nullptr || !contact->IsObject()) return body;
  using K = FaultAction::Kind;
  switch (kind) {
    case K::WrongId:
      setString(*contact, "id", "zzWrongContactId0001", doc);
      break;
    case K::WrongLocation:
      setString(*contact, "locationId", "zzOtherLocation00001", doc);
      break;
    case K::BadId:
      setString(*contact, "id", "abc/../x?y\"z", doc);
      break;
    case K::BadUtf8:
      setString(*contact, "firstName", std::string_view("\xC3\x28", 2), doc);
      break;
    case K::Nul:
      setString(*contact, "lastName", std::string_view("Smith\0Evil", 10), doc);
      break;
    default:
      break;
  }
  rapidjson::StringBuffer buf;
  Writer w(buf);
  doc.Accept(w);
  return {buf.GetString(), buf.GetSize()};
}

// True when the "Bearer " value of HEADER holds a byte outside visible ASCII: a token that was
// pasted into the header raw (CR/LF, spaces, control bytes).
bool badBearerBytes(const std::optional<std::string>& header) {
  if (!header || header->size() < 7 || toLower(std::string_view(*header).substr(0, 7)) != "bearer ")
    return false;
  return std::any_of(header->begin() + 7, header->end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x21 || u > 0x7E;
  });
}

}  // namespace

std::string reasonPhrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Error";
  }
}

std::string errorBody(int status, const std::string& message) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  member(w, "statusCode", status);
  member(w, "message", message);
  member(w, "error", reasonPhrase(status));
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

Simulator::Simulator(SimData data, SimOptions options)
    : data_(std::move(data)),
      options_(options),
      limiter_(options.rate),
      scripts_(data_.faults()),
      random_(options.random),
      stats_(locationIds(data_)) {}

SimResponse Simulator::handleControl(const SimRequest& request) {
  SimResponse out;
  out.control = true;
  if (request.method == "GET" && request.path == "/__sim/stats") {
    out.body = stats_.json();
  } else if (request.method == "POST" && request.path == "/__sim/reset-stats") {
    stats_.reset();
    out.body = R"({"ok":true})";
  } else {
    out.status = 404;
    out.body = plainError(404, "Cannot " + request.method + " " + request.path);
  }
  return out;
}

void Simulator::applyFault(const FaultAction& action, Route route, SimResponse& out) const {
  switch (action.kind) {
    case FaultAction::Kind::Status:
      out.status = action.status;
      if (action.status == 422) {
        out.body = validationBody(422, {"simulated validation failure"});
      } else {
        out.body = errorBody(action.status, faultMessage(action.status));
      }
      if (action.status == 429 && options_.retryAfter) out.headers.emplace_back("Retry-After", "1");
      return;
    case FaultAction::Kind::Reset:
      out.reset = true;
      out.status = 0;
      out.body.clear();
      return;
    case FaultAction::Kind::Malformed:
      out.status = 200;
      out.body = route == Route::Get ? R"({"contact": {)" : R"({"contacts": [)";
      return;
    case FaultAction::Kind::NotJson:
      out.status = 200;
      out.body = "<html>oops</html>";
      out.contentType = "text/html; charset=utf-8";
      return;
    case FaultAction::Kind::WrongShape:
      out.status = 200;
      out.body = R"({"unexpected":true})";
      return;
    case FaultAction::Kind::Slow:
      out.delay += options_.slow;  // then answered normally by the caller
      return;
    case FaultAction::Kind::Deep:
      out.status = 200;
      out.body = std::string(kDeepLevels, '[') + std::string(kDeepLevels, ']');
      return;
    case FaultAction::Kind::Huge:
      out.status = 200;
      out.body = R"({"contacts":[],"total":0,"pad":")" + std::string(kHugeBodyBytes, 'x') + R"("})";
      return;
    case FaultAction::Kind::WrongId:
    case FaultAction::Kind::WrongLocation:
    case FaultAction::Kind::BadId:
    case FaultAction::Kind::BadUtf8:
    case FaultAction::Kind::Nul:
      return;  // the real answer, altered by the caller (mutateContact)
    case FaultAction::Kind::Paged:
      return;  // the real answer, one contact per page (handle)
  }
}

namespace {

bool hasOrGroup(const Filter& f) {
  if (f.kind == Filter::Kind::Any) return true;
  for (const auto& c : f.children)
    if (hasOrGroup(c)) return true;
  return false;
}

}  // namespace

SimResponse Simulator::handle(const SimRequest& request, SteadyTime now) {
  if (request.path.starts_with("/__sim/")) return handleControl(request);

  SimResponse out;
  RequestRecord rec;
  out.delay = random_.delay();

  const auto token = bearerToken(request.authorization);
  const Location* location = token ? data_.locationByToken(*token) : nullptr;
  if (location != nullptr) out.location = location->id;

  constexpr std::string_view kContactsPrefix = "/contacts/";
  const bool isGet = request.method == "GET" || request.method == "HEAD";
  std::string contactId;
  std::optional<Route> route;
  if (request.method == "POST" && request.path == "/contacts/search") {
    route = Route::Search;
  } else if (isGet && request.path.starts_with(kContactsPrefix) &&
             request.path.size() > kContactsPrefix.size() &&
             request.path.find('/', kContactsPrefix.size()) == std::string::npos) {
    route = Route::Get;
    contactId = request.path.substr(kContactsPrefix.size());
  }

  rec.unexpected = !route || (request.method != "GET" && request.method != "POST");
  rec.badAuthHeader = badBearerBytes(request.authorization);

  const auto finish = [&]() -> SimResponse {
    rec.status = out.reset ? std::nullopt : std::optional<int>(out.status);
    stats_.record(rec);
    return std::move(out);
  };

  if (!route) {
    rec.writeAttempt = !isGet;
    out.status = 404;
    out.body = plainError(404, "Cannot " + request.method + " " + request.path);
    return finish();
  }
  rec.route = *route;

  if (location == nullptr) {
    out.status = 401;
    out.body = plainError(401, "Invalid token: access token is invalid");
    return finish();
  }
  rec.location = location->id;

  // Parsed before the limiter so that even a 429 reports its email filter count; the outcome of
  // the parse only matters after the rate limit and Version checks.
  std::optional<std::variant<SearchRequest, RequestError>> parsed;
  if (*route == Route::Search) {
    parsed = parseSearchRequest(request.body);
    if (const auto* ok = std::get_if<SearchRequest>(&*parsed)) {
      out.emailFilters = static_cast<int>(ok->emailEqValues.size());
    }
  }

  const RateDecision rate = limiter_.admit(location->id, now);
  rec.seenInWindow = rate.seenInWindow;
  const RateLimitConfig& cfg = limiter_.config();
  out.headers.emplace_back("X-RateLimit-Max", std::to_string(cfg.burst));
  out.headers.emplace_back("X-RateLimit-Remaining", std::to_string(rate.remaining));
  out.headers.emplace_back("X-RateLimit-Interval-Milliseconds", std::to_string(cfg.window.count()));
  out.headers.emplace_back("X-RateLimit-Limit-Daily", std::to_string(cfg.daily));
  out.headers.emplace_back("X-RateLimit-Daily-Remaining", std::to_string(rate.dailyRemaining));
  if (options_.dailyResetHeader) {
    out.headers.emplace_back("X-RateLimit-Daily-Reset", std::to_string(rate.dailyResetSeconds));
  }
  if (rate.verdict == RateDecision::Verdict::DailyExceeded) {
    rec.rateLimited = true;
    out.status = 429;
    out.body = plainError(429, "Daily limit exceeded");
    return finish();
  }
  if (rate.verdict == RateDecision::Verdict::BurstExceeded) {
    rec.rateLimited = true;
    out.status = 429;
    out.body = plainError(429, "Too many requests");
    if (options_.retryAfter) out.headers.emplace_back("Retry-After", std::to_string(rate.retryAfterSeconds));
    return finish();
  }
  rec.inWindow = rate.inWindow;

  if (request.version != kApiVersion) {
    out.status = 400;
    out.body = plainError(400, "version header is missing or invalid");
    return finish();
  }

  std::optional<SearchRequest> search;
  const Contact* contact = nullptr;
  std::optional<FaultAction> fault;
  if (*route == Route::Search) {
    if (const auto* error = std::get_if<RequestError>(&*parsed)) {
      out.status = error->status;
      out.body = error->status == 400 ? errorBody(400, error->messages.front())
                                      : validationBody(error->status, error->messages);
      return finish();
    }
    search = std::move(std::get<SearchRequest>(*parsed));
    if (search->locationId != location->id) {
      out.status = 403;
      out.body = plainError(403, "The token does not have access to this location.");
      return finish();
    }
    if (options_.rejectOr && hasOrGroup(search->filter)) {
      out.status = 422;
      out.body = validationBody(422, {"filters.group OR is not supported"});
      return finish();
    }
    if (options_.pitEvery > 0 && search->searchAfter &&
        ++cursorSearches_ % static_cast<std::uint64_t>(options_.pitEvery) == 0) {
      rec.rateLimited = true;
      out.status = 429;
      out.body = plainError(429, "Too many point in time contexts open for this location, try again later");
      return finish();
    }
    fault = scripts_.nextForEmails(search->emailEqValues);
  } else {
    contact = data_.contactById(contactId);
    if (contact != nullptr && contact->locationId != location->id) {
      out.status = 403;
      out.body = plainError(403, "The token does not have access to this location.");
      return finish();
    }
    fault = scripts_.nextForContact(contactId);
  }
  if (!fault) fault = random_.draw();
  if (fault) {
    rec.fault = true;
    out.fault = describeFaultAction(*fault);
    applyFault(*fault, *route, out);
    const bool answered = fault->kind == FaultAction::Kind::Slow || fault->kind == FaultAction::Kind::Paged ||
                          isContentFault(fault->kind);
    if (!answered) return finish();
    if (fault->kind == FaultAction::Kind::Paged && search) search->pageLimit = 1;
  }

  if (*route == Route::Search) {
    const SearchPage page = runSearch(*search, data_, *location);
    out.status = 200;
    out.body = renderSearchBody(page, randomHex(32));
  } else if (contact != nullptr) {
    out.status = 200;
    out.body = renderContactBody(*contact);
  } else {
    out.status = 404;
    out.body = plainError(404, "Contact not found");
  }
  if (fault && isContentFault(fault->kind) && out.status == 200)
    out.body = mutateContact(out.body, fault->kind, *route);
  return finish();
}

}  // namespace ghlsim
