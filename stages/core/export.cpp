#include "export.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <cstring>

#include "error.h"
#include "json_util.h"
#include "private_file.h"
#include "work_db.h"

namespace ghlb {
namespace {

constexpr const char* kWarning =
    "This file holds personal data (PII) from the application database: keep it private, delete it after "
    "review.";

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
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
  writePrivateFile(path, data, "export");
  return rows;
}

}  // namespace ghlb
