// The one exception type the stages throw for what stops a run: its message is one line that
// says what is wrong and how to fix it, and never carries PII or a token.
#pragma once
#include <stdexcept>
#include <string>

#include "exit_code.h"

namespace ghlb {

class FatalError : public std::runtime_error {
 public:
  explicit FatalError(const std::string& what, ExitCode code = ExitCode::kFatal)
      : std::runtime_error(what), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

// A bad flag value found after parsing (exit 2).
inline FatalError usageError(const std::string& what) { return FatalError(what, ExitCode::kUsage); }

}  // namespace ghlb
