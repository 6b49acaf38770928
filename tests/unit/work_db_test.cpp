#include "work_db.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "error.h"
#include "migrations.h"
#include "names.h"
#include "temp_path.h"

using namespace ghlb;

TEST_CASE("a new work DB is created 0600, in WAL mode, at the latest version") {
  const auto path = test::freshPath("new.db");
  {
    WorkDb db(path);
    CHECK(db.version() == WorkDb::latestVersion());
    CHECK(db.db().execAndGet("PRAGMA journal_mode").getString() == "wal");
    CHECK(db.db().execAndGet("PRAGMA page_size").getInt() == 16384);
  }
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  WorkDb again(path);  // reopening migrates nothing and keeps the version
  CHECK(again.version() == WorkDb::latestVersion());
}

// A work DB's user_version counts the migrations applied, in file-name order: a file numbered
// apart from its place (a gap left by a branch that added none) would become another version
// once the gap is filled, and a DB migrated in between would skip or repeat a migration.
TEST_CASE("each work-DB migration is numbered by its place: NNN is the version it moves to") {
  const auto& all = workDbMigrations();
  for (size_t i = 0; i < all.size(); ++i) {
    char want[24];
    std::snprintf(want, sizeof want, "%03zu_", i + 1);
    INFO(all[i].name);
    CHECK(all[i].name.substr(0, 4) == want);
  }
}

TEST_CASE("a file that is not SQLite is refused with a message") {
  const auto path = test::freshPath("notsqlite.db");
  std::ofstream(path) << "this is not a database, it is a text file with enough bytes";
  CHECK_THROWS_AS(WorkDb{path}, FatalError);
}

namespace {
std::string slurpBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
}  // namespace

TEST_CASE("another application's SQLite file is refused and left untouched") {
  const auto path = test::freshPath("other-app.db");
  {
    SQLite::Database other(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    other.exec("CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT)");
    other.exec("INSERT INTO notes(body) VALUES ('keep me')");
  }
  const std::string before = slurpBytes(path);
  for (const auto mode : {WorkDb::Mode::kCreate, WorkDb::Mode::kExisting, WorkDb::Mode::kReadOnly}) {
    try {
      WorkDb db(path, mode);
      FAIL("took over another application's SQLite file");
    } catch (const FatalError& e) {
      CHECK(std::string(e.what()) ==
            "work DB " + path +
                " is a SQLite database of another application: pass --work-db with a "
                "ghl-backfill work DB or a new path");
    }
  }
  CHECK(slurpBytes(path) == before);
  CHECK_FALSE(std::filesystem::exists(path + names::kLockSuffix));
  CHECK_FALSE(std::filesystem::exists(path + "-wal"));
  SQLite::Database other(path, SQLite::OPEN_READONLY);
  CHECK(other.execAndGet("SELECT count(*) FROM sqlite_master").getInt() == 1);
}

TEST_CASE("an existing SQLite file without tables may still become a work DB") {
  const auto path = test::freshPath("empty-sqlite.db");
  {
    SQLite::Database blank(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    blank.exec("CREATE TABLE t(x)");
    blank.exec("DROP TABLE t");
  }
  REQUIRE(std::filesystem::file_size(path) > 0);
  WorkDb db(path);
  CHECK(db.version() == WorkDb::latestVersion());
}

TEST_CASE("a work DB made with another page size keeps it, and an empty file gets the new one") {
  const auto old_path = test::freshPath("page-4k.db");
  {
    SQLite::Database made(old_path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    made.exec("PRAGMA page_size = 4096");
    made.exec("PRAGMA journal_mode = WAL");
  }
  {
    WorkDb db(old_path);
    CHECK(db.version() == WorkDb::latestVersion());
    CHECK(db.db().execAndGet("PRAGMA page_size").getInt() == 4096);
  }
  const auto empty_path = test::freshPath("page-empty.db");
  std::ofstream(empty_path).close();
  REQUIRE(std::filesystem::file_size(empty_path) == 0);
  WorkDb db(empty_path);
  CHECK(db.db().execAndGet("PRAGMA page_size").getInt() == 16384);
}

TEST_CASE("a work DB from a newer schema version is refused") {
  // The file name must not contain the words checked below: the message names the path.
  const auto path = test::freshPath("future.db");
  const int future = WorkDb::latestVersion() + 1;
  {
    WorkDb db(path);
    db.db().exec("PRAGMA user_version = " + std::to_string(future));
  }
  try {
    WorkDb db(path);
    FAIL("opened a newer work DB");
  } catch (const FatalError& e) {
    const std::string msg = e.what();
    CHECK(msg.find("schema version " + std::to_string(future) + ", newer than this ghl-backfill knows (" +
                   std::to_string(WorkDb::latestVersion()) + ")") != std::string::npos);
    CHECK(msg.find("upgrade ghl-backfill") != std::string::npos);  // and how to fix it
  }
  SQLite::Database raw(path, SQLite::OPEN_READONLY);  // refused, not migrated down or touched
  CHECK(raw.execAndGet("PRAGMA user_version").getInt() == future);
}

TEST_CASE("a second writer is refused while the first holds the lock") {
  const auto path = test::freshPath("locked.db");
  WorkDb first(path);
  CHECK_THROWS_AS(WorkDb{path}, FatalError);
}

TEST_CASE("the lock is taken on the DB file itself: a symlink to a held DB is refused") {
  const auto path = test::freshPath("target.db");
  const auto link = test::freshPath("link.db");
  {
    WorkDb create(path);  // the file must exist for the symlink to point at it
  }
  std::filesystem::create_symlink(path, link);
  WorkDb first(path);
  try {
    WorkDb second(link, WorkDb::Mode::kExisting);
    FAIL("opened a held work DB through a symlink");
  } catch (const FatalError& e) {
    CHECK(std::string(e.what()).find("in use") != std::string::npos);
  }
  // The other way round too, and through a path with "..".
  const auto dotted = (std::filesystem::path(path).parent_path() / ".." /
                       std::filesystem::path(path).parent_path().filename() / "target.db")
                          .string();
  CHECK_THROWS_AS(WorkDb(dotted, WorkDb::Mode::kExisting), FatalError);
}

TEST_CASE("stage runs are recorded and an abandoned one is marked interrupted") {
  const auto path = test::freshPath("runs.db");
  WorkDb db(path);
  const auto a = db.beginRun("extract", "{}");
  const auto b = db.beginRun("fetch", "{}");  // a never finished
  db.finishRun(b, "done", R"({"n":1})");
  SQLite::Statement q(db.db(), "SELECT status FROM stage_run WHERE id = ?");
  q.bind(1, static_cast<std::int64_t>(a));
  REQUIRE(q.executeStep());
  CHECK(q.getColumn(0).getString() == "interrupted");
}
