// Socket-level control of the server's accepted connections, for what cpp-httplib 0.11.4 has no
// API: the "reset" fault (abort a connection from inside its handler so the client gets no
// response at all) and a fast clean shutdown (end idle keep-alive connections at once instead of
// after their idle timeout, while responses being produced still go out). Handlers never see
// their socket in httplib 0.11.4, so connections are found among this process's descriptors by
// their endpoint addresses, which handlers do know.
#pragma once
#include <mutex>
#include <set>
#include <string>
#include <utility>

namespace ghlsim {

// Aborts this process's TCP connection whose local end is localAddr:localPort and whose peer is
// remoteAddr:remotePort (addresses numeric, as getnameinfo(NI_NUMERICHOST) prints them). The
// socket gets SO_LINGER {on, 0} and is then replaced in place, with dup2, by a descriptor of
// /dev/null: the kernel closes the socket and sends RST, while the descriptor number stays valid
// for its owner (httplib), whose later writes vanish into /dev/null and whose next read sees EOF,
// so it closes the descriptor normally; there is no double close and no descriptor reuse race.
// Call only from the thread that owns the connection. Returns false when no such connection
// exists or it could not be aborted.
bool abortConnection(const std::string& localAddr, int localPort, const std::string& remoteAddr,
                     int remotePort);

// The connections whose request is being handled right now, by peer address and port.
class BusyConnections {
 public:
  // Marks a connection busy for the guard's lifetime.
  class Guard {
   public:
    Guard(BusyConnections& owner, std::string host, int port);
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    ~Guard();

   private:
    BusyConnections& owner_;
    std::pair<std::string, int> peer_;
  };

  bool contains(const std::string& host, int port) const;

 private:
  mutable std::mutex mu_;
  std::multiset<std::pair<std::string, int>> peers_;
};

// Shuts down the reading side (shutdown(SHUT_RD)) of every connected TCP socket of this process
// whose local port is `localPort` and whose peer is not in `busy`. A connection idle in
// keep-alive then sees EOF and its worker closes it. Only shuts down, never closes, so no
// descriptor changes hands. Call after the listening socket is closed; returns how many
// connections it shut down.
int shutdownIdleConnections(int localPort, const BusyConnections& busy);

}  // namespace ghlsim
