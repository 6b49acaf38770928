// Which process is running a stage (stage_run's pid, host, boot id and start time), and whether
// that process still exists: `status` shows a run left 'running' by a process that is gone (kill
// -9, a crash, a reboot) as 'died'. The start time tells a reused pid from the original; the boot
// id, a pid of an earlier boot. A process on another host cannot be checked from here.
#pragma once
#include <cstdint>
#include <string>

namespace ghlb {

struct ProcessIdentity {
  std::int64_t pid = 0;
  std::string host;        // gethostname(); "" when unknown
  std::string boot_id;     // /proc/sys/kernel/random/boot_id; "" when unknown
  std::int64_t start = 0;  // field 22 of /proc/PID/stat (clock ticks after boot); 0 when unknown
};

// This process.
ProcessIdentity currentProcess();

enum class ProcessState {
  kAlive,    // the same process is running on this host
  kGone,     // it ended: no such pid, a pid reused by another process, or an earlier boot
  kUnknown,  // another host (or nothing recorded): cannot tell from here
};
const char* processStateName(ProcessState s);

// The state of P, as seen from HERE (currentProcess() in production; tests pass their own).
ProcessState processState(const ProcessIdentity& p, const ProcessIdentity& here);

// Field 22 (starttime) of /proc/PID/stat; 0 when the process does not exist.
std::int64_t processStartTicks(std::int64_t pid);

}  // namespace ghlb
