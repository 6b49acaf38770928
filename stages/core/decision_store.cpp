#include "decision_store.h"

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

void DecisionStore::eachChange(const std::vector<std::string>& client_ids, bool decided_only,
                               const std::function<void(const ChangeRow&)>& f) {
  // No decision at all (a plan before any review): no decided change, without a pass over the plan.
  if (decided_only && db_.execAndGet("SELECT NOT EXISTS (SELECT 1 FROM decision)").getInt() != 0) return;
  const auto decided = [decided_only](const char* lead) {
    // IN, not a correlated EXISTS: SQLite then reads the decided leads first (cost in proportion
    // to the decisions; EXISTS scanned every plan_item row, 1.6 s at 1M leads).
    return decided_only ? std::string(" AND ") + lead + " IN (SELECT x.lead_id FROM decision x)"
                        : std::string();
  };
  // The plan's changes, then what apply settled that the plan no longer lists (dropApplied).
  SQLite::Statement q(
      db_,
      "SELECT i.lead_id, p.client_id, p.status, p.ambiguous, i.field, i.new_value, d.decision, "
      "d.new_value, a.outcome FROM plan_item i JOIN plan_lead p ON p.lead_id = i.lead_id "
      "LEFT JOIN decision d ON d.lead_id = i.lead_id AND d.field = i.field "
      "LEFT JOIN apply_log a ON a.lead_id = i.lead_id AND a.field = i.field WHERE " +
          clientScope("p.client_id") + decided("i.lead_id") +
          " UNION ALL "
          "SELECT a.lead_id, l.client_id, coalesce(p.status, ''), coalesce(p.ambiguous, 0), a.field, "
          "coalesce(a.new_value, ''), d.decision, d.new_value, a.outcome FROM apply_log a "
          "JOIN lead l ON l.id = a.lead_id LEFT JOIN plan_lead p ON p.lead_id = a.lead_id "
          "LEFT JOIN decision d ON d.lead_id = a.lead_id AND d.field = a.field "
          "WHERE NOT EXISTS (SELECT 1 FROM plan_item i WHERE i.lead_id = a.lead_id AND i.field = a.field) "
          "AND " +
          clientScope("l.client_id") + decided("a.lead_id") + " ORDER BY 1, 5");
  bindClientScope(q, client_ids);
  // The linkage rule works lead by lead: rows of a lead are adjacent (ordered by lead id).
  std::vector<ChangeRow> lead;
  std::vector<ChangeFacts> facts;
  const auto flush = [&] {
    facts.clear();
    for (const auto& r : lead) facts.push_back(r.facts);
    const auto effective = effectiveDecisions(facts);
    for (size_t i = 0; i < lead.size(); ++i) {
      lead[i].effective = effective[i];
      lead[i].state = deriveState(lead[i].plan_status, lead[i].effective, lead[i].facts.apply_outcome);
      f(lead[i]);
    }
    lead.clear();
  };
  while (q.executeStep()) {
    const char* id = q.getColumn(0).getText();
    if (!lead.empty() && lead.front().lead_id != id) flush();
    ChangeRow& r = lead.emplace_back();
    r.lead_id = id;
    r.client_id = q.getColumn(1).getString();
    r.plan_status = q.getColumn(2).getString();
    r.ambiguous = q.getColumn(3).getInt() != 0;
    r.facts.field = q.getColumn(4).getString();
    r.facts.new_value = q.getColumn(5).getString();
    if (const auto d = optionalText(q.getColumn(6))) r.facts.decision = decisionFromString(*d);
    r.facts.decision_value = optionalText(q.getColumn(7));
    r.facts.apply_outcome = optionalText(q.getColumn(8));
  }
  if (!lead.empty()) flush();
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

StateCounts countStates(const std::vector<ChangeRow>& rows) {
  StateCounts c;
  for (const auto& r : rows) countState(c, r);
  return c;
}

StateCounts DecisionStore::countsByState(const std::vector<std::string>& client_ids) {
  StateCounts c;
  eachChange(client_ids, false, [&c](const ChangeRow& r) { countState(c, r); });
  return c;
}

DecisionHold::DecisionHold(SQLite::Database& db, const std::vector<std::string>& client_ids,
                           bool only_approved)
    : only_approved_(only_approved) {
  for (auto& row : DecisionStore(db).loadChanges(client_ids, /*decided_only=*/true))
    effective_[row.lead_id][row.facts.field] = row.effective;
}

}  // namespace ghlb
