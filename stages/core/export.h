// The reviewer's export of the plan: every lead of the scope with its outcome, not only the
// writes. One row per value to write (field, old, new), per value apply already settled (with its
// outcome) and per value reported but not written (no_storage_form, invalid_value); a lead with
// none of those (conflict, ambiguous without a fill, not_found, waiting, pending, error, ...) gets
// one row of its own. Columns (kExportColumns): the CSV's header row, the JSON rows' keys.
// It holds personal data: the file is created 0600; the JSON says so in its "warning" key, and
// runPlan says so on stderr (a CSV has no room for it: its first line is the header row).
#pragma once
#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "review.h"

namespace ghlb {

enum class ExportFormat { kCsv, kJson };

// The export's columns, in order.
inline constexpr const char* kExportColumns[] = {
    "lead_id",      // the lead ("Lead".id)
    "client_id",    // its tenant
    "client_name",  // "Client".name, when the application has it
    "status",       // plan status: fill, nothing_to_fill, not_found, conflict, waiting, applied, ...
    "field",        // the field of this row; empty on a lead's own row
    "old_value",    // the lead's value in the snapshot (to write)
    "new_value",    // the value to write, or the value apply wrote (applied)
    "reason",       // the report's reason (no_storage_form, invalid_value), else the lead's note
    "applied",      // apply_log outcome when apply already settled this field: written, stale, ...
    "contact_id",   // the contact the lead is (or would be) filled from
    "ambiguous",    // 1 when several contacts had the lead's email
    "candidates",   // ambiguous: every matching contact id, the taken one first (';' in the CSV)
    "other_lead",   // conflict: the lead holding or taking the contact; waiting: the lead waited for
};

struct ExportRow {
  std::string lead_id;
  std::string client_id;
  std::optional<std::string> client_name;
  std::string status;
  std::string field;
  std::optional<std::string> old_value;
  std::optional<std::string> new_value;
  std::string reason;
  std::string applied;
  std::optional<std::string> contact_id;
  bool ambiguous = false;
  std::vector<std::string> candidates;
  std::optional<std::string> other_lead;
};

// The rows of one lead, in kFields order: changes, then settled fields, then reports; or the
// lead's own row when it has none.
std::vector<ExportRow> exportRows(const LeadReview& lead);

// nullopt for an empty path; usage error for an extension other than .csv or .json.
std::optional<ExportFormat> exportFormatFor(const std::string& path);

// Writes every lead of the scope's plan to path atomically (writePrivateFile: a new 0600 file
// beside it, fsync, rename; nothing planted is followed). Returns rows written.
std::int64_t writeExport(SQLite::Database& db, const std::vector<std::string>& client_ids,
                         const std::string& path, ExportFormat format);

// RFC 4180 field quoting; a cell starting with = + - @ TAB or CR is first prefixed with ' so that a
// spreadsheet shows it as text, never runs it as a formula.
std::string csvField(const std::string& v);
void appendCsvField(std::string& out, std::string_view v);  // csvField(v) appended to out

}  // namespace ghlb
