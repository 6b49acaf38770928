// ghl-sim: a loopback HTTP server imitating the GoHighLevel API v2 contacts endpoints for the
// tests and the demo of ghl-backfill. This file is the process shell: the command line, loading
// the data file, the cpp-httplib server and its thread pool, carrying out the transport side of
// each answer (delays and connection resets), the request log, and clean shutdown on
// SIGINT/SIGTERM. The API behaviour itself lives in Simulator (sim.h).
#include <httplib.h>
#include <pthread.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "sim.h"
#include "sim_connections.h"
#include "sim_request_log.h"
#include "sim_text.h"

#ifndef GHLB_VERSION
#define GHLB_VERSION "0.1.0"
#endif

namespace {

constexpr int kExitData = 1;
constexpr int kExitUsage = 2;
constexpr std::size_t kKeepAliveMaxRequests = 100;  // per connection; then it is closed and reopened
constexpr time_t kKeepAliveIdleSeconds = 5;
constexpr std::size_t kMaxBodyBytes = 1 << 20;
constexpr auto kStopGrace = std::chrono::seconds(2);

constexpr int kListenBacklog = 1024;

// httplib::Server plus what 0.11.4 lacks: it listens with a backlog of 5, so a burst of 64
// connects would see dropped SYNs and 1 s retransmits. Listening again on the bound socket
// raises the backlog (Linux allows this).
class Server : public httplib::Server {
 public:
  bool raiseBacklog(int backlog) { return ::listen(svr_sock_, backlog) == 0; }
};

struct Cli {
  std::string data;
  std::string host = "127.0.0.1";
  int port = 0;
  std::string portFile;
  std::string requestLog;
  int burst = 100;
  int windowMs = 10000;
  std::int64_t daily = 200000;
  int externalPerWindow = 0;
  bool noRetryAfter = false;
  bool dailyResetHeader = false;
  int threads = 32;
  int latencyMs = 0;
  int jitterMs = 0;
  double failRate = 0;
  double resetRate = 0;
  double malformedRate = 0;
  int slowMs = 3000;
  int pitEvery = 0;
  bool rejectOr = false;
  std::uint64_t seed = 1;
  bool verbose = false;
};

int usageError(const std::string& message) {
  std::cerr << "ghl-sim: " << message << "\n";
  return kExitUsage;
}

std::optional<std::string> header(const httplib::Request& req, const char* name) {
  if (!req.has_header(name)) return std::nullopt;
  return req.get_header_value(name);
}

std::int64_t wallMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Writes "PORT\n" to `path` through a temporary file and rename, so readers never see half of it.
bool writePortFile(const std::string& path, int port) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    out.flush();
    if (!out) return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) std::filesystem::remove(tmp, ec);
  return !ec;
}

}  // namespace

int main(int argc, char** argv) {
  Cli cli;
  CLI::App app{"ghl-sim: a loopback imitation of the GoHighLevel API v2 contacts endpoints", "ghl-sim"};
  app.set_version_flag("--version", std::string("ghl-sim ") + GHLB_VERSION);
  app.add_option("--data", cli.data, "JSON data file: locations, tokens, contacts, fault scripts")
      ->required();
  app.add_option("--host", cli.host, "Loopback address to listen on (127.x.x.x, ::1, localhost)")
      ->capture_default_str();
  app.add_option("--port", cli.port, "Port to listen on; 0 picks a free one")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  app.add_option("--port-file", cli.portFile, "Write the port number here once listening");
  app.add_option("--request-log", cli.requestLog, "Append one JSON line per API request (no personal data)");
  app.add_option("--burst", cli.burst, "Accepted requests per location per window")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app.add_option("--window-ms", cli.windowMs, "Sliding window length in milliseconds")
      ->check(CLI::Range(1, 86400000))
      ->capture_default_str();
  app.add_option("--daily", cli.daily, "Accepted requests per location per day (process lifetime)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 40))
      ->capture_default_str();
  app.add_option("--external-per-window", cli.externalPerWindow,
                 "Window slots taken by simulated outside traffic (must be below --burst)")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  app.add_flag("--no-retry-after", cli.noRetryAfter, "Send no Retry-After header on 429s");
  app.add_flag("--daily-reset-header", cli.dailyResetHeader,
               "Send X-RateLimit-Daily-Reset (seconds until the daily quota resets)");
  app.add_option("--threads", cli.threads, "Worker threads = connections served at once")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--latency-ms", cli.latencyMs, "Delay added to every API request")
      ->check(CLI::Range(0, 600000))
      ->capture_default_str();
  app.add_option("--jitter-ms", cli.jitterMs, "Plus a uniform random 0..N ms")
      ->check(CLI::Range(0, 600000))
      ->capture_default_str();
  app.add_option("--fail-rate", cli.failRate, "Fraction of accepted requests answered 500/502/503")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--reset-rate", cli.resetRate, "Fraction of accepted requests whose connection is reset")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--malformed-rate", cli.malformedRate,
                 "Fraction of accepted requests answered truncated JSON")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--pit-429-every", cli.pitEvery,
                 "Every Nth search with searchAfter answers a point-in-time 429 (0: never)")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  app.add_flag("--reject-or", cli.rejectOr, "Answer 422 to searches with an OR filter group");
  app.add_option("--slow-ms", cli.slowMs, "Delay of a scripted \"slow\" fault")
      ->check(CLI::Range(0, 600000))
      ->capture_default_str();
  app.add_option("--seed", cli.seed, "Seed of the random faults and jitter")->capture_default_str();
  app.add_flag("--verbose", cli.verbose, "One stderr line per request (method, path, status, location)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kExitUsage;
  }

  if (!ghlsim::isLoopbackHost(cli.host)) {
    return usageError("--host must be a loopback address (127.x.x.x, ::1 or localhost), got '" + cli.host +
                      "'");
  }
  if (cli.externalPerWindow >= cli.burst) {
    return usageError("--external-per-window (" + std::to_string(cli.externalPerWindow) +
                      ") must be below --burst (" + std::to_string(cli.burst) + ")");
  }
  if (cli.failRate + cli.resetRate + cli.malformedRate > 1.0) {
    return usageError("--fail-rate + --reset-rate + --malformed-rate must not exceed 1");
  }

  auto loaded = ghlsim::SimData::load(cli.data);
  if (const auto* error = std::get_if<ghlsim::DataError>(&loaded)) {
    std::cerr << "ghl-sim: " << error->what << ": " << error->fix << "\n";
    return kExitData;
  }
  std::unique_ptr<ghlsim::RequestLog> requestLog;
  if (!cli.requestLog.empty()) {
    requestLog = std::make_unique<ghlsim::RequestLog>(cli.requestLog);
    if (!requestLog->ok()) {
      std::cerr << "ghl-sim: cannot open request log '" << cli.requestLog
                << "': check that its directory exists and is writable\n";
      return kExitData;
    }
  }

  ghlsim::SimOptions options;
  options.rate = {cli.burst, std::chrono::milliseconds(cli.windowMs), cli.daily, cli.externalPerWindow};
  options.retryAfter = !cli.noRetryAfter;
  options.dailyResetHeader = cli.dailyResetHeader;
  options.random = {cli.failRate, cli.resetRate, cli.malformedRate, cli.latencyMs, cli.jitterMs, cli.seed};
  options.slow = std::chrono::milliseconds(cli.slowMs);
  options.pitEvery = cli.pitEvery;
  options.rejectOr = cli.rejectOr;
  ghlsim::Simulator sim(std::move(std::get<ghlsim::SimData>(loaded)), options);

  // SIGINT/SIGTERM are taken by a watcher thread with sigtimedwait: block them here, before any
  // thread exists, so every thread inherits the mask. A client that hangs up must not kill us.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGINT);
  sigaddset(&stopSignals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  Server svr;
  const auto threads = static_cast<std::size_t>(cli.threads);
  // httplib's API: it takes ownership of the returned queue and deletes it when listening ends.
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  svr.set_keep_alive_max_count(kKeepAliveMaxRequests);
  svr.set_keep_alive_timeout(kKeepAliveIdleSeconds);
  svr.set_payload_max_length(kMaxBodyBytes);
  // httplib writes headers and body separately: without this, Nagle + delayed ACK add ~40 ms.
  svr.set_tcp_nodelay(true);

  std::mutex stderrMu;
  ghlsim::BusyConnections busy;
  const auto handler = [&](const httplib::Request& req, httplib::Response& res) {
    const ghlsim::BusyConnections::Guard busyGuard(busy, req.remote_addr, req.remote_port);
    const ghlsim::SimRequest in{req.method, req.path, header(req, "Authorization"), header(req, "Version"),
                                req.body};
    ghlsim::SimResponse out = sim.handle(in, std::chrono::steady_clock::now());
    if (out.delay.count() > 0) std::this_thread::sleep_for(out.delay);
    if (out.reset) {
      if (!ghlsim::abortConnection(req.local_addr, req.local_port, req.remote_addr, req.remote_port)) {
        // Not expected; answer something unmistakably faulty rather than nothing.
        out.reset = false;
        out.status = 502;
        out.body = ghlsim::errorBody(502, "Bad Gateway");
        res.set_header("Connection", "close");
        const std::lock_guard lock(stderrMu);
        std::cerr << "ghl-sim: could not reset a connection; answered 502 and closed it instead\n";
      }
    }
    // After a reset these bytes go to /dev/null (see abortConnection); httplib needs a response.
    res.status = out.reset ? 500 : out.status;
    for (const auto& [name, value] : out.headers) res.set_header(name.c_str(), value);
    res.set_content(out.body, out.contentType.c_str());

    if (out.control) return;
    const ghlsim::LogEntry entry{.tsMs = wallMillis(),
                                 .method = req.method,
                                 .path = req.path,
                                 .location = out.location,
                                 .status = out.reset ? 0 : out.status,
                                 .emails = out.emailFilters,
                                 .fault = out.fault};
    if (requestLog) requestLog->write(entry);
    if (cli.verbose) {
      const std::lock_guard lock(stderrMu);
      std::cerr << "ghl-sim: " << ghlsim::formatVerboseLine(entry) << "\n";
    }
  };
  // One handler sees every route; Simulator decides what exists (everything else is a 404).
  svr.Get(".*", handler);  // also serves HEAD
  svr.Post(".*", handler);
  svr.Put(".*", handler);
  svr.Patch(".*", handler);
  svr.Delete(".*", handler);
  svr.Options(".*", handler);
  // Responses httplib makes itself (bad request line, body too large, TRACE...) get a JSON body.
  const httplib::Server::HandlerWithResponse onError = [](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    res.set_content(ghlsim::errorBody(res.status, ghlsim::reasonPhrase(res.status)),
                    "application/json; charset=utf-8");
    return httplib::Server::HandlerResponse::Handled;
  };
  svr.set_error_handler(onError);

  const std::string bindHost = cli.host == "localhost" ? "127.0.0.1" : cli.host;
  int port = cli.port;
  if (port == 0) {
    port = svr.bind_to_any_port(bindHost);
  } else if (!svr.bind_to_port(bindHost, port)) {
    port = -1;
  }
  if (port <= 0) {
    std::cerr << "ghl-sim: cannot listen on " << bindHost << ":" << cli.port
              << ": pick another --port (or 0 for a free one)\n";
    return kExitData;
  }
  if (!svr.raiseBacklog(kListenBacklog)) {
    std::cerr << "ghl-sim: warning: could not raise the listen backlog; bursts of connects may stall\n";
  }

  const auto& data = sim.data();
  std::cerr << "ghl-sim: loaded " << data.locations().size() << " locations, " << data.contacts().size()
            << " contacts, " << data.faults().size() << " fault scripts; burst " << cli.burst << " per "
            << cli.windowMs << " ms (external " << cli.externalPerWindow << "), daily " << cli.daily << ", "
            << cli.threads << " threads\n";
  const std::string urlHost = bindHost.find(':') != std::string::npos ? "[" + bindHost + "]" : bindHost;
  std::cout << "ghl-sim listening on http://" << urlHost << ":" << port << std::endl;
  if (!cli.portFile.empty() && !writePortFile(cli.portFile, port)) {
    std::cerr << "ghl-sim: cannot write port file '" << cli.portFile
              << "': check that its directory exists and is writable\n";
    return kExitData;
  }

  std::atomic<bool> listening_done{false};
  std::atomic<bool> stop_requested{false};
  std::thread watcher([&] {
    const timespec tick{0, 100'000'000};
    while (!listening_done) {
      const int sig = sigtimedwait(&stopSignals, nullptr, &tick);
      if (sig != SIGINT && sig != SIGTERM) continue;
      stop_requested = true;
      // stop() only works once the accept loop runs; wait for it if the signal came early.
      while (!listening_done && !svr.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (!listening_done) {
        svr.stop();
        // httplib would wait out each idle keep-alive connection's timeout; end them now.
        ghlsim::shutdownIdleConnections(port, busy);
      }
      // Responses still being produced (a "slow" fault, --latency-ms) get time to finish.
      const auto deadline = std::chrono::steady_clock::now() + kStopGrace + options.slow +
                            std::chrono::milliseconds(cli.latencyMs + cli.jitterMs);
      while (!listening_done && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (!listening_done) {
        std::cout.flush();
        std::_Exit(0);
      }
      return;
    }
  });

  const bool ok = svr.listen_after_bind();
  listening_done = true;
  watcher.join();
  if (!ok && !stop_requested) {
    std::cerr << "ghl-sim: the server stopped unexpectedly: see the messages above\n";
    return kExitData;
  }
  return 0;
}
