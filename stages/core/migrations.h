// The work-DB schema as forward migrations, compiled from schema/work_db/NNN_*.sql.
// Migration i (0-based) moves a database from user_version i to i+1.
#pragma once
#include <string_view>
#include <vector>

namespace ghlb {

struct Migration {
  std::string_view name;  // file name, e.g. "001_init.sql"
  std::string_view sql;
};

const std::vector<Migration>& workDbMigrations();

}  // namespace ghlb
