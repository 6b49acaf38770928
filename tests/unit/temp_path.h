// Temporary places for a unit test's files (a work DB, a report).
#pragma once
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace ghlb::test {

// A fresh path: NAME in a directory of this test process, with no file there yet.
inline std::string freshPath(const char* name) {
  const auto dir = std::filesystem::temp_directory_path() / ("ghlb-unit-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto p = dir / name;
  std::filesystem::remove(p);
  return p.string();
}

// A fresh directory /tmp/ghlb-PREFIX-XXXXXX, removed with everything in it at the end of scope.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "unit") {
    std::string tmpl = "/tmp/ghlb-" + prefix + "-XXXXXX";
    if (!::mkdtemp(tmpl.data()))
      throw std::filesystem::filesystem_error("mkdtemp", std::error_code(errno, std::generic_category()));
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace ghlb::test
