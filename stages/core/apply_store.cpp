#include "apply_store.h"

#include "decision_store.h"
#include "work_db.h"

namespace ghlb {

// The planned values (plan_value: plan_item with its lead's columns, one plan_row row per lead) in
// (lead_id, field) order from plan_row's primary key and plan_field's, no sort, so each batch's run
// of the statement reads only the rows it returns (?3: the last lead of the previous batch).
PlanCursor::PlanCursor(SQLite::Database& db, const std::vector<std::string>& client_ids)
    : query_(
          db,
          "SELECT i.lead_id, i.client_id, i.field, i.new_value, CASE WHEN i.link = 1 THEN i.contact_id END "
          "FROM plan_value i WHERE i.lead_id > ?3 AND i.status = 'fill' AND " +
              clientScope("i.client_id") +
              " AND NOT EXISTS (SELECT 1 FROM apply_log a WHERE a.lead_id = i.lead_id AND a.field = i.field) "
              "ORDER BY i.lead_id, i.field") {
  bindClientScope(query_, client_ids);
}

bool PlanCursor::next(std::vector<PlannedLead>& out, std::size_t max) {
  if (done_ || max == 0) return !done_;
  query_.reset();
  query_.bind(3, last_);
  std::size_t taken = 0;
  bool more = false;
  while (query_.executeStep()) {
    const char* id = query_.getColumn(0).getText();
    if (taken == 0 || out.back().id != id) {
      if (taken == max) {  // the next batch starts at this lead
        more = true;
        break;
      }
      out.push_back({id, query_.getColumn(1).getString(), {}, optionalText(query_.getColumn(4))});
      ++taken;
    }
    out.back().fields[query_.getColumn(2).getString()] = query_.getColumn(3).getString();
  }
  query_.reset();
  if (taken) last_ = out.back().id;
  done_ = !more;
  return taken > 0 || more;
}

// The same rows as PlanCursor's query, of the leads with a decision only (the decision table's
// leads first: a few rows, each looked up in plan_row by its primary key).
std::vector<PlannedLead> decidedLeads(SQLite::Database& db, const std::vector<std::string>& client_ids) {
  SQLite::Statement q(
      db,
      "SELECT i.lead_id, i.client_id, i.field, i.new_value, CASE WHEN i.link = 1 THEN i.contact_id END "
      "FROM (SELECT DISTINCT lead_id FROM decision) d CROSS JOIN plan_value i ON i.lead_id = d.lead_id "
      "WHERE i.status = 'fill' AND " +
          clientScope("i.client_id") +
          " AND NOT EXISTS (SELECT 1 FROM apply_log a WHERE a.lead_id = i.lead_id AND a.field = i.field) "
          "ORDER BY i.lead_id, i.field");
  bindClientScope(q, client_ids);
  std::vector<PlannedLead> out;
  while (q.executeStep()) {
    const char* id = q.getColumn(0).getText();
    if (out.empty() || out.back().id != id)
      out.push_back({id, q.getColumn(1).getString(), {}, optionalText(q.getColumn(4))});
    out.back().fields[q.getColumn(2).getString()] = q.getColumn(3).getString();
  }
  return out;
}

std::int64_t countUndecidedValues(SQLite::Database& db, const std::vector<std::string>& client_ids) {
  SQLite::Statement q(
      db, "SELECT count(*) FROM plan_value i WHERE i.status = 'fill' AND " + clientScope("i.client_id") +
              " AND NOT EXISTS (SELECT 1 FROM apply_log a WHERE a.lead_id = i.lead_id AND a.field = i.field) "
              "AND NOT EXISTS (SELECT 1 FROM decision x WHERE x.lead_id = i.lead_id)");
  bindClientScope(q, client_ids);
  q.executeStep();
  return q.getColumn(0).getInt64();
}

bool inputsWrittenSince(SQLite::Database& db, std::int64_t plan_run) {
  SQLite::Statement q(
      db, "SELECT EXISTS (SELECT 1 FROM stage_run WHERE id > ? AND stage IN ('extract', 'fetch'))");
  q.bind(1, plan_run);
  q.executeStep();
  return q.getColumn(0).getInt() != 0;
}

}  // namespace ghlb
