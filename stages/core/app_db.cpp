#include "app_db.h"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "error.h"
#include "names.h"
#include "text.h"

namespace ghlb {
namespace {

struct RequiredColumn {
  const char* table;   // unquoted, as information_schema spells it
  const char* column;
};

// Every column the backfill reads or writes.
constexpr RequiredColumn kRequired[] = {
    {"Client", "id"},           {"Client", "ghlLocationId"}, {"Client", "ghlPrivateKey"},
    {"Lead", "id"},             {"Lead", "clientId"},        {"Lead", "ghlContactId"},
    {"Lead", "email"},          {"Lead", "phone"},           {"Lead", "firstName"},
    {"Lead", "lastName"},       {"Lead", "companyName"},     {"Lead", "enrichmentStatus"},
    {"Lead", "enrichmentSource"}, {"Lead", "enrichedAt"},    {"Lead", "updatedAt"},
};

}  // namespace

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

std::string resolveDatabaseUrl(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv(names::kEnvDatabaseUrl); env && *env) return env;
  throw usageError("no application database: pass --database-url or set DATABASE_URL");
}

AppDb::AppDb(const std::string& url) {
  if (url.empty()) throw usageError("no application database: pass --database-url or set DATABASE_URL");
  try {
    conn_ = std::make_unique<pqxx::connection>(url);
  } catch (const std::exception&) {
    // libpq's message can echo the URL (and its password): say what to check instead.
    throw FatalError(
        "cannot connect to the application database: check --database-url / DATABASE_URL, "
        "that the server is running and that the credentials are right");
  }
}

void AppDb::checkSchema() {
  pqxx::read_transaction tx(*conn_);
  std::set<std::pair<std::string, std::string>> present;
  const auto rows = tx.exec_params(
      "SELECT table_name, column_name FROM information_schema.columns "
      "WHERE table_schema = current_schema() AND table_name IN ($1, $2)",
      "Client", "Lead");
  for (const auto& r : rows) present.emplace(r[0].as<std::string>(), r[1].as<std::string>());
  for (const auto& req : kRequired) {
    if (!present.count({req.table, req.column})) {
      const bool table_missing = std::none_of(present.begin(), present.end(),
                                              [&](const auto& p) { return p.first == req.table; });
      if (table_missing)
        throw FatalError(std::string("application database has no table \"") + req.table +
                         "\": check that --database-url points at the dashboard's database");
      throw FatalError(std::string("application database table \"") + req.table +
                       "\" has no column \"" + req.column +
                       "\": run the application's migrations or point --database-url at the right database");
    }
  }
}

std::vector<ClientRow> AppDb::clients(const std::vector<std::string>& ids, bool with_tokens) {
  pqxx::read_transaction tx(*conn_);
  const std::string token_expr = with_tokens ? std::string(names::kClientToken) : "NULL::text";
  const std::string sql = std::string("SELECT id, ") + names::kClientLocation + ", " + token_expr +
                          ", (" + names::kClientToken + " IS NOT NULL AND NOT " + names::kClientToken +
                          " ~ $2 AND " + names::kClientLocation + " IS NOT NULL AND NOT " +
                          names::kClientLocation + " ~ $2) FROM " + names::kClientTable +
                          " WHERE (cardinality($1::text[]) = 0 OR id = ANY($1::text[])) ORDER BY id";
  const auto rows = tx.exec_params(sql, pgTextArray(ids), pgBlankPattern());
  std::vector<ClientRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    ClientRow c;
    c.id = r[0].as<std::string>();
    if (!r[1].is_null()) c.location_id = std::string(jsTrim(r[1].as<std::string>()));
    if (!r[2].is_null()) c.token = std::string(jsTrim(r[2].as<std::string>()));
    c.participates = r[3].as<bool>();
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
