// cli.h sqlErrorMessage: the one line for a statement the application database did not run.
#include <doctest/doctest.h>

#include <string>

#include "cli.h"

using namespace ghlb;

TEST_CASE("a statement stopped by the server (class 57) says what is kept, not to check permissions") {
  for (const char* state : {"57P01", "57014", "57P02"}) {
    const auto m = sqlErrorMessage(state);
    CHECK(m.find(std::string("SQLSTATE ") + state) != std::string::npos);
    CHECK(m.find("what was committed is kept; run the same command again") != std::string::npos);
    CHECK(m.find("permissions") == std::string::npos);
  }
  const auto refused = sqlErrorMessage("42501");
  CHECK(refused.find("SQLSTATE 42501") != std::string::npos);
  CHECK(refused.find("check the database's schema and permissions") != std::string::npos);
  // A state that is not five characters of digits and capitals is not echoed.
  const auto odd = sqlErrorMessage("57\n\x1b[31m");
  CHECK(odd.find("SQLSTATE unknown") != std::string::npos);
  CHECK(odd.find('\x1b') == std::string::npos);
}
