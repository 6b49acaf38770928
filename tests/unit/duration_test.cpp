// duration.h: the forms --time-budget (and any age flag) accepts, and everything it refuses.
#include "duration.h"

#include <doctest/doctest.h>

using namespace ghlb;
using std::chrono::seconds;

TEST_CASE("parseDuration: single units, combinations, zero") {
  CHECK(parseDuration("90s") == seconds(90));
  CHECK(parseDuration("10m") == seconds(600));
  CHECK(parseDuration("2h") == seconds(7200));
  CHECK(parseDuration("1h30m") == seconds(5400));
  CHECK(parseDuration("7d") == seconds(7 * 86400));
  CHECK(parseDuration("1d2h3m4s") == seconds(86400 + 7200 + 180 + 4));
  CHECK(parseDuration("0") == seconds(0));
  CHECK(parseDuration("0s") == seconds(0));
  CHECK(parseDuration("0m30s") == seconds(30));
  CHECK(parseDuration("120m") == seconds(7200));  // a unit's number is not capped at the next unit
  CHECK(parseDuration("366d") == seconds(366 * 86400));
}

TEST_CASE("parseDuration refuses what is not NUMBER UNIT ... in d, h, m, s order") {
  for (const char* bad : {"",       "10",  "5",   "m",   "10x", "1.5h",  "-1m",
                          "+1m",    " 1m", "1m ", "1 m", "10M", "30m1h", "1h1h",
                          "1h 30m", "1hh", "h1",  "1ms", "1w",  "367d",  "99999999999999999999s",
                          "00",     "1h30"})
    CHECK_MESSAGE(!parseDuration(bad), "accepted '" << bad << "'");
}
