// Exit statuses shared by every binary of ghl-backfill.
#pragma once

namespace ghlb {

enum class ExitCode : int {
  kDone = 0,       // finished, nothing left to do
  kFatal = 1,      // stopped: the message says what to fix
  kUsage = 2,      // bad command line
  kChanges = 2,    // plan --detailed-exitcode: there are values to write (Terraform's convention)
  kRetryable = 3,  // finished with leads left in a retryable state: run again
};

inline int toInt(ExitCode c) { return static_cast<int>(c); }

}  // namespace ghlb
