// The SQLite work database shared by the stages: opened with mode 0600, WAL, migrated forward
// (PRAGMA user_version), guarded by an advisory lock (a file named from the DB's canonical path,
// so a symlink to the DB takes the same lock) so two stages never write it at once, and
// holding one stage_run row per stage invocation. Tables: schema/work_db/*.sql.
#pragma once
#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lead.h"

namespace ghlb {

class WorkDb {
 public:
  enum class Mode {
    kCreate,    // read-write, created (mode 0600) when absent: extract
    kExisting,  // read-write, must exist: the stages after extract
    kReadOnly,  // must exist, no lock, no migration: status
  };

  // Opens PATH (creating it only in kCreate), then migrates it unless kReadOnly.
  // Throws FatalError with a fix-it message: not SQLite, newer schema, locked by another stage.
  explicit WorkDb(const std::string& path, Mode mode = Mode::kCreate);
  ~WorkDb();
  WorkDb(const WorkDb&) = delete;
  WorkDb& operator=(const WorkDb&) = delete;

  SQLite::Database& db() { return *db_; }
  const std::string& path() const { return path_; }

  // Schema version this build writes (number of migrations) and the file's own.
  static int latestVersion();
  int version();

  // stage_run bookkeeping. status: running | done | retryable | failed | interrupted (stop_reason:
  // signal, time budget, or died: found 'running' by a later run). beginRun records this process.
  std::int64_t beginRun(std::string_view stage, const std::string& options_json);
  void finishRun(std::int64_t run, std::string_view status, const std::string& counts_json);

  // True when the newest extract run did not finish ('interrupted', 'failed', or died running):
  // the snapshot is then partial (a prefix of the leads by id) until extract runs again.
  bool lastExtractUnfinished();

 private:
  void migrate();

  std::string path_;
  int lock_fd_ = -1;
  std::unique_ptr<SQLite::Database> db_;
};

// SQLite NULL <-> std::optional<std::string>.
std::optional<std::string> optionalText(const SQLite::Column& c);
void bindOptional(SQLite::Statement& st, int index, const std::optional<std::string>& v);

// The snapshot's columns of table lead (alias l), in LeadSnapshot's order, and the lead of the
// current row of a statement that selects them first.
inline constexpr const char* kLeadSnapshotColumns =
    "l.id, l.client_id, l.location_id, l.ghl_contact_id, l.email, l.phone, l.first_name, "
    "l.last_name, l.company_name, l.enrichment_status";
inline constexpr int kLeadSnapshotColumnCount = 10;
LeadSnapshot readLeadSnapshot(SQLite::Statement& st);

// The --client-id scope in work-DB queries: clientScope("l.client_id") is an SQL condition on
// parameters ?1 (0: every tenant) and ?2 (JSON array of ids) that bindClientScope() sets.
std::string clientScope(std::string_view column);
void bindClientScope(SQLite::Statement& st, const std::vector<std::string>& client_ids);

// Usage error naming the first id that is not a tenant of the snapshot (extract did not see it).
void checkKnownClients(SQLite::Database& db, const std::vector<std::string>& client_ids);

}  // namespace ghlb
