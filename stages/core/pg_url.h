// The application's DATABASE_URL as Prisma writes it, turned into what libpq accepts: Prisma's own
// query parameters are understood and dropped, libpq's pass through, anything else is refused by
// name. Messages and notes name parameters only, never a value, a host or a password.
#pragma once
#include <string>
#include <vector>

namespace ghlb {

struct PgUrl {
  std::string conninfo;            // for libpq: the URL without the Prisma-only parameters
  std::string schema;              // ?schema=NAME, decoded and checked; empty when absent
  bool pooler = false;             // ?pgbouncer=true: no named prepared statements
  std::vector<std::string> notes;  // one per dropped parameter, by name: "pgbouncer", ...
};

// URL: a postgres:// or postgresql:// URL, a key=value connection string, or empty (libpq's
// defaults). Only a URL's query string is rewritten; anything else comes back as it was.
// usageError naming the parameter when one is neither libpq's nor Prisma's, when a value is
// malformed (schema not an identifier, pgbouncer not true/false), or on a bad percent escape.
PgUrl rewritePgUrl(const std::string& url);

// NAME as a double-quoted SQL identifier ("a""b" for a"b), for search_path.
std::string quoteIdent(const std::string& name);

}  // namespace ghlb
