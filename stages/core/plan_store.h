// plan_store: the identity of a plan (work-DB table "plan", schema/work_db/002_plan_identity.sql).
// Each completed plan run records an id, the tenants it covers and a fingerprint of the inputs it
// was computed from, so that apply writes only a plan whose inputs are still those reviewed.
// This class owns every SQL statement on table "plan" (the fingerprint's query: plan_inputs.h), and
// plan's statements on its rows (plan_row, one per lead; plan_lead, plan_item and plan_report are
// views of it, schema/work_db/014_plan_row.sql): PlanRows writes them lead by lead,
// PlanStore::clearScope and PlanStore::resolveConflicts replace and settle them.
#pragma once
#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <deque>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fields.h"
#include "plan.h"
#include "plan_inputs.h"

namespace ghlb {

struct PlanRecord {
  std::int64_t id = 0;             // what `apply --plan ID` names
  std::int64_t plan_run = 0;       // stage_run id of the plan run
  std::string created_at;          // ISO-8601 UTC
  std::vector<std::string> scope;  // client ids; empty = every tenant
  std::string fingerprint;         // inputFingerprint() of scope when the plan was made
  std::int64_t leads = 0;
  std::int64_t to_write = 0;
};

// True when a plan of plan_scope covers the tenants client_ids (empty = every tenant).
bool planCovers(const std::vector<std::string>& plan_scope, const std::vector<std::string>& client_ids);

// What the conflict rule (PlanStore::resolveConflicts) took back from the rows plan wrote, per
// tenant, so that counts kept while writing can follow: leads moved from one status to another
// (and links dropped), values no longer to write (field), reports dropped ("field:reason").
struct ConflictCounts {
  struct Leads {
    std::string client_id, from_status, to_status;
    std::int64_t leads = 0, links = 0;
  };
  struct Values {
    std::string client_id, key;
    std::int64_t n = 0;
  };
  std::vector<Leads> leads;
  std::vector<Values> items, reports;
  std::int64_t losers = 0;
};

// The columns of plan_row (schema/work_db/014_plan_row.sql) in the order PlanRows binds them: the
// lead's own, then <field>_old, <field>_new, <field>_reason of each field of kFields.
std::string planRowColumns();

// The rows of one plan run, one plan_row row per lead, written with prepared statements (inside the
// caller's transaction). The plan of each lead as planLead and dropApplied left it: the conflict
// rule runs afterwards over the stored rows (PlanStore::resolveConflicts).
class PlanRows {
 public:
  PlanRows(SQLite::Database& db, std::int64_t run);
  void add(const LeadPlan& p);
  // The same rows as add for each plan of PLANS, in fewer statements: up to kChunk rows per INSERT
  // (a statement's step, reset and binding cost more than one row's B-tree insert).
  void add(const std::vector<LeadPlan>& plans);

 private:
  static constexpr std::size_t kChunk = 32;
  static constexpr int kParams = 11 + 3 * static_cast<int>(std::size(kFields));  // per row
  // The INSERT of N rows, prepared on first use.
  SQLite::Statement& insert(size_t n);
  // Binds one lead's row from parameter I on; returns the next free parameter.
  int bindLead(SQLite::Statement& st, int i, const LeadPlan& p);

  SQLite::Database& db_;
  std::string head_, values_;                                // "INSERT ... VALUES ", "(?, ...)"
  std::vector<std::unique_ptr<SQLite::Statement>> by_rows_;  // [n]: n rows
  std::deque<std::string> candidates_;  // joined candidate ids of the rows being bound (stable)
  std::int64_t run_;
};

class PlanStore {
 public:
  explicit PlanStore(SQLite::Database& db) : db_(db) {}

  // Deletes the plan rows of the leads of scope (every tenant: every row), before a plan run writes
  // the scope's again; leads no longer eligible lose theirs. Run with foreign keys off: the whole
  // table is then emptied at the cost of freeing its pages.
  void clearScope(const std::vector<std::string>& scope);

  // plan_row's indexes (schema/work_db/014_plan_row.sql), dropped before a plan of every tenant
  // writes its rows and built again after them: one sort of the rows instead of a B-tree insert per
  // lead out of lead id order (measured: a quarter of plan's CPU at 89k leads, against 0.16 s for
  // the sort). Inside plan's transaction: a stop rolls the drop back too. plan_row_link (the leads
  // that would link a contact) is built by resolveConflicts, which reads it; plan_row_client (by
  // tenant, for the readers) by buildTenantIndex.
  void dropIndexes();
  void buildLinkIndex();
  void buildTenantIndex();

  // The "ghlContactId is unique" rule (plan.h) over the rows plan run RUN
  // wrote: a lead that would link a contact linked to another lead (linked_contact) is a conflict
  // (contact_already_linked); else one that a smaller lead of the run would link too is a conflict
  // (contact_taken_by_smaller_lead_id); else one with a smaller pending lead of the same claim_key
  // waits (smaller_lead_pending; only looked for when PENDING_CLAIMS). Each such lead gets status
  // conflict or waiting, its note and other_lead, link 0, and loses its changes and reports (every
  // field's columns NULL). Decided from the rows as written, then applied; returns what it took back.
  ConflictCounts resolveConflicts(std::int64_t run, bool pending_claims);

  std::int64_t add(const PlanRecord& r);  // returns the new plan id
  std::optional<PlanRecord> find(std::int64_t id);
  // The newest plan that covers client_ids (empty = every tenant).
  std::optional<PlanRecord> latestCovering(const std::vector<std::string>& client_ids);

 private:
  SQLite::Database& db_;
};

}  // namespace ghlb
