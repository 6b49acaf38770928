// The reviewer's report: `plan --report FILE.html` writes one self-contained HTML page (inline CSS,
// no script, a CSP that lets nothing load) with the plan's totals, per-tenant and per-field tables,
// a bar chart of the values to write per field, the conflicts, ambiguous matches and reported
// values lead by lead, and a deterministic sample of diffs. Every list is capped, so the page does
// not grow with the lead count. The totals come from review.h's ReviewSummary, so the page and the
// printed review cannot disagree. Emails and phones are masked unless show_pii; names and company
// names are shown as they are (the page says so). Every value is HTML-escaped: tenants and GHL are
// untrusted.
#pragma once
#include <SQLiteCpp/SQLiteCpp.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "review.h"

namespace ghlb {

struct ReportOptions {
  bool show_pii = false;          // --show-pii: emails and phones unmasked
  std::size_t list_cap = 200;     // rows of each lead-by-lead list (conflicts, ambiguous, reported)
  std::size_t sample_leads = 50;  // leads in the sample of diffs, plus one per field that changes
};

// One lead of a lead-by-lead list (plan_lead, plus plan_report's field and reason when reported).
struct ReportLead {
  std::string lead_id;
  std::string client_id;
  std::optional<std::string> contact_id;  // conflict: the contact it cannot take; ambiguous: taken
  std::string note;                       // plan_lead.note (reason code, no PII)
  std::optional<std::string> other_lead;  // conflict/waiting: the lead holding or winning the contact
  std::optional<std::string> candidates;  // ambiguous: the matching contact ids, taken one first
  std::string field, reason;              // reported values only
};

// One planned change of a sampled lead (plan_item).
struct ReportDiff {
  std::string lead_id;
  std::string client_id;
  std::string field;
  std::optional<std::string> old_value;
  std::string new_value;
};

// A capped list and how many rows there are in all.
template <typename T>
struct Capped {
  std::vector<T> rows;
  std::int64_t total = 0;
};

// Everything the page shows.
struct ReportData {
  ReviewSummary summary;           // totals, per tenant, per field (review.h)
  std::string created_at;          // the plan's creation time (plan_store.h)
  std::vector<std::string> scope;  // --client-id of the plan; empty = every tenant
  std::vector<std::pair<std::string, std::optional<std::string>>> tenant_names;  // id, client.name
  Capped<ReportLead> conflicts;   // status conflict, by lead id
  Capped<ReportLead> ambiguous;   // ambiguous matches, by lead id
  Capped<ReportLead> reported;    // values reported, not written (plan_report), by lead id
  Capped<ReportDiff> sample;      // rows of the sampled leads (sample_leads of smallest sampleKey, plus
                                  // for each field the first by sampleKey); total = leads with a change
  std::int64_t sample_leads = 0;  // leads in the sample
};

// Usage error unless PATH ends in .html or .htm (any case) and its directory exists; empty: fine.
void checkReportPath(const std::string& path);

// Loads the page's data for the scope of summary's plan.
ReportData loadReportData(SQLite::Database& db, const std::vector<std::string>& client_ids,
                          const ReviewSummary& summary, const ReportOptions& opts);

// The page. Machine-readable totals carry ids and data-value attributes (e.g. id="total-to-write").
std::string renderReportHtml(const ReportData& data, const ReportOptions& opts);

// loadReportData + renderReportHtml, written with writePrivateFile (0600, atomic).
void writeReport(SQLite::Database& db, const std::vector<std::string>& client_ids,
                 const ReviewSummary& summary, const std::string& path, const ReportOptions& opts);

// Text and attribute escaping: & < > " ' as entities.
std::string htmlEscape(std::string_view s);

// "john.doe@example.com" -> "j***@e***.com": first character of each part and the last domain
// label; never the whole value. A value without '@' becomes "***".
std::string maskEmail(std::string_view email);
// "+14155550134" -> "+1******0134": a leading '+', the first digit and the last four; every other
// digit a '*'. Fewer than 7 digits: "***".
std::string maskPhone(std::string_view phone);
// The value of FIELD as the masked page shows it: email and phone masked; any other field's value
// that looks like an email or holds 7 digits or more is masked as one; the rest as it is.
std::string maskValue(std::string_view field, std::string_view value);

// The sort key of the sample of diffs: a stable hash of the lead id, so the same leads are chosen
// every time whatever the insertion order, and the sample is spread over the id range.
std::string sampleKey(std::string_view lead_id);

}  // namespace ghlb
