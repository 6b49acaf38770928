#include "stop_signal.h"

#include <signal.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <thread>

namespace ghlb {
namespace {

std::atomic<bool> g_stop{false};
volatile std::sig_atomic_t g_signal = 0;

extern "C" void onStopSignal(int sig) {
  g_signal = sig;
  g_stop.store(true);
}

}  // namespace

void installStopHandlers() {
  static bool installed = false;
  if (installed) return;
  installed = true;
  struct sigaction sa {};
  sa.sa_handler = onStopSignal;
  sigemptyset(&sa.sa_mask);
  // SA_RESETHAND: a second Ctrl-C kills the process the default way. SA_RESTART: blocking reads
  // of libpq and SQLite resume; the flag is polled at the next safe point.
  sa.sa_flags = SA_RESETHAND | SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  sigaction(SIGPIPE, &ign, nullptr);
}

bool stopRequested() { return g_stop.load(); }

const std::atomic<bool>& stopFlag() { return g_stop; }

int signalExitCode() { return g_signal ? 128 + static_cast<int>(g_signal) : 0; }

void testPausePoint() {
  const char* env = std::getenv("GHLB_TEST_PAUSE_MS");
  if (!env || !*env) return;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::atoi(env));
  while (!stopRequested() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

}  // namespace ghlb
