// hardenProcess: checked in a forked child, so the test runner itself stays dumpable.
#include "harden.h"

#include <doctest/doctest.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

TEST_CASE("harden: no core dump, not dumpable") {
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ghlb::hardenProcess();
    rlimit core{};
    ::getrlimit(RLIMIT_CORE, &core);
    const bool ok = ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0 && core.rlim_cur == 0 && core.rlim_max == 0;
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
