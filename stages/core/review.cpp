#include "review.h"

#include <iomanip>
#include <ostream>
#include <set>

#include "json_util.h"
#include "plan.h"
#include "work_db.h"

namespace ghlb {
namespace {

const std::vector<std::string>& statusColumns() {
  static const std::vector<std::string> cols = {
      plan_status::kFill,      plan_status::kNothing,    plan_status::kNotFound,
      plan_status::kConflict,  plan_status::kNoLookup,   plan_status::kInvalidId,
      plan_status::kContactGone, plan_status::kError,    plan_status::kPending};
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
                   "WHERE ") + clientScope("client_id") + " GROUP BY p.client_id, i.field",
       ids, [&](SQLite::Statement& q) {
         s.tenants[q.getColumn(0).getString()].fields[q.getColumn(1).getString()] = q.getColumn(2).getInt64();
       });
  each(db,
       std::string("SELECT p.client_id, r.field || ':' || r.reason, count(*) FROM plan_report r "
                   "JOIN plan_lead p USING (lead_id) WHERE ") + clientScope("client_id") + " GROUP BY 1, 2",
       ids, [&](SQLite::Statement& q) {
         s.tenants[q.getColumn(0).getString()].reported[q.getColumn(1).getString()] = q.getColumn(2).getInt64();
       });
  each(db,
       std::string("SELECT l.client_id, a.outcome, count(*) FROM apply_log a JOIN lead l ON l.id = a.lead_id "
                   "WHERE ") + clientScope("l.client_id") + " GROUP BY 1, 2",
       ids, [&](SQLite::Statement& q) {
         s.tenants[q.getColumn(0).getString()].applied[q.getColumn(1).getString()] = q.getColumn(2).getInt64();
       });
  return s;
}

void printReview(const ReviewSummary& s, std::ostream& out) {
  const auto& cols = statusColumns();
  std::int64_t leads = 0;
  for (const auto& [id, t] : s.tenants) leads += t.leads;
  out << "Review: " << leads << " leads in " << s.tenants.size() << " tenants\n\n";
  out << "Leads by outcome (per tenant)\n" << std::left << std::setw(38) << "tenant";
  for (const auto& c : cols) out << std::right << std::setw(static_cast<int>(std::max<size_t>(c.size(), 6) + 2)) << c;
  out << std::setw(11) << "ambiguous" << "\n";
  std::map<std::string, std::int64_t> totals;
  for (const auto& [id, t] : s.tenants) {
    out << std::left << std::setw(38) << id;
    for (const auto& c : cols) {
      const auto it = t.by_status.find(c);
      const std::int64_t n = it == t.by_status.end() ? 0 : it->second;
      totals[c] += n;
      out << std::right << std::setw(static_cast<int>(std::max<size_t>(c.size(), 6) + 2)) << n;
    }
    totals["ambiguous"] += t.ambiguous;
    out << std::setw(11) << t.ambiguous << "\n";
  }
  out << std::left << std::setw(38) << "TOTAL";
  for (const auto& c : cols) out << std::right << std::setw(static_cast<int>(std::max<size_t>(c.size(), 6) + 2)) << totals[c];
  out << std::setw(11) << totals["ambiguous"] << "\n\n";

  std::set<std::string> fields, applied, reported;
  for (const auto& [id, t] : s.tenants) {
    for (const auto& [f, n] : t.fields) fields.insert(f);
    for (const auto& [o, n] : t.applied) applied.insert(o);
    for (const auto& [r, n] : t.reported) reported.insert(r);
  }
  out << "Values to write (per tenant and field)\n" << std::left << std::setw(38) << "tenant";
  for (const auto& f : fields) out << std::right << std::setw(static_cast<int>(f.size() + 2)) << f;
  out << "\n";
  for (const auto& [id, t] : s.tenants) {
    out << std::left << std::setw(38) << id;
    for (const auto& f : fields) {
      const auto it = t.fields.find(f);
      out << std::right << std::setw(static_cast<int>(f.size() + 2)) << (it == t.fields.end() ? 0 : it->second);
    }
    out << "\n";
  }
  if (!reported.empty()) {
    out << "\nReported, not written\n";
    for (const auto& r : reported) {
      std::int64_t n = 0;
      for (const auto& [id, t] : s.tenants) {
        const auto it = t.reported.find(r);
        if (it != t.reported.end()) n += it->second;
      }
      out << "  " << r << ": " << n << "\n";
    }
  }
  out << "\nApplied so far (fields, per tenant and outcome):";
  if (applied.empty()) {
    out << " nothing yet\n";
    return;
  }
  out << "\n" << std::left << std::setw(38) << "tenant";
  for (const auto& o : applied) out << std::right << std::setw(static_cast<int>(o.size() + 2)) << o;
  out << "\n";
  for (const auto& [id, t] : s.tenants) {
    out << std::left << std::setw(38) << id;
    for (const auto& o : applied) {
      const auto it = t.applied.find(o);
      out << std::right << std::setw(static_cast<int>(o.size() + 2)) << (it == t.applied.end() ? 0 : it->second);
    }
    out << "\n";
  }
  out << std::left << std::setw(38) << "TOTAL";
  for (const auto& o : applied) out << std::right << std::setw(static_cast<int>(o.size() + 2)) << s.totalApplied(o);
  out << "\n";
}

}  // namespace ghlb
