// Process hardening for the stages that hold GHL tokens in memory (fetch, and run which fetches):
// no core file is ever written and no other process of the same user may attach (ptrace) or read
// the process's memory through /proc, so a crash or a curious neighbour finds no token.
#pragma once

namespace ghlb {

// Sets PR_SET_DUMPABLE to 0 and RLIMIT_CORE to 0 (soft and hard). Call it first thing in main.
// Throws FatalError when either cannot be set.
void hardenProcess();

}  // namespace ghlb
