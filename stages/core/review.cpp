#include "review.h"

#include <sqlite3.h>

#include <algorithm>
#include <functional>
#include <iomanip>
#include <ostream>
#include <set>
#include <sstream>

#include "decision_store.h"
#include "error.h"
#include "fields.h"
#include "json_util.h"
#include "plan.h"
#include "raw_query.h"
#include "text.h"
#include "work_db.h"

namespace ghlb {
namespace {

const std::vector<std::string>& statusColumns() {
  static const std::vector<std::string> cols = {
      plan_status::kFill,     plan_status::kNothing,   plan_status::kNotFound,    plan_status::kConflict,
      plan_status::kNoLookup, plan_status::kInvalidId, plan_status::kContactGone, plan_status::kError,
      plan_status::kPending,  plan_status::kWaiting,   plan_status::kApplied};
  return cols;
}

template <typename F>
void each(SQLite::Database& db, const std::string& sql, const std::vector<std::string>& ids, F f) {
  SQLite::Statement q(db, sql);
  bindClientScope(q, ids);
  while (q.executeStep()) f(q);
}

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::string joined(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : sep) + x;
  return out;
}

size_t fieldRank(const std::string& field) {
  for (size_t i = 0; i < std::size(kFields); ++i)
    if (field == kFields[i].name) return i;
  return std::size(kFields);
}

// Changes, reports and applied fields in kFields order (the order plan lists changes).
void sortFields(LeadReview& r) {
  const auto by = [](const auto& key) {
    return [key](const auto& a, const auto& b) { return fieldRank(key(a)) < fieldRank(key(b)); };
  };
  std::stable_sort(r.changes.begin(), r.changes.end(), by([](const FieldChange& c) { return c.field; }));
  std::stable_sort(r.reports.begin(), r.reports.end(), by([](const auto& p) { return p.first; }));
  std::stable_sort(r.applied.begin(), r.applied.end(), by([](const AppliedField& a) { return a.field; }));
}

}  // namespace

const std::vector<std::string>& reviewOutcomes() {
  static const std::vector<std::string> v = [] {
    std::vector<std::string> out = statusColumns();
    out.emplace_back("ambiguous");
    out.emplace_back(kNoStorageForm);
    out.emplace_back(kInvalidValue);
    return out;
  }();
  return v;
}

void checkReviewFilter(const ReviewFilter& f) {
  for (const auto& field : f.fields)
    if (!findField(field)) throw unknownFieldError(field, fieldNames());
  for (const auto& o : f.outcomes)
    if (!contains(reviewOutcomes(), o))
      throw usageError("--outcome " + escapeControl(o) +
                       ": unknown outcome; valid: " + joined(reviewOutcomes(), ", "));
}

bool LeadReview::matches(const ReviewFilter& f) const {
  if (!f.leads.empty() && !contains(f.leads, lead_id)) return false;
  if (!f.fields.empty()) {
    const bool touches = std::any_of(changes.begin(), changes.end(),
                                     [&](const auto& c) { return contains(f.fields, c.field); }) ||
                         std::any_of(reports.begin(), reports.end(),
                                     [&](const auto& r) { return contains(f.fields, r.first); }) ||
                         std::any_of(applied.begin(), applied.end(),
                                     [&](const auto& a) { return contains(f.fields, a.field); });
    if (!touches) return false;
  }
  if (f.outcomes.empty()) return true;
  return std::any_of(f.outcomes.begin(), f.outcomes.end(), [&](const std::string& o) {
    if (o == status || (o == "ambiguous" && ambiguous)) return true;
    return std::any_of(reports.begin(), reports.end(), [&](const auto& r) {
      return r.second == o && (f.fields.empty() || contains(f.fields, r.first));
    });
  });
}

void forEachLeadReview(SQLite::Database& db, const std::vector<std::string>& ids, const ReviewFilter& filter,
                       const std::function<void(const LeadReview&)>& visit) {
  // One pass in lead id order over plan_row (the lead, its changes and reports are one row) merged
  // with apply_log read in key order: no sort and no join per value (the union of plan_lead,
  // plan_item, plan_report and apply_log sorted by lead took 10 s at 887k leads). ?1: the tenants,
  // ?2: the --lead ids, each a JSON array when given.
  std::string where;
  const auto add = [&where](const std::string& cond) {
    where += (where.empty() ? " WHERE " : " AND ") + cond;
  };
  if (!ids.empty()) add("client_id IN (SELECT value FROM json_each(?1))");
  if (!filter.leads.empty()) add("lead_id IN (SELECT value FROM json_each(?2))");
  std::string columns;
  for (const auto& f : kFields)
    columns += std::string(", ") + f.name + "_old, " + f.name + "_new, " + f.name + "_reason";
  RawQuery plan(
      db, "SELECT lead_id, client_id, status, note, contact_id, link, ambiguous, other_lead, candidates" +
              columns + " FROM plan_row" + where + " ORDER BY lead_id");
  RawQuery applied(db, "SELECT lead_id, field, outcome, new_value FROM apply_log" +
                           (where.empty() ? std::string()
                                          : " WHERE lead_id IN (SELECT lead_id FROM plan_row" + where + ")") +
                           " ORDER BY lead_id, field");
  for (RawQuery* q : {&plan, &applied}) {
    if (!ids.empty()) q->bind(1, jsonStringArray(ids));
    if (!filter.leads.empty()) q->bind(2, jsonStringArray(filter.leads));
  }
  const auto names = tenantNames(db, ids);
  const auto optional = [](std::optional<std::string_view> v) {
    return v ? std::optional<std::string>(*v) : std::nullopt;
  };
  bool a_more = applied.step();
  LeadReview r;
  while (plan.step()) {
    r.lead_id.assign(plan.textOr(0));
    r.client_id.assign(plan.textOr(1));
    const auto name = names.find(r.client_id);
    r.client_name = name == names.end() ? std::nullopt : std::optional<std::string>(name->second);
    r.status.assign(plan.textOr(2));
    r.note.assign(plan.textOr(3));
    r.contact_id = optional(plan.text(4));
    r.link = plan.integer(5) != 0;
    r.ambiguous = plan.integer(6) != 0;
    r.other_lead = optional(plan.text(7));
    r.candidates.clear();
    const std::string_view candidates = plan.textOr(8);
    for (size_t start = 0; start < candidates.size();) {
      const size_t comma = std::min(candidates.find(',', start), candidates.size());
      r.candidates.emplace_back(candidates.substr(start, comma - start));
      start = comma + 1;
    }
    r.changes.clear();
    r.reports.clear();
    for (size_t i = 0; i < std::size(kFields); ++i) {  // kFields order, as plan lists changes
      const int c = 9 + 3 * static_cast<int>(i);
      if (const auto v = plan.text(c + 1))
        r.changes.push_back({kFields[i].name, optional(plan.text(c)), std::string(*v)});
      if (const auto why = plan.text(c + 2)) r.reports.emplace_back(kFields[i].name, std::string(*why));
    }
    r.applied.clear();
    while (a_more && applied.textOr(0) < r.lead_id) a_more = applied.step();
    for (; a_more && applied.textOr(0) == r.lead_id; a_more = applied.step())
      r.applied.push_back(
          {std::string(applied.textOr(1)), std::string(applied.textOr(2)), optional(applied.text(3))});
    sortFields(r);
    if (r.matches(filter)) visit(r);
  }
}

std::int64_t ReviewSummary::totalByStatus(const std::string& status) const {
  std::int64_t n = 0;
  for (const auto& [id, t] : tenants) {
    const auto it = t.by_status.find(status);
    if (it != t.by_status.end()) n += it->second;
  }
  return n;
}

std::int64_t ReviewSummary::totalApplied(const std::string& outcome) const {
  std::int64_t n = 0;
  for (const auto& [id, t] : tenants) {
    const auto it = t.applied.find(outcome);
    if (it != t.applied.end()) n += it->second;
  }
  return n;
}

std::int64_t ReviewSummary::totalToWrite() const {
  std::int64_t n = 0;
  for (const auto& [id, t] : tenants)
    for (const auto& [f, c] : t.fields) n += c;
  return n;
}

std::string ReviewSummary::countsJson() const {
  std::vector<std::pair<std::string, std::int64_t>> out;
  std::int64_t leads = 0, ambiguous = 0;
  std::map<std::string, std::int64_t> fields;
  for (const auto& [id, t] : tenants) {
    leads += t.leads;
    ambiguous += t.ambiguous;
    for (const auto& [f, n] : t.fields) fields[f] += n;
  }
  out.emplace_back("leads", leads);
  for (const auto& s : statusColumns()) out.emplace_back(s, totalByStatus(s));
  out.emplace_back("ambiguous", ambiguous);
  out.emplace_back("to_write", totalToWrite());
  if (plan_id) out.emplace_back("plan_id", plan_id);
  for (const auto& [f, n] : fields) out.emplace_back("field_" + f, n);
  return jsonObject(out);
}

namespace {

// (lead id, field) of every change of the scope a review decision rejects (linkage included): it is
// never written, so it is not a value to write.
using ChangeKeys = std::set<std::pair<std::string, std::string>>;
ChangeKeys rejectedChanges(SQLite::Database& db, const std::vector<std::string>& ids) {
  // Streamed: a vector of every decided change took 160 MB at 284,000 decisions (887k leads).
  ChangeKeys out;
  DecisionStore(db).eachChange(ids, /*decided_only=*/true, [&out](const ChangeRow& row) {
    if (row.state == ChangeState::kRejected) out.emplace(row.lead_id, row.facts.field);
  });
  return out;
}

// The summary of the leads a filter selects, lead by lead (the unfiltered summary is counted in SQL).
void summarize(ReviewSummary& s, const ChangeKeys& rejected, const LeadReview& r) {
  const auto shown = [&s](const std::string& field) {
    return s.filter.fields.empty() || contains(s.filter.fields, field);
  };
  auto& t = s.tenants[r.client_id];
  ++t.leads;
  ++t.by_status[r.status];
  t.ambiguous += r.ambiguous ? 1 : 0;
  t.links += r.link ? 1 : 0;
  for (const auto& c : r.changes)
    if (shown(c.field)) ++(rejected.count({r.lead_id, c.field}) ? t.rejected : t.fields)[c.field];
  for (const auto& [field, reason] : r.reports)
    if (shown(field)) ++t.reported[field + ":" + reason];
  for (const auto& a : r.applied)
    if (shown(a.field)) ++t.applied[a.outcome];
}

}  // namespace

std::map<std::string, std::string> tenantNames(SQLite::Database& db, const std::vector<std::string>& ids) {
  std::map<std::string, std::string> out;
  each(db, "SELECT id, name FROM client WHERE name IS NOT NULL AND " + clientScope("id"), ids,
       [&](SQLite::Statement& q) { out[q.getColumn(0).getString()] = q.getColumn(1).getString(); });
  return out;
}

std::string tenantLabel(const std::string& client_id, const std::map<std::string, std::string>& names,
                        size_t max_chars) {
  const auto it = names.find(client_id);
  return displayText(it == names.end() ? client_id : it->second, max_chars);
}

namespace {

// What loadReview and countedReview both add to the plan's counts: values rejected in review
// (counted apart from the values to write), apply's outcomes, the tenants' names.
void completeReview(SQLite::Database& db, const std::vector<std::string>& ids, ReviewSummary& s) {
  const ChangeKeys rejected = rejectedChanges(db, ids);
  if (!rejected.empty()) {  // counted apart: the lead's tenant from plan_lead
    SQLite::Statement tenant(db, "SELECT client_id FROM plan_lead WHERE lead_id = ?");
    for (const auto& [lead, field] : rejected) {
      tenant.bind(1, lead);
      if (tenant.executeStep()) {
        auto& t = s.tenants[tenant.getColumn(0).getString()];
        --t.fields[field];
        ++t.rejected[field];
      }
      tenant.reset();
    }
  }
  each(db,
       std::string("SELECT l.client_id, a.outcome, count(*) FROM apply_log a JOIN lead l ON l.id = a.lead_id "
                   "WHERE ") +
           clientScope("l.client_id") + " GROUP BY 1, 2",
       ids, [&](SQLite::Statement& q) {
         s.tenants[q.getColumn(0).getString()].applied[q.getColumn(1).getString()] =
             q.getColumn(2).getInt64();
       });
  each(db, "SELECT id, name FROM client WHERE name IS NOT NULL AND " + clientScope("id"), ids,
       [&](SQLite::Statement& q) {
         if (const auto it = s.tenants.find(q.getColumn(0).getString()); it != s.tenants.end())
           it->second.name = q.getColumn(1).getString();
       });
}

}  // namespace

ReviewSummary loadReview(SQLite::Database& db, const std::vector<std::string>& ids,
                         const ReviewFilter& filter) {
  ReviewSummary s;
  s.filter = filter;
  each(db, "SELECT count(*) FROM plan_lead WHERE " + clientScope("client_id"), ids,
       [&](SQLite::Statement& q) { s.leads_in_plan = q.getColumn(0).getInt64(); });
  if (!filter.empty()) {
    const ChangeKeys rejected = rejectedChanges(db, ids);
    forEachLeadReview(db, ids, filter, [&](const LeadReview& r) { summarize(s, rejected, r); });
    each(db, "SELECT id, name FROM client WHERE name IS NOT NULL AND " + clientScope("id"), ids,
         [&](SQLite::Statement& q) {
           if (const auto it = s.tenants.find(q.getColumn(0).getString()); it != s.tenants.end())
             it->second.name = q.getColumn(1).getString();
         });
    return s;
  }
  each(db,
       std::string("SELECT client_id, status, count(*), sum(ambiguous), sum(link) FROM plan_lead WHERE ") +
           clientScope("client_id") + " GROUP BY client_id, status",
       ids, [&](SQLite::Statement& q) {
         auto& t = s.tenants[q.getColumn(0).getString()];
         const auto n = q.getColumn(2).getInt64();
         t.by_status[q.getColumn(1).getString()] += n;
         t.leads += n;
         t.ambiguous += q.getColumn(3).getInt64();
         t.links += q.getColumn(4).getInt64();
       });
  each(db,
       std::string("SELECT p.client_id, i.field, count(*) FROM plan_item i JOIN plan_lead p USING (lead_id) "
                   "WHERE ") +
           clientScope("client_id") + " GROUP BY p.client_id, i.field",
       ids, [&](SQLite::Statement& q) {
         s.tenants[q.getColumn(0).getString()].fields[q.getColumn(1).getString()] = q.getColumn(2).getInt64();
       });
  each(db,
       std::string("SELECT p.client_id, r.field || ':' || r.reason, count(*) FROM plan_report r "
                   "JOIN plan_lead p USING (lead_id) WHERE ") +
           clientScope("client_id") + " GROUP BY 1, 2",
       ids, [&](SQLite::Statement& q) {
         s.tenants[q.getColumn(0).getString()].reported[q.getColumn(1).getString()] =
             q.getColumn(2).getInt64();
       });
  completeReview(db, ids, s);
  return s;
}

ReviewSummary countedReview(SQLite::Database& db, const std::vector<std::string>& ids,
                            std::map<std::string, TenantReview> counted) {
  ReviewSummary s;
  s.tenants = std::move(counted);
  for (const auto& [id, t] : s.tenants) s.leads_in_plan += t.leads;
  completeReview(db, ids, s);
  return s;
}

void sqliteWithoutCallMutex() {
  sqlite3_config(SQLITE_CONFIG_MULTITHREAD);  // SQLITE_MISUSE once initialized: nothing changes
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

std::string displayText(std::string_view s, size_t max_chars) {
  // One unit per input character: what is shown for it (an escape for a control character or a
  // byte that is not UTF-8). Cut between units, so an escape is never split.
  std::vector<std::string> units;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80             ? 1
                       : (c & 0xE0) == 0xC0 ? 2
                       : (c & 0xF0) == 0xE0 ? 3
                       : (c & 0xF8) == 0xF0 ? 4
                                            : 0;
    if (len == 0 || i + len > s.size() || !isCleanText(s.substr(i, len))) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      units.emplace_back(c < 0x80 ? escapeControl(s.substr(i, 1)) : std::string(buf));
      ++i;
      continue;
    }
    std::uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
    for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    if (len == 1) {
      units.push_back(escapeControl(s.substr(i, 1)));
    } else if ((cp >= 0x80 && cp < 0xA0) || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
               (cp >= 0x2066 && cp <= 0x2069)) {
      char buf[12];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
      units.emplace_back(buf);
    } else {
      units.emplace_back(s.substr(i, len));
    }
    i += len;
  }
  // Width: an escape counts its characters, any other character one (wide CJK is not measured).
  const auto width = [](const std::string& u) { return u.size() > 1 && u[0] == '\\' ? u.size() : size_t{1}; };
  size_t total = 0;
  for (const auto& u : units) total += width(u);
  std::string out;
  if (total <= max_chars) {
    for (const auto& u : units) out += u;
    return out;
  }
  size_t used = 0;
  for (const auto& u : units) {
    if (used + width(u) + 1 > max_chars) break;
    out += u;
    used += width(u);
  }
  return out + "\xE2\x80\xA6";  // U+2026
}

namespace {

using Counts = std::map<std::string, std::int64_t>;

constexpr size_t kLabelWidth = 26;  // "T1 " and the tenant's name, cut
constexpr size_t kLineWidth = 100;  // the review stays within about this many columns

std::int64_t countOf(const Counts& m, const std::string& key) {
  const auto it = m.find(key);
  return it == m.end() ? 0 : it->second;
}

// "T1".."Tn" in tenant id order: the short names the tables use, resolved by the legend.
std::map<std::string, std::string> tenantKeys(const ReviewSummary& s) {
  std::map<std::string, std::string> keys;
  for (const auto& [id, t] : s.tenants) keys[id] = "T" + std::to_string(keys.size() + 1);
  return keys;
}

// Pads S (already safe for a terminal) to WIDTH characters (UTF-8 sequences count one).
std::string padRight(const std::string& s, size_t width) {
  size_t chars = 0;
  for (const char c : s) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return chars >= width ? s : s + std::string(width - chars, ' ');
}

std::string rowLabel(const std::string& key, const std::string& id, const TenantReview& t) {
  const size_t room = kLabelWidth - key.size() - 2;
  return padRight(key + " " + displayText(t.name ? *t.name : id, room), kLabelWidth);
}

// One table of the review: a row per tenant (its key and name), a column per key, a TOTAL row.
void printTable(std::ostream& out, const std::string& title, const std::vector<std::string>& cols,
                const ReviewSummary& s, const std::function<const Counts(const TenantReview&)>& row) {
  const auto keys = tenantKeys(s);
  out << title << "\n" << padRight("tenant", kLabelWidth);
  const auto width = [](const std::string& c) { return static_cast<int>(std::max<size_t>(c.size(), 6) + 1); };
  for (const auto& c : cols) out << std::right << std::setw(width(c)) << c;
  out << "\n";
  Counts sum;
  for (const auto& [id, t] : s.tenants) {
    const Counts counts = row(t);
    out << rowLabel(keys.at(id), id, t);
    for (const auto& c : cols) {
      sum[c] += countOf(counts, c);
      out << std::right << std::setw(width(c)) << countOf(counts, c);
    }
    out << "\n";
  }
  out << padRight("TOTAL", kLabelWidth);
  for (const auto& c : cols) out << std::right << std::setw(width(c)) << sum[c];
  out << "\n";
}

// The column of field F in "Values to write": the enrichment trio shares one ("enrichment").
std::string valueColumn(const std::string& field) {
  const FieldSpec* f = findField(field);
  return f && f->kind == FieldKind::kEnrichment ? "enrichment" : field;
}

std::string filterLine(const ReviewFilter& f) {
  std::string out;
  const auto add = [&out](const char* flag, const std::vector<std::string>& v) {
    for (const auto& x : v) out += std::string(" ") + flag + " " + displayText(x, 40);
  };
  add("--lead", f.leads);
  add("--field", f.fields);
  add("--outcome", f.outcomes);
  return out;
}

std::string shown(const std::optional<std::string>& v) {
  return v ? "\"" + displayText(*v, 200) + "\"" : "(null)";
}

void printLeadDetail(const LeadReview& r, std::ostream& out) {
  out << "Lead " << displayText(r.lead_id, 80) << "\n";
  out << "  tenant:     " << displayText(r.client_id, 40);
  if (r.client_name) out << "  " << displayText(*r.client_name, 40);
  out << "\n  status:     " << r.status << (r.note.empty() ? "" : " (" + displayText(r.note, 40) + ")")
      << (r.ambiguous ? ", ambiguous email" : "") << "\n";
  if (r.contact_id)
    out << "  contact:    " << displayText(*r.contact_id, 64) << (r.link ? " (to link)" : "") << "\n";
  if (r.other_lead)
    out << "  other lead: " << displayText(*r.other_lead, 64)
        << (r.status == plan_status::kWaiting ? " (waited for)" : " (holds or takes the contact)") << "\n";
  if (!r.candidates.empty()) {
    out << "  candidates:";
    for (const auto& c : r.candidates) out << " " << displayText(c, 64);
    out << " (the first is taken)\n";
  }
  for (const auto& c : r.changes)
    out << "  to write:   " << c.field << ": " << shown(c.old_value) << " -> " << shown(c.new_value) << "\n";
  for (const auto& [field, reason] : r.reports) out << "  reported:   " << field << ": " << reason << "\n";
  for (const auto& a : r.applied)
    out << "  applied:    " << a.field << ": " << displayText(a.outcome, 20) << " " << shown(a.value) << "\n";
}

// One line per lead (wrapped within kLineWidth): ids and reason codes, never a value.
void printLeadLine(const LeadReview& r, std::ostream& out) {
  std::vector<std::string> fields;
  for (const auto& c : r.changes)
    if (!contains(fields, valueColumn(c.field))) fields.push_back(valueColumn(c.field));
  for (const auto& [field, reason] : r.reports) fields.push_back(field + ":" + displayText(reason, 40));
  std::vector<std::string> parts = {displayText(r.lead_id, 40), r.status};
  if (!r.note.empty() && r.note != r.status) parts.back() += " (" + displayText(r.note, 40) + ")";
  if (r.other_lead) parts.push_back("other=" + displayText(*r.other_lead, 40));
  if (!r.candidates.empty()) parts.push_back("candidates=" + std::to_string(r.candidates.size()));
  if (!fields.empty()) parts.push_back(joined(fields, ","));
  std::string line = "  " + parts[0];
  for (size_t i = 1; i < parts.size(); ++i) {
    if (line.size() + 2 + parts[i].size() > kLineWidth) {
      out << line << "\n";
      line = "     ";
    }
    line += "  " + parts[i];
  }
  out << line << "\n";
}

}  // namespace

void printReview(const ReviewSummary& s, std::ostream& out) {
  std::int64_t leads = 0;
  std::set<std::string> applied, reported;
  std::set<size_t> field_ranks;
  for (const auto& [id, t] : s.tenants) {
    leads += t.leads;
    for (const auto& [f, n] : t.fields)
      if (n > 0) field_ranks.insert(fieldRank(f));
    for (const auto& [o, n] : t.applied) applied.insert(o);
    for (const auto& [r, n] : t.reported) reported.insert(r);
  }
  out << "Review: " << leads << " leads in " << s.tenants.size() << " tenants";
  if (s.plan_id) out << "; plan " << s.plan_id << " (inputs " << s.fingerprint << ")";
  out << "\n";
  if (!s.filter.empty())
    out << "Filtered:" << filterLine(s.filter) << " (" << leads << " of " << s.leads_in_plan
        << " leads; the plan and the exit status cover them all)\n";
  out << "\nTenants\n";
  const auto keys = tenantKeys(s);
  for (const auto& [id, t] : s.tenants) {
    const std::string head = "  " + padRight(keys.at(id), 4) + " " + escapeControl(id);
    const size_t room =
        head.size() + 2 < kLineWidth ? std::max<size_t>(kLineWidth - head.size() - 2, 12) : 12;
    out << head << (t.name ? "  " + displayText(*t.name, room) : std::string()) << "\n";
  }
  out << "\n";
  // Two tables of six columns each, so that each fits within about 100 columns.
  const std::vector<std::string> final_cols = {plan_status::kFill,     plan_status::kNothing,
                                               plan_status::kApplied,  plan_status::kNotFound,
                                               plan_status::kConflict, "ambiguous"};
  const std::vector<std::string> other_cols = {plan_status::kNoLookup,    plan_status::kInvalidId,
                                               plan_status::kContactGone, plan_status::kError,
                                               plan_status::kPending,     plan_status::kWaiting};
  const auto statuses = [](const TenantReview& t) {
    Counts c = t.by_status;
    c["ambiguous"] = t.ambiguous;
    return c;
  };
  printTable(out, "Leads by outcome (per tenant; ambiguous leads are counted in their outcome too)",
             final_cols, s, statuses);
  out << "\n";
  printTable(out, "Leads without a contact to fill from, or not final yet (per tenant)", other_cols, s,
             statuses);
  out << "\n";
  std::vector<std::string> value_cols;
  for (const size_t r : field_ranks) {
    const std::string col = r < std::size(kFields) ? valueColumn(kFields[r].name) : std::string();
    if (!col.empty() && !contains(value_cols, col)) value_cols.push_back(col);
  }
  if (value_cols.empty())
    out << "Values to write: none\n";
  else
    printTable(out,
               "Values to write (per tenant and field; what apply already wrote is not listed again;\n"
               "enrichment: enrichmentStatus, enrichmentSource and enrichedAt, set with a phone)",
               value_cols, s, [](const TenantReview& t) {
                 Counts c;
                 for (const auto& [f, n] : t.fields) {
                   auto& v = c[valueColumn(f)];
                   v = std::max(v, n);  // the trio counts once per lead
                 }
                 return c;
               });
  std::int64_t rejected = 0;
  for (const auto& [id, t] : s.tenants)
    for (const auto& [f, n] : t.rejected) rejected += n;
  if (rejected)
    out << "Rejected in review, never written: " << rejected
        << " values ('ghl-backfill review' lists the changes by state)\n";
  if (!reported.empty()) {
    out << "\nReported, not written\n";
    for (const auto& r : reported) {
      std::int64_t n = 0;
      for (const auto& [id, t] : s.tenants) n += countOf(t.reported, r);
      out << "  " << displayText(r, 60) << ": " << n << "\n";
    }
  }
  out << "\n";
  if (applied.empty()) {
    out << "Applied so far (fields, per tenant and outcome): nothing yet\n";
    return;
  }
  printTable(out, "Applied so far (fields, per tenant and outcome):", {applied.begin(), applied.end()}, s,
             [](const TenantReview& t) { return t.applied; });
}

void printLeadReviews(SQLite::Database& db, const std::vector<std::string>& ids, const ReviewFilter& filter,
                      std::ostream& out, std::int64_t max_lines) {
  std::int64_t n = 0;
  const bool detail = !filter.leads.empty();
  out << "\n"
      << (detail ? "Leads in detail (values are personal data: do not paste them into tickets)\n"
                 : "Leads (ids and reasons; --lead ID shows one in detail, --export FILE lists all)\n");
  forEachLeadReview(db, ids, filter, [&](const LeadReview& r) {
    ++n;
    if (n > max_lines) return;
    if (detail)
      printLeadDetail(r, out);
    else
      printLeadLine(r, out);
  });
  if (n == 0) out << "  no lead matches\n";
  if (n > max_lines) out << "  ... and " << (n - max_lines) << " more (" << n << " in all)\n";
}

}  // namespace ghlb
