// The GHL API v2 calls fetch makes, as pure functions: building POST /contacts/search and
// GET /contacts/{id} requests (ghl-api.md), and classifying a response into the few cases the
// fetch engine branches on. No I/O here: requests go through a Transport, and what a class means
// for the lead and its location is decided in fetch.cpp.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "contact.h"
#include "transport.h"

namespace ghlb {

// Who is asking: the API root (validated, no trailing '/'), the location and its token (secret).
struct GhlTarget {
  std::string base_url;
  std::string location_id;
  std::string token;
  int timeout_ms = 15000;
};

// True when TOKEN may be sent: non-empty, every byte visible ASCII (0x21-0x7E). Any other token
// (a space, CR/LF, a control or non-ASCII byte) could inject headers and is never sent.
bool isSendableToken(std::string_view token);

// POST {base}/contacts/search for contacts whose primary email equals NORMALIZED_EMAIL, oldest
// first, PAGE_LIMIT per page. Headers: Authorization, Version, Content-Type, Accept. CURSOR, when
// not empty, is the JSON array of the previous page's last contact ("searchAfter", as
// SearchPage::next_cursor holds it) and asks for the page after it.
// Throws FatalError (naming no token) when a header value would hold CR, LF or NUL.
HttpRequest buildSearchRequest(const GhlTarget& target, std::string_view normalized_email, int page_limit,
                               std::string_view cursor = {});

// The same search for contacts whose primary email is any of EMAILS (normalized, at least one):
// an OR group of email eq filters (one eq filter for a single email).
HttpRequest buildBatchSearchRequest(const GhlTarget& target, const std::vector<std::string>& emails,
                                    int page_limit, std::string_view cursor = {});

// The same search with no filter: every contact of the location, oldest first (the probe with
// PAGE_LIMIT 1, whose total is the contact count; a scan page with 500).
HttpRequest buildScanRequest(const GhlTarget& target, int page_limit, std::string_view cursor = {});

// GET {base}/contacts/{CONTACT_ID}; the caller has checked isValidGhlId(contact_id).
HttpRequest buildGetRequest(const GhlTarget& target, std::string_view contact_id);

enum class Endpoint { kSearch, kGet };

enum class ReplyKind {
  kOk,           // 200 with a body of the expected shape (page or contact set)
  kNotFound,     // GET 404: the contact does not exist
  kAuth,         // 401/403: the token is bad for this location; stop the location
  kRateLimited,  // 429 within the burst limits: retry after the limiter's pause (detail
                 // "point_in_time" when the search backend said so: pause longer)
  kDailyLimit,   // 429 with X-RateLimit-Daily-Remaining: 0: done for today
  kRetry,        // 5xx, or no response (network error, timeout)
  kPermanent,    // 400, 422, other 4xx (and unexpected 1xx/3xx): this lead fails for good
  kBadResponse,  // 2xx whose body is not JSON, too deeply nested or not the documented shape
  kTooLarge,     // the body passed --max-body-bytes: this lead fails for good
  kFatal,        // an error no retry can fix (TLS verification): the run stops
};

struct Reply {
  ReplyKind kind = ReplyKind::kRetry;
  int status = 0;
  std::string detail;              // no PII: "http_503", "refused", "too_deep", "malformed_json", ...
  std::optional<SearchPage> page;  // kOk on kSearch
  std::optional<Contact> contact;  // kOk on kGet
};

// Classifies RESPONSE to a request made to ENDPOINT, parsing the body of a 2xx.
Reply classify(Endpoint endpoint, const HttpResponse& response);

const char* toString(ReplyKind k);

}  // namespace ghlb
