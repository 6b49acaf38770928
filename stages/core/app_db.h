// The application's PostgreSQL database ("Client", "Lead"): connecting, checking that the columns
// the backfill touches exist, and reading tenants. Tokens read here live in memory only.
#pragma once
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace ghlb {

struct ClientRow {
  std::string id;
  std::string location_id;    // trimmed; empty when missing
  std::string token;          // secret; empty unless asked for, and when missing
  bool participates = false;  // both location and token present (not null, not blank)
};

class AppDb {
 public:
  // Connects to URL (a libpq connection string or postgresql:// URL; empty: libpq's PG* variables
  // and ~/.pgpass). FatalError saying which kind of failure (describeConnectFailure) otherwise.
  explicit AppDb(const std::string& url);

  // FatalError naming the first missing table or column the backfill needs.
  void checkSchema();

  // Tenants with the given ids (all tenants when ids is empty), ordered by id. FatalError naming
  // the first unknown id. with_tokens: also read "ghlPrivateKey" (fetch only).
  std::vector<ClientRow> clients(const std::vector<std::string>& ids, bool with_tokens);

  pqxx::connection& conn() { return *conn_; }

 private:
  std::unique_ptr<pqxx::connection> conn_;
};

// A PostgreSQL text[] literal of values, to bind as one parameter ($n::text[]).
std::string pgTextArray(const std::vector<std::string>& values);

// The URL to connect with: the flag (filled from --database-url, $GHL_BACKFILL_DATABASE_URL,
// $DATABASE_URL or the config file by stage_flags.h); empty means libpq's defaults.
std::string resolveDatabaseUrl(const std::string& flag);

// One line for a failed connection from libpq's message: which kind (refused, unknown host,
// authentication, missing database, TLS, ...) and what to check. Never repeats the message.
std::string describeConnectFailure(const std::string& libpq_message);

}  // namespace ghlb
