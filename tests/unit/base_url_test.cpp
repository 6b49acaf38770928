// validateBaseUrl: https anywhere, http only on loopback, nothing malformed.
#include "base_url.h"

#include <doctest/doctest.h>

#include "error.h"

using ghlb::validateBaseUrl;

namespace {

// The usage error's message, or "" when the URL is accepted.
std::string refusal(const std::string& url) {
  try {
    validateBaseUrl(url);
    return "";
  } catch (const ghlb::FatalError& e) {
    CHECK(e.code() == ghlb::ExitCode::kUsage);
    return e.what();
  }
}

}  // namespace

TEST_CASE("base url: https accepted, trailing slash stripped") {
  CHECK(validateBaseUrl("https://services.leadconnectorhq.com") == "https://services.leadconnectorhq.com");
  CHECK(validateBaseUrl("https://services.leadconnectorhq.com/") == "https://services.leadconnectorhq.com");
  CHECK(validateBaseUrl("https://api.example.com:8443/v2//") == "https://api.example.com:8443/v2");
  CHECK(validateBaseUrl("HTTPS://Example.com/x") == "https://Example.com/x");
}

TEST_CASE("base url: http accepted for loopback hosts only") {
  CHECK(validateBaseUrl("http://localhost:8080") == "http://localhost:8080");
  CHECK(validateBaseUrl("http://LOCALHOST/") == "http://LOCALHOST");
  CHECK(validateBaseUrl("http://127.0.0.1:9000/ghl") == "http://127.0.0.1:9000/ghl");
  CHECK(validateBaseUrl("http://127.255.3.4") == "http://127.255.3.4");
  CHECK(validateBaseUrl("http://[::1]:8080/") == "http://[::1]:8080");
  for (const char* url : {"http://services.leadconnectorhq.com", "http://128.0.0.1", "http://10.0.0.1:80",
                          "http://localhost.evil.com", "http://127.0.0.1.evil.com", "http://127.0.0.256",
                          "http://[::2]", "http://0.0.0.0"}) {
    CAPTURE(url);
    const auto msg = refusal(url);
    CHECK(msg.find("--ghl-base-url") == 0);
    CHECK(msg.find("https://") != std::string::npos);  // says how to fix it
  }
}

TEST_CASE("base url: malformed URLs refused with a reason") {
  for (const char* url : {"", "services.leadconnectorhq.com", "ftp://example.com", "https://",
                          "https:///path", "https://example.com?x=1", "https://example.com/#frag",
                          "https://exa mple.com", "https://example.com:0", "https://example.com:65536",
                          "https://example.com:", "https://example.com:80x", "https://[::1",
                          "https://exa_mple.com", "https://.example.com"}) {
    CAPTURE(url);
    const auto msg = refusal(url);
    CHECK(msg.find("--ghl-base-url") == 0);
    CHECK(msg.size() > std::string("--ghl-base-url").size() + 10);
  }
}

TEST_CASE("base url: userinfo refused without repeating the password") {
  const auto msg = refusal("https://user:s3cr3t@example.com");
  CHECK(msg.find("user name or password") != std::string::npos);
  CHECK(msg.find("s3cr3t") == std::string::npos);
}

TEST_CASE("isLoopbackHost") {
  CHECK(ghlb::isLoopbackHost("localhost"));
  CHECK(ghlb::isLoopbackHost("127.0.0.1"));
  CHECK(ghlb::isLoopbackHost("[::1]"));
  CHECK_FALSE(ghlb::isLoopbackHost("127.0.0"));
  CHECK_FALSE(ghlb::isLoopbackHost("127.0.0.1.2"));
  CHECK_FALSE(ghlb::isLoopbackHost("127..0.1"));
  CHECK_FALSE(ghlb::isLoopbackHost("example.com"));
}
