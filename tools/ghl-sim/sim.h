// The GoHighLevel API v2 contacts imitation as a pure request -> response function: auth, the
// Version header, per-location rate limiting with GHL's X-RateLimit-* headers, scripted and random
// fault injection, POST /contacts/search, GET /contacts/{id}, the 404 for every other route, and
// the /__sim/ control endpoints. No sockets here: main.cpp feeds it from cpp-httplib and carries
// out the transport parts of a response (the delay and the connection reset), so everything else
// is unit-testable with a hand-driven clock. Thread-safe.
#pragma once
#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim_data.h"
#include "sim_faults.h"
#include "sim_rate_limiter.h"
#include "sim_stats.h"

namespace ghlsim {

inline constexpr const char* kApiVersion = "2021-07-28";
inline constexpr std::size_t kDeepLevels = 120000;       // nesting of a "deep" fault's body
inline constexpr std::size_t kHugeBodyBytes = 9u << 20;  // padding of a "huge" fault's body

struct SimOptions {
  RateLimitConfig rate;
  bool retryAfter = true;         // send Retry-After on 429s (off with --no-retry-after)
  bool dailyResetHeader = false;  // send X-RateLimit-Daily-Reset (seconds until the quota resets)
  RandomFaultConfig random;
  std::chrono::milliseconds slow{3000};  // the delay of a "slow" fault
  int pitEvery = 0;                      // every Nth search carrying searchAfter answers the search backend's
                                         // point-in-time 429 (0: never); --pit-429-every
  bool rejectOr = false;  // searches with an OR group answer 422, as a server without them might
};

struct SimRequest {
  std::string method;                        // "GET", "POST", ...
  std::string path;                          // without the query string
  std::optional<std::string> authorization;  // the Authorization header, when present
  std::optional<std::string> version;        // the Version header, when present
  std::string body;
};

struct SimResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type
  std::string body;
  std::string contentType = "application/json; charset=utf-8";
  bool reset = false;                  // drop the connection instead of answering
  std::chrono::milliseconds delay{0};  // wait this long before answering (or resetting)

  // For the request log and --verbose; never personal data.
  bool control = false;                 // a /__sim/ request: not an API request, not logged
  std::optional<std::string> location;  // the token's location, when the token is known
  int emailFilters = 0;                 // email eq filters in a search body
  std::string fault;                    // the injected fault ("500", "reset", "slow", ...), or ""
};

class Simulator {
 public:
  Simulator(SimData data, SimOptions options);

  // Answers one request received at `now`. Order of checks for API routes: unknown route (404,
  // no auth needed), bearer token (401), rate limit (429), Version header (400), body validation
  // (400/422), location access (403), scripted fault, random fault, then the real answer.
  SimResponse handle(const SimRequest& request, SteadyTime now);

  const SimData& data() const { return data_; }
  std::string statsJson() const { return stats_.json(); }
  void resetStats() { stats_.reset(); }

 private:
  SimResponse handleControl(const SimRequest& request);
  void applyFault(const FaultAction& action, Route route, SimResponse& out) const;

  SimData data_;
  SimOptions options_;
  RateLimiter limiter_;
  FaultScripts scripts_;
  RandomFaults random_;
  Stats stats_;
  std::atomic<std::uint64_t> cursorSearches_{0};  // searches with searchAfter, for pitEvery
};

// {"statusCode":N,"message":"...","error":"<reason phrase>"}, the NestJS error shape.
std::string errorBody(int status, const std::string& message);

// The standard reason phrase for `status` ("Too Many Requests"), or "Error".
std::string reasonPhrase(int status);

}  // namespace ghlsim
