#include "apply_store.h"

#include "decision_store.h"
#include "work_db.h"

namespace ghlb {

// Rows of plan_item in (lead_id, field) order from its primary key (CROSS JOIN: plan_item is the
// outer loop), no sort, so each batch's run of the statement reads only the rows it returns (?3:
// the last lead of the previous batch).
PlanCursor::PlanCursor(SQLite::Database& db, const std::vector<std::string>& client_ids)
    : query_(
          db,
          "SELECT i.lead_id, p.client_id, i.field, i.new_value, CASE WHEN p.link = 1 THEN p.contact_id END "
          "FROM plan_item i CROSS JOIN plan_lead p ON p.lead_id = i.lead_id WHERE i.lead_id > ?3 "
          "AND p.status = 'fill' AND " +
              clientScope("p.client_id") +
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

DecisionHold::DecisionHold(SQLite::Database& db, const std::vector<std::string>& client_ids,
                           bool only_approved)
    : only_approved_(only_approved) {
  for (auto& row : DecisionStore(db).loadChanges(client_ids, /*decided_only=*/true))
    effective_[row.lead_id][row.facts.field] = row.effective;
}

std::int64_t DecisionHold::holdBack(std::vector<PlannedLead>& leads) const {
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

}  // namespace ghlb
