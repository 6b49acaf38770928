// apply --max-rows-per-second: when each batch may start, and a pause that ends on a stop.
#include <doctest/doctest.h>

#include "apply.h"
#include "fetch_fakes.h"

namespace ghlb {

TEST_CASE("pacedStart: the leads written never run ahead of the rate") {
  const SteadyTime t0 = SteadyTime{} + std::chrono::hours(1);
  CHECK(pacedStart(t0, 0, 100) == t0);  // the first batch at once
  CHECK(pacedStart(t0, 500, 0) == t0);  // no pace
  CHECK(pacedStart(t0, 200, 100) == t0 + Millis(2000));
  CHECK(pacedStart(t0, 1, 3) == t0 + Millis(334));  // rounded up: never early
  CHECK(pacedStart(t0, 10, 1) == t0 + Millis(10000));
}

TEST_CASE("pauseUntil: returns once the clock reaches the due time") {
  fetch_test::FakeClock clock;
  CHECK(pauseUntil(clock, clock.now()));              // due now: no wait
  CHECK(pauseUntil(clock, clock.now() - Millis(5)));  // already past
}

}  // namespace ghlb
