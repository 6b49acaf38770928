#include "sim_connections.h"

#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <vector>

namespace ghlsim {

namespace {

// Numeric host and port of a socket address; false when it is not an IP address.
bool endpoint(const sockaddr_storage& addr, socklen_t len, std::string& host, int& port) {
  std::array<char, NI_MAXHOST> h{};
  std::array<char, NI_MAXSERV> s{};
  if (addr.ss_family != AF_INET && addr.ss_family != AF_INET6) return false;
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, h.data(), h.size(), s.data(), s.size(),
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return false;
  }
  host = h.data();
  const std::string_view sv(s.data());
  return std::from_chars(sv.data(), sv.data() + sv.size(), port).ec == std::errc{};
}

bool matchesEndpoints(int fd, const std::string& localAddr, int localPort, const std::string& remoteAddr,
                      int remotePort) {
  sockaddr_storage local{};
  sockaddr_storage peer{};
  socklen_t localLen = sizeof local;
  socklen_t peerLen = sizeof peer;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &localLen) != 0) return false;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peerLen) != 0) return false;
  std::string lh, ph;
  int lp = -1, pp = -1;
  if (!endpoint(local, localLen, lh, lp) || !endpoint(peer, peerLen, ph, pp)) return false;
  return lp == localPort && pp == remotePort && lh == localAddr && ph == remoteAddr;
}

// Closes a descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// The descriptors of this process that are sockets.
std::vector<int> socketDescriptors() {
  std::vector<int> fds;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    int fd = -1;
    const std::string name = entry.path().filename().string();
    if (std::from_chars(name.data(), name.data() + name.size(), fd).ec != std::errc{}) continue;
    struct stat st {};
    if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode)) fds.push_back(fd);
  }
  return fds;
}

}  // namespace

bool abortConnection(const std::string& localAddr, int localPort, const std::string& remoteAddr,
                     int remotePort) {
  for (const int fd : socketDescriptors()) {
    if (!matchesEndpoints(fd, localAddr, localPort, remoteAddr, remotePort)) continue;

    const linger hard{1, 0};
    if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard) != 0) return false;
    const Fd devNull(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (devNull.get() < 0) return false;
    // dup2 closes the socket (its last reference, so with linger 0 the kernel sends RST) and
    // leaves `fd` naming /dev/null until its owner closes it.
    return ::dup2(devNull.get(), fd) == fd;
  }
  return false;
}

BusyConnections::Guard::Guard(BusyConnections& owner, std::string host, int port)
    : owner_(owner), peer_(std::move(host), port) {
  const std::lock_guard lock(owner_.mu_);
  owner_.peers_.insert(peer_);
}

BusyConnections::Guard::~Guard() {
  const std::lock_guard lock(owner_.mu_);
  const auto it = owner_.peers_.find(peer_);
  if (it != owner_.peers_.end()) owner_.peers_.erase(it);
}

bool BusyConnections::contains(const std::string& host, int port) const {
  const std::lock_guard lock(mu_);
  return peers_.count({host, port}) > 0;
}

int shutdownIdleConnections(int localPort, const BusyConnections& busy) {
  int count = 0;
  for (const int fd : socketDescriptors()) {
    sockaddr_storage local{};
    sockaddr_storage peer{};
    socklen_t localLen = sizeof local;
    socklen_t peerLen = sizeof peer;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &localLen) != 0) continue;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peerLen) != 0) continue;
    std::string localHost, peerHost;
    int localPortSeen = -1, peerPort = -1;
    if (!endpoint(local, localLen, localHost, localPortSeen) || localPortSeen != localPort) continue;
    if (!endpoint(peer, peerLen, peerHost, peerPort) || busy.contains(peerHost, peerPort)) continue;
    if (::shutdown(fd, SHUT_RD) == 0) ++count;
  }
  return count;
}

}  // namespace ghlsim
