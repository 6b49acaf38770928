#include "work_db.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "clock.h"
#include "error.h"
#include "json_util.h"
#include "migrations.h"
#include "names.h"
#include "process_id.h"
#include "stop_signal.h"

namespace ghlb {
namespace {

// The page size of a new work DB: 16 KiB rather than SQLite's 4 KiB. extract and plan write
// hundreds of MB in long transactions, and each page costs a write to the WAL and a copy into the
// database file: at 2M leads 16 KiB pages cut extract's CPU by 10-20% (system time 3.1 -> 1.9 s)
// and plan's by about 15% at 887k, measured against 4, 8 and 32 KiB. Every cache size is set in
// KiB, so memory stays the same.
constexpr int kPageSize = 16384;

// SQLite files start with this 16-byte header; anything else non-empty is not a work DB.
bool looksLikeSqlite(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return true;  // let SQLite report the real error
  char header[16] = {};
  const ssize_t n = ::read(fd, header, sizeof header);
  ::close(fd);
  if (n == 0) return true;  // empty file: SQLite treats it as a new database
  return n == 16 && std::memcmp(header, "SQLite format 3\0", 16) == 0;
}

// A SQLite file that already has tables while its user_version is still 0 belongs to another
// application: every ghl-backfill migration sets user_version in the transaction that creates its
// tables. Probed read-only, before any lock file or migration touches it.
bool isForeignSqlite(const std::string& path) {
  try {
    SQLite::Database probe(path, SQLite::OPEN_READONLY, 5000);
    if (probe.execAndGet("PRAGMA user_version").getInt() != 0) return false;
    return probe.execAndGet("SELECT count(*) FROM sqlite_master").getInt64() > 0;
  } catch (const SQLite::Exception&) {
    return false;  // the real open below reports what is wrong
  }
}

}  // namespace

WorkDb::WorkDb(const std::string& path, Mode mode) : path_(path) {
  const bool exists = std::filesystem::exists(path);
  const bool writable = mode != Mode::kReadOnly;
  if (!exists && mode != Mode::kCreate)
    throw FatalError("work DB " + path +
                     " does not exist: run 'ghl-backfill extract' first, or pass --work-db");
  if (exists && !looksLikeSqlite(path))
    throw FatalError("work DB " + path +
                     " is not a SQLite database: pass --work-db with a ghl-backfill work DB or a new path");
  if (exists && isForeignSqlite(path))
    throw FatalError(
        "work DB " + path +
        " is a SQLite database of another application: pass --work-db with a ghl-backfill work DB "
        "or a new path");

  if (writable) {
    // The lock file sits beside the DB file itself, named from its canonical path, so that the
    // same DB reached through a symlink (or "./" or "..") takes the same lock. flock is released
    // by the kernel if we die.
    std::error_code ec;
    const auto canonical = std::filesystem::weakly_canonical(path, ec);
    const std::string lock_path = (ec ? path : canonical.string()) + names::kLockSuffix;
    lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (lock_fd_ < 0)
      throw FatalError("cannot open lock file " + lock_path + ": " + std::strerror(errno) +
                       ": check that the work DB's directory is writable");
    if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(lock_fd_);
      lock_fd_ = -1;
      throw FatalError("work DB " + path + " is in use by another ghl-backfill stage: wait for it to finish");
    }
    if (!exists) {
      // Create the file ourselves so it is 0600 from its first byte (it will hold PII).
      const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd < 0)
        throw FatalError("cannot create work DB " + path + ": " + std::strerror(errno) +
                         ": check the path given to --work-db");
      ::close(fd);
    }
  }

  try {
    const int flags = writable ? SQLite::OPEN_READWRITE : SQLite::OPEN_READONLY;
    db_ = std::make_unique<SQLite::Database>(path, flags);
    db_->exec("PRAGMA busy_timeout = 5000");
    if (writable) {
      // A new (empty) file only: an existing work DB keeps the page size it was made with.
      if (db_->execAndGet("PRAGMA page_count").getInt64() == 0)
        db_->exec("PRAGMA page_size = " + std::to_string(kPageSize));
      db_->exec("PRAGMA journal_mode = WAL");
      db_->exec("PRAGMA synchronous = NORMAL");
    }
    db_->exec("PRAGMA foreign_keys = ON");
    const int v = version();
    if (v > latestVersion())
      throw FatalError("work DB " + path + " has schema version " + std::to_string(v) +
                       ", newer than this ghl-backfill knows (" + std::to_string(latestVersion()) +
                       "): upgrade ghl-backfill or use another --work-db");
    if (writable)
      migrate();
    else if (v < latestVersion())
      throw FatalError("work DB " + path + " has schema version " + std::to_string(v) +
                       ": run any stage once to migrate it to version " + std::to_string(latestVersion()));
  } catch (const SQLite::Exception& e) {
    throw FatalError("work DB " + path + " cannot be used: " + e.what() +
                     ": pass --work-db with a ghl-backfill work DB or a new path");
  }
}

WorkDb::~WorkDb() {
  db_.reset();
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

int WorkDb::latestVersion() { return static_cast<int>(workDbMigrations().size()); }

int WorkDb::version() { return db_->execAndGet("PRAGMA user_version").getInt(); }

void WorkDb::migrate() {
  const auto& all = workDbMigrations();
  for (int v = version(); v < latestVersion(); ++v) {
    SQLite::Transaction tx(*db_);
    db_->exec(std::string(all[static_cast<size_t>(v)].sql));
    db_->exec("PRAGMA user_version = " + std::to_string(v + 1));
    tx.commit();
  }
}

std::int64_t WorkDb::beginRun(std::string_view stage, const std::string& options_json) {
  // A run that died leaves status 'running'; mark such runs as interrupted first.
  db_->exec("UPDATE stage_run SET status = 'interrupted', stop_reason = 'died' WHERE status = 'running'");
  const ProcessIdentity self = currentProcess();  // status tells a run that died (process_id.h)
  SQLite::Statement st(
      *db_,
      "INSERT INTO stage_run(stage, started_at, status, options, pid, host, boot_id, pid_start) "
      "VALUES (?, ?, 'running', ?, ?, ?, ?, ?)");
  st.bind(1, std::string(stage));
  st.bind(2, isoNowUtc());
  st.bind(3, options_json);
  st.bind(4, self.pid);
  st.bind(5, self.host);
  st.bind(6, self.boot_id);
  st.bind(7, self.start);
  st.exec();
  return db_->getLastInsertRowid();
}

void WorkDb::finishRun(std::int64_t run, std::string_view status, const std::string& counts_json) {
  SQLite::Statement st(
      *db_, "UPDATE stage_run SET finished_at = ?, status = ?, counts = ?, stop_reason = ? WHERE id = ?");
  st.bind(1, isoNowUtc());
  st.bind(2, std::string(status));
  st.bind(3, counts_json);
  if (status == "interrupted")  // why: a signal or the time budget (stop_signal.h)
    st.bind(4, std::string(stopReasonName(stopReason())));
  else
    st.bind(4);
  st.bind(5, static_cast<std::int64_t>(run));
  st.exec();
}

bool WorkDb::lastExtractUnfinished() {
  SQLite::Statement q(*db_, "SELECT status FROM stage_run WHERE stage = 'extract' ORDER BY id DESC LIMIT 1");
  return q.executeStep() && q.getColumn(0).getString() != "done";
}

std::optional<std::string> optionalText(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getString();
}

void bindOptional(SQLite::Statement& st, int index, const std::optional<std::string>& v) {
  if (v)
    st.bind(index, *v);
  else
    st.bind(index);
}

LeadSnapshot readLeadSnapshot(SQLite::Statement& st) {
  const auto text = [&st](int i) { return optionalText(st.getColumn(i)); };
  return {st.getColumn(0).getString(),
          st.getColumn(1).getString(),
          st.getColumn(2).getString(),
          text(3),
          text(4),
          text(5),
          text(6),
          text(7),
          text(8),
          text(9)};
}

std::string clientScope(std::string_view column) {
  return "(?1 = 0 OR " + std::string(column) + " IN (SELECT value FROM json_each(?2)))";
}

void bindClientScope(SQLite::Statement& st, const std::vector<std::string>& client_ids) {
  st.bind(1, client_ids.empty() ? 0 : 1);
  st.bind(2, jsonStringArray(client_ids));
}

void checkKnownClients(SQLite::Database& db, const std::vector<std::string>& client_ids) {
  SQLite::Statement q(db, "SELECT EXISTS(SELECT 1 FROM client WHERE id = ?)");
  for (const auto& id : client_ids) {
    q.bind(1, id);
    q.executeStep();
    const bool known = q.getColumn(0).getInt() != 0;
    q.reset();
    if (!known)
      throw usageError(
          "unknown --client-id " + id +
          ": the work DB has no such participating tenant; run 'ghl-backfill extract' for it first");
  }
}

}  // namespace ghlb
