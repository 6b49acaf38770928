#include "stop_signal.h"

#include <signal.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace ghlb {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_budget_spent{false};
volatile std::sig_atomic_t g_signal = 0;

extern "C" void onStopSignal(int sig) {
  g_signal = sig;
  g_stop.store(true);
}

// The watcher of the time budget; guarded by g_budget_mutex (start and end come from one thread
// in practice, the mutex only keeps a misuse from racing).
std::mutex g_budget_mutex;
std::jthread g_budget_watcher;

constexpr Millis kBudgetPoll{50};
const SystemClock g_clock;

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

StopReason stopReason() {
  if (g_signal) return StopReason::kSignal;
  if (g_budget_spent.load()) return StopReason::kTimeBudget;
  return g_stop.load() ? StopReason::kSignal : StopReason::kNone;
}

const char* stopReasonName(StopReason reason) {
  static constexpr const char* kNames[] = {"none", "signal", "time budget"};
  return kNames[static_cast<int>(reason)];
}

void startTimeBudget(Millis budget) {
  endTimeBudget();
  if (budget.count() <= 0) return;
  const std::lock_guard<std::mutex> lock(g_budget_mutex);
  g_budget_watcher = std::jthread([deadline = Deadline(g_clock, budget)](std::stop_token st) {
    while (!st.stop_requested()) {
      if (deadline.passed()) {
        g_budget_spent.store(true);  // before the flag: whoever sees the flag sees the reason
        g_stop.store(true);
        return;
      }
      std::this_thread::sleep_for(std::min(kBudgetPoll, deadline.remaining()));
    }
  });
}

void endTimeBudget() {
  std::jthread watcher;
  {
    const std::lock_guard<std::mutex> lock(g_budget_mutex);
    watcher = std::move(g_budget_watcher);
  }
  // jthread's destructor asks the watcher to stop and joins it (within one poll).
}

void testPausePoint() {
  const char* env = std::getenv("GHLB_TEST_PAUSE_MS");
  if (!env || !*env) return;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::atoi(env));
  while (!stopRequested() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

void raiseStopForTesting(StopReason reason) {
  if (reason == StopReason::kSignal) g_signal = SIGTERM;
  if (reason == StopReason::kTimeBudget) g_budget_spent.store(true);
  if (reason != StopReason::kNone) g_stop.store(true);
}

void resetStopForTesting() {
  endTimeBudget();
  g_budget_spent.store(false);
  g_signal = 0;
  g_stop.store(false);
}

}  // namespace ghlb
