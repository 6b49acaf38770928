// The HTTP seam between fetch and the network: fetch submits requests tagged with its own ids and
// polls for finished responses, so the same engine runs on libcurl (curl_transport.h) in
// production and on a scripted fake in unit tests. A Transport never interprets a response and
// never logs: headers may carry a token, so nothing here is ever written anywhere.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "clock.h"

namespace ghlb {

struct HttpRequest {
  std::uint64_t tag = 0;             // caller's id, echoed in the response
  std::string method = "GET";        // GET | POST
  std::string url;                   // never carries a token (tokens go in headers)
  std::vector<std::string> headers;  // "Name: value" lines
  std::string body;                  // sent for POST
  int timeout_ms = 15000;            // whole-request timeout
};

struct HttpResponse {
  std::uint64_t tag = 0;
  int status = 0;  // HTTP status; 0: no response (see error)
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names, trimmed values
  std::string error;  // "" | refused | dns | tls | timeout | reset | too_large | other
};

// Value of the lower-case header NAME, or nullptr when absent.
inline const std::string* findHeader(const std::map<std::string, std::string>& headers,
                                     std::string_view name) {
  const auto it = headers.find(std::string(name));
  return it == headers.end() ? nullptr : &it->second;
}

class Transport {
 public:
  virtual ~Transport() = default;

  // Queues REQUEST; it is started no later than the next poll(). Never blocks.
  virtual void submit(HttpRequest request) = 0;

  // Drives transfers for at most MAX_WAIT and returns those that finished (possibly none).
  // Waits the whole MAX_WAIT when nothing is in flight, so callers may use it to sleep.
  virtual std::vector<HttpResponse> poll(Millis max_wait) = 0;

  // Submitted requests whose response poll() has not returned yet.
  virtual std::size_t inFlight() const = 0;
};

}  // namespace ghlb
