// stop_signal.h's time budget: the deadline on a fake clock, the watcher raising the same stop
// flag as a signal with its own reason, and --time-budget from flag, environment and config file.
#include "stop_signal.h"

#include <doctest/doctest.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "fetch_fakes.h"
#include "stage_flags.h"
#include "temp_path.h"

using namespace ghlb;
using namespace std::chrono_literals;

namespace {

// Waits (really) until the stop flag is up; the bound only guards against a hang.
bool flagRaisedWithin(std::chrono::seconds guard) {
  const auto until = std::chrono::steady_clock::now() + guard;
  while (!stopRequested() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
  return stopRequested();
}

}  // namespace

TEST_CASE("Deadline: passed and remaining on the clock it was given") {
  fetch_test::FakeClock fake;
  const Deadline d(fake, Millis(10 * 60 * 1000));
  CHECK_FALSE(d.passed());
  CHECK(d.remaining() == Millis(600000));
  fake.advance(Millis(599999));
  CHECK_FALSE(d.passed());
  CHECK(d.remaining() == Millis(1));
  fake.advance(Millis(1));
  CHECK(d.passed());
  CHECK(d.remaining() == Millis(0));
  fake.advance(Millis(5000));
  CHECK(d.remaining() == Millis(0));  // never negative
}

TEST_CASE("time budget: raises the stop flag with reason 'time budget'; a signal's exit code stays 0") {
  resetStopForTesting();
  REQUIRE_FALSE(stopRequested());
  CHECK(stopReason() == StopReason::kNone);
  startTimeBudget(Millis(1));
  REQUIRE(flagRaisedWithin(30s));
  CHECK(stopFlag().load());  // the atomic fetch's engine polls
  CHECK(stopReason() == StopReason::kTimeBudget);
  CHECK(std::string(stopReasonName(stopReason())) == "time budget");
  CHECK(signalExitCode() == 0);
  resetStopForTesting();
  CHECK_FALSE(stopRequested());
  CHECK(stopReason() == StopReason::kNone);
}

TEST_CASE("time budget: none for zero, and ended before it is spent, it stops nothing") {
  resetStopForTesting();
  startTimeBudget(Millis(0));
  std::this_thread::sleep_for(Millis(120));  // longer than the watcher's poll: a zero budget starts none
  CHECK_FALSE(stopRequested());
  startTimeBudget(Millis(3600 * 1000));
  endTimeBudget();  // joins the watcher
  CHECK_FALSE(stopRequested());
  CHECK(stopReason() == StopReason::kNone);
  resetStopForTesting();
}

TEST_CASE("--time-budget: on run and every stage, from flag, environment or config file") {
  {
    RunOptions o;
    CLI::App app;
    defineRun(app, o);
    app.parse(std::vector<std::string>{"1h30m", "--time-budget"});  // reversed argv
    CHECK(o.common.time_budget == std::chrono::seconds(5400));
  }
  {
    FetchOptions o;
    CLI::App app;
    defineFetch(app, o);
    app.parse(std::vector<std::string>{});
    CHECK(o.common.time_budget == std::chrono::seconds(0));  // default: none
  }
  {
    ::setenv("GHL_BACKFILL_TIME_BUDGET", "10m", 1);
    ApplyOptions o;
    CLI::App app;
    defineApply(app, o);
    app.parse(std::vector<std::string>{});
    CHECK(o.common.time_budget == std::chrono::seconds(600));
    ::unsetenv("GHL_BACKFILL_TIME_BUDGET");
  }
  {
    const std::string cfg = test::freshPath("time-budget.toml");
    std::ofstream(cfg) << "[extract]\ntime-budget = \"90s\"\n";
    ExtractOptions o;
    CLI::App app;
    defineExtract(app, o);
    app.parse(std::vector<std::string>{cfg, "--config"});
    CHECK(o.common.time_budget == std::chrono::seconds(90));
  }
  for (const auto& define : std::vector<std::function<void(CLI::App&)>>{[](CLI::App& a) {
                                                                          static PlanOptions o;
                                                                          definePlan(a, o);
                                                                        },
                                                                        [](CLI::App& a) {
                                                                          static RevertOptions o;
                                                                          defineRevert(a, o);
                                                                        }}) {
    CLI::App app;
    define(app);
    CHECK(app.get_option("--time-budget") != nullptr);
  }
}

TEST_CASE("--time-budget: a bad value is a usage error naming the flag and the form") {
  PlanOptions o;
  CLI::App app;
  definePlan(app, o);
  try {
    app.parse(std::vector<std::string>{"10 minutes", "--time-budget"});
    FAIL("a bad duration was accepted");
  } catch (const CLI::ParseError& e) {
    const std::string what = e.what();
    CHECK(what.find("--time-budget") != std::string::npos);
    CHECK(what.find("10m") != std::string::npos);  // the expected form, by example
  }
}
