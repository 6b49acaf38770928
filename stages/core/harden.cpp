#include "harden.h"

#include <sys/prctl.h>
#include <sys/resource.h>

#include "error.h"

namespace ghlb {

void hardenProcess() {
  const rlimit none{0, 0};
  if (::setrlimit(RLIMIT_CORE, &none) != 0)
    throw FatalError("cannot turn core dumps off (setrlimit RLIMIT_CORE): refusing to hold tokens");
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    throw FatalError("cannot make the process non-dumpable (prctl PR_SET_DUMPABLE): refusing to hold tokens");
}

}  // namespace ghlb
