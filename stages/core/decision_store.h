// decision_store: the reviewer's decisions (work-DB table "decision",
// schema/work_db/006_decisions.sql). This class owns every SQL statement on that table, and the
// query that gathers each change of a scope with its decision and what apply did with it, from
// which decisions.h derives the states. A decision holds only while plan_item has the same
// (lead, field, new value): a re-plan keeps the decisions of changes that did not change.
#pragma once
#include <SQLiteCpp/SQLiteCpp.h>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "decisions.h"
#include "fields.h"
#include "raw_query.h"

namespace ghlb {

// One change of the scope: a plan_item row, or an apply_log row the plan no longer holds.
struct ChangeRow {
  std::string lead_id;
  std::string client_id;
  std::string plan_status;  // plan_lead.status; "" when the plan no longer holds the lead
  bool ambiguous = false;   // plan_lead.ambiguous
  ChangeFacts facts;
  ChangeState state = ChangeState::kProposed;  // derived (decisions.h), linkage included
  std::optional<Decision> effective;           // the decision in force, linkage included
};

// (lead, field) of a change, and the value a decision is taken on.
struct DecisionKey {
  std::string lead_id;
  std::string field;
  std::string new_value;
};

// Changes in each state, per tenant and per field, for the review's summary.
struct StateCounts {
  std::map<ChangeState, std::int64_t> totals;
  std::map<std::string, std::map<ChangeState, std::int64_t>> by_tenant;  // client id ->
  std::map<std::string, std::map<ChangeState, std::int64_t>> by_field;   // field ->
};

class DecisionStore {
 public:
  explicit DecisionStore(SQLite::Database& db) : db_(db) {}

  // Every change of the tenants client_ids (empty = all), ordered by lead id then field, with
  // its stored decision, apply outcome, derived state and effective decision. decided_only: only
  // the changes of leads with at least one decision (every change that is rejected or approved,
  // effectively or not, is one of them; the others are undecided): cost in proportion to the
  // decisions, not to the plan.
  std::vector<ChangeRow> loadChanges(const std::vector<std::string>& client_ids, bool decided_only = false);
  // The same rows, streamed: f(row) for each, in the same order, holding one lead's rows at a time
  // (memory flat whatever the plan's size; loadChanges of a whole plan holds every row).
  void eachChange(const std::vector<std::string>& client_ids, bool decided_only,
                  const std::function<void(const ChangeRow&)>& f);
  // The same rows, a lead at a time: f(rows of one lead), in the same order (review decides on a
  // lead's rows together: the linkage rule stays within a lead).
  void eachLead(const std::vector<std::string>& client_ids, bool decided_only,
                const std::function<void(std::span<const ChangeRow>)>& f);

  // Stores decision d taken at `at` on each key (replacing an earlier one), all or none.
  void set(const std::vector<DecisionKey>& keys, Decision d, const std::string& at);
  // Drops the decisions of keys (the changes are proposed again), all or none.
  void reset(const std::vector<DecisionKey>& keys);

  // After a re-plan: drops the decisions of the scope's leads whose (lead, field, new value) is no
  // longer in plan_item; returns how many. Runs inside the caller's transaction, if any.
  std::int64_t reconcile(const std::vector<std::string>& client_ids);

  // Counts of the changes of the scope by state.
  StateCounts countsByState(const std::vector<std::string>& client_ids);

 private:
  SQLite::Database& db_;
};

// The parts of eachChange's merged pass, shared with status's (status.cpp).

// "<field>_new" of every field, in kFields order (plan_row's layout, migration 014).
std::string newValueColumns();

// A lead's plan_row as the merge reads it: tenant, status, ambiguity and the value to write of
// each field (kFields order; has[i] false: nothing to write).
struct PlanFacts {
  std::string lead_id, client_id, status;
  bool ambiguous = false;
  bool has[std::size(kFields)] = {};
  std::string value[std::size(kFields)];
  // Reads columns from..: status, ambiguous, then the kFields values ("<field>_new").
  void read(const RawQuery& q, int from);
  bool plans(std::string_view field) const;
};

// One row of apply_log or decision: (lead, field) and two text columns.
struct KeyedRow {
  std::string lead_id, field, a;
  std::optional<std::string> b;
};

// A statement whose rows (lead_id, field, a, b) come in (lead_id, field) order, read one lead at a
// time; leads are asked in increasing order.
class LeadRows {
 public:
  // Binds scope to ?1 when not empty.
  LeadRows(SQLite::Database& db, const std::string& sql, const std::string& scope);
  bool more() const { return more_; }
  const std::string& lead() const { return row_.lead_id; }
  // Whether LEAD has rows (rows of smaller leads are skipped).
  bool has(const std::string& lead);
  // The rows of LEAD into out (cleared); rows of smaller leads are skipped.
  void take(const std::string& lead, std::vector<KeyedRow>& out);

 private:
  void next();
  RawQuery q_;
  KeyedRow row_;
  bool more_ = false;
};

// The changes of one lead as eachChange gives them, from what the merge read of it.
class LeadChanges {
 public:
  // client_ids: eachChange's scope (empty: all).
  LeadChanges(SQLite::Database& db, const std::vector<std::string>& client_ids);
  // The rows of LEAD, valid until the next call. plan: its plan_row when the plan stream (in scope)
  // holds it, else nullptr (branch 2 only); applied: its apply_log rows; decisions: the decision
  // stream, positioned at or before the lead (its rows are taken).
  std::span<const ChangeRow> rows(const std::string& lead, const PlanFacts* plan,
                                  const std::vector<KeyedRow>& applied, LeadRows& decisions);

 private:
  ChangeRow& add();
  std::set<std::string> in_scope_;
  RawQuery plan_of_, tenant_of_;
  PlanFacts other_;
  std::vector<ChangeRow> rows_;  // reused: their strings keep their capacity
  size_t n_ = 0;                 // rows_ in use
  std::vector<KeyedRow> decided_;
  std::vector<ChangeFacts> facts_;
};

// The merge's per-row steps, inline: they run for every lead or row of a million-lead plan.
inline void PlanFacts::read(const RawQuery& q, int from) {
  status.assign(q.textOr(from));
  ambiguous = q.integer(from + 1) != 0;
  for (size_t i = 0; i < std::size(kFields); ++i) {
    const auto v = q.text(from + 2 + static_cast<int>(i));
    has[i] = v.has_value();
    if (has[i]) value[i].assign(*v);
  }
}

inline bool PlanFacts::plans(std::string_view field) const {
  for (size_t i = 0; i < std::size(kFields); ++i)
    if (has[i] && field == kFields[i].name) return true;
  return false;
}

inline bool LeadRows::has(const std::string& lead) {
  while (more_ && row_.lead_id < lead) next();
  return more_ && row_.lead_id == lead;
}

inline void LeadRows::take(const std::string& lead, std::vector<KeyedRow>& out) {
  out.clear();
  while (more_ && row_.lead_id < lead) next();
  while (more_ && row_.lead_id == lead) {
    out.push_back(row_);
    next();
  }
}

inline void LeadRows::next() {
  more_ = q_.step();
  if (!more_) return;
  row_.lead_id.assign(q_.textOr(0));
  row_.field.assign(q_.textOr(1));
  row_.a.assign(q_.textOr(2));
  if (const auto b = q_.text(3))
    row_.b.emplace(*b);
  else
    row_.b.reset();
}

inline ChangeRow& LeadChanges::add() {
  if (n_ == rows_.size()) rows_.emplace_back();
  ChangeRow& r = rows_[n_++];
  r.facts.decision.reset();
  r.facts.decision_value.reset();
  r.facts.apply_outcome.reset();
  r.effective.reset();
  return r;
}

StateCounts countStates(const std::vector<ChangeRow>& rows);
void countState(StateCounts& c, const ChangeRow& row);  // adds one row to c

// countState for a stream of millions of rows: an array per tenant and field, the last tenant's
// remembered (rows come lead by lead), instead of three map insertions per row.
class StateTally {
 public:
  void add(const ChangeRow& row);
  // Moves one counted row (its tenant and field) from state `from` to state `to`.
  void move(const ChangeRow& row, ChangeState from, ChangeState to);
  StateCounts counts() const;  // what countState would have counted

 private:
  using Row = std::array<std::int64_t, std::size(kChangeStates)>;
  void count(const ChangeRow& row, ChangeState s, std::int64_t d);
  Row totals_{};
  std::map<std::string, Row> by_tenant_;
  std::vector<std::pair<std::string, Row>> by_field_;  // a handful: kFields
  std::string last_tenant_;
  Row* tenant_ = nullptr;
};

// apply's filter (issue 6), batch by batch: the decisions of the tenants client_ids, loaded once
// (cost in proportion to the decisions, not to the plan). holdBack drops from a batch of planned
// leads every change its decision holds back (rejected; with only_approved, every change not
// approved), then the leads left with nothing, and returns how many changes it dropped.
// PlannedLead: apply's leads, each with `id` and a map `fields` (field -> new value).
class DecisionHold {
 public:
  DecisionHold(SQLite::Database& db, const std::vector<std::string>& client_ids, bool only_approved);

  template <class PlannedLead>
  std::int64_t holdBack(std::vector<PlannedLead>& leads) const {
    std::int64_t held = 0;
    for (auto& lead : leads) {
      const auto decided = effective_.find(lead.id);
      for (auto f = lead.fields.begin(); f != lead.fields.end();) {
        std::optional<Decision> d;
        if (decided != effective_.end())
          if (const auto it = decided->second.find(f->first); it != decided->second.end()) d = it->second;
        if (applyMayWrite(d, only_approved_)) {
          ++f;
        } else {
          f = lead.fields.erase(f);
          ++held;
        }
      }
    }
    std::erase_if(leads, [](const PlannedLead& l) { return l.fields.empty(); });
    return held;
  }

 private:
  // lead -> field -> the decision in force (a lead not here: every change undecided).
  std::map<std::string, std::map<std::string, std::optional<Decision>>> effective_;
  bool only_approved_;
};

}  // namespace ghlb
