#include "plan_store.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <iterator>
#include <stdexcept>

#include "fields.h"
#include "json_util.h"
#include "work_db.h"

namespace ghlb {
namespace {

constexpr const char* kPlanColumns = "id, plan_run, created_at, scope, fingerprint, leads, to_write";

std::vector<std::string> splitIds(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    const size_t comma = std::min(s.find(',', start), s.size());
    out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

PlanRecord readPlan(SQLite::Statement& q) {
  PlanRecord r;
  r.id = q.getColumn(0).getInt64();
  r.plan_run = q.getColumn(1).getInt64();
  r.created_at = q.getColumn(2).getString();
  r.scope = splitIds(q.getColumn(3).getString());
  r.fingerprint = q.getColumn(4).getString();
  r.leads = q.getColumn(5).getInt64();
  r.to_write = q.getColumn(6).getInt64();
  return r;
}

}  // namespace

bool planCovers(const std::vector<std::string>& plan_scope, const std::vector<std::string>& client_ids) {
  if (plan_scope.empty()) return true;
  if (client_ids.empty()) return false;
  return std::all_of(client_ids.begin(), client_ids.end(), [&](const std::string& id) {
    return std::find(plan_scope.begin(), plan_scope.end(), id) != plan_scope.end();
  });
}

namespace {
// The column of plan_row (schema/work_db/014_plan_row.sql) that holds SUFFIX ("old", "new" or
// "reason") of the written field F.
std::string fieldColumn(const FieldSpec& f, const char* suffix) { return std::string(f.name) + "_" + suffix; }

// Index in kFields of the field NAME of a change or report (planLead writes only those).
size_t fieldIndex(const std::string& name) {
  for (size_t i = 0; i < std::size(kFields); ++i)
    if (name == kFields[i].name) return i;
  throw std::logic_error("plan: a change or report of a field the tool does not write");
}

// Bound without a copy (SQLITE_STATIC): every value outlives the statement's step.
void bindText(SQLite::Statement& st, int i, const std::string& v) { st.bindNoCopy(i, v); }
void bindOptionalText(SQLite::Statement& st, int i, const std::optional<std::string>& v) {
  if (v)
    bindText(st, i, *v);
  else
    st.bind(i);
}
}  // namespace

std::string planRowColumns() {
  std::string cols =
      "lead_id, client_id, status, contact_id, link, ambiguous, note, plan_run, other_lead, candidates, "
      "claim_key";
  for (const auto& f : kFields)
    for (const char* suffix : {"old", "new", "reason"}) cols += ", " + fieldColumn(f, suffix);
  return cols;
}

PlanRows::PlanRows(SQLite::Database& db, std::int64_t run)
    : db_(db), head_("INSERT INTO plan_row(" + planRowColumns() + ") VALUES "), run_(run) {
  values_ = "(?";
  for (int i = 1; i < kParams; ++i) values_ += ", ?";
  values_ += ")";
}

SQLite::Statement& PlanRows::insert(size_t n) {
  if (by_rows_.size() <= n) by_rows_.resize(n + 1);
  if (!by_rows_[n]) {
    std::string sql = head_;
    for (size_t i = 0; i < n; ++i) {
      if (i) sql += ", ";
      sql += values_;
    }
    by_rows_[n] = std::make_unique<SQLite::Statement>(db_, sql);
  }
  return *by_rows_[n];
}

int PlanRows::bindLead(SQLite::Statement& st, int i, const LeadPlan& p) {
  bindText(st, i, p.lead_id);
  bindText(st, i + 1, p.client_id);
  bindText(st, i + 2, p.status);
  bindOptionalText(st, i + 3, p.contact_id);
  st.bind(i + 4, p.link ? 1 : 0);
  st.bind(i + 5, p.ambiguous ? 1 : 0);
  bindText(st, i + 6, p.note);
  st.bind(i + 7, static_cast<std::int64_t>(run_));
  bindOptionalText(st, i + 8, p.other_lead);
  if (p.candidates.empty()) {
    st.bind(i + 9);
  } else {
    candidates_.push_back(joinIds(p.candidates));  // kept until the statement has run
    bindText(st, i + 9, candidates_.back());
  }
  // The conflict rule reads the claim of a lead that would link a contact or is still pending.
  if (!p.claim_key.empty() && (p.link || p.status == plan_status::kPending))
    bindText(st, i + 10, p.claim_key);
  else
    st.bind(i + 10);
  i += 11;
  // Each written field's three columns (kFields' order): only the lead's changes and reports are
  // bound, the other columns stay NULL (add clears the bindings before each statement).
  for (const auto& c : p.changes) {
    const int at = i + 3 * static_cast<int>(fieldIndex(c.field));
    if (c.old_value) bindText(st, at, *c.old_value);
    bindText(st, at + 1, c.new_value);
  }
  for (const auto& [field, reason] : p.reports)
    bindText(st, i + 3 * static_cast<int>(fieldIndex(field)) + 2, reason);
  return i + 3 * static_cast<int>(std::size(kFields));
}

void PlanRows::add(const LeadPlan& p) { add(std::vector<LeadPlan>{p}); }

void PlanRows::add(const std::vector<LeadPlan>& plans) {
  // kChunk rows per statement, then one statement for the rest.
  size_t done = 0;
  while (done < plans.size()) {
    const size_t n = std::min(kChunk, plans.size() - done);
    SQLite::Statement& st = insert(n);
    st.clearBindings();  // every parameter NULL: one call, instead of a bind per column left empty
    int next = 1;
    for (size_t k = 0; k < n; ++k) next = bindLead(st, next, plans[done + k]);
    st.exec();
    st.reset();
    candidates_.clear();
    done += n;
  }
}

void PlanStore::clearScope(const std::vector<std::string>& scope) {
  if (scope.empty()) {  // no WHERE: SQLite empties the table page by page, no index work per row
    db_.exec("DELETE FROM plan_row");
    return;
  }
  SQLite::Statement del(db_, "DELETE FROM plan_row WHERE lead_id IN (SELECT l.id FROM lead l WHERE " +
                                 clientScope("l.client_id") + ")");
  bindClientScope(del, scope);
  del.exec();
}

void PlanStore::dropIndexes() {
  db_.exec("DROP INDEX IF EXISTS plan_row_client");
  db_.exec("DROP INDEX IF EXISTS plan_row_link");
}

void PlanStore::buildLinkIndex() {
  db_.exec("CREATE INDEX IF NOT EXISTS plan_row_link ON plan_row(contact_id, plan_run, link) WHERE link = 1");
}

void PlanStore::buildTenantIndex() {
  db_.exec("CREATE INDEX IF NOT EXISTS plan_row_client ON plan_row(client_id, status)");
}

ConflictCounts PlanStore::resolveConflicts(std::int64_t run, bool pending_claims) {
  db_.exec(
      "CREATE TEMP TABLE IF NOT EXISTS plan_loss(lead_id TEXT PRIMARY KEY, reason TEXT NOT NULL, "
      "other_lead TEXT NOT NULL) WITHOUT ROWID");
  db_.exec("DELETE FROM temp.plan_loss");
  buildLinkIndex();
  const auto run_sql = [&](const std::string& sql) {
    SQLite::Statement st(db_, sql);
    st.bind(1, static_cast<std::int64_t>(run));
    if (st.getBindParameterCount() >= 2) st.bind(2, plan_status::kPending);
    st.exec();
  };
  // In the order of the rule's cases; INSERT OR IGNORE keeps a lead's first reason. The leads
  // that would link a contact are read through plan_row_link (link = 1), in contact id order.
  // 1. The contact is linked to another lead in the application table.
  run_sql(
      "INSERT INTO temp.plan_loss SELECT p.lead_id, 'contact_already_linked', c.lead_id FROM plan_row p "
      "INDEXED BY plan_row_link JOIN linked_contact c ON c.contact_id = p.contact_id "
      "WHERE p.plan_run = ?1 AND p.link = 1 AND c.lead_id <> p.lead_id");
  // 2. Nobody holds it, and a smaller lead (byte order: BINARY, as PostgreSQL's "C") links it too.
  run_sql(
      "WITH dup AS MATERIALIZED (SELECT contact_id, min(lead_id) AS first FROM plan_row INDEXED BY "
      "plan_row_link "
      "WHERE plan_run = ?1 AND link = 1 GROUP BY contact_id HAVING count(*) > 1) "
      "INSERT OR IGNORE INTO temp.plan_loss SELECT p.lead_id, 'contact_taken_by_smaller_lead_id', dup.first "
      "FROM dup JOIN plan_row p INDEXED BY plan_row_link ON p.contact_id = dup.contact_id "
      "WHERE p.plan_run = ?1 AND p.link = 1 AND p.lead_id <> dup.first "
      "AND NOT EXISTS (SELECT 1 FROM linked_contact c WHERE c.contact_id = p.contact_id)");
  // 3. It would keep it, but a smaller lead that could take it has no final lookup yet.
  if (pending_claims)
    run_sql(
        "WITH first AS MATERIALIZED (SELECT claim_key, min(lead_id) AS lead_id FROM plan_row "
        "WHERE plan_run = ?1 AND status = ?2 AND claim_key IS NOT NULL GROUP BY claim_key) "
        "INSERT OR IGNORE INTO temp.plan_loss SELECT p.lead_id, 'smaller_lead_pending', first.lead_id "
        "FROM first JOIN plan_row p ON p.claim_key = first.claim_key "
        "WHERE p.plan_run = ?1 AND p.link = 1 AND first.lead_id < p.lead_id "
        "AND NOT EXISTS (SELECT 1 FROM linked_contact c WHERE c.contact_id = p.contact_id)");
  ConflictCounts out;
  out.losers = db_.execAndGet("SELECT count(*) FROM temp.plan_loss").getInt64();
  if (out.losers == 0) return out;
  {
    SQLite::Statement q(db_,
                        "SELECT p.client_id, p.status, x.reason, count(*), sum(p.link) FROM temp.plan_loss x "
                        "JOIN plan_row p USING (lead_id) GROUP BY 1, 2, 3");
    while (q.executeStep()) {
      const std::string reason = q.getColumn(2).getString();
      out.leads.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(),
                           reason == "smaller_lead_pending" ? plan_status::kWaiting : plan_status::kConflict,
                           q.getColumn(3).getInt64(), q.getColumn(4).getInt64()});
    }
  }
  for (const auto& [list, sql] :
       {std::pair{&out.items,
                  "SELECT p.client_id, i.field, count(*) FROM temp.plan_loss x CROSS JOIN plan_row p "
                  "ON p.lead_id = x.lead_id CROSS JOIN plan_item i ON i.lead_id = x.lead_id GROUP BY 1, 2"},
        std::pair{&out.reports,
                  "SELECT p.client_id, r.field || ':' || r.reason, count(*) FROM temp.plan_loss x CROSS JOIN "
                  "plan_row p ON p.lead_id = x.lead_id CROSS JOIN plan_report r ON r.lead_id = x.lead_id "
                  "GROUP BY 1, 2"}}) {
    SQLite::Statement q(db_, sql);
    while (q.executeStep())
      list->push_back({q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getInt64()});
  }
  // A loser keeps no change and no report: every field's columns cleared.
  std::string clear;
  for (const auto& f : kFields)
    for (const char* suffix : {"old", "new", "reason"}) clear += ", " + fieldColumn(f, suffix) + " = NULL";
  SQLite::Statement mark(db_,
                         "UPDATE plan_row SET status = CASE x.reason WHEN 'smaller_lead_pending' THEN ?1 "
                         "ELSE ?2 END, note = x.reason, other_lead = x.other_lead, link = 0" +
                             clear + " FROM temp.plan_loss x WHERE plan_row.lead_id = x.lead_id");
  mark.bind(1, plan_status::kWaiting);
  mark.bind(2, plan_status::kConflict);
  mark.exec();
  db_.exec("DELETE FROM temp.plan_loss");
  return out;
}

std::int64_t PlanStore::add(const PlanRecord& r) {
  std::vector<std::string> scope = r.scope;
  std::sort(scope.begin(), scope.end());
  SQLite::Statement ins(db_,
                        "INSERT INTO plan(plan_run, created_at, scope, fingerprint, leads, to_write) "
                        "VALUES (?, ?, ?, ?, ?, ?)");
  ins.bind(1, static_cast<std::int64_t>(r.plan_run));
  ins.bind(2, r.created_at);
  ins.bind(3, joinIds(scope));
  ins.bind(4, r.fingerprint);
  ins.bind(5, static_cast<std::int64_t>(r.leads));
  ins.bind(6, static_cast<std::int64_t>(r.to_write));
  ins.exec();
  return db_.getLastInsertRowid();
}

std::optional<PlanRecord> PlanStore::find(std::int64_t id) {
  SQLite::Statement q(db_, std::string("SELECT ") + kPlanColumns + " FROM plan WHERE id = ?");
  q.bind(1, static_cast<std::int64_t>(id));
  if (!q.executeStep()) return std::nullopt;
  return readPlan(q);
}

std::optional<PlanRecord> PlanStore::latestCovering(const std::vector<std::string>& client_ids) {
  SQLite::Statement q(db_, std::string("SELECT ") + kPlanColumns + " FROM plan ORDER BY id DESC");
  while (q.executeStep()) {
    PlanRecord r = readPlan(q);
    if (planCovers(r.scope, client_ids)) return r;
  }
  return std::nullopt;
}

}  // namespace ghlb
