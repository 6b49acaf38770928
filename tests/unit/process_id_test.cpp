// process_id.h: a stage_run's process, alive or gone (status shows 'died'), across pid reuse,
// reboots and other hosts.
#include "process_id.h"

#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace ghlb;

TEST_CASE("currentProcess: this process, alive") {
  const ProcessIdentity self = currentProcess();
  CHECK(self.pid == ::getpid());
  CHECK_FALSE(self.host.empty());
  CHECK(self.start > 0);
  CHECK(processStartTicks(self.pid) == self.start);
  CHECK(processState(self, self) == ProcessState::kAlive);
  ProcessIdentity elsewhere = self;
  elsewhere.pid = 0;  // seen from another process of this host
  CHECK(processState(self, elsewhere) == ProcessState::kAlive);
}

TEST_CASE("processState: gone when the process ended, the pid was reused, or the host rebooted") {
  const ProcessIdentity here = currentProcess();
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {  // waits until the parent closes the pipe, then ends
    char c;
    ::close(fds[1]);
    while (::read(fds[0], &c, 1) > 0) {
    }
    ::_exit(0);
  }
  ::close(fds[0]);
  ProcessIdentity p = here;
  p.pid = child;
  p.start = processStartTicks(child);
  CHECK(p.start > 0);
  CHECK(processState(p, here) == ProcessState::kAlive);
  ::close(fds[1]);
  REQUIRE(::waitpid(child, nullptr, 0) == child);
  CHECK(processStartTicks(child) == 0);
  CHECK(processState(p, here) == ProcessState::kGone);

  ProcessIdentity reused = here;  // this pid, but another start time: not the recorded process
  reused.start += 1;
  ProcessIdentity observer = here;
  observer.pid = 0;
  CHECK(processState(reused, observer) == ProcessState::kGone);

  ProcessIdentity before_boot = here;
  before_boot.boot_id = "00000000-0000-0000-0000-000000000000";
  CHECK(processState(before_boot, observer) == ProcessState::kGone);
}

TEST_CASE("processState: unknown for another host or nothing recorded") {
  const ProcessIdentity here = currentProcess();
  ProcessIdentity other = here;
  other.host = here.host + "-other";
  CHECK(processState(other, here) == ProcessState::kUnknown);
  CHECK(processState(ProcessIdentity{}, here) == ProcessState::kUnknown);  // a row from before migration 011
  CHECK(std::string(processStateName(ProcessState::kGone)) == "gone");
}
