#include "app_identity.h"

#include "clock.h"
#include "error.h"
#include "names.h"

namespace ghlb {

std::string appDatabaseIdentity(AppDb& app) {
  pqxx::read_transaction tx(app.conn());
  app.enter(tx);
  // pg_control_system() is for superusers and pg_monitor: ask first, so that a plain role's query
  // never fails (the database and table oids alone still tell two databases apart).
  const bool sysid_ok =
      tx.exec1("SELECT has_function_privilege('pg_catalog.pg_control_system()', 'EXECUTE')")[0].as<bool>();
  const std::string sysid =
      sysid_ok ? tx.exec1("SELECT system_identifier::text FROM pg_catalog.pg_control_system()")[0]
                     .as<std::string>()
               : "-";
  const auto r = tx.exec_params1(
      "SELECT (SELECT oid::text FROM pg_catalog.pg_database WHERE datname = current_database()), "
      "to_regclass($1)::oid::text",
      std::string(names::kLeadTable));
  return sysid + ":" + r[0].as<std::string>() + ":" + (r[1].is_null() ? "-" : r[1].as<std::string>());
}

void bindAppDatabase(WorkDb& work, const std::string& identity, bool record) {
  auto& db = work.db();
  SQLite::Statement q(db, "SELECT identity FROM app_database WHERE id = 1");
  if (!q.executeStep()) {
    if (!record) return;
    SQLite::Statement ins(db, "INSERT INTO app_database(id, identity, recorded_at) VALUES (1, ?, ?)");
    ins.bind(1, identity);
    ins.bind(2, isoNowUtc());
    ins.exec();
    return;
  }
  if (q.getColumn(0).getString() == identity) return;
  throw FatalError("work DB " + work.path() +
                   " belongs to another application database than the one this connection reaches "
                   "(--database-url / DATABASE_URL / PG* variables): point at the database it was extracted "
                   "from, or use a new --work-db for this one");
}

}  // namespace ghlb
