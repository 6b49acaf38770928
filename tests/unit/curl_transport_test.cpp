// CurlTransport against a real HTTP server on loopback (cpp-httplib, started by each test): GET
// and POST round trips, the bound on parallel transfers, connection reuse, and how failures are
// classified: a timeout, a refused connection, and a TLS endpoint that fails verification.
#include "curl_transport.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using ghlb::CurlTransport;
using ghlb::HttpRequest;
using ghlb::HttpResponse;

namespace {

constexpr const char* kUserAgent = "ghlb-unit-test/1";

// Runs SERVER on 127.0.0.1 (any free port) in its own thread while in scope.
class RunningServer {
 public:
  explicit RunningServer(httplib::Server& server) : server_(server) {
    server_.set_tcp_nodelay(true);  // as ghl-sim: else Nagle delays every reused-connection answer
    port_ = server_.bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    thread_ = std::thread([this] {
      server_.listen_after_bind();
      exited_ = true;
    });
    // stop() before the server runs would be lost and join() would hang: wait until it runs.
    while (!server_.is_running() && !exited_) std::this_thread::sleep_for(1ms);
    if (!server_.is_running()) {
      thread_.join();
      FAIL("the loopback test server did not start");
    }
  }
  ~RunningServer() {
    server_.stop();
    thread_.join();
  }
  RunningServer(const RunningServer&) = delete;
  RunningServer& operator=(const RunningServer&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path, const char* scheme = "http") const {
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  httplib::Server& server_;
  std::thread thread_;
  std::atomic<bool> exited_{false};
  int port_ = 0;
};

// Holds handlers until opened (or until a 5 s backstop passes), so a test controls how long the
// server takes to answer without sleeping.
class Gate {
 public:
  void open() {
    {
      const std::lock_guard lock(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, 5s, [this] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Polls TRANSPORT until COUNT responses arrived or LIMIT passed; responses sorted by tag.
std::vector<HttpResponse> collect(CurlTransport& transport, std::size_t count,
                                  std::chrono::milliseconds limit = 5s) {
  std::vector<HttpResponse> out;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (out.size() < count && std::chrono::steady_clock::now() < deadline)
    for (auto& r : transport.poll(20ms)) out.push_back(std::move(r));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.tag < b.tag; });
  return out;
}

// A GET of URL tagged TAG; tests change what else they need.
HttpRequest makeRequest(std::uint64_t tag, std::string url, int timeout_ms = 5000) {
  HttpRequest r;
  r.tag = tag;
  r.url = std::move(url);
  r.timeout_ms = timeout_ms;
  return r;
}

// A loopback port nobody listens on: bound once by us, then released.
int unusedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  REQUIRE(ok);
  return ntohs(addr.sin_port);
}

// A self-signed certificate for 127.0.0.1 (valid 2000-2100) and its key, made for this test
// only: no CA trusts it, so a client that verifies its peer must refuse it.
constexpr const char* kSelfSignedCert = R"(-----BEGIN CERTIFICATE-----
MIIBZTCCAQqgAwIBAgIBATAKBggqhkjOPQQDAjAUMRIwEAYDVQQDDAkxMjcuMC4w
LjEwIBcNMDAwMTAxMDAwMDAwWhgPMjEwMDAxMDEwMDAwMDBaMBQxEjAQBgNVBAMM
CTEyNy4wLjAuMTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABBgMnKzVpCTkCCP3
p3eCjmANy9OQ7IOXqNKQLSgsF0S8qnYAZgjassC3F7RVb2G7CL0rThLnRXDbeppp
uKQNexOjSzBJMBoGA1UdEQQTMBGHBH8AAAGCCWxvY2FsaG9zdDAMBgNVHRMBAf8E
AjAAMB0GA1UdDgQWBBTMW81i0jWBOuaqmDMlqks29aTWPzAKBggqhkjOPQQDAgNJ
ADBGAiEA/SfZJVOXB/MHcuafxcxSgS1UTp7xnRDrfhXeLus0BrsCIQCLj8/S5U+F
9sIkmIw9ew+DmWfFqpxHN7zrfbm3FvWZnA==
-----END CERTIFICATE-----
)";
constexpr const char* kSelfSignedKey = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgaIlcJ7Whf/zCsVDN
nJflYaaJHEqHmVxzne1MJnCRw6GhRANCAAQYDJys1aQk5Agj96d3go5gDcvTkOyD
l6jSkC0oLBdEvKp2AGYI2rLAtxe0VW9huwi9K04S50Vw23qaabikDXsT
-----END PRIVATE KEY-----
)";

// An HTTPS server with the self-signed certificate (httplib reads it from files: written to a
// temp dir, removed once loaded).
std::unique_ptr<httplib::SSLServer> selfSignedServer() {
  const auto dir =
      std::filesystem::temp_directory_path() / ("ghlb-curl-transport-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto cert = dir / "cert.pem";
  const auto key = dir / "key.pem";
  std::ofstream(cert) << kSelfSignedCert;
  std::ofstream(key) << kSelfSignedKey;
  auto server = std::make_unique<httplib::SSLServer>(cert.c_str(), key.c_str());
  std::filesystem::remove_all(dir);
  REQUIRE(server->is_valid());
  return server;
}

}  // namespace

TEST_CASE("curl transport: GET round trip with request and response headers") {
  std::mutex mutex;
  httplib::Headers seen;
  std::string seen_path;
  std::string seen_query;
  httplib::Server server;
  server.Get("/contacts/abc", [&](const httplib::Request& req, httplib::Response& res) {
    {
      const std::lock_guard lock(mutex);
      seen = req.headers;
      seen_path = req.path;
      seen_query = req.get_param_value("q");
    }
    res.set_header("X-RateLimit-Remaining", "97");
    res.set_content(R"({"contact":{"id":"abc"}})", "application/json");
  });
  const RunningServer running(server);

  CurlTransport transport(4, kUserAgent);
  HttpRequest request = makeRequest(7, running.url("/contacts/abc?q=1"));
  request.headers = {"Authorization: Bearer test-token", "Version: 2021-07-28", "Accept: application/json"};
  transport.submit(request);
  CHECK(transport.inFlight() == 1);
  const auto responses = collect(transport, 1);
  REQUIRE(responses.size() == 1);
  const HttpResponse& r = responses[0];
  CHECK(transport.inFlight() == 0);
  CHECK(r.tag == 7);
  CHECK(r.status == 200);
  CHECK(r.error == "");
  CHECK(r.body == R"({"contact":{"id":"abc"}})");
  CHECK(r.headers.count("x-ratelimit-remaining") == 1);
  CHECK(r.headers.count("X-RateLimit-Remaining") == 0);  // names are lower-cased
  REQUIRE(ghlb::findHeader(r.headers, "x-ratelimit-remaining") != nullptr);
  CHECK(*ghlb::findHeader(r.headers, "x-ratelimit-remaining") == "97");
  REQUIRE(ghlb::findHeader(r.headers, "content-type") != nullptr);
  CHECK(*ghlb::findHeader(r.headers, "content-type") == "application/json");

  const std::lock_guard lock(mutex);
  CHECK(seen_path == "/contacts/abc");
  CHECK(seen_query == "1");
  const auto header = [&](const char* name) {
    const auto it = seen.find(name);  // httplib compares names case-insensitively
    return it == seen.end() ? std::string("<absent>") : it->second;
  };
  CHECK(header("Authorization") == "Bearer test-token");
  CHECK(header("Version") == "2021-07-28");
  CHECK(header("Accept") == "application/json");
  CHECK(header("User-Agent") == kUserAgent);
}

TEST_CASE("curl transport: POST sends its body and returns the answer") {
  std::mutex mutex;
  std::string seen_body;
  std::string seen_type;
  std::string seen_auth;
  httplib::Server server;
  server.Post("/contacts/search", [&](const httplib::Request& req, httplib::Response& res) {
    {
      const std::lock_guard lock(mutex);
      seen_body = req.body;
      seen_type = req.get_header_value("Content-Type");
      seen_auth = req.get_header_value("Authorization");
    }
    res.status = 201;
    res.set_header("X-Echo-Length", std::to_string(req.body.size()));
    res.set_content(R"({"contacts":[],"total":0})", "application/json");
  });
  server.Get("/contacts/search", [](const httplib::Request&, httplib::Response& res) { res.status = 405; });
  const RunningServer running(server);

  CurlTransport transport(2, kUserAgent);
  HttpRequest request = makeRequest(3, running.url("/contacts/search"));
  request.method = "POST";
  request.headers = {"Authorization: Bearer t2", "Content-Type: application/json"};
  request.body = R"({"locationId":"LOC1","filters":[{"field":"email","operator":"eq","value":"a@b.c"}]})";
  transport.submit(request);
  const auto responses = collect(transport, 1);
  REQUIRE(responses.size() == 1);
  CHECK(responses[0].tag == 3);
  CHECK(responses[0].status == 201);
  CHECK(responses[0].error == "");
  CHECK(responses[0].body == R"({"contacts":[],"total":0})");
  REQUIRE(ghlb::findHeader(responses[0].headers, "x-echo-length") != nullptr);
  CHECK(*ghlb::findHeader(responses[0].headers, "x-echo-length") == std::to_string(request.body.size()));

  const std::lock_guard lock(mutex);
  CHECK(seen_body == request.body);
  CHECK(seen_type == "application/json");
  CHECK(seen_auth == "Bearer t2");
}

TEST_CASE("curl transport: never more than max_parallel requests at the server at once") {
  std::atomic<int> now{0};
  std::atomic<int> most{0};
  httplib::Server server;
  server.Get(R"(/n/(\d+))", [&](const httplib::Request& req, httplib::Response& res) {
    const int current = ++now;
    int seen = most.load();
    while (current > seen && !most.compare_exchange_weak(seen, current)) {
    }
    std::this_thread::sleep_for(40ms);  // long enough for the transport to start more, if it would
    --now;
    res.set_content(req.matches[1].str(), "text/plain");
  });
  const RunningServer running(server);

  constexpr int kParallel = 3;
  constexpr int kRequests = 12;  // the server's thread pool (>= 8) would take more than 3 at once
  CurlTransport transport(kParallel, kUserAgent);
  for (int i = 0; i < kRequests; ++i)
    transport.submit(makeRequest(i, running.url("/n/" + std::to_string(i))));
  CHECK(transport.inFlight() == kRequests);
  const auto responses = collect(transport, kRequests);
  REQUIRE(responses.size() == kRequests);
  for (int i = 0; i < kRequests; ++i) {
    CHECK(responses[i].tag == static_cast<std::uint64_t>(i));
    CHECK(responses[i].status == 200);
    CHECK(responses[i].body == std::to_string(i));
  }
  CHECK(most.load() <= kParallel);
  CHECK(most.load() >= 2);  // transfers did overlap: the bound is what limited them
  CHECK(transport.inFlight() == 0);
}

TEST_CASE("curl transport: connections are kept alive and reused") {
  std::mutex mutex;
  std::set<int> ports;
  int hits = 0;
  httplib::Server server;
  server.set_keep_alive_max_count(1000);  // httplib closes a connection after 5 requests by default
  server.Get("/ping", [&](const httplib::Request& req, httplib::Response& res) {
    {
      const std::lock_guard lock(mutex);
      ports.insert(req.remote_port);
      ++hits;
    }
    res.set_content("pong", "text/plain");
  });
  const RunningServer running(server);

  constexpr int kParallel = 2;
  constexpr int kRequests = 12;
  CurlTransport transport(kParallel, kUserAgent);
  for (int i = 0; i < kRequests; ++i) transport.submit(makeRequest(i, running.url("/ping")));
  const auto responses = collect(transport, kRequests);
  REQUIRE(responses.size() == kRequests);
  for (const auto& r : responses) CHECK(r.status == 200);

  // A second wave after the first finished still finds the pooled connections.
  for (int i = 0; i < kRequests; ++i) transport.submit(makeRequest(100 + i, running.url("/ping")));
  REQUIRE(collect(transport, kRequests).size() == kRequests);

  const std::lock_guard lock(mutex);
  CHECK(hits == 2 * kRequests);
  CHECK(ports.size() < static_cast<std::size_t>(kRequests));
  CHECK(ports.size() <= static_cast<std::size_t>(kParallel));
}

TEST_CASE("curl transport: a request slower than timeout_ms is a timeout") {
  Gate gate;
  httplib::Server server;
  server.Get("/slow", [&](const httplib::Request&, httplib::Response& res) {
    gate.wait();  // until the test has its answer (the backstop answers 200 after 5 s)
    res.set_content("late", "text/plain");
  });
  const RunningServer running(server);
  const struct OpenGateFirst {  // destroyed before `running`: the handler returns, the server stops
    Gate& gate;
    ~OpenGateFirst() { gate.open(); }
  } open_gate_first{gate};

  CurlTransport transport(1, kUserAgent);
  const auto started = std::chrono::steady_clock::now();
  transport.submit(makeRequest(5, running.url("/slow"), 200));
  const auto responses = collect(transport, 1);
  const auto took = std::chrono::steady_clock::now() - started;
  REQUIRE(responses.size() == 1);
  CHECK(responses[0].tag == 5);
  CHECK(responses[0].status == 0);
  CHECK(responses[0].error == "timeout");
  CHECK(responses[0].body == "");
  CHECK(responses[0].headers.empty());
  CHECK(took >= 150ms);
  CHECK(took < 2s);
}

TEST_CASE("curl transport: a refused connection is classified refused") {
  const int port = unusedPort();
  CurlTransport transport(1, kUserAgent);
  transport.submit(makeRequest(9, "http://127.0.0.1:" + std::to_string(port) + "/contacts/x", 2000));
  const auto responses = collect(transport, 1);
  REQUIRE(responses.size() == 1);
  CHECK(responses[0].tag == 9);
  CHECK(responses[0].status == 0);
  CHECK(responses[0].error == "refused");
  CHECK(responses[0].body == "");
}

TEST_CASE("curl transport: TLS verification stays on") {
  std::atomic<int> hits{0};
  const auto handler = [&](const httplib::Request&, httplib::Response& res) {
    ++hits;
    res.set_content("secret", "text/plain");
  };

  SUBCASE("a self-signed certificate is refused") {
    const auto server = selfSignedServer();
    server->Get("/", handler);
    const RunningServer running(*server);

    // The endpoint works for a client that does not verify: only verification can refuse it.
    httplib::SSLClient control("127.0.0.1", running.port());
    control.enable_server_certificate_verification(false);
    const auto control_res = control.Get("/");
    REQUIRE(control_res);
    REQUIRE(control_res->status == 200);
    REQUIRE(hits.load() == 1);

    CurlTransport transport(1, kUserAgent);
    transport.submit(makeRequest(1, running.url("/", "https"), 3000));
    const auto responses = collect(transport, 1);
    REQUIRE(responses.size() == 1);
    CHECK(responses[0].status == 0);
    CHECK(responses[0].error == "tls");
    CHECK(responses[0].body == "");
    CHECK(hits.load() == 1);  // the request never reached the handler
  }

  SUBCASE("a plain HTTP endpoint behind an https URL is refused") {
    httplib::Server server;
    server.Get("/", handler);
    const RunningServer running(server);

    CurlTransport transport(1, kUserAgent);
    transport.submit(makeRequest(2, running.url("/", "https"), 3000));
    const auto responses = collect(transport, 1);
    REQUIRE(responses.size() == 1);
    CHECK(responses[0].status == 0);
    CHECK(responses[0].error == "tls_handshake");  // no certificate was seen: not told as one
    CHECK(responses[0].body == "");
    CHECK(hits.load() == 0);
  }
}

TEST_CASE("curl transport: a body over max_body_bytes ends the transfer as too_large") {
  const std::string big(200 * 1024, 'x');
  httplib::Server server;
  server.Get("/sized",
             [&](const httplib::Request&, httplib::Response& res) { res.set_content(big, "text/plain"); });
  server.Get("/chunked", [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("text/plain", [&](size_t offset, httplib::DataSink& sink) {
      if (offset >= big.size()) {
        sink.done();
        return true;
      }
      return sink.write(big.data() + offset, std::min<size_t>(16384, big.size() - offset));
    });
  });
  const RunningServer running(server);

  CurlTransport transport(2, kUserAgent, 64 * 1024);
  transport.submit(makeRequest(1, running.url("/sized")));    // Content-Length over the cap
  transport.submit(makeRequest(2, running.url("/chunked")));  // no length: stopped while receiving
  auto responses = collect(transport, 2);
  REQUIRE(responses.size() == 2);
  for (const auto& r : responses) {
    CAPTURE(r.tag);
    CHECK(r.status == 0);
    CHECK(r.error == "too_large");
    CHECK(r.body.empty());
  }
  CurlTransport roomy(1, kUserAgent, 256 * 1024);
  roomy.submit(makeRequest(3, running.url("/chunked")));
  responses = collect(roomy, 1);
  REQUIRE(responses.size() == 1);
  CHECK(responses[0].status == 200);
  CHECK(responses[0].body.size() == big.size());
}
