// ghl-backfill: the command users type. `ghl-backfill STAGE ARGS` runs a stage executable from
// libexec/ghl-backfill the way git runs its helpers; `run` chains the stages in-process; `status`
// reads the work DB.
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "run.h"
#include "text.h"

namespace {

constexpr const char* kUsage =
    "usage: ghl-backfill COMMAND [ARGS]\n"
    "\n"
    "Repairs the application's leads from GoHighLevel in reviewed stages sharing one work DB.\n"
    "\n"
    "Stages (each idempotent and resumable; 'ghl-backfill STAGE --help' for its flags):\n"
    "  extract   snapshot eligible leads from PostgreSQL into the work DB\n"
    "  fetch     look each lead up in GHL under a per-location rate limiter\n"
    "  plan      compute the field diffs and print the review summary (--export FILE.csv|json)\n"
    "  apply     write the planned values (fill only, guarded); --dry-run writes nothing\n"
    "\n"
    "Commands:\n"
    "  run       extract, fetch and plan, then print the review; applies only with --apply\n"
    "  status    progress per stage and per tenant, from the work DB\n"
    "\n"
    "Exit status: 0 done, 1 fatal (the message says what to fix), 2 usage,\n"
    "             3 finished with leads left in a retryable state (run again).\n";

std::filesystem::path stageDir(const char* argv0) {
  if (const char* env = std::getenv("GHL_BACKFILL_EXEC_PATH"); env && *env) return env;
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) self = std::filesystem::absolute(argv0);
  return self.parent_path() / ".." / "libexec" / "ghl-backfill";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (cmd == "--version") {
    std::cout << "ghl-backfill " << GHLB_VERSION << "\n";
    return 0;
  }
  if (cmd == "run") return ghlb::runMain(argc - 1, argv + 1);
  if (cmd == "status") return ghlb::statusMain(argc - 1, argv + 1);
  if (cmd == "extract" || cmd == "fetch" || cmd == "plan" || cmd == "apply") {
    const auto exe = (stageDir(argv[0]) / cmd).lexically_normal();
    std::vector<char*> args;
    std::string name = "ghl-backfill-" + cmd;
    args.push_back(name.data());
    for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
    args.push_back(nullptr);
    ::execv(exe.c_str(), args.data());
    std::cerr << "ghl-backfill: error: cannot run stage " << cmd << " at " << exe.string()
              << ": reinstall ghl-backfill or set GHL_BACKFILL_EXEC_PATH to the stages' directory\n";
    return 1;
  }
  std::cerr << "ghl-backfill: usage: unknown command '" << ghlb::escapeControl(cmd) << "'\n" << kUsage;
  return 2;
}
