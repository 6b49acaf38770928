#include "review.h"

#include <algorithm>
#include <functional>
#include <iomanip>
#include <ostream>
#include <set>

#include "json_util.h"
#include "plan.h"
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

}  // namespace

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

ReviewSummary loadReview(SQLite::Database& db, const std::vector<std::string>& ids) {
  ReviewSummary s;
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
  each(db,
       std::string("SELECT l.client_id, a.outcome, count(*) FROM apply_log a JOIN lead l ON l.id = a.lead_id "
                   "WHERE ") +
           clientScope("l.client_id") + " GROUP BY 1, 2",
       ids, [&](SQLite::Statement& q) {
         s.tenants[q.getColumn(0).getString()].applied[q.getColumn(1).getString()] =
             q.getColumn(2).getInt64();
       });
  return s;
}

namespace {

using Counts = std::map<std::string, std::int64_t>;

std::int64_t countOf(const Counts& m, const std::string& key) {
  const auto it = m.find(key);
  return it == m.end() ? 0 : it->second;
}

// One table of the review: a row per tenant, a column per key, and optionally a TOTAL row.
void printTable(std::ostream& out, const std::string& title, const std::vector<std::string>& cols,
                const ReviewSummary& s, const std::function<const Counts(const TenantReview&)>& row,
                bool total) {
  out << title << "\n" << std::left << std::setw(38) << "tenant";
  const auto width = [](const std::string& c) { return static_cast<int>(std::max<size_t>(c.size(), 6) + 2); };
  for (const auto& c : cols) out << std::right << std::setw(width(c)) << c;
  out << "\n";
  Counts sum;
  for (const auto& [id, t] : s.tenants) {
    const Counts counts = row(t);
    out << std::left << std::setw(38) << escapeControl(id);  // a tenant row's id: never raw on a terminal
    for (const auto& c : cols) {
      sum[c] += countOf(counts, c);
      out << std::right << std::setw(width(c)) << countOf(counts, c);
    }
    out << "\n";
  }
  if (total) {
    out << std::left << std::setw(38) << "TOTAL";
    for (const auto& c : cols) out << std::right << std::setw(width(c)) << sum[c];
    out << "\n";
  }
}

}  // namespace

void printReview(const ReviewSummary& s, std::ostream& out) {
  std::int64_t leads = 0;
  std::set<std::string> fields, applied, reported;
  for (const auto& [id, t] : s.tenants) {
    leads += t.leads;
    for (const auto& [f, n] : t.fields) fields.insert(f);
    for (const auto& [o, n] : t.applied) applied.insert(o);
    for (const auto& [r, n] : t.reported) reported.insert(r);
  }
  out << "Review: " << leads << " leads in " << s.tenants.size() << " tenants";
  if (s.plan_id) out << "; plan " << s.plan_id << " (inputs " << s.fingerprint << ")";
  out << "\n\n";
  std::vector<std::string> status_cols = statusColumns();
  status_cols.emplace_back("ambiguous");
  printTable(
      out, "Leads by outcome (per tenant)", status_cols, s,
      [](const TenantReview& t) {
        Counts c = t.by_status;
        c["ambiguous"] = t.ambiguous;
        return c;
      },
      /*total=*/true);
  out << "\n";
  printTable(
      out, "Values to write (per tenant and field; what apply already wrote is not listed again)",
      {fields.begin(), fields.end()}, s, [](const TenantReview& t) { return t.fields; }, /*total=*/true);
  if (!reported.empty()) {
    out << "\nReported, not written\n";
    for (const auto& r : reported) {
      std::int64_t n = 0;
      for (const auto& [id, t] : s.tenants) n += countOf(t.reported, r);
      out << "  " << r << ": " << n << "\n";
    }
  }
  out << "\n";
  if (applied.empty()) {
    out << "Applied so far (fields, per tenant and outcome): nothing yet\n";
    return;
  }
  printTable(
      out, "Applied so far (fields, per tenant and outcome):", {applied.begin(), applied.end()}, s,
      [](const TenantReview& t) { return t.applied; }, /*total=*/true);
}

}  // namespace ghlb
