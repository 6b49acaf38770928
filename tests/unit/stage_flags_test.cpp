// stage_flags and app_db's connection messages: suggestions, password detection in connection
// strings, environment names, precedence through a real CLI11 parse, and the failure kinds.
#include "stage_flags.h"

#include <doctest/doctest.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "app_db.h"

using namespace ghlb;

TEST_CASE("closest suggests a near miss and nothing for a stranger") {
  const std::vector<std::string> cmds{"extract", "fetch", "plan", "apply", "run", "status"};
  CHECK(closest("fecth", cmds) == "fetch");
  CHECK(closest("stauts", cmds) == "status");
  CHECK(closest("aply", cmds) == "apply");
  CHECK_FALSE(closest("frobnicate", cmds));
  CHECK_FALSE(closest("fetch", cmds));  // an exact match is no suggestion
  CHECK(editDistance("--concurency", "--concurrency") == 1);
  CHECK(editDistance("ab", "ba") == 1);
}

TEST_CASE("connectionStringHasPassword: URLs and key=value strings") {
  CHECK(connectionStringHasPassword("postgresql://app:s3cret@db/app"));
  CHECK(connectionStringHasPassword("postgres://app:s3cret@db:5432/app?sslmode=require"));
  CHECK(connectionStringHasPassword("postgresql://app@db/app?password=s3cret"));
  CHECK(connectionStringHasPassword("postgresql://app@db/app?sslmode=require&password=x"));
  CHECK(connectionStringHasPassword("host=db user=app password=s3cret"));
  CHECK(connectionStringHasPassword("host=db password = s3cret"));
  CHECK_FALSE(connectionStringHasPassword("postgresql://app@db/app"));
  CHECK_FALSE(connectionStringHasPassword("postgresql://db/app?sslmode=require"));
  CHECK_FALSE(connectionStringHasPassword("postgresql://app@[::1]:5432/app"));
  CHECK_FALSE(connectionStringHasPassword("host=db user=app passfile=/root/.pgpass"));
  CHECK_FALSE(connectionStringHasPassword(""));
}

TEST_CASE("envNameFor: GHL_BACKFILL_<FLAG>, the older names only when they alone are set") {
  ::unsetenv("GHL_BACKFILL_DATABASE_URL");
  ::unsetenv("DATABASE_URL");
  CHECK(envNameFor("work-db") == "GHL_BACKFILL_WORK_DB");
  CHECK(envNameFor("per-location-burst-per-10s") == "GHL_BACKFILL_PER_LOCATION_BURST_PER_10S");
  CHECK(envNameFor("database-url") == "GHL_BACKFILL_DATABASE_URL");
  ::setenv("DATABASE_URL", "postgresql://x@y/z", 1);
  CHECK(envNameFor("database-url") == "DATABASE_URL");
  ::setenv("GHL_BACKFILL_DATABASE_URL", "postgresql://x@y/w", 1);
  CHECK(envNameFor("database-url") == "GHL_BACKFILL_DATABASE_URL");
  ::unsetenv("GHL_BACKFILL_DATABASE_URL");
  ::unsetenv("DATABASE_URL");
}

TEST_CASE("fetch flags: flag > environment > config file > default") {
  const std::string cfg = "/tmp/ghlb-unit-stage-flags.toml";
  {
    std::ofstream f(cfg);
    f << "concurrency = 3\nmax-retries = 7\ntimeout-ms = 111\n[plan]\nconcurrency = 99\n";
  }
  ::setenv("GHL_BACKFILL_MAX_RETRIES", "8", 1);
  ::setenv("GHL_BACKFILL_TIMEOUT_MS", "222", 1);
  FetchOptions o;
  CLI::App app;
  defineFetch(app, o);
  app.parse(std::vector<std::string>{"333", "--timeout-ms", cfg, "--config"});  // reversed argv
  CHECK(o.concurrency == 3);       // file (its [plan] section is not fetch's)
  CHECK(o.max_retries == 8);       // environment over file
  CHECK(o.timeout_ms == 333);      // flag over environment
  CHECK(o.per_location_rps == 0);  // default
  ::unsetenv("GHL_BACKFILL_MAX_RETRIES");
  ::unsetenv("GHL_BACKFILL_TIMEOUT_MS");
  std::remove(cfg.c_str());
}

TEST_CASE("describeConnectFailure names the kind and never repeats libpq's message") {
  const auto kind = [](const std::string& m) { return describeConnectFailure(m); };
  CHECK(
      kind(
          "connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n\tIs the server running")
          .find("connection refused") != std::string::npos);
  CHECK(kind("could not translate host name \"nohost.invalid\" to address: Name or service not known")
            .find("unknown host") != std::string::npos);
  CHECK(kind("connection to server at \"h\" failed: FATAL:  password authentication failed for user \"app\"")
            .find("authentication failed") != std::string::npos);
  CHECK(kind("connection to server at \"h\" failed: FATAL:  role \"nobody\" does not exist")
            .find("authentication failed") != std::string::npos);
  CHECK(kind("connection to server at \"h\" failed: FATAL:  database \"nodb\" does not exist")
            .find("database does not exist") != std::string::npos);
  CHECK(kind("connection to server at \"h\" failed: server does not support SSL, but SSL was required")
            .find("TLS failed") != std::string::npos);
  const std::string secret = "postgresql://app:Sup3rSecret@h/db";
  CHECK(kind("invalid URI query parameter in " + secret).find("Sup3rSecret") == std::string::npos);
}
