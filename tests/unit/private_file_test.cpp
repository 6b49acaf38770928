// PrivateFileWriter: an export written piece by piece is whole or absent, 0600.
#include "private_file.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "temp_path.h"

namespace ghlb {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

size_t filesIn(const std::string& path) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e :
       std::filesystem::directory_iterator(std::filesystem::path(path).parent_path()))
    ++n;
  return n;
}

}  // namespace

TEST_CASE("PrivateFileWriter: pieces in order, 0600, only on commit") {
  const std::string path = test::freshPath("pieces.csv");
  const size_t before = filesIn(path);
  {
    PrivateFileWriter out(path, "export");
    out.write("a,b\n");
    out.write(std::string(3u << 20, 'x'));
    out.write("\nend\n");
    CHECK_FALSE(std::filesystem::exists(path));  // nothing at PATH before commit
    out.commit();
  }
  const std::string got = slurp(path);
  CHECK(got.size() == 4 + (3u << 20) + 5);
  CHECK(got.rfind("a,b\n", 0) == 0);
  CHECK(got.substr(got.size() - 5) == "\nend\n");
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(filesIn(path) == before + 1);  // no temporary file left
}

TEST_CASE("PrivateFileWriter: without commit, the old file stays and no temporary file is left") {
  const std::string path = test::freshPath("kept.json");
  writePrivateFile(path, "old\n", "export");
  const size_t before = filesIn(path);
  {
    PrivateFileWriter out(path, "export");
    out.write("new, half written");
  }
  CHECK(slurp(path) == "old\n");
  CHECK(filesIn(path) == before);
}

}  // namespace ghlb
