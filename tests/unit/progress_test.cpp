// progress: the live line's text, the log records, a terminal line cleared before log lines.
#include "progress.h"

#include <doctest/doctest.h>

#include <sstream>
#include <vector>

TEST_CASE("progress: the live line says done/total, %, rate against the ceiling, 429s, paused, ETA") {
  ghlb::ProgressState s;
  s.done = 1234;
  s.total = 5000;
  s.req_per_s = 81;
  s.ceiling_per_s = 90;
  s.rate_limited = 2;
  s.paused = 1;
  s.eta_s = 3725;
  CHECK(ghlb::progressLine(s) == "1234/5000 (24.7%)  81.0 req/s of 90.0  429s 2  paused 1  ETA 1:02:05");
  s.eta_s = -1;
  CHECK(ghlb::progressLine(s).find("ETA --:--") != std::string::npos);
}

TEST_CASE("progress: a JSON record per update with the same fields") {
  std::ostringstream out;
  ghlb::Log log("fetch", ghlb::LogFormat::kJson, false, &out);
  ghlb::LogProgress p(log);
  ghlb::ProgressState s;
  s.done = 5;
  s.total = 10;
  s.eta_s = 12.4;
  p.update(s);
  const std::string line = out.str();
  CHECK(line.find(R"("event":"progress")") != std::string::npos);
  for (const char* key : {"done", "total", "req_per_s", "ceiling_per_s", "rate_limited", "paused", "eta_s"})
    CHECK(line.find(std::string("\"") + key + "\":") != std::string::npos);
  CHECK(line.find(R"("eta_s":12)") != std::string::npos);
}

TEST_CASE("progress: the terminal line is rewritten in place and cleared before a log line") {
  std::ostringstream out;
  ghlb::Log log("fetch", ghlb::LogFormat::kText, false, &out);
  {
    ghlb::TerminalProgress p(log, out);
    ghlb::ProgressState s;
    s.total = 4;
    s.done = 1;
    p.update(s);
    s.done = 2;
    p.update(s);
    log.warn("something", {{"client_id", std::string("c1")}});
    s.done = 3;
    p.update(s);
    p.finish();
  }
  log.info("after");  // the hook is gone with the progress
  const std::string text = out.str();
  CHECK(text.find("\r1/4 (25.0%)") == 0);
  CHECK(text.find("\r2/4 (50.0%)") != std::string::npos);
  const auto cleared = text.find("\r\x1b[K20");  // the line cleared, then a timestamped log line
  REQUIRE(cleared != std::string::npos);
  CHECK(text.find("Z fetch: warn: something client_id=c1\n\r3/4", cleared) != std::string::npos);
  CHECK(text.substr(text.size() - std::string("fetch: after\n").size()) == "fetch: after\n");
}

TEST_CASE("progress: nothing with --quiet; log records off a terminal or in JSON") {
  std::ostringstream out;
  ghlb::Log log("fetch", ghlb::LogFormat::kText, true, &out);
  ghlb::CommonOptions quiet;
  quiet.quiet = true;
  CHECK(dynamic_cast<ghlb::NullProgress*>(ghlb::makeProgress(quiet, log, true).get()));
  ghlb::CommonOptions text;
  CHECK(dynamic_cast<ghlb::TerminalProgress*>(ghlb::makeProgress(text, log, true).get()));
  CHECK(dynamic_cast<ghlb::LogProgress*>(ghlb::makeProgress(text, log, false).get()));
  ghlb::CommonOptions json;
  json.log_format = ghlb::LogFormat::kJson;
  CHECK(dynamic_cast<ghlb::LogProgress*>(ghlb::makeProgress(json, log, true).get()));
}

TEST_CASE("log: text lines carry a UTC timestamp") {
  std::ostringstream out;
  ghlb::Log log("fetch", ghlb::LogFormat::kText, false, &out);
  log.info("hello");
  const std::string line = out.str();
  REQUIRE(line.size() > 25);
  CHECK(line[4] == '-');
  CHECK(line[10] == 'T');
  CHECK(line.substr(23, 15) == "Z fetch: hello\n");
}

namespace {
struct ManualClock : ghlb::Clock {
  ghlb::SteadyTime t{};
  ghlb::SteadyTime now() const override { return t; }
};
struct Recorder : ghlb::Progress {
  std::vector<ghlb::ProgressState> seen;
  int finished = 0;
  void update(const ghlb::ProgressState& s) override { seen.push_back(s); }
  void finish() override { ++finished; }
  ghlb::Millis interval() const override { return ghlb::Millis(500); }
};
}  // namespace

TEST_CASE("progress: a local stage's line shows items, percent, rate and ETA") {
  ghlb::ProgressState s;
  s.unit = "leads";
  s.done = 12000;
  s.total = 75000;
  s.req_per_s = 20000;
  s.eta_s = 3.2;
  CHECK(ghlb::progressLine(s) == "12000/75000 leads (16.0%)  20000/s  ETA 0:03");
  s.total = -1;
  CHECK(ghlb::progressLine(s) == "12000 leads  20000/s");
}

TEST_CASE("progress: StageMeter updates once per interval with the rate and ETA, and not for a short stage") {
  ManualClock clock;
  Recorder rec;
  {
    ghlb::StageMeter m(rec, clock, "leads", 1000);
    m.add(100);  // no time passed: no update
    CHECK(rec.seen.empty());
    clock.t += ghlb::Millis(500);
    m.add(100);  // 200 done in 0.5 s
    REQUIRE(rec.seen.size() == 1);
    CHECK(rec.seen[0].done == 200);
    CHECK(rec.seen[0].req_per_s == doctest::Approx(400));
    CHECK(rec.seen[0].eta_s == doctest::Approx(2.0));  // 800 left at 400/s
    clock.t += ghlb::Millis(100);
    m.add(50);  // within the interval: no update
    CHECK(rec.seen.size() == 1);
    clock.t += ghlb::Millis(400);
    m.finish();
    REQUIRE(rec.seen.size() == 2);
    CHECK(rec.seen[1].done == 250);
    CHECK(rec.finished == 1);
  }
  Recorder quick;
  ghlb::StageMeter q(quick, clock, "rows", -1);
  q.add(5);
  q.finish();
  CHECK(quick.seen.empty());  // a stage shorter than one interval shows no line
  CHECK(quick.finished == 1);
}
