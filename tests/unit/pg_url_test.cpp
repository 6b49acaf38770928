// rewritePgUrl: Prisma's DATABASE_URL into what libpq accepts; parameters named, values never.
#include "pg_url.h"

#include <doctest/doctest.h>

#include "error.h"

using ghlb::PgUrl;
using ghlb::rewritePgUrl;

namespace {

// The usage error's message, or "" when the URL is accepted.
std::string refusal(const std::string& url) {
  try {
    rewritePgUrl(url);
    return "";
  } catch (const ghlb::FatalError& e) {
    CHECK(e.code() == ghlb::ExitCode::kUsage);
    return e.what();
  }
}

}  // namespace

TEST_CASE("pg_url: a URL without Prisma parameters, a key=value string and empty pass unchanged") {
  for (const char* u :
       {"", "postgresql://u:p@db.example.com:5432/app", "postgres://h/app?sslmode=require",
        "host=h dbname=app user=u", "postgresql://u@h/app?application_name=x&connect_timeout=5"}) {
    const PgUrl r = rewritePgUrl(u);
    CHECK(r.conninfo == u);
    CHECK(r.schema.empty());
    CHECK_FALSE(r.pooler);
    CHECK(r.notes.empty());
  }
}

TEST_CASE("pg_url: the application's Prisma URL: schema, pgbouncer and pool settings taken out") {
  const PgUrl r = rewritePgUrl(
      "postgresql://app:s3cr%40t@pooler.example.com:6543/postgres?pgbouncer=true&connection_limit=1"
      "&sslmode=require&schema=tenant_data&pool_timeout=20&statement_cache_size=0&sslaccept=strict");
  CHECK(r.conninfo == "postgresql://app:s3cr%40t@pooler.example.com:6543/postgres?sslmode=require");
  CHECK(r.schema == "tenant_data");
  CHECK(r.pooler);
  CHECK(r.notes == std::vector<std::string>{"pgbouncer", "connection_limit", "pool_timeout",
                                            "statement_cache_size", "sslaccept"});
}

TEST_CASE("pg_url: percent-encoding in names and values; pgbouncer=false keeps prepared statements") {
  const PgUrl r =
      rewritePgUrl("postgres://h/db?sch%65ma=My%2DSchema&pgbouncer=false&options=-c%20work_mem%3D4MB");
  CHECK(r.schema == "My-Schema");
  CHECK_FALSE(r.pooler);
  CHECK(r.notes == std::vector<std::string>{"pgbouncer"});
  CHECK(r.conninfo == "postgres://h/db?options=-c%20work_mem%3D4MB");  // libpq's own: as written
  CHECK(rewritePgUrl("postgres://h/db?schema=a&").conninfo == "postgres://h/db");
}

TEST_CASE("pg_url: an unknown parameter is named, never its value nor the password") {
  const std::string m = refusal("postgresql://app:hunter22@h/db?sslmode=require&frobnicate=tok-SECRET9");
  CHECK(m.find("\"frobnicate\"") != std::string::npos);
  CHECK(m.find("tok-SECRET9") == std::string::npos);
  CHECK(m.find("hunter22") == std::string::npos);
  // A name that is not plain text is not echoed either.
  const std::string odd = refusal("postgresql://h/db?a%20b%0Ac=1");
  CHECK(odd.find("unprintable") != std::string::npos);
  CHECK(odd.find('\n') == std::string::npos);
}

TEST_CASE("pg_url: malformed values refused with one line, the value not echoed") {
  CHECK(refusal("postgresql://h/db?schema=a;DROP%20TABLE").find("\"schema\"") != std::string::npos);
  CHECK(refusal("postgresql://h/db?schema=a;DROP%20TABLE").find("DROP") == std::string::npos);
  CHECK(refusal("postgresql://h/db?schema=").find("\"schema\"") != std::string::npos);
  CHECK(refusal("postgresql://h/db?schema=" + std::string(64, 'a')) != "");
  CHECK(refusal("postgresql://h/db?schema=" + std::string(63, 'a')) == "");
  CHECK(refusal("postgresql://h/db?pgbouncer=yes").find("\"pgbouncer\"") != std::string::npos);
  CHECK(refusal("postgresql://h/db?schema=a%2").find("percent") != std::string::npos);
  CHECK(refusal("postgresql://h/db?schema=a%zz").find("percent") != std::string::npos);
  CHECK(refusal("postgresql://h/db?sslmode=%G1").find("\"sslmode\"") != std::string::npos);
}

TEST_CASE("pg_url: a URL or string libpq cannot parse is a usage error that never echoes it") {
  const std::string bad = refusal("postgresql://user:s3cret@[::1/db");
  CHECK(bad.find("cannot be parsed") != std::string::npos);
  CHECK(bad.find("s3cret") == std::string::npos);
  CHECK(refusal("host='unterminated").find("cannot be parsed") != std::string::npos);
  CHECK(refusal("postgresql://user@[::1]:5432/db") == "");
  CHECK(refusal("host=h dbname=d") == "");
  CHECK(refusal("") == "");
}

TEST_CASE("pg_url: quoteIdent doubles quotes") {
  CHECK(ghlb::quoteIdent("app") == "\"app\"");
  CHECK(ghlb::quoteIdent("a\"b") == "\"a\"\"b\"");
}

TEST_CASE("pg_url: an invalid port is a usage error (not a failed connection), never echoed") {
  for (const char* u : {"postgresql://u:s3cret@db:99999/app", "postgresql://u@db:0/app",
                        "postgresql://u@db:54x2/app", "host=db port=-1 dbname=app",
                        "host=a,b port=5432,70000 dbname=app", "postgresql://u@db:123456/app"}) {
    const std::string why = refusal(u);
    CHECK_MESSAGE(why.find("is not a port number") != std::string::npos, u);
    CHECK(why.find("s3cret") == std::string::npos);
    CHECK(why.find("99999") == std::string::npos);
  }
  for (const char* u :
       {"postgresql://u@db:5432/app", "postgresql://u@db:1/app", "postgresql://u@db:65535/app",
        "postgresql://u@db/app", "host=a,b port=5432,6432 dbname=app", "host=a,b port=,6432"})
    CHECK_MESSAGE(refusal(u).empty(), u);
}
