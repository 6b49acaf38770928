#include "confirm.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>

#include "error.h"
#include "stop_signal.h"

namespace ghlb {

bool confirm(const ConfirmRequest& req, bool yes) {
  if (yes) return true;
  if (!isatty(STDIN_FILENO))
    throw FatalError(req.command +
                         " writes to the application database and asks for confirmation, but there is no "
                         "terminal: " +
                         req.no_terminal_fix,
                     ExitCode::kUsage);
  std::cout << "\n"
            << req.summary << "\n\n"
            << req.question << " Only 'yes' will be accepted: " << std::flush;
  // The stop handlers use SA_RESTART, so a blocked read would outlive Ctrl-C: wait in poll(), which
  // a signal always interrupts, and read only once a line is there.
  for (;;) {
    if (stopRequested()) throw StopRequested();
    pollfd in{STDIN_FILENO, POLLIN, 0};
    const int ready = ::poll(&in, 1, 200);
    if (ready > 0 || (ready < 0 && errno != EINTR)) break;
  }
  std::string answer;
  const bool read = static_cast<bool>(std::getline(std::cin, answer));
  if (stopRequested()) throw StopRequested();
  if (read && answer == "yes") return true;
  std::cout << req.cancelled << std::endl;
  return false;
}

}  // namespace ghlb
