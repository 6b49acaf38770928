#include "process_id.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

namespace ghlb {

std::int64_t processStartTicks(std::int64_t pid) {
  if (pid <= 0) return 0;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!in || !std::getline(in, stat)) return 0;
  // "PID (COMM) STATE ...": COMM may hold spaces and parentheses; the fields after the last ')'
  // are plain. starttime is field 22, the 20th after COMM.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22; ++i)
    if (!(rest >> field)) return 0;
  try {
    return std::stoll(field);
  } catch (const std::exception&) {
    return 0;
  }
}

ProcessIdentity currentProcess() {
  ProcessIdentity p;
  p.pid = static_cast<std::int64_t>(::getpid());
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) p.host = host;
  std::ifstream boot("/proc/sys/kernel/random/boot_id");
  std::getline(boot, p.boot_id);
  p.start = processStartTicks(p.pid);
  return p;
}

const char* processStateName(ProcessState s) {
  static constexpr const char* kNames[] = {"alive", "gone", "unknown"};
  return kNames[static_cast<int>(s)];
}

ProcessState processState(const ProcessIdentity& p, const ProcessIdentity& here) {
  if (p.pid <= 0 || p.host.empty() || p.host != here.host) return ProcessState::kUnknown;
  if (!p.boot_id.empty() && !here.boot_id.empty() && p.boot_id != here.boot_id) return ProcessState::kGone;
  if (p.pid == here.pid && (p.start == 0 || p.start == here.start)) return ProcessState::kAlive;
  // kill(pid, 0) sees a process even where /proc hides it (hidepid, another user): EPERM = exists.
  if (::kill(static_cast<pid_t>(p.pid), 0) != 0 && errno == ESRCH) return ProcessState::kGone;
  const std::int64_t start = processStartTicks(p.pid);
  if (start != 0 && p.start != 0 && start != p.start) return ProcessState::kGone;  // the pid was reused
  return ProcessState::kAlive;
}

}  // namespace ghlb
