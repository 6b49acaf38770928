// The application's PostgreSQL database ("Client", "Lead"): connecting, checking that the columns
// the backfill touches exist, and reading tenants. Tokens read here live in memory only.
#pragma once
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <vector>

namespace ghlb {

class Log;

struct ClientRow {
  std::string id;
  std::string location_id;          // trimmed; empty when missing
  std::string token;                // secret; empty unless asked for, and when missing
  bool participates = false;        // both location and token present (not null, not blank)
  std::optional<std::string> name;  // "Client".name through tenantName(); nullopt when the table
                                    // has no such column, the role may not read it, or it is unusable
};

// Longest tenant name kept, in bytes (the review shows far less; the report and export the whole).
inline constexpr size_t kMaxTenantNameBytes = 200;

// "Client".name as the work DB keeps it: it comes from the tenants' admins, so it is hostile. Not
// clean text (isCleanText) or blank: nullopt. Otherwise trimmed, every control character (C0,
// DEL, C1) and bidirectional override or isolate replaced by U+FFFD, and cut at a character
// boundary to at most kMaxTenantNameBytes, ending in U+2026 when cut. Never logged.
std::optional<std::string> tenantName(std::string_view raw);

class AppDb {
 public:
  // Connects to URL (a libpq connection string or postgresql:// URL, Prisma's parameters
  // understood: see pg_url.h; empty: libpq's PG* variables and ~/.pgpass). FatalError saying which
  // kind of failure (describeConnectFailure) otherwise. LOG (may be null) gets one note per dropped
  // URL parameter and one when pooler mode is on.
  explicit AppDb(const std::string& url, const Log* log = nullptr);

  // FatalError naming the first missing table or column the backfill needs.
  void checkSchema();

  // FatalError (exit 1), one line, when the connected role would read or write through row-level
  // security on "Client" or "Lead" (RLS enabled, no BYPASSRLS, not the owner or FORCE'd), or lacks
  // SELECT on a column the backfill reads, or (write) UPDATE on a column apply writes. Names the
  // table or column and says how to fix it. Call after checkSchema, before reading anything.
  void checkAccess(bool write);

  // Pooler mode (?pgbouncer=true): no session state survives a transaction, so no named prepared
  // statements, and the schema is set in every transaction (enter).
  bool pooler() const { return pooler_; }

  // Call first in every transaction on conn(): sets ?schema= for that transaction in pooler mode
  // (a direct connection has it for the whole session already).
  void enter(pqxx::transaction_base& tx) const;

  // Tenants with the given ids (all tenants when ids is empty), ordered by id. FatalError naming
  // the first unknown id. with_tokens: also read "ghlPrivateKey" (fetch only).
  std::vector<ClientRow> clients(const std::vector<std::string>& ids, bool with_tokens);

  pqxx::connection& conn() { return *conn_; }

  // Another connection to the same database as the same role, its schema set like conn()'s (for
  // reading two things at once inside one exported snapshot). Not in pooler mode.
  std::unique_ptr<pqxx::connection> connectAgain() const;

 private:
  std::unique_ptr<pqxx::connection> connect() const;

  std::string conninfo_;  // may hold a password: in memory only, never logged
  std::unique_ptr<pqxx::connection> conn_;
  std::string schema_;
  bool pooler_ = false;
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
