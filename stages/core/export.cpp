#include "export.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <string_view>

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

void appendCsvField(std::string& out, std::string_view raw) {
  // A cell that a spreadsheet would read as a formula (=, +, -, @, TAB, CR first) gets a leading
  // quote (OWASP CSV injection advice): values come from tenants and GHL, both untrusted.
  const bool formula = !raw.empty() && std::strchr("=+-@\t\r", raw[0]) != nullptr && raw[0] != '\0';
  // (A loop, not find_first_of: that calls memchr on the set for every byte.)
  const bool quoted = std::any_of(raw.begin(), raw.end(),
                                  [](char c) { return c == ',' || c == '"' || c == '\r' || c == '\n'; });
  if (quoted) out += '"';
  if (formula) out += '\'';
  if (!quoted) {
    out += raw;
    return;
  }
  for (const char c : raw) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

std::string csvField(const std::string& raw) {
  std::string out;
  appendCsvField(out, raw);
  return out;
}

std::vector<ExportRow> exportRows(const LeadReview& lead) {
  ExportRow base;
  base.lead_id = lead.lead_id;
  base.client_id = lead.client_id;
  base.client_name = lead.client_name;
  base.status = lead.status;
  base.reason = lead.note;
  base.contact_id = lead.contact_id;
  base.ambiguous = lead.ambiguous;
  base.candidates = lead.candidates;
  base.other_lead = lead.other_lead;
  std::vector<ExportRow> rows;
  for (const auto& c : lead.changes) {
    ExportRow& r = rows.emplace_back(base);
    r.field = c.field;
    r.old_value = c.old_value;
    r.new_value = c.new_value;
  }
  for (const auto& a : lead.applied) {
    ExportRow& r = rows.emplace_back(base);
    r.field = a.field;
    r.new_value = a.value;
    r.applied = a.outcome;
  }
  for (const auto& [field, reason] : lead.reports) {
    ExportRow& r = rows.emplace_back(base);
    r.field = field;
    r.reason = reason;
  }
  if (rows.empty()) rows.push_back(base);
  return rows;
}

std::int64_t writeExport(SQLite::Database& db, const std::vector<std::string>& ids, const std::string& path,
                         ExportFormat format) {
  // Written as it is made, in pieces of about kChunk bytes: flat memory at any plan size.
  constexpr size_t kChunk = 1 << 20;
  PrivateFileWriter out(path, "export");
  std::string data;
  std::int64_t rows = 0;
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  if (format == ExportFormat::kCsv) {
    for (const char* col : kExportColumns) data += std::string(data.empty() ? "" : ",") + col;
    data += "\n";
  } else {
    w.StartObject();
    w.Key("warning");
    w.String(kWarning);
    w.Key("rows");
    w.StartArray();
  }
  const auto string = [&w](const std::optional<std::string>& v) {
    if (v)
      w.String(v->data(), static_cast<rapidjson::SizeType>(v->size()));
    else
      w.Null();
  };
  // The CSV: exportRows' rows and cells (csvField each), written straight into data: a lead's own
  // cells, before and after the row's, made once per lead, and no object per row or cell (those
  // took about 14 s at 887k leads, 3.5 million rows).
  std::string head, tail, candidates;
  const auto csvRow = [&](std::string_view field, std::string_view old_value, std::string_view new_value,
                          std::string_view reason, std::string_view applied) {
    data += head;
    for (const std::string_view cell : {field, old_value, new_value, reason}) {
      appendCsvField(data, cell);
      data += ',';
    }
    appendCsvField(data, applied);
    data += tail;
    ++rows;
  };
  const auto view = [](const std::optional<std::string>& v) {
    return v ? std::string_view(*v) : std::string_view();
  };
  const auto csvLead = [&](const LeadReview& lead) {
    head.clear();
    for (const std::string_view cell : {std::string_view(lead.lead_id), std::string_view(lead.client_id),
                                        view(lead.client_name), std::string_view(lead.status)}) {
      appendCsvField(head, cell);
      head += ',';
    }
    candidates.clear();
    for (const auto& c : lead.candidates) candidates += (candidates.empty() ? "" : ";") + c;
    tail.clear();
    for (const std::string_view cell : {view(lead.contact_id), std::string_view(lead.ambiguous ? "1" : "0"),
                                        std::string_view(candidates), view(lead.other_lead)}) {
      tail += ',';
      appendCsvField(tail, cell);
    }
    tail += '\n';
    for (const auto& c : lead.changes) csvRow(c.field, view(c.old_value), c.new_value, lead.note, "");
    for (const auto& a : lead.applied) csvRow(a.field, "", view(a.value), lead.note, a.outcome);
    for (const auto& [field, reason] : lead.reports) csvRow(field, "", "", reason, "");
    if (lead.changes.empty() && lead.applied.empty() && lead.reports.empty())
      csvRow("", "", "", lead.note, "");
  };
  const auto jsonLead = [&](const LeadReview& lead) {
    for (const ExportRow& r : exportRows(lead)) {
      ++rows;
      // The same keys as the CSV's columns, in the same order; absent values are null.
      const auto empty = [](const std::string& v) { return v.empty() ? std::nullopt : std::optional(v); };
      const std::optional<std::string> values[] = {
          r.lead_id,   r.client_id, r.client_name,   r.status,         empty(r.field),
          r.old_value, r.new_value, empty(r.reason), empty(r.applied), r.contact_id};
      w.StartObject();
      for (size_t i = 0; i < std::size(values); ++i) {
        w.Key(kExportColumns[i]);
        string(values[i]);
      }
      w.Key(kExportColumns[10]);
      w.Bool(r.ambiguous);
      w.Key(kExportColumns[11]);
      w.StartArray();
      for (const auto& c : r.candidates) string(c);
      w.EndArray();
      w.Key(kExportColumns[12]);
      string(r.other_lead);
      w.EndObject();
    }
  };
  forEachLeadReview(db, ids, {}, [&](const LeadReview& lead) {
    if (format == ExportFormat::kCsv)
      csvLead(lead);
    else
      jsonLead(lead);
    if (data.size() >= kChunk) {
      out.write(data);
      data.clear();
    }
    if (buf.GetSize() >= kChunk) {  // the writer only appends to buf: it may be emptied between rows
      out.write(std::string_view(buf.GetString(), buf.GetSize()));
      buf.Clear();
    }
  });
  if (format == ExportFormat::kJson) {
    w.EndArray();
    w.EndObject();
    data = std::string(buf.GetString(), buf.GetSize()) + "\n";
  }
  out.write(data);
  out.commit();
  return rows;
}

}  // namespace ghlb
