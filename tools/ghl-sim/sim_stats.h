// Counters behind GET /__sim/stats: requests in total and per location (searches, gets, 429s
// from the limiter, the most accepted requests seen inside one sliding window), forbidden write
// attempts, responses by status, resets and injected faults. Thread-safe.
#pragma once
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ghlsim {

enum class Route { Search, Get, Other };

// What one API request did, as far as the stats care.
struct RequestRecord {
  std::optional<std::string> location;  // the token's location; nullopt when not authenticated
  Route route = Route::Other;
  bool writeAttempt = false;   // unknown route with a method other than GET/HEAD
  std::optional<int> status;   // nullopt when the connection was reset
  bool rateLimited = false;    // 429 from the limiter (not a scripted "429")
  int inWindow = 0;            // accepted requests in the window, for accepted ones
  int seenInWindow = 0;        // all requests in the window (rejected and external ones too)
  bool fault = false;          // a scripted or random fault was injected
  bool unexpected = false;     // a method other than GET/POST, or a path other than the two API routes
  bool badAuthHeader = false;  // an Authorization "Bearer " value with a byte outside 0x21-0x7E
};

class Stats {
 public:
  // `locationIds` always appear in by_location, with zeros until they see traffic.
  explicit Stats(const std::vector<std::string>& locationIds);

  void record(const RequestRecord& r);

  // {"requests":N,"by_location":{"LOC":{"requests","rate_limited","max_in_window","max_seen_in_window",
  //  "search","get"}},
  //  "write_attempts":N,"status_counts":{"200":N,...},"resets":N,"faults_injected":N,
  //  "unexpected_requests":N,"bad_auth_header":N}
  std::string json() const;

  // Zeroes every counter (max_in_window restarts from the next accepted request).
  void reset();

 private:
  struct PerLocation {
    long requests = 0, rateLimited = 0, maxInWindow = 0, maxSeenInWindow = 0, search = 0, get = 0;
  };
  mutable std::mutex mu_;
  long requests_ = 0, writeAttempts_ = 0, resets_ = 0, faults_ = 0, unexpected_ = 0, badAuth_ = 0;
  std::map<std::string, PerLocation, std::less<>> byLocation_;
  std::map<int, long> statusCounts_;
};

}  // namespace ghlsim
