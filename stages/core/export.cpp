#include "export.h"

#include <fcntl.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "error.h"
#include "json_util.h"
#include "work_db.h"

namespace ghlb {
namespace {

constexpr const char* kWarning =
    "This file holds personal data (PII) from the application database: keep it private, delete it after "
    "review.";

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void writeAll(int fd, const std::string& data, const std::string& path) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw FatalError("cannot write export " + path + ": " + std::strerror(errno));
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

void writeFileAtomically(const std::string& path, const std::string& data) {
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
      throw FatalError("cannot create export " + path + ": " + std::strerror(errno) +
                       ": check the --export path");
    }
  }
  if (tmp.fd < 0) throw FatalError("cannot create export " + path + ": no free temporary name beside it");
  if (::fchmod(tmp.fd, 0600) != 0)
    throw FatalError("cannot create export " + path + ": " + std::strerror(errno));
  writeAll(tmp.fd, data, path);
  if (::fsync(tmp.fd) != 0) throw FatalError("cannot write export " + path + ": " + std::strerror(errno));
  const int fd = tmp.fd;
  tmp.fd = -1;
  if (::close(fd) != 0) throw FatalError("cannot write export " + path + ": " + std::strerror(errno));
  // rename replaces whatever is at path (a symlink itself, never its target).
  if (std::rename(tmp.path.c_str(), path.c_str()) != 0)
    throw FatalError("cannot create export " + path + ": " + std::strerror(errno));
  tmp.path.clear();
}

}  // namespace

std::optional<ExportFormat> exportFormatFor(const std::string& path) {
  if (path.empty()) return std::nullopt;
  if (endsWith(path, ".csv")) return ExportFormat::kCsv;
  if (endsWith(path, ".json")) return ExportFormat::kJson;
  throw usageError("--export " + path + ": the file name must end in .csv or .json");
}

std::string csvField(const std::string& raw) {
  // A cell that a spreadsheet would read as a formula (=, +, -, @, TAB, CR first) gets a leading
  // quote (OWASP CSV injection advice): values come from tenants and GHL, both untrusted.
  const bool formula = !raw.empty() && std::strchr("=+-@\t\r", raw[0]) != nullptr && raw[0] != '\0';
  const std::string v = formula ? "'" + raw : raw;
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (const char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::int64_t writeExport(SQLite::Database& db, const std::vector<std::string>& ids, const std::string& path,
                         ExportFormat format) {
  SQLite::Statement q(db,
                      "SELECT i.lead_id, p.client_id, i.field, i.old_value, i.new_value, p.status, "
                      "p.ambiguous, p.contact_id FROM plan_item i JOIN plan_lead p USING (lead_id) "
                      "WHERE " +
                          clientScope("p.client_id") +
                          " "
                          "ORDER BY i.lead_id, i.field");
  bindClientScope(q, ids);
  std::string data;
  std::int64_t rows = 0;
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  if (format == ExportFormat::kCsv) {
    data = std::string("# ") + kWarning + "\n" +
           "lead_id,client_id,field,old_value,new_value,status,ambiguous,contact_id\n";
  } else {
    w.StartObject();
    w.Key("warning");
    w.String(kWarning);
    w.Key("rows");
    w.StartArray();
  }
  while (q.executeStep()) {
    ++rows;
    const auto text = [&](int i) {
      return q.getColumn(i).isNull() ? std::string() : q.getColumn(i).getString();
    };
    if (format == ExportFormat::kCsv) {
      data += csvField(text(0)) + ',' + csvField(text(1)) + ',' + csvField(text(2)) + ',' +
              csvField(text(3)) + ',' + csvField(text(4)) + ',' + csvField(text(5)) + ',' + text(6) + ',' +
              csvField(text(7)) + '\n';
      continue;
    }
    w.StartObject();
    const char* keys[] = {"lead_id", "client_id", "field", "old_value", "new_value", "status"};
    for (int i = 0; i < 6; ++i) {
      w.Key(keys[i]);
      if (q.getColumn(i).isNull())
        w.Null();
      else
        w.String(text(i).c_str());
    }
    w.Key("ambiguous");
    w.Bool(q.getColumn(6).getInt() != 0);
    w.Key("contact_id");
    w.String(text(7).c_str());
    w.EndObject();
  }
  if (format == ExportFormat::kJson) {
    w.EndArray();
    w.EndObject();
    data = std::string(buf.GetString()) + "\n";
  }
  writeFileAtomically(path, data);
  return rows;
}

}  // namespace ghlb
