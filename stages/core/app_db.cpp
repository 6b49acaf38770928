#include "app_db.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <set>

#include "error.h"
#include "log.h"
#include "names.h"
#include "pg_url.h"
#include "text.h"

namespace ghlb {
namespace {

struct RequiredColumn {
  const char* table;  // unquoted, as information_schema spells it
  const char* column;
};

// Every column the backfill reads or writes.
constexpr RequiredColumn kRequired[] = {
    {"Client", "id"},
    {"Client", "ghlLocationId"},
    {"Client", "ghlPrivateKey"},
    {"Lead", "id"},
    {"Lead", "clientId"},
    {"Lead", "ghlContactId"},
    {"Lead", "email"},
    {"Lead", "phone"},
    {"Lead", "firstName"},
    {"Lead", "lastName"},
    {"Lead", "companyName"},
    {"Lead", "enrichmentStatus"},
    {"Lead", "enrichmentSource"},
    {"Lead", "enrichedAt"},
    {"Lead", "updatedAt"},
};

// The columns apply writes: the role needs UPDATE on each.
constexpr const char* kWritten[] = {
    "ghlContactId",     "email",      "phone",    "firstName", "lastName", "companyName", "enrichmentStatus",
    "enrichmentSource", "enrichedAt", "updatedAt"};

}  // namespace

std::optional<std::string> tenantName(std::string_view raw) {
  if (!isCleanText(raw)) return std::nullopt;
  const std::string_view v = jsTrim(raw);
  if (v.empty()) return std::nullopt;
  constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
  constexpr std::string_view kEllipsis = "\xE2\x80\xA6";     // U+2026
  std::string out;
  size_t cut = 0;  // the longest prefix, at a character boundary, that leaves room for the ellipsis
  for (size_t i = 0; i < v.size();) {
    // Well-formed UTF-8 (isCleanText): the lead byte says the length.
    const auto c = static_cast<unsigned char>(v[i]);
    const size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    std::uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
    for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(v[i + k]) & 0x3F);
    const bool control = cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || cp == 0x200E || cp == 0x200F ||
                         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
    out += control ? kReplacement : v.substr(i, len);
    if (out.size() <= kMaxTenantNameBytes - kEllipsis.size()) cut = out.size();  // a boundary that fits
    i += len;
    if (out.size() > kMaxTenantNameBytes) break;  // cut anyway: the rest is never read
  }
  if (out.size() > kMaxTenantNameBytes) out.resize(cut), out += kEllipsis;
  return out;
}

std::string pgTextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (const char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string resolveDatabaseUrl(const std::string& flag) { return flag; }

std::string describeConnectFailure(const std::string& m) {
  const auto has = [&m](const char* s) { return m.find(s) != std::string::npos; };
  const char* where = "check --database-url / DATABASE_URL (or PGHOST, PGPORT, PGUSER, PGDATABASE)";
  std::string kind, fix;
  if (has("invalid URI query parameter") || has("invalid connection option") || has("invalid port number") ||
      (has("invalid ") && has(" value"))) {
    // libpq refused the URL itself before connecting (Prisma's parameters never get this far).
    kind = "invalid connection parameter";
    fix = "check the parameters and values of the URL against libpq's connection parameters";
  } else if (has("could not translate host name") || has("Name or service not known") ||
             has("nodename nor servname")) {
    kind = "unknown host";
    fix = "check the host name";
  } else if (has("Connection refused")) {
    kind = "connection refused";
    fix = "check the host and port, and that the server is running";
  } else if (has("No such file or directory") && has("socket")) {
    kind = "no server on the local socket";
    fix = "pass --database-url or set PGHOST, or start the server";
  } else if (has("password authentication failed") || has("no password supplied") ||
             has("authentication failed") || has("pg_hba.conf") ||
             (has("role \"") && has("does not exist"))) {
    kind = "authentication failed";
    fix = "check the user and its password (~/.pgpass or PGPASSWORD)";
  } else if (has("database \"") && has("does not exist")) {
    kind = "database does not exist";
    fix = "check the database name";
  } else if (has("SSL") || has("TLS") || has("certificate")) {
    kind = "TLS failed";
    fix = "check sslmode and the server's TLS setup and certificates";
  } else if (has("timeout expired") || has("timed out")) {
    kind = "timed out";
    fix = "check the host, the port and the network";
  } else {
    kind = "connection failed";
    fix = "check that the server is running and the credentials are right";
  }
  return "cannot connect to the application database: " + kind + ": " + fix + "; " + where;
}

AppDb::AppDb(const std::string& url, const Log* log) {
  // Prisma's parameters are taken out first: libpq would reject them ("invalid URI query parameter").
  const PgUrl pg = rewritePgUrl(url);
  schema_ = pg.schema;
  pooler_ = pg.pooler;
  if (log) {
    for (const auto& name : pg.notes)
      log->info("database_url_parameter_ignored",
                {{"parameter", name}, {"reason", std::string("Prisma-only")}});
    if (pooler_)
      log->info("pooler_mode",
                {{"prepared_statements", std::string("off")},
                 {"note", std::string("a direct database URL (not through the pooler) is faster")}});
  }
  conninfo_ = pg.conninfo;
  conn_ = connect();
}

std::unique_ptr<pqxx::connection> AppDb::connectAgain() const { return connect(); }

std::unique_ptr<pqxx::connection> AppDb::connect() const {
  // An empty URL is libpq's defaults: PG* variables and ~/.pgpass, as psql.
  std::unique_ptr<pqxx::connection> conn;
  try {
    conn = std::make_unique<pqxx::connection>(conninfo_);
  } catch (const std::exception& e) {
    // libpq's message can echo the URL (and its password): classify it, never repeat it.
    throw FatalError(describeConnectFailure(e.what()));
  }
  // A direct connection keeps ?schema= for the session; through a transaction pooler a session
  // setting would land on a server connection other clients get next, so enter() sets it per
  // transaction instead.
  if (!schema_.empty() && !pooler_) {
    pqxx::nontransaction tx(*conn);
    tx.exec_params("SELECT pg_catalog.set_config('search_path', $1, false)", quoteIdent(schema_));
  }
  return conn;
}

void AppDb::enter(pqxx::transaction_base& tx) const {
  if (pooler_ && !schema_.empty())
    tx.exec_params("SELECT pg_catalog.set_config('search_path', $1, true)", quoteIdent(schema_));
}

void AppDb::checkAccess(bool write) {
  pqxx::read_transaction tx(*conn_);
  enter(tx);
  for (const char* table : {"Lead", "Client"}) {
    const auto r = tx.exec_params(
        "SELECT c.relrowsecurity, c.relforcerowsecurity, pg_catalog.pg_has_role(c.relowner, 'USAGE'), "
        "r.rolbypassrls, r.rolsuper FROM pg_catalog.pg_class c, pg_catalog.pg_roles r "
        "WHERE c.oid = pg_catalog.to_regclass(pg_catalog.quote_ident($1)) AND r.rolname = current_user",
        table);
    if (r.empty()) continue;  // checkSchema reports a missing table
    const bool rls = r[0][0].as<bool>(), forced = r[0][1].as<bool>(), owner = r[0][2].as<bool>(),
               bypass = r[0][3].as<bool>(), super = r[0][4].as<bool>();
    if (rls && !super && !bypass && (!owner || forced))
      throw FatalError(
          std::string("row-level security is enabled on table \"") + table +
          "\" and applies to the connected role, which would see or update only the rows a policy "
          "lets it (maybe none): connect as the table's owner or a role with BYPASSRLS" +
          (forced ? " (the table FORCEs row-level security: only BYPASSRLS helps)" : ""));
  }
  std::vector<std::string> tables, columns, privileges;
  for (const auto& req : kRequired) {
    tables.emplace_back(req.table);
    columns.emplace_back(req.column);
    privileges.emplace_back("SELECT");
  }
  if (write)
    for (const char* col : kWritten) {
      tables.emplace_back("Lead");
      columns.emplace_back(col);
      privileges.emplace_back("UPDATE");
    }
  const auto missing = tx.exec_params(
      "SELECT t, col, p FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS x(t, col, p, n) "
      "WHERE NOT pg_catalog.has_column_privilege(pg_catalog.to_regclass(pg_catalog.quote_ident(t)), col, p) "
      "ORDER BY n LIMIT 1",
      pgTextArray(tables), pgTextArray(columns), pgTextArray(privileges));
  if (!missing.empty()) {
    const auto t = missing[0][0].as<std::string>(), c = missing[0][1].as<std::string>(),
               p = missing[0][2].as<std::string>();
    throw FatalError("the connected role lacks " + p + " on column \"" + c + "\" of table \"" + t +
                     "\": GRANT " + p + " on the columns the backfill " +
                     (p == "UPDATE" ? "writes" : "reads") +
                     " (README: Running against the application's database) or connect as the table's owner");
  }
}

void AppDb::checkSchema() {
  pqxx::read_transaction tx(*conn_);
  enter(tx);
  std::set<std::pair<std::string, std::string>> present;
  const auto rows = tx.exec_params(
      // pg_attribute, not information_schema: the latter hides the columns the role may not
      // read, which checkAccess reports as such. to_regclass resolves as the queries do.
      "SELECT c.relname, a.attname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_attribute a ON a.attrelid = "
      "c.oid "
      "WHERE c.oid IN (pg_catalog.to_regclass(pg_catalog.quote_ident($1)), "
      "pg_catalog.to_regclass(pg_catalog.quote_ident($2))) AND a.attnum > 0 AND NOT a.attisdropped",
      "Client", "Lead");
  for (const auto& r : rows) present.emplace(r[0].as<std::string>(), r[1].as<std::string>());
  for (const auto& req : kRequired) {
    if (!present.count({req.table, req.column})) {
      const bool table_missing =
          std::none_of(present.begin(), present.end(), [&](const auto& p) { return p.first == req.table; });
      if (table_missing)
        throw FatalError(std::string("application database has no table \"") + req.table +
                         "\": check that --database-url points at the dashboard's database");
      throw FatalError(std::string("application database table \"") + req.table + "\" has no column \"" +
                       req.column +
                       "\": run the application's migrations or point --database-url at the right database");
    }
  }
}

std::vector<ClientRow> AppDb::clients(const std::vector<std::string>& ids, bool with_tokens) {
  pqxx::read_transaction tx(*conn_);
  enter(tx);
  const std::string token_expr = with_tokens ? std::string(names::kClientToken) : "NULL::text";
  // "Client".name is optional (a deployment may lack it, or not grant it): read it only when the
  // column exists and the role may read it; never required by checkSchema or checkAccess.
  const auto has_name = tx.exec_params(
      "SELECT pg_catalog.has_column_privilege(a.attrelid, a.attnum, 'SELECT') FROM pg_catalog.pg_attribute a "
      "WHERE a.attrelid = pg_catalog.to_regclass(pg_catalog.quote_ident($1)) AND a.attname = $2 "
      "AND a.attnum > 0 AND NOT a.attisdropped",
      "Client", names::kClientName);
  const std::string name_expr =
      !has_name.empty() && has_name[0][0].as<bool>() ? std::string(names::kClientName) : "NULL::text";
  const std::string sql =
      std::string("SELECT id, ") + names::kClientLocation + ", " + token_expr + ", " + name_expr + ", (" +
      names::kClientToken + " IS NOT NULL AND NOT " + names::kClientToken + " ~ $2 AND " +
      names::kClientLocation + " IS NOT NULL AND NOT " + names::kClientLocation + " ~ $2) FROM " +
      names::kClientTable + " WHERE (cardinality($1::text[]) = 0 OR id = ANY($1::text[])) ORDER BY id";
  const auto rows = tx.exec_params(sql, pgTextArray(ids), pgBlankPattern());
  std::vector<ClientRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    ClientRow c;
    c.id = r[0].as<std::string>();
    if (!r[1].is_null()) c.location_id = std::string(jsTrim(r[1].as<std::string>()));
    if (!r[2].is_null()) c.token = std::string(jsTrim(r[2].as<std::string>()));
    if (!r[3].is_null()) c.name = tenantName(r[3].as<std::string>());
    c.participates = r[4].as<bool>();
    out.push_back(std::move(c));
  }
  for (const auto& id : ids) {
    const bool known = std::any_of(out.begin(), out.end(), [&](const ClientRow& c) { return c.id == id; });
    if (!known)
      throw usageError("unknown --client-id " + id + ": no such \"Client\" in the application database");
  }
  return out;
}

}  // namespace ghlb
