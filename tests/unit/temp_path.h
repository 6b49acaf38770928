// A fresh path for a unit test's file (a work DB, a report): NAME in a directory of this test
// process, with no file there yet.
#pragma once
#include <unistd.h>

#include <filesystem>
#include <string>

namespace ghlb::test {

inline std::string freshPath(const char* name) {
  const auto dir = std::filesystem::temp_directory_path() / ("ghlb-unit-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto p = dir / name;
  std::filesystem::remove(p);
  return p.string();
}

}  // namespace ghlb::test
