#include "export.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "apply.h"
#include "error.h"
#include "work_db.h"

using namespace ghlb;

TEST_CASE("CSV fields are quoted only when needed") {
  CHECK(csvField("plain") == "plain");
  CHECK(csvField("a,b") == "\"a,b\"");
  CHECK(csvField("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(csvField("two\nlines") == "\"two\nlines\"");
}

TEST_CASE("CSV cells that a spreadsheet would run as a formula get a leading quote") {
  CHECK(csvField("=HYPERLINK(\"http://x\")") == "\"'=HYPERLINK(\"\"http://x\"\")\"");
  CHECK(csvField("=1+1") == "'=1+1");
  CHECK(csvField("+14155550101") == "'+14155550101");
  CHECK(csvField("-2") == "'-2");
  CHECK(csvField("@SUM(A1)") == "'@SUM(A1)");
  CHECK(csvField("\tx") == "'\tx");
  CHECK(csvField("\rx") == "\"'\rx\"");
  CHECK(csvField("a=b") == "a=b");
  CHECK(csvField("") == "");
}

TEST_CASE("export format comes from the file name") {
  CHECK(*exportFormatFor("x.csv") == ExportFormat::kCsv);
  CHECK(*exportFormatFor("dir/x.json") == ExportFormat::kJson);
  CHECK_FALSE(exportFormatFor("").has_value());
  CHECK_THROWS_AS(exportFormatFor("x.xlsx"), FatalError);
}

TEST_CASE("apply field outcomes") {
  CHECK(std::string(fieldOutcome(true, std::nullopt, "v")) == apply_outcome::kWritten);
  CHECK(std::string(fieldOutcome(false, std::string("v"), "v")) == apply_outcome::kAlreadySet);
  CHECK(std::string(fieldOutcome(false, std::string("other"), "v")) == apply_outcome::kStale);
}

namespace {

std::filesystem::path exportDir() {
  const auto dir = std::filesystem::temp_directory_path() / ("ghlb-export-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("export never follows a planted symlink and is 0600 even over a 0644 file") {
  const auto dir = exportDir();
  WorkDb work((dir / "work.db").string());
  const auto victim = dir / "victim.txt";
  std::ofstream(victim) << "untouched";
  const auto target = dir / "plan.csv";
  // Symlinks at the old temp name and at every name a predictable scheme would use.
  for (const char* name : {"plan.csv.tmp", ".plan.csv.tmp", "plan.csv~", ".plan.csv"})
    std::filesystem::create_symlink(victim, dir / name);

  SUBCASE("over a 0644 file") {
    std::ofstream(target) << "old";
    ::chmod(target.c_str(), 0644);
  }
  SUBCASE("over a symlink at the target: the link is replaced, its target untouched") {
    std::filesystem::create_symlink(victim, target);
  }
  writeExport(work.db(), {}, target.string(), ExportFormat::kCsv);

  CHECK(slurp(victim) == "untouched");
  CHECK_FALSE(std::filesystem::is_symlink(target));
  struct stat st {};
  REQUIRE(::lstat(target.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(slurp(target).find("lead_id,client_id") != std::string::npos);
  CHECK(std::filesystem::is_symlink(dir / "plan.csv.tmp"));  // left alone, never written through
  // No temp file is left behind.
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp") != std::string::npos &&
        !std::filesystem::is_symlink(e.path()))
      ++entries;
  CHECK(entries == 0);
}

TEST_CASE("an export into a directory that does not exist fails with one line and leaves nothing") {
  const auto dir = exportDir();
  WorkDb work((dir / "work.db").string());
  CHECK_THROWS_AS(writeExport(work.db(), {}, (dir / "nope" / "plan.json").string(), ExportFormat::kJson),
                  FatalError);
  CHECK_FALSE(std::filesystem::exists(dir / "nope"));
}
