// The work-DB tables of fetch's quota state (schema/work_db/004_quota.sql): per client, GHL's
// daily remaining as last seen and the UTC day it belongs to. This file owns their SQL.
#pragma once
#include <SQLiteCpp/SQLiteCpp.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace ghlb {

// "YYYY-MM-DD" of T in UTC.
std::string utcDay(std::chrono::system_clock::time_point t);

// The next 00:00 UTC after T.
std::chrono::system_clock::time_point nextUtcMidnight(std::chrono::system_clock::time_point t);

struct DailyQuota {
  std::int64_t remaining = 0;
  std::optional<std::string> reset_at;  // ISO-8601 UTC, when GHL said
};

class QuotaStore {
 public:
  explicit QuotaStore(SQLite::Database& db);

  // CLIENT's daily remaining recorded for DAY; nullopt when none (or only an earlier day's).
  std::optional<DailyQuota> daily(const std::string& client_id, const std::string& day);

  // Records CLIENT's daily remaining for DAY (replacing any earlier row). NOW_ISO stamps it.
  void saveDaily(const std::string& client_id, const std::string& day, const DailyQuota& quota,
                 const std::string& now_iso);

  SQLite::Database& db() { return db_; }

 private:
  SQLite::Database& db_;
};

}  // namespace ghlb
