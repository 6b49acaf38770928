// describeConnectFailure on libpq's refusals of the URL itself (not the server's).
#include <doctest/doctest.h>

#include "app_db.h"

TEST_CASE("describeConnectFailure: libpq refusing a parameter or value is not blamed on credentials") {
  for (const char* m :
       {"invalid sslmode value: \"maybe\"", "invalid integer value \"x\" for connection option \"port\"",
        "invalid URI query parameter: \"frob\"", "invalid connection option \"frob\""}) {
    const std::string line = ghlb::describeConnectFailure(m);
    CHECK(line.find("invalid connection parameter") != std::string::npos);
    CHECK(line.find("credentials") == std::string::npos);
    CHECK(line.find("frob") == std::string::npos);
    CHECK(line.find("maybe") == std::string::npos);
  }
}
