// The production Transport: libcurl's multi interface driving up to N transfers at once, shaped
// like curl's docs/examples/10-at-a-time.c (add handles up to the limit, perform, drain
// curl_multi_info_read, reuse the easy handle, wait). Easy handles live in a pool and keep their
// connections alive between requests (HTTP/1.1 keep-alive). TLS peer and host verification stay
// on; no verbose output; curl never raises signals (CURLOPT_NOSIGNAL). Errors are reported as a
// short class ("refused", "dns", "tls" (a certificate refused), "tls_handshake" (no TLS spoken
// or agreed, no certificate seen), "timeout", "reset", "too_large", "other"), never with a
// URL, header or body. A body is never held beyond MAX_BODY_BYTES: the transfer stops there.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "transport.h"

namespace ghlb {

class CurlTransport : public Transport {
 public:
  static constexpr std::size_t kDefaultMaxBodyBytes = 4u << 20;

  // At most MAX_PARALLEL transfers run at once (>= 1); further submissions wait in a queue.
  // USER_AGENT is sent as User-Agent. A response body longer than MAX_BODY_BYTES (announced by
  // Content-Length or received) ends the transfer with error "too_large".
  CurlTransport(int max_parallel, std::string user_agent, std::size_t max_body_bytes = kDefaultMaxBodyBytes);
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  void submit(HttpRequest request) override;
  std::vector<HttpResponse> poll(Millis max_wait) override;
  std::size_t inFlight() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ghlb
