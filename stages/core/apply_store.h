// apply_store: apply's reads of the plan, batch by batch, never the whole plan at once (issue 9:
// flat memory). PlanCursor reads the planned values apply has not settled yet (plan_item of the
// 'fill' leads with no apply_log row) in lead-id order, by keyset: one prepared statement,
// re-run from the last lead read, so that memory holds one batch whatever the plan's size.
// The review's decisions are held back from each batch by DecisionHold (decision_store.h).
#pragma once
#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "decisions.h"
#include "wave_select.h"

namespace ghlb {

class PlanCursor {
 public:
  // The planned leads of the tenants client_ids (empty: every tenant).
  PlanCursor(SQLite::Database& db, const std::vector<std::string>& client_ids);

  // Appends to out the next leads (at most max, each with every unsettled value) in lead-id order.
  // Returns false once the plan has no lead left after the last one read.
  bool next(std::vector<PlannedLead>& out, std::size_t max);

 private:
  SQLite::Statement query_;
  std::string last_;  // the last lead read; '' before the first (every id sorts after it)
  bool done_ = false;
};

// For apply's summary before the confirmation (the held count of the whole scope), in proportion
// to the decisions rather than to the plan:
// The planned leads of the tenants client_ids that have at least one review decision, each with
// every unsettled value, in lead-id order: what PlanCursor reads of those leads.
std::vector<PlannedLead> decidedLeads(SQLite::Database& db, const std::vector<std::string>& client_ids);
// How many unsettled values (what PlanCursor reads) the leads of the tenants client_ids without any
// review decision have: one aggregate query.
std::int64_t countUndecidedValues(SQLite::Database& db, const std::vector<std::string>& client_ids);

// Whether extract or fetch, the only stages that write a plan's inputs, has started a run since the
// plan run PLAN_RUN (a stage_run id: ids grow with time). When not, the inputs are still the ones
// that plan read (the stage lock kept both out while it ran).
bool inputsWrittenSince(SQLite::Database& db, std::int64_t plan_run);

}  // namespace ghlb
