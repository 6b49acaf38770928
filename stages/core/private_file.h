// Files a reviewer reads that hold personal data (the export, the HTML report): written whole or
// not at all, readable by the owner only.
#pragma once
#include <string>

namespace ghlb {

// Writes DATA to PATH atomically: a new 0600 file with a random name beside it (O_EXCL|O_NOFOLLOW:
// nothing planted there is followed or reused), fsync, rename over PATH (a symlink at PATH is
// replaced, never followed). WHAT names the file in errors ("export", "report") and its flag.
void writePrivateFile(const std::string& path, const std::string& data, const std::string& what);

// The same with file mode MODE (e.g. 0644 for the metrics file, which holds counts only).
void writeFileAtomically(const std::string& path, const std::string& data, const std::string& what,
                         unsigned mode);

}  // namespace ghlb
