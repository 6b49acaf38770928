#include "decision_store.h"

#include <algorithm>
#include <set>
#include <string_view>

#include "fields.h"
#include "json_util.h"
#include "raw_query.h"
#include "work_db.h"

namespace ghlb {
namespace {

// All or none, inside the caller's transaction when there is one (review --dry-run rolls back).
class Savepoint {
 public:
  explicit Savepoint(SQLite::Database& db) : db_(db) { db_.exec("SAVEPOINT ghlb_decision"); }
  ~Savepoint() {
    if (done_) return;
    try {
      db_.exec("ROLLBACK TO ghlb_decision");
      db_.exec("RELEASE ghlb_decision");
    } catch (...) {  // a destructor never throws: the outer transaction, if any, still rolls back
    }
  }
  void release() {
    db_.exec("RELEASE ghlb_decision");
    done_ = true;
  }

 private:
  SQLite::Database& db_;
  bool done_ = false;
};

// Leads in the work DB's scope (table lead has every lead a plan can hold).
std::string leadInScope(const char* lead_column) {
  return std::string(lead_column) + " IN (SELECT l.id FROM lead l WHERE " + clientScope("l.client_id") + ")";
}

void addCount(std::map<ChangeState, std::int64_t>& m, ChangeState s) { ++m[s]; }

}  // namespace

std::vector<ChangeRow> DecisionStore::loadChanges(const std::vector<std::string>& client_ids,
                                                  bool decided_only) {
  std::vector<ChangeRow> rows;
  eachChange(client_ids, decided_only, [&rows](const ChangeRow& r) { rows.push_back(r); });
  return rows;
}

namespace {

// kFields in name order (BINARY, byte order): the order of one lead's changes (ORDER BY field).
const std::vector<size_t>& fieldsByName() {
  static const std::vector<size_t> order = [] {
    std::vector<size_t> v(std::size(kFields));
    for (size_t i = 0; i < v.size(); ++i) v[i] = i;
    std::sort(v.begin(), v.end(), [](size_t a, size_t b) {
      return std::string_view(kFields[a].name) < std::string_view(kFields[b].name);
    });
    return v;
  }();
  return order;
}

}  // namespace

std::string newValueColumns() {
  std::string out;
  for (const auto& f : kFields) out += std::string(out.empty() ? "" : ", ") + f.name + "_new";
  return out;
}

LeadRows::LeadRows(SQLite::Database& db, const std::string& sql, const std::string& scope) : q_(db, sql) {
  if (!scope.empty()) q_.bind(1, scope);
  next();
}

LeadChanges::LeadChanges(SQLite::Database& db, const std::vector<std::string>& client_ids)
    : in_scope_(client_ids.begin(), client_ids.end()),
      plan_of_(db, "SELECT lead_id, client_id, status, ambiguous, " + newValueColumns() +
                       " FROM plan_row WHERE lead_id = ?"),
      tenant_of_(db, "SELECT client_id FROM lead WHERE id = ?") {}

std::span<const ChangeRow> LeadChanges::rows(const std::string& lead, const PlanFacts* plan,
                                             const std::vector<KeyedRow>& applied, LeadRows& decisions) {
  // plan_item's fields of the lead whether or not in scope (a planned field is never branch 2).
  const PlanFacts* planned = plan;
  if (!planned && !applied.empty()) {
    plan_of_.bind(1, lead);
    if (plan_of_.step()) {
      other_.read(plan_of_, 2);
      planned = &other_;
    }
    plan_of_.reset();
  }
  n_ = 0;
  // Branch 1: the plan's changes (in scope: the plan stream is), in field name order.
  if (plan)
    for (const size_t i : fieldsByName()) {
      if (!plan->has[i]) continue;
      ChangeRow& r = add();
      r.lead_id = lead;
      r.client_id = plan->client_id;
      r.plan_status = plan->status;
      r.ambiguous = plan->ambiguous;
      r.facts.field = kFields[i].name;
      r.facts.new_value = plan->value[i];
    }
  const size_t planned_rows = n_;
  // Branch 2: what apply settled that plan_item does not hold, in scope by the lead's tenant.
  std::optional<std::string> tenant;
  bool tenant_read = false;
  for (const auto& a : applied) {
    if (planned && planned->plans(a.field)) continue;
    if (!tenant_read) {
      tenant_read = true;
      tenant_of_.bind(1, lead);
      if (tenant_of_.step()) tenant = std::string(tenant_of_.textOr(0));
      tenant_of_.reset();
    }
    if (!tenant || (!in_scope_.empty() && !in_scope_.count(*tenant))) break;
    ChangeRow& r = add();
    r.lead_id = lead;
    r.client_id = *tenant;
    r.plan_status = planned ? planned->status : std::string();
    r.ambiguous = planned && planned->ambiguous;
    r.facts.field = a.field;
    r.facts.new_value = a.b.value_or("");
  }
  const auto begin = rows_.begin();
  const auto end = begin + static_cast<std::ptrdiff_t>(n_);
  if (n_ > planned_rows)  // both in field order: merge them (ORDER BY lead, field)
    std::inplace_merge(begin, begin + static_cast<std::ptrdiff_t>(planned_rows), end,
                       [](const ChangeRow& x, const ChangeRow& y) { return x.facts.field < y.facts.field; });
  // Apply outcomes of the plan's rows.
  for (size_t i = 0; i < n_ && !applied.empty(); ++i)
    for (const auto& a : applied)
      if (a.field == rows_[i].facts.field) rows_[i].facts.apply_outcome = a.a;
  if (n_ == 0) return {};
  decisions.take(lead, decided_);
  if (decided_.empty()) {  // no decision: none in force (effectiveDecisions of nothing)
    for (size_t i = 0; i < n_; ++i)
      rows_[i].state = deriveState(rows_[i].plan_status, std::nullopt, rows_[i].facts.apply_outcome);
  } else {
    for (size_t i = 0; i < n_; ++i)
      for (const auto& d : decided_)
        if (d.field == rows_[i].facts.field) {
          rows_[i].facts.decision = decisionFromString(d.a);
          rows_[i].facts.decision_value = d.b;
        }
    facts_.clear();
    for (size_t i = 0; i < n_; ++i) facts_.push_back(rows_[i].facts);
    const auto effective = effectiveDecisions(facts_);
    for (size_t i = 0; i < n_; ++i) {
      rows_[i].effective = effective[i];
      rows_[i].state = deriveState(rows_[i].plan_status, rows_[i].effective, rows_[i].facts.apply_outcome);
    }
  }
  return {rows_.data(), n_};
}

void DecisionStore::eachChange(const std::vector<std::string>& client_ids, bool decided_only,
                               const std::function<void(const ChangeRow&)>& f) {
  eachLead(client_ids, decided_only, [&f](std::span<const ChangeRow> rows) {
    for (const ChangeRow& r : rows) f(r);
  });
}

void DecisionStore::eachLead(const std::vector<std::string>& client_ids, bool decided_only,
                             const std::function<void(std::span<const ChangeRow>)>& f) {
  // No decision at all (a plan before any review): no decided change, without a pass over the plan.
  if (decided_only && db_.execAndGet("SELECT NOT EXISTS (SELECT 1 FROM decision)").getInt() != 0) return;
  // One pass in lead id order that merges three ordered reads, each of its own table, with no sort
  // and no join per value (the plan_item view joined with plan_lead, decision and apply_log and
  // sorted took 16 s of CPU at 887k leads): plan_row (a lead's changes are its non-NULL <field>_new),
  // apply_log and decision, both read in primary-key order. The rows are those of the query it
  // replaces (the unit test keeps it as the reference): a change of plan_item in scope by
  // plan_lead.client_id, with its decision and apply outcome; then each apply_log row whose
  // (lead, field) plan_item does not hold, in scope by lead.client_id; ordered by lead id, then field.
  const std::string scope = client_ids.empty() ? std::string() : jsonStringArray(client_ids);
  std::vector<std::string> plan_where, keyed_where;
  if (!scope.empty()) {
    plan_where.push_back("client_id IN (SELECT value FROM json_each(?1))");
    // The leads either branch can hold: in scope by the plan's tenant or by the lead's.
    keyed_where.push_back(
        "lead_id IN (SELECT id FROM lead WHERE client_id IN (SELECT value FROM json_each(?1)) UNION ALL "
        "SELECT lead_id FROM plan_row WHERE client_id IN (SELECT value FROM json_each(?1)))");
  }
  if (decided_only) {
    // IN: SQLite reads the decided leads first (cost in proportion to the decisions).
    plan_where.push_back("lead_id IN (SELECT x.lead_id FROM decision x)");
    keyed_where.push_back("lead_id IN (SELECT x.lead_id FROM decision x)");
  }
  const auto where = [](const std::vector<std::string>& conds) {
    std::string out;
    for (const auto& c : conds) out += (out.empty() ? " WHERE " : " AND ") + c;
    return out;
  };
  RawQuery plan(db_, "SELECT lead_id, client_id, status, ambiguous, " + newValueColumns() + " FROM plan_row" +
                         where(plan_where) + " ORDER BY lead_id");
  if (!scope.empty()) plan.bind(1, scope);
  LeadRows applied(db_,
                   "SELECT lead_id, field, outcome, new_value FROM apply_log" + where(keyed_where) +
                       " ORDER BY lead_id, field",
                   scope);
  LeadRows decisions(db_,
                     "SELECT lead_id, field, decision, new_value FROM decision" + where(keyed_where) +
                         " ORDER BY lead_id, field",
                     scope);
  LeadChanges changes(db_, client_ids);
  PlanFacts p;
  const auto readPlan = [&] {
    if (!plan.step()) return false;
    p.lead_id.assign(plan.textOr(0));
    p.client_id.assign(plan.textOr(1));
    p.read(plan, 2);
    return true;
  };
  bool plan_more = readPlan();
  std::vector<KeyedRow> lead_applied;
  std::string lead;
  while (plan_more || applied.more()) {
    const bool from_plan = plan_more && (!applied.more() || p.lead_id <= applied.lead());
    lead = from_plan ? p.lead_id : applied.lead();
    applied.take(lead, lead_applied);
    if (const auto rows = changes.rows(lead, from_plan ? &p : nullptr, lead_applied, decisions);
        !rows.empty())
      f(rows);
    if (from_plan) plan_more = readPlan();
  }
}

void DecisionStore::set(const std::vector<DecisionKey>& keys, Decision d, const std::string& at) {
  Savepoint sp(db_);
  SQLite::Statement ins(db_,
                        "INSERT OR REPLACE INTO decision(lead_id, field, new_value, decision, decided_at) "
                        "VALUES (?, ?, ?, ?, ?)");
  const std::string name(toString(d));
  for (const auto& k : keys) {
    ins.bind(1, k.lead_id);
    ins.bind(2, k.field);
    ins.bind(3, k.new_value);
    ins.bind(4, name);
    ins.bind(5, at);
    ins.exec();
    ins.reset();
  }
  sp.release();
}

void DecisionStore::reset(const std::vector<DecisionKey>& keys) {
  Savepoint sp(db_);
  SQLite::Statement del(db_, "DELETE FROM decision WHERE lead_id = ? AND field = ?");
  for (const auto& k : keys) {
    del.bind(1, k.lead_id);
    del.bind(2, k.field);
    del.exec();
    del.reset();
  }
  sp.release();
}

std::int64_t DecisionStore::reconcile(const std::vector<std::string>& client_ids) {
  // No decision (the usual case before a review): nothing to look at, not even the scope's leads.
  if (db_.execAndGet("SELECT NOT EXISTS (SELECT 1 FROM decision)").getInt() != 0) return 0;
  SQLite::Statement del(db_,
                        "DELETE FROM decision WHERE " + leadInScope("decision.lead_id") +
                            " AND NOT EXISTS (SELECT 1 FROM plan_item i WHERE i.lead_id = decision.lead_id "
                            "AND i.field = decision.field AND i.new_value = decision.new_value)");
  bindClientScope(del, client_ids);
  return del.exec();
}

void countState(StateCounts& c, const ChangeRow& r) {
  addCount(c.totals, r.state);
  addCount(c.by_tenant[r.client_id], r.state);
  addCount(c.by_field[r.facts.field], r.state);
}

void StateTally::add(const ChangeRow& r) { count(r, r.state, 1); }

void StateTally::move(const ChangeRow& r, ChangeState from, ChangeState to) {
  if (from == to) return;
  count(r, from, -1);
  count(r, to, 1);
}

void StateTally::count(const ChangeRow& r, ChangeState state, std::int64_t d) {
  const auto s = static_cast<size_t>(state);
  totals_[s] += d;
  if (!tenant_ || r.client_id != last_tenant_) {
    last_tenant_ = r.client_id;
    tenant_ = &by_tenant_[r.client_id];
  }
  (*tenant_)[s] += d;
  for (auto& [field, row] : by_field_)
    if (field == r.facts.field) {
      row[s] += d;
      return;
    }
  by_field_.emplace_back(r.facts.field, Row{});
  by_field_.back().second[s] += d;
}

StateCounts StateTally::counts() const {
  // Only the states seen, as countState's maps hold them.
  const auto states = [](const Row& row) {
    std::map<ChangeState, std::int64_t> m;
    for (const auto s : kChangeStates)
      if (row[static_cast<size_t>(s)]) m[s] = row[static_cast<size_t>(s)];
    return m;
  };
  StateCounts c;
  c.totals = states(totals_);
  for (const auto& [tenant, row] : by_tenant_) c.by_tenant[tenant] = states(row);
  for (const auto& [field, row] : by_field_) c.by_field[field] = states(row);
  return c;
}

StateCounts countStates(const std::vector<ChangeRow>& rows) {
  StateCounts c;
  for (const auto& r : rows) countState(c, r);
  return c;
}

StateCounts DecisionStore::countsByState(const std::vector<std::string>& client_ids) {
  StateTally t;
  eachChange(client_ids, false, [&t](const ChangeRow& r) { t.add(r); });
  return t.counts();
}

DecisionHold::DecisionHold(SQLite::Database& db, const std::vector<std::string>& client_ids,
                           bool only_approved)
    : only_approved_(only_approved) {
  // Streamed, as rejectedChanges: a vector of every decided change first took 160 MB at 284,000.
  DecisionStore(db).eachChange(client_ids, /*decided_only=*/true, [this](const ChangeRow& row) {
    effective_[row.lead_id][row.facts.field] = row.effective;
  });
}

}  // namespace ghlb
