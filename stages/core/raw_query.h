// RawQuery: a prepared statement read through SQLite's C API, for the readers' passes over a
// million-row plan (decision_store.cpp, status.cpp): two calls per text column and no object per
// column (SQLiteCpp's Column objects were a fifth of review's pass at 887k leads). Errors throw
// SQLite::Exception as SQLiteCpp does.
#pragma once
#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ghlb {

class RawQuery {
 public:
  RawQuery(SQLite::Database& db, const std::string& sql) : db_(db.getHandle()) {
    if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &st_, nullptr) != SQLITE_OK)
      throw SQLite::Exception(db_, sqlite3_errcode(db_));
  }
  ~RawQuery() { sqlite3_finalize(st_); }
  RawQuery(const RawQuery&) = delete;
  RawQuery& operator=(const RawQuery&) = delete;
  void bind(int i, std::string_view v) {
    check(sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  bool step() {
    const int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) throw SQLite::Exception(db_, rc);
    return false;
  }
  void reset() { sqlite3_reset(st_); }
  // Column i of the current row as text; nullopt for NULL.
  std::optional<std::string_view> text(int i) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_, i));
    if (!p) return std::nullopt;
    return std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(st_, i)));
  }
  std::string_view textOr(int i) const { return text(i).value_or(std::string_view()); }
  int integer(int i) const { return sqlite3_column_int(st_, i); }
  std::int64_t integer64(int i) const { return sqlite3_column_int64(st_, i); }
  bool isNull(int i) const { return sqlite3_column_type(st_, i) == SQLITE_NULL; }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) throw SQLite::Exception(db_, rc);
  }
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
};

}  // namespace ghlb
