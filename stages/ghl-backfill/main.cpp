// ghl-backfill: the command users type. `ghl-backfill STAGE ARGS` runs a stage executable from
// libexec/ghl-backfill the way git runs its helpers; `run` chains the stages in-process; `status`
// reads the work DB; `help COMMAND` is `COMMAND --help`.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "names.h"
#include "review_cmd.h"
#include "run.h"
#include "stage_flags.h"
#include "text.h"

namespace {

constexpr const char* kUsage =
    "usage: ghl-backfill COMMAND [ARGS]\n"
    "\n"
    "Repairs the application's leads from GoHighLevel in reviewed stages sharing one work DB.\n"
    "\n"
    "Stages (each idempotent and resumable; 'ghl-backfill help STAGE' for its flags):\n"
    "  extract   snapshot eligible leads from PostgreSQL into the work DB\n"
    "  fetch     look each lead up in GHL under a per-location rate limiter\n"
    "  plan      compute the field diffs and print the review (--export FILE.csv|json, --report FILE.html)\n"
    "  apply     write the planned values (fill only, guarded) as a numbered wave; --dry-run writes\n"
    "            nothing; --field, --sample, --limit choose the wave\n"
    "  revert    restore what one wave wrote, where the application left it unchanged\n"
    "\n"
    "Commands:\n"
    "  run       extract, fetch and plan, then print the review; applies only with --apply\n"
    "  status    progress per stage and per tenant, from the work DB (--json for scripts)\n"
    "  review    approve or reject planned changes in bulk; shows the changes by state\n"
    "  help CMD  the flags of one command\n"
    "\n"
    "Flags also come from GHL_BACKFILL_<FLAG> variables and ./ghl-backfill.toml or\n"
    "~/.config/ghl-backfill/config.toml (flag > environment > config file > default).\n"
    "The database: --database-url, DATABASE_URL, or libpq's PG* variables and ~/.pgpass.\n"
    "\n"
    "Exit status: 0 done, 1 fatal (the message says what to fix), 2 usage,\n"
    "             3 finished with leads left in a retryable state (run again),\n"
    "             130/143 stopped by SIGINT/SIGTERM (run again to continue).\n";

std::filesystem::path stageDir(const char* argv0) {
  if (const char* env = std::getenv(ghlb::names::kEnvExecPath); env && *env) return env;
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) self = std::filesystem::absolute(argv0);
  return self.parent_path() / ".." / "libexec" / "ghl-backfill";
}

int unknownCommand(const std::string& cmd) {
  std::cerr << "ghl-backfill: usage: unknown command '" << ghlb::escapeControl(cmd) << "'";
  if (const auto c = ghlb::closest(cmd, ghlb::commandNames())) std::cerr << "; did you mean '" << *c << "'?";
  std::cerr << " (see ghl-backfill --help)\n";
  return 2;
}

// Runs COMMAND with ARGS (args[0] is the command name).
int dispatch(const char* argv0, std::vector<char*> args) {
  const std::string cmd = args[0];
  const auto& known = ghlb::commandNames();
  if (std::find(known.begin(), known.end(), cmd) == known.end()) return unknownCommand(cmd);
  if (cmd == "run") return ghlb::runMain(static_cast<int>(args.size()), args.data());
  if (cmd == "status") return ghlb::statusMain(static_cast<int>(args.size()), args.data());
  if (cmd == "review") return ghlb::reviewMain(static_cast<int>(args.size()), args.data());
  const auto exe = (stageDir(argv0) / cmd).lexically_normal();
  std::string name = "ghl-backfill-" + cmd;
  args[0] = name.data();
  args.push_back(nullptr);
  ::execv(exe.c_str(), args.data());
  std::cerr << "ghl-backfill: error: cannot run stage " << cmd << " at " << exe.string()
            << ": reinstall ghl-backfill or set GHL_BACKFILL_EXEC_PATH to the stages' directory\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || (cmd == "help" && argc == 2)) {
    std::cout << kUsage;
    return 0;
  }
  if (cmd == "--version") {
    std::cout << "ghl-backfill " << GHLB_VERSION << "\n";
    return 0;
  }
  // Hidden: the man page and the bash completion, generated at build time from the flags.
  if (cmd == "--generate-man") {
    std::cout << ghlb::generateManPage();
    return 0;
  }
  if (cmd == "--generate-bash-completion") {
    std::cout << ghlb::generateBashCompletion();
    return 0;
  }
  if (cmd == "help") {
    std::string help = "--help";
    return dispatch(argv[0], {argv[2], help.data()});
  }
  return dispatch(argv[0], std::vector<char*>(argv + 1, argv + argc));
}
