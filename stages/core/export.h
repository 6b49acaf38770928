// The reviewer's export of the plan: one row per field to write (lead id, tenant, field, old and
// new value, plan status, ambiguity). It holds personal data: the file is created with mode 0600
// and says so in its first line (CSV) or its "warning" key (JSON).
#pragma once
#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ghlb {

enum class ExportFormat { kCsv, kJson };

// nullopt for an empty path; usage error for an extension other than .csv or .json.
std::optional<ExportFormat> exportFormatFor(const std::string& path);

// Writes the plan of the scope to path atomically: a new 0600 file with a random name beside it
// (O_EXCL|O_NOFOLLOW: nothing planted is followed or reused), fsync, rename. Returns rows written.
std::int64_t writeExport(SQLite::Database& db, const std::vector<std::string>& client_ids,
                         const std::string& path, ExportFormat format);

// RFC 4180 field quoting; a cell starting with = + - @ TAB or CR is first prefixed with ' so that a
// spreadsheet shows it as text, never runs it as a formula.
std::string csvField(const std::string& v);

}  // namespace ghlb
