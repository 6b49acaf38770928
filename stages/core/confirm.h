// confirm: the question apply and revert ask before they write to the application database.
// On a terminal it shows a summary (counts only) and accepts only "yes"; without a terminal it
// refuses (exit 2) unless --yes, like `terraform apply -input=false`.
#pragma once
#include <string>

namespace ghlb {

struct ConfirmRequest {
  std::string command;          // "apply", "revert": names the refusal without a terminal
  std::string no_terminal_fix;  // e.g. "review the plan, then pass --yes"
  std::string summary;          // one paragraph, counts only
  std::string question;         // e.g. "Do you want to write these values?"
  std::string cancelled;        // the line printed when the answer is not "yes"
};

// True when the operator answered "yes" (or yes is set); false for any other answer (the caller
// exits 1: the tool did not fail, nothing was written). FatalError (exit 2) without a terminal
// and without yes. Ctrl-C at the prompt throws StopRequested (exit 130/143).
bool confirm(const ConfirmRequest& req, bool yes);

}  // namespace ghlb
