#include "report_html.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "error.h"
#include "fields.h"
#include "json_util.h"
#include "plan.h"
#include "plan_store.h"
#include "private_file.h"
#include "raw_query.h"
#include "text.h"
#include "work_db.h"

namespace ghlb {
namespace {

constexpr std::size_t kNameChars = 60;    // a tenant name is cut to this many characters
constexpr std::size_t kValueChars = 120;  // a value in the sample of diffs likewise

bool endsWithNoCase(const std::string& s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  for (std::size_t i = 0; i < suffix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[s.size() - suffix.size() + i])) != suffix[i]) return false;
  return true;
}

// The first UTF-8 character of s (its lead byte and continuation bytes).
std::string_view firstChar(std::string_view s) {
  if (s.empty()) return s;
  std::size_t n = 1;
  while (n < s.size() && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) ++n;
  return s.substr(0, n);
}

// At most max UTF-8 characters of s, with an ellipsis when cut.
std::string cut(std::string_view s, std::size_t max) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
    if (chars++ == max) return std::string(s.substr(0, i)) + "\xE2\x80\xA6";
  }
  return std::string(s);
}

std::size_t digitCount(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }));
}

// 1234567 -> "1,234,567".
std::string grouped(std::int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

// A value from outside as page text: control characters made visible, HTML-escaped.
std::string text(std::string_view s, std::size_t max = kValueChars) {
  return htmlEscape(cut(escapeControl(s), max));
}

// An id attribute's value from a name of ours (status, field, outcome): letters, digits, '-', '_'.
std::string idPart(std::string_view s) {
  std::string out;
  for (const char c : s) out += std::isalnum(static_cast<unsigned char>(c)) || c == '_' ? c : '-';
  return out;
}

template <typename F>
void each(SQLite::Statement& q, const std::vector<std::string>& ids, F f) {
  bindClientScope(q, ids);
  while (q.executeStep()) f(q);
}

std::int64_t countOf(SQLite::Database& db, const std::string& sql, const std::vector<std::string>& ids) {
  SQLite::Statement q(db, sql);
  bindClientScope(q, ids);
  return q.executeStep() ? q.getColumn(0).getInt64() : 0;
}

// A lead-by-lead list of plan_lead: where is an SQL condition on plan_lead (alias p).
Capped<ReportLead> leadList(SQLite::Database& db, const std::vector<std::string>& ids,
                            const std::string& where, std::size_t cap) {
  Capped<ReportLead> out;
  const std::string scope = clientScope("p.client_id");
  out.total = countOf(db, "SELECT count(*) FROM plan_lead p WHERE " + where + " AND " + scope, ids);
  SQLite::Statement q(db,
                      "SELECT p.lead_id, p.client_id, p.contact_id, p.note, p.other_lead, p.candidates "
                      "FROM plan_lead p WHERE " +
                          where + " AND " + scope + " ORDER BY p.lead_id LIMIT ?3");
  q.bind(3, static_cast<std::int64_t>(cap));
  each(q, ids, [&](SQLite::Statement& r) {
    ReportLead l;
    l.lead_id = r.getColumn(0).getString();
    l.client_id = r.getColumn(1).getString();
    l.contact_id = optionalText(r.getColumn(2));
    l.note = r.getColumn(3).isNull() ? "" : r.getColumn(3).getString();
    l.other_lead = optionalText(r.getColumn(4));
    l.candidates = optionalText(r.getColumn(5));
    out.rows.push_back(std::move(l));
  });
  return out;
}

// kFields' indexes in name order (BINARY): plan_report's order within a lead (ORDER BY lead, field).
std::vector<std::size_t> fieldsByName() {
  std::vector<std::size_t> v(std::size(kFields));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = i;
  std::sort(v.begin(), v.end(), [](std::size_t a, std::size_t b) {
    return std::string_view(kFields[a].name) < std::string_view(kFields[b].name);
  });
  return v;
}

// ", <field><suffix>" for every field of kFields, in its order: plan_row's columns (migration 014).
std::string fieldColumns(const char* suffix) {
  std::string out;
  for (const auto& f : kFields) out += std::string(", ") + f.name + suffix;
  return out;
}

// The scope on plan_row (no alias): every row, or those of the tenants bound to ?1 as a JSON array.
std::string planRowScope(const std::vector<std::string>& ids) {
  return ids.empty() ? std::string("1") : std::string("client_id IN (SELECT value FROM json_each(?1))");
}

// The values plan reports but does not write, read from plan_row's <field>_reason columns (one pass
// over the plan's rows, only those with a report returned: the plan_report view crossed every row
// with every field, 3 s of CPU per query at 887k leads).
Capped<ReportLead> reportedList(SQLite::Database& db, const std::vector<std::string>& ids, std::size_t cap) {
  Capped<ReportLead> out;
  std::string any;
  for (const auto& f : kFields)
    any += std::string(any.empty() ? "" : " OR ") + f.name + "_reason IS NOT NULL";
  RawQuery q(db, "SELECT lead_id, client_id" + fieldColumns("_reason") + " FROM plan_row WHERE " +
                     planRowScope(ids) + " AND (" + any + ") ORDER BY lead_id");
  if (!ids.empty()) q.bind(1, jsonStringArray(ids));
  const auto order = fieldsByName();
  while (q.step())
    for (const std::size_t i : order) {
      const auto reason = q.text(2 + static_cast<int>(i));
      if (!reason) continue;
      if (out.rows.size() < cap) {
        ReportLead l;
        l.lead_id = q.textOr(0);
        l.client_id = q.textOr(1);
        l.field = kFields[i].name;
        l.reason = *reason;
        out.rows.push_back(std::move(l));
      }
      ++out.total;
    }
  return out;
}

// The leads with a change whose sampleKey is smallest, plus for each field the lead of smallest
// sampleKey that changes it (a rare field is never missing from the sample): one pass over
// plan_row (a lead's changes are its non-NULL <field>_new), memory bounded by n and the number of
// fields. Every lead is hashed: the sample is the smallest keys of the whole plan.
Capped<ReportDiff> sampleDiffs(SQLite::Database& db, const std::vector<std::string>& ids, std::size_t n,
                               std::int64_t& sampled) {
  Capped<ReportDiff> out;
  using Keyed = std::pair<std::string, std::string>;  // (sampleKey, lead id)
  std::set<Keyed> chosen;                             // at most n
  std::map<std::string, Keyed> per_field;
  RawQuery q(db, "SELECT lead_id" + fieldColumns("_new") + " FROM plan_row WHERE " + planRowScope(ids));
  if (!ids.empty()) q.bind(1, jsonStringArray(ids));
  Keyed current;
  while (q.step()) {
    bool changes = false;
    for (std::size_t i = 0; i < std::size(kFields) && !changes; ++i)
      changes = !q.isNull(1 + static_cast<int>(i));
    if (!changes) continue;
    ++out.total;
    current.second.assign(q.textOr(0));
    current.first = sampleKey(current.second);
    if (chosen.size() < n) {
      chosen.insert(current);
    } else if (!chosen.empty() && current < *chosen.rbegin()) {
      chosen.erase(std::prev(chosen.end()));
      chosen.insert(current);
    }
    for (std::size_t i = 0; i < std::size(kFields); ++i) {
      if (q.isNull(1 + static_cast<int>(i))) continue;
      const auto [it, added] = per_field.try_emplace(kFields[i].name, current);
      if (!added && current < it->second) it->second = current;
    }
  }
  for (const auto& [field, keyed] : per_field)
    if (n) chosen.insert(keyed);  // n = 0: no sample at all
  std::set<std::string> leads;
  for (const auto& c : chosen) leads.insert(c.second);  // shown in lead id order
  sampled = static_cast<std::int64_t>(leads.size());
  SQLite::Statement items(db,
                          "SELECT i.field, i.old_value, i.new_value, p.client_id FROM plan_item i "
                          "JOIN plan_lead p USING (lead_id) WHERE i.lead_id = ?");
  for (const auto& lead : leads) {
    items.bind(1, lead);
    std::vector<ReportDiff> rows;
    while (items.executeStep()) {
      ReportDiff d;
      d.lead_id = lead;
      d.field = items.getColumn(0).getString();
      d.old_value = optionalText(items.getColumn(1));
      d.new_value = items.getColumn(2).getString();
      d.client_id = items.getColumn(3).getString();
      rows.push_back(std::move(d));
    }
    items.reset();
    // kFields order (fields.h), then any other field by name.
    const auto rank = [](const std::string& f) {
      const FieldSpec* spec = findField(f);
      return spec ? spec - kFields : static_cast<std::ptrdiff_t>(std::size(kFields));
    };
    std::sort(rows.begin(), rows.end(), [&](const ReportDiff& a, const ReportDiff& b) {
      return std::make_pair(rank(a.field), a.field) < std::make_pair(rank(b.field), b.field);
    });
    for (auto& d : rows) out.rows.push_back(std::move(d));
  }
  return out;
}

constexpr const char* kStyle = R"(
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1d2430;background:#f4f6f9}
main{max-width:1400px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:17px;margin:32px 0 8px;padding-bottom:4px;border-bottom:2px solid #d8dee8}
p{margin:6px 0}
.meta{color:#5b6678;font-size:13px}
.mono,code{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12px}
.notice{margin:14px 0;padding:10px 14px;border-radius:6px;border:1px solid #c9d6ea;background:#eaf1fb}
.notice.pii{border-color:#e7b4b4;background:#fbeaea}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;margin:16px 0}
.card{background:#fff;border:1px solid #dfe4ec;border-radius:8px;padding:10px 12px}
.card .n{font-size:24px;font-weight:600;font-variant-numeric:tabular-nums}
.card .l{color:#5b6678;font-size:12px}
.card.main{border-color:#6f9ad8;background:#f3f8ff}
.scroll{overflow-x:auto;background:#fff;border:1px solid #dfe4ec;border-radius:8px}
table{border-collapse:collapse;width:100%}
th,td{padding:5px 8px;text-align:left;vertical-align:top;border-bottom:1px solid #edf0f5}
th{background:#f0f3f8;font-weight:600;font-size:12px;color:#3a4555}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.num{white-space:nowrap}
td.lead{white-space:nowrap}
td.tenant{min-width:240px}
tr.total td{font-weight:600;background:#f7f9fc;border-top:2px solid #d8dee8}
td.zero{color:#b3bac6}
.tenant .name{font-weight:500}
.tenant .id{display:block;color:#6b7686}
.chart{background:#fff;border:1px solid #dfe4ec;border-radius:8px;padding:12px 16px}
.bar-row{display:grid;grid-template-columns:150px 1fr 80px;align-items:center;gap:10px;margin:5px 0}
.bar-track{background:#edf0f5;border-radius:4px;height:18px}
.bar{background:#4f86d6;height:18px;border-radius:4px;min-width:1px}
.bar.enr{background:#8fb1e3}
.bar-row .n{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:#8a93a3;font-style:italic}
.old{color:#7a8494}
.new{color:#176b35}
tr.enr td:not([rowspan]){font-size:12px;color:#8a93a3;padding-top:2px;padding-bottom:2px}
tr.enr td.new{color:#6f9a7c}
.count{color:#5b6678;font-size:13px;margin:4px 0 8px}
footer{margin-top:36px;color:#8a93a3;font-size:12px}
)";

void th(std::ostringstream& o, std::string_view label, bool num = false) {
  o << "<th" << (num ? " class=\"num\"" : "") << ">" << htmlEscape(label) << "</th>";
}

// A count cell; with an id, machine-readable (id and data-value) for scripts and tests.
void numCell(std::ostringstream& o, std::int64_t n, const std::string& id = "") {
  o << "<td class=\"num" << (n ? "" : " zero") << "\"";
  if (!id.empty()) o << " id=\"" << htmlEscape(id) << "\" data-value=\"" << n << "\"";
  o << ">" << grouped(n) << "</td>";
}

void card(std::ostringstream& o, const std::string& id, std::int64_t n, std::string_view label,
          bool main = false) {
  o << "<div class=\"card" << (main ? " main" : "") << "\"><div class=\"n\" id=\"" << htmlEscape(id)
    << "\" data-value=\"" << n << "\">" << grouped(n) << "</div><div class=\"l\">" << htmlEscape(label)
    << "</div></div>";
}

// "showing 200 of 9,021" or "all 12".
void countLine(std::ostringstream& o, std::size_t shown, std::int64_t total, const std::string& id,
               std::string_view what) {
  o << "<p class=\"count\" id=\"" << htmlEscape(id) << "\" data-shown=\"" << shown << "\" data-total=\""
    << total << "\">";
  if (total == 0)
    o << "None.";
  else if (static_cast<std::int64_t>(shown) < total)
    o << "Showing " << grouped(static_cast<std::int64_t>(shown)) << " of " << grouped(total) << " " << what
      << (id == "sample-count" ? "" : " (the first by lead id; the export has them all)") << ".";
  else
    o << "All " << grouped(total) << " " << what << ".";
  o << "</p>";
}

std::string optionalCell(const std::optional<std::string>& v) {
  return v && !v->empty() ? "<span class=\"mono\">" + text(*v) + "</span>" : "<span class=\"muted\">-</span>";
}

class Page {
 public:
  Page(const ReportData& d, const ReportOptions& opts) : d_(d), opts_(opts) {
    for (const auto& [id, name] : d.tenant_names) names_[id] = name;
    for (const auto& [id, t] : d.summary.tenants) {
      leads_ += t.leads;
      ambiguous_ += t.ambiguous;
      links_ += t.links;
      for (const auto& [s, n] : t.by_status) status_[s] += n;
      for (const auto& [f, n] : t.fields) fields_[f] += n;
      for (const auto& [r, n] : t.reported) reported_[r] += n;
      for (const auto& [a, n] : t.applied) applied_[a] += n;
    }
    // Fields in kFields order, then any other field the plan holds.
    for (const auto& f : kFields) field_order_.emplace_back(f.name);
    for (const auto& [f, n] : fields_)
      if (!findField(f)) field_order_.push_back(f);
    // Statuses by how many leads have them (most first), then by name.
    for (const auto& [s, n] : status_) status_order_.push_back(s);
    std::stable_sort(status_order_.begin(), status_order_.end(),
                     [&](const std::string& a, const std::string& b) { return status_[a] > status_[b]; });
  }

  std::string render() {
    const auto& s = d_.summary;
    o_ << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
       << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
          "'unsafe-inline'\">\n"
       << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
       << "<meta name=\"robots\" content=\"noindex\">\n"
       << "<title>ghl-backfill: review of plan " << s.plan_id << "</title>\n<style>" << kStyle
       << "</style></head>\n<body><main>\n";
    header();
    totals();
    chart();
    perField();
    perTenant();
    tenantFields();
    applied();
    conflicts();
    ambiguous();
    reported();
    sample();
    o_ << "<footer>Written by ghl-backfill " << htmlEscape(GHLB_VERSION)
       << " (plan --report). A self-contained page: nothing is loaded from anywhere.</footer>\n"
       << "</main></body></html>\n";
    return o_.str();
  }

 private:
  void header() {
    const auto& s = d_.summary;
    o_ << "<h1>Review of plan <span id=\"plan-id\" data-value=\"" << s.plan_id << "\">" << s.plan_id
       << "</span></h1>\n<p class=\"meta\">Created " << text(d_.created_at)
       << " &middot; inputs <span class=\"mono\">" << text(s.fingerprint) << "</span> &middot; scope: ";
    if (d_.scope.empty()) {
      o_ << "every tenant";
    } else {
      o_ << grouped(static_cast<std::int64_t>(d_.scope.size())) << " tenant(s) named with --client-id";
    }
    o_ << " &middot; <span id=\"tenant-count\" data-value=\"" << s.tenants.size() << "\">"
       << grouped(static_cast<std::int64_t>(s.tenants.size()))
       << "</span> tenant(s) with leads in the plan</p>\n";
    if (opts_.show_pii)
      o_ << "<p class=\"notice pii\" id=\"pii-notice\" data-masked=\"0\"><strong>This page shows personal "
            "data "
            "unmasked</strong> (written with --show-pii): keep it private and delete it after review.</p>\n";
    else
      o_ << "<p class=\"notice\" id=\"pii-notice\" data-masked=\"1\">Emails and phones are masked "
            "(e.g. <code>j***@e***.com</code>, <code>+1******4567</code>); a name or company value that "
            "looks like an email or a phone is masked the same way. Names and company names are shown as "
            "they are. Run <code>plan --report FILE.html --show-pii</code> to see every value.</p>\n";
    o_ << "<p class=\"meta\">Apply writes each value only while the lead's field is still missing; what it "
          "already wrote is counted as applied, never again as to write.</p>\n";
  }

  void totals() {
    o_ << "<h2>Totals</h2>\n<div class=\"cards\">";
    std::int64_t to_write = d_.summary.totalToWrite();
    card(o_, "total-to-write", to_write, "values to write", true);
    card(o_, "total-leads", leads_, "leads in the plan", true);
    card(o_, "total-links", links_, "leads to link to their GHL contact");
    card(o_, "total-ambiguous", ambiguous_, "ambiguous matches (oldest contact taken)");
    std::int64_t rejected = 0;  // review decisions: never written, not counted as to write
    for (const auto& [id, t] : d_.summary.tenants)
      for (const auto& [f, n] : t.rejected) rejected += n;
    if (rejected) card(o_, "total-rejected", rejected, "values rejected in review (never written)");
    for (const auto& st : status_order_) card(o_, "total-status-" + idPart(st), status_[st], "leads: " + st);
    o_ << "</div>\n";
  }

  void chart() {
    std::int64_t max = 0;
    for (const auto& f : field_order_) max = std::max(max, value(fields_, f));
    o_ << "<h2>Values to write per field</h2>\n<div class=\"chart\" role=\"img\" aria-label=\"bar chart of "
          "the "
          "values to write per field\">\n";
    for (const auto& f : field_order_) {
      const std::int64_t n = value(fields_, f);
      const FieldSpec* spec = findField(f);
      const double pct = max ? 100.0 * static_cast<double>(n) / static_cast<double>(max) : 0.0;
      std::ostringstream w;
      w.precision(4);
      w << pct;
      o_ << "<div class=\"bar-row\"><span class=\"mono\">" << text(f) << "</span><div class=\"bar-track\">";
      if (n)
        o_ << "<div class=\"bar" << (spec && spec->kind == FieldKind::kEnrichment ? " enr" : "")
           << "\" style=\"width:" << w.str() << "%\"></div>";
      o_ << "</div><span class=\"n\" id=\"chart-field-" << idPart(f) << "\" data-value=\"" << n << "\">"
         << grouped(n) << "</span></div>\n";
    }
    o_ << "</div>\n";
  }

  void perField() {
    o_ << "<h2>Per field</h2>\n<div class=\"scroll\"><table><thead><tr>";
    th(o_, "field");
    th(o_, "values to write", true);
    th(o_, "tenants with values to write", true);
    th(o_, "reported, not written");
    o_ << "</tr></thead><tbody>\n";
    for (const auto& f : field_order_) {
      std::int64_t tenants = 0;
      for (const auto& [id, t] : d_.summary.tenants) tenants += value(t.fields, f) ? 1 : 0;
      o_ << "<tr><td class=\"mono\">" << text(f) << "</td>";
      numCell(o_, value(fields_, f), "total-field-" + idPart(f));
      numCell(o_, tenants);
      o_ << "<td>";
      bool any = false;
      for (const auto& [key, n] : reported_) {
        if (key.rfind(f + ":", 0) != 0) continue;
        o_ << (any ? "; " : "") << text(key.substr(f.size() + 1)) << " " << grouped(n);
        any = true;
      }
      if (!any) o_ << "<span class=\"muted\">-</span>";
      o_ << "</td></tr>\n";
    }
    o_ << "<tr class=\"total\"><td>all fields</td>";
    numCell(o_, d_.summary.totalToWrite());
    o_ << "<td></td><td></td></tr>\n</tbody></table></div>\n";
  }

  // The tenant's name (client.name, when known) beside its id.
  void tenantCell(const std::string& id, std::size_t rowspan = 1) {
    o_ << "<td class=\"tenant\"";
    if (rowspan > 1) o_ << " rowspan=\"" << rowspan << "\"";
    o_ << ">";
    const auto it = names_.find(id);
    if (it != names_.end() && it->second && !isMissing(std::string_view(*it->second)))
      o_ << "<bdi class=\"name\">" << text(*it->second, kNameChars) << "</bdi>";
    o_ << "<span class=\"id mono\">" << text(id) << "</span></td>";
  }

  void perTenant() {
    o_ << "<h2>Per tenant: leads by outcome</h2>\n<div class=\"scroll\"><table><thead><tr>";
    th(o_, "tenant");
    th(o_, "leads", true);
    for (const auto& st : status_order_) th(o_, st, true);
    th(o_, "ambiguous", true);
    th(o_, "links", true);
    th(o_, "values to write", true);
    o_ << "</tr></thead><tbody>\n";
    for (const auto& [id, t] : d_.summary.tenants) {
      o_ << "<tr>";
      tenantCell(id);
      numCell(o_, t.leads);
      for (const auto& st : status_order_) numCell(o_, value(t.by_status, st));
      numCell(o_, t.ambiguous);
      numCell(o_, t.links);
      std::int64_t w = 0;
      for (const auto& [f, n] : t.fields) w += n;
      numCell(o_, w);
      o_ << "</tr>\n";
    }
    o_ << "<tr class=\"total\"><td>all tenants</td>";
    numCell(o_, leads_);
    for (const auto& st : status_order_) numCell(o_, status_[st]);
    numCell(o_, ambiguous_);
    numCell(o_, links_);
    numCell(o_, d_.summary.totalToWrite());
    o_ << "</tr>\n</tbody></table></div>\n";
  }

  void tenantFields() {
    o_ << "<h2>Per tenant and field: values to write</h2>\n<div class=\"scroll\"><table><thead><tr>";
    th(o_, "tenant");
    for (const auto& f : field_order_) th(o_, f, true);
    o_ << "</tr></thead><tbody>\n";
    for (const auto& [id, t] : d_.summary.tenants) {
      o_ << "<tr>";
      tenantCell(id);
      for (const auto& f : field_order_) numCell(o_, value(t.fields, f));
      o_ << "</tr>\n";
    }
    o_ << "<tr class=\"total\"><td>all tenants</td>";
    for (const auto& f : field_order_) numCell(o_, value(fields_, f));
    o_ << "</tr>\n</tbody></table></div>\n";
  }

  void applied() {
    o_ << "<h2>Applied so far</h2>\n";
    if (applied_.empty()) {
      o_ << "<p id=\"applied-none\">Nothing applied yet.</p>\n";
      return;
    }
    o_ << "<p class=\"count\">Fields apply has settled, per outcome (written: filled by this tool; stale: "
          "the "
          "application filled it first).</p><div class=\"scroll\"><table><thead><tr>";
    th(o_, "tenant");
    for (const auto& [a, n] : applied_) th(o_, a, true);
    o_ << "</tr></thead><tbody>\n";
    for (const auto& [id, t] : d_.summary.tenants) {
      if (t.applied.empty()) continue;
      o_ << "<tr>";
      tenantCell(id);
      for (const auto& [a, n] : applied_) numCell(o_, value(t.applied, a));
      o_ << "</tr>\n";
    }
    o_ << "<tr class=\"total\"><td>all tenants</td>";
    for (const auto& [a, n] : applied_) numCell(o_, n, "total-applied-" + idPart(a));
    o_ << "</tr>\n</tbody></table></div>\n";
  }

  void conflicts() {
    o_ << "<h2>Conflicts, lead by lead</h2>\n<p class=\"meta\">A conflict is left entirely unchanged: its "
          "contact is already linked to another lead, or a smaller lead id takes it.</p>\n";
    countLine(o_, d_.conflicts.rows.size(), d_.conflicts.total, "conflicts-count", "conflicts");
    if (d_.conflicts.rows.empty()) return;
    o_ << "<div class=\"scroll\"><table id=\"conflicts\"><thead><tr>";
    for (const char* h : {"lead", "tenant", "contact", "reason", "held or won by lead"}) th(o_, h);
    o_ << "</tr></thead><tbody>\n";
    for (const auto& l : d_.conflicts.rows) {
      o_ << "<tr data-lead=\"" << htmlEscape(l.lead_id) << "\"><td class=\"mono lead\">" << text(l.lead_id)
         << "</td>";
      tenantCell(l.client_id);
      o_ << "<td>" << optionalCell(l.contact_id) << "</td><td>" << text(l.note) << "</td><td>"
         << optionalCell(l.other_lead) << "</td></tr>\n";
    }
    o_ << "</tbody></table></div>\n";
  }

  void ambiguous() {
    o_ << "<h2>Ambiguous matches, lead by lead</h2>\n<p class=\"meta\">Several GHL contacts have the lead's "
          "email: the oldest (then the smallest id) is taken. Reject them with "
          "<code>ghl-backfill review --reject --ambiguous</code> if in doubt.</p>\n";
    countLine(o_, d_.ambiguous.rows.size(), d_.ambiguous.total, "ambiguous-count", "ambiguous matches");
    if (d_.ambiguous.rows.empty()) return;
    o_ << "<div class=\"scroll\"><table id=\"ambiguous\"><thead><tr>";
    for (const char* h : {"lead", "tenant", "contact taken", "candidates (taken first)", "outcome"})
      th(o_, h);
    o_ << "</tr></thead><tbody>\n";
    for (const auto& l : d_.ambiguous.rows) {
      o_ << "<tr data-lead=\"" << htmlEscape(l.lead_id) << "\"><td class=\"mono lead\">" << text(l.lead_id)
         << "</td>";
      tenantCell(l.client_id);
      o_ << "<td>" << optionalCell(l.contact_id) << "</td><td>";
      if (l.candidates && !l.candidates->empty())
        o_ << "<span class=\"mono\">" << text(*l.candidates, 400) << "</span>";
      else
        o_ << "<span class=\"muted\">not recorded by this plan</span>";
      o_ << "</td><td>" << text(l.note) << "</td></tr>\n";
    }
    o_ << "</tbody></table></div>\n";
  }

  void reported() {
    o_ << "<h2>Reported, not written, lead by lead</h2>\n<p class=\"meta\">GHL values that are not written: "
          "a "
          "phone with no storage form, a value that is not clean text.</p>\n";
    countLine(o_, d_.reported.rows.size(), d_.reported.total, "reported-count", "reported values");
    if (d_.reported.rows.empty()) return;
    o_ << "<div class=\"scroll\"><table id=\"reported\"><thead><tr>";
    for (const char* h : {"lead", "tenant", "field", "reason"}) th(o_, h);
    o_ << "</tr></thead><tbody>\n";
    for (const auto& l : d_.reported.rows) {
      o_ << "<tr data-lead=\"" << htmlEscape(l.lead_id) << "\"><td class=\"mono lead\">" << text(l.lead_id)
         << "</td>";
      tenantCell(l.client_id);
      o_ << "<td class=\"mono\">" << text(l.field) << "</td><td>" << text(l.reason) << "</td></tr>\n";
    }
    o_ << "</tbody></table></div>\n";
  }

  std::string shown(const std::string& field, const std::optional<std::string>& v) const {
    if (!v) return "<span class=\"muted\">(null)</span>";
    if (isMissing(std::string_view(*v))) return "<span class=\"muted\">(blank)</span>";
    return "<bdi>" + text(opts_.show_pii ? *v : maskValue(field, *v)) + "</bdi>";
  }

  void sample() {
    o_ << "<h2>A sample of diffs</h2>\n<p class=\"meta\">Leads chosen by a stable hash of their id (the same "
          "leads every time, spread over all tenants), plus for each field the first lead by that hash that "
          "changes it. Each row is a value apply would write into a field that is missing now.</p>\n";
    countLine(o_, static_cast<std::size_t>(d_.sample_leads), d_.sample.total, "sample-count",
              "leads with values to write");
    if (d_.sample.rows.empty()) return;
    o_ << "<div class=\"scroll\"><table id=\"sample\"><thead><tr>";
    for (const char* h : {"lead", "tenant", "field", "now", "after apply"}) th(o_, h);
    o_ << "</tr></thead><tbody>\n";
    const auto& rows = d_.sample.rows;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& r = rows[i];
      const FieldSpec* spec = findField(r.field);
      o_ << "<tr" << (spec && spec->kind == FieldKind::kEnrichment ? " class=\"enr\"" : "") << " data-lead=\""
         << htmlEscape(r.lead_id) << "\" data-field=\"" << htmlEscape(r.field) << "\">";
      if (i == 0 || rows[i - 1].lead_id != r.lead_id) {
        std::size_t span = 1;
        while (i + span < rows.size() && rows[i + span].lead_id == r.lead_id) ++span;
        o_ << "<td class=\"mono lead\" rowspan=\"" << span << "\">" << text(r.lead_id) << "</td>";
        tenantCell(r.client_id, span);
      }
      o_ << "<td class=\"mono\">" << text(r.field) << "</td><td class=\"old\">" << shown(r.field, r.old_value)
         << "</td><td class=\"new\">" << shown(r.field, r.new_value) << "</td></tr>\n";
    }
    o_ << "</tbody></table></div>\n";
  }

  static std::int64_t value(const std::map<std::string, std::int64_t>& m, const std::string& k) {
    const auto it = m.find(k);
    return it == m.end() ? 0 : it->second;
  }

  const ReportData& d_;
  const ReportOptions& opts_;
  std::ostringstream o_;
  std::map<std::string, std::optional<std::string>> names_;
  std::int64_t leads_ = 0, ambiguous_ = 0, links_ = 0;
  std::map<std::string, std::int64_t> status_, fields_, reported_, applied_;
  std::vector<std::string> field_order_, status_order_;
};

}  // namespace

void checkReportPath(const std::string& path) {
  if (path.empty()) return;
  if (!endsWithNoCase(path, ".html") && !endsWithNoCase(path, ".htm"))
    throw usageError("--report " + escapeControl(path) + ": the file name must end in .html or .htm");
  const auto dir = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!dir.empty() && !std::filesystem::is_directory(dir, ec))
    throw usageError("--report " + escapeControl(path) + ": the directory " + escapeControl(dir.string()) +
                     " does not exist: create it or name another");
}

ReportData loadReportData(SQLite::Database& db, const std::vector<std::string>& ids,
                          const ReviewSummary& summary, const ReportOptions& opts) {
  ReportData d;
  d.summary = summary;
  d.scope = ids;
  if (summary.plan_id)
    if (const auto rec = PlanStore(db).find(summary.plan_id)) {
      d.created_at = rec->created_at;
      d.scope = rec->scope;
    }
  SQLite::Statement names(db, "SELECT id, name FROM client WHERE " + clientScope("id") + " ORDER BY id");
  each(names, ids, [&](SQLite::Statement& r) {
    d.tenant_names.emplace_back(r.getColumn(0).getString(), optionalText(r.getColumn(1)));
  });
  d.conflicts = leadList(db, ids, std::string("p.status = '") + plan_status::kConflict + "'", opts.list_cap);
  d.ambiguous = leadList(db, ids, "p.ambiguous = 1", opts.list_cap);
  d.reported = reportedList(db, ids, opts.list_cap);
  d.sample = sampleDiffs(db, ids, opts.sample_leads, d.sample_leads);
  return d;
}

std::string renderReportHtml(const ReportData& data, const ReportOptions& opts) {
  return Page(data, opts).render();
}

void writeReport(SQLite::Database& db, const std::vector<std::string>& ids, const ReviewSummary& summary,
                 const std::string& path, const ReportOptions& opts) {
  writePrivateFile(path, renderReportHtml(loadReportData(db, ids, summary, opts), opts), "report");
}

std::string htmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string maskEmail(std::string_view email) {
  email = jsTrim(email);
  const auto at = email.rfind('@');
  if (at == std::string_view::npos || at == 0) return "***";
  std::string out = std::string(firstChar(email)) + "***@";
  const std::string_view domain = email.substr(at + 1);
  const auto dot = domain.rfind('.');
  if (domain.empty()) return out + "***";
  out += std::string(firstChar(domain)) + "***";
  // The top-level label, when it is short and plain (".com", ".co.uk" shows ".uk").
  if (dot != std::string_view::npos && dot > 0) {
    const std::string_view tld = domain.substr(dot + 1);
    const bool plain = !tld.empty() && tld.size() <= 12 && std::all_of(tld.begin(), tld.end(), [](char c) {
      return std::isalpha(static_cast<unsigned char>(c));
    });
    out += plain ? "." + std::string(tld) : ".***";
  }
  return out;
}

std::string maskPhone(std::string_view phone) {
  phone = jsTrim(phone);
  std::string digits;
  for (const char c : phone)
    if (c >= '0' && c <= '9') digits += c;
  if (digits.size() < 7) return "***";
  std::string out = !phone.empty() && phone[0] == '+' ? "+" : "";
  out += digits[0];
  out += std::string(digits.size() - 5, '*');
  out += digits.substr(digits.size() - 4);
  return out;
}

std::string maskValue(std::string_view field, std::string_view value) {
  const FieldSpec* spec = findField(field);
  if (spec && spec->normalize == Normalizer::kEmail) return maskEmail(value);
  if (spec && spec->normalize == Normalizer::kPhone) return maskPhone(value);
  // The contact id and the enrichment values are ours or GHL ids, never personal data.
  if (spec && spec->kind != FieldKind::kFill) return std::string(value);
  if (value.find('@') != std::string_view::npos) return maskEmail(value);
  if (digitCount(value) >= 7) return maskPhone(value);
  return std::string(value);
}

std::string sampleKey(std::string_view lead_id) {
  InputDigest d;
  d.add(lead_id);
  return d.hex();
}

}  // namespace ghlb
