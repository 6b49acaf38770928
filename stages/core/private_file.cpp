#include "private_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "error.h"

namespace ghlb {
namespace {

void writeAll(int fd, std::string_view data, const std::string& path, const std::string& what) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw FatalError("cannot write " + what + " " + path + ": " + std::strerror(errno));
    }
    off += static_cast<size_t>(n);
  }
}

// A new file beside the target: random name, O_EXCL|O_NOFOLLOW so that nothing planted there
// (a symlink, a file with a wider mode) is ever followed or reused; 0600 whatever the umask.
struct TempFile {
  std::string path;
  int fd = -1;
  ~TempFile() {
    if (fd >= 0) ::close(fd);
    if (!path.empty()) ::unlink(path.c_str());  // still set: the rename did not happen
  }
};

std::string randomSuffix() {
  unsigned char bytes[8];
  if (::getentropy(bytes, sizeof bytes) != 0)
    throw FatalError(std::string("cannot get random bytes: ") + std::strerror(errno));
  std::string out;
  for (const unsigned char b : bytes) {
    out += "0123456789abcdef"[b >> 4];
    out += "0123456789abcdef"[b & 15];
  }
  return out;
}

}  // namespace

PrivateFileWriter::PrivateFileWriter(const std::string& path, const std::string& what, unsigned mode)
    : path_(path), what_(what) {
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  TempFile tmp;
  for (int attempt = 0; attempt < 16 && tmp.fd < 0; ++attempt) {
    const std::string candidate = dir + "." + base + "." + randomSuffix() + ".tmp";
    const int fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
      tmp.fd = fd;
      tmp.path = candidate;
    } else if (errno != EEXIST) {
      throw FatalError("cannot create " + what + " " + path + ": " + std::strerror(errno) + ": check the --" +
                       what + " path");
    }
  }
  if (tmp.fd < 0)
    throw FatalError("cannot create " + what + " " + path + ": no free temporary name beside it");
  if (::fchmod(tmp.fd, static_cast<mode_t>(mode)) != 0)
    throw FatalError("cannot create " + what + " " + path + ": " + std::strerror(errno));
  fd_ = tmp.fd;
  tmp_ = tmp.path;
  tmp.fd = -1;
  tmp.path.clear();
}

PrivateFileWriter::~PrivateFileWriter() {
  TempFile cleanup{tmp_, fd_};  // still set: not committed
}

void PrivateFileWriter::write(std::string_view data) { writeAll(fd_, data, path_, what_); }

void PrivateFileWriter::commit() {
  TempFile tmp{tmp_, fd_};
  tmp_.clear();
  fd_ = -1;
  if (::fsync(tmp.fd) != 0)
    throw FatalError("cannot write " + what_ + " " + path_ + ": " + std::strerror(errno));
  const int fd = tmp.fd;
  tmp.fd = -1;
  if (::close(fd) != 0) throw FatalError("cannot write " + what_ + " " + path_ + ": " + std::strerror(errno));
  // rename replaces whatever is at path (a symlink itself, never its target).
  if (std::rename(tmp.path.c_str(), path_.c_str()) != 0)
    throw FatalError("cannot create " + what_ + " " + path_ + ": " + std::strerror(errno));
  tmp.path.clear();
}

void writeFileAtomically(const std::string& path, const std::string& data, const std::string& what,
                         unsigned mode) {
  PrivateFileWriter out(path, what, mode);
  out.write(data);
  out.commit();
}

void writePrivateFile(const std::string& path, const std::string& data, const std::string& what) {
  writeFileAtomically(path, data, what, 0600);
}

}  // namespace ghlb
