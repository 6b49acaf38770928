#include "quota_store.h"

#include <ctime>

namespace ghlb {

std::string utcDay(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

std::chrono::system_clock::time_point nextUtcMidnight(std::chrono::system_clock::time_point t) {
  const auto days = std::chrono::floor<std::chrono::days>(t);
  return days + std::chrono::days(1);
}

QuotaStore::QuotaStore(SQLite::Database& db) : db_(db) {}

std::optional<DailyQuota> QuotaStore::daily(const std::string& client_id, const std::string& day) {
  SQLite::Statement st(
      db_, "SELECT daily_remaining, reset_at FROM quota_daily WHERE client_id = ? AND utc_day = ?");
  st.bind(1, client_id);
  st.bind(2, day);
  if (!st.executeStep()) return std::nullopt;
  DailyQuota q;
  q.remaining = st.getColumn(0).getInt64();
  if (!st.getColumn(1).isNull()) q.reset_at = st.getColumn(1).getString();
  return q;
}

void QuotaStore::saveDaily(const std::string& client_id, const std::string& day, const DailyQuota& quota,
                           const std::string& now_iso) {
  SQLite::Statement st(db_,
                       "INSERT INTO quota_daily(client_id, utc_day, daily_remaining, reset_at, updated_at) "
                       "VALUES (?,?,?,?,?) ON CONFLICT(client_id) DO UPDATE SET utc_day = excluded.utc_day, "
                       "daily_remaining = excluded.daily_remaining, reset_at = excluded.reset_at, "
                       "updated_at = excluded.updated_at");
  st.bind(1, client_id);
  st.bind(2, day);
  st.bind(3, quota.remaining);
  if (quota.reset_at)
    st.bind(4, *quota.reset_at);
  else
    st.bind(4);
  st.bind(5, now_iso);
  st.exec();
}

}  // namespace ghlb
