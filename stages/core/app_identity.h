// Which application database a work DB belongs to. A work DB holds a snapshot, answers and a plan
// of ONE application database; pointing a later stage at another database (a staging copy, another
// region, a typo in DATABASE_URL) would write that plan into the wrong table. The identity is read
// from the server (appDatabaseIdentity), recorded in the work DB's app_database table by the first
// stage that connects, and compared by every later one (bindAppDatabase).
#pragma once
#include <string>

#include "app_db.h"
#include "work_db.h"

namespace ghlb {

// "SYSID:DBOID:LEADOID": the cluster's system identifier (when the role may read it, else "-"),
// the database's oid and the "Lead" table's oid as the search path resolves it. Ids, no names.
std::string appDatabaseIdentity(AppDb& app);

// FatalError (exit 1, one line) when WORK holds another identity than IDENTITY. When it holds none
// yet (a new work DB, or one made before version 3), RECORD (extract) stores IDENTITY; the other
// stages only compare, so a dry run writes nothing. Call before anything is read or written.
void bindAppDatabase(WorkDb& work, const std::string& identity, bool record);

}  // namespace ghlb
