// Files a reviewer reads that hold personal data (the export, the HTML report): written whole or
// not at all, readable by the owner only.
#pragma once
#include <string>
#include <string_view>

namespace ghlb {

// Writes DATA to PATH atomically: a new 0600 file with a random name beside it (O_EXCL|O_NOFOLLOW:
// nothing planted there is followed or reused), fsync, rename over PATH (a symlink at PATH is
// replaced, never followed). WHAT names the file in errors ("export", "report") and its flag.
void writePrivateFile(const std::string& path, const std::string& data, const std::string& what);

// The same with file mode MODE (e.g. 0644 for the metrics file, which holds counts only).
void writeFileAtomically(const std::string& path, const std::string& data, const std::string& what,
                         unsigned mode);

// The same, written piece by piece (an export of a million leads is never held whole in memory):
// write() appends to a new 0600 temporary file beside PATH; commit() fsyncs it and renames it over
// PATH. Destroyed without commit(), it leaves PATH as it was and removes the temporary file.
class PrivateFileWriter {
 public:
  PrivateFileWriter(const std::string& path, const std::string& what, unsigned mode = 0600);
  ~PrivateFileWriter();
  PrivateFileWriter(const PrivateFileWriter&) = delete;
  PrivateFileWriter& operator=(const PrivateFileWriter&) = delete;
  void write(std::string_view data);
  void commit();

 private:
  std::string path_, what_, tmp_;
  int fd_ = -1;
};

}  // namespace ghlb
