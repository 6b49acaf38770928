// Diagnostics on stderr, prefixed with a UTC timestamp and the program's name, as text or one
// JSON object a line.
// Fields are ids and counts only: callers never pass an email, phone, name or token.
// Data and reports go to stdout through ordinary streams, not through this. Text lines escape
// control characters and backslashes in every value (escapeControl); JSON lines are escaped JSON.
#pragma once
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "options.h"

namespace ghlb {

using LogValue = std::variant<std::int64_t, double, std::string>;
using LogField = std::pair<std::string_view, LogValue>;

class Log {
 public:
  Log(std::string program, LogFormat format, bool quiet, std::ostream* out = nullptr);

  void info(std::string_view event, std::initializer_list<LogField> fields = {}) const;
  void warn(std::string_view event, std::initializer_list<LogField> fields = {}) const;
  void error(std::string_view event, std::initializer_list<LogField> fields = {}) const;
  void write(std::string_view level, std::string_view event, const std::vector<LogField>& fields) const;

  const std::string& program() const { return program_; }

  // Called before each line is written (a live progress line clears itself); {} for none.
  void setBeforeWrite(std::function<void()> f) const { before_write_ = std::move(f); }

 private:
  mutable std::function<void()> before_write_;
  std::string program_;
  LogFormat format_;
  bool quiet_;
  std::ostream* out_;  // stderr unless a test passes its own stream
};

}  // namespace ghlb
