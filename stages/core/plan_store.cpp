#include "plan_store.h"

#include <algorithm>
#include <cstdio>

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

void InputDigest::mix(std::string_view bytes) {
  for (const unsigned char c : bytes) {
    h_ ^= c;
    h_ *= 1099511628211ull;
  }
}

void InputDigest::add(std::optional<std::string_view> field) {
  // A tag and the length before the bytes: ("ab","c") and ("a","bc") differ, NULL differs from ''.
  const std::string head = field ? "v" + std::to_string(field->size()) + ":" : std::string("n:");
  mix(head);
  if (field) mix(*field);
}

std::string InputDigest::hex() const {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h_));
  return buf;
}

bool planCovers(const std::vector<std::string>& plan_scope, const std::vector<std::string>& client_ids) {
  if (plan_scope.empty()) return true;
  if (client_ids.empty()) return false;
  return std::all_of(client_ids.begin(), client_ids.end(), [&](const std::string& id) {
    return std::find(plan_scope.begin(), plan_scope.end(), id) != plan_scope.end();
  });
}

std::string PlanStore::inputsQuery() {
  return std::string("SELECT ") + kLeadSnapshotColumns +
         ", f.lookup, f.lookup_key, f.outcome, f.search_body, f.contact_body "
         "FROM lead l LEFT JOIN fetch_result f ON f.lead_id = l.id WHERE l.eligible = 1 AND " +
         clientScope("l.client_id") + " ORDER BY l.id";
}

void PlanStore::digestRow(InputDigest& d, SQLite::Statement& q) {
  d.add("lead");
  const int columns = q.getColumnCount();
  for (int i = 0; i < columns; ++i) {
    const auto c = q.getColumn(i);
    if (c.isNull()) {
      d.add(std::nullopt);
      continue;
    }
    const char* text = c.getText();  // by length: a body may hold a NUL byte
    d.add(std::string_view(text, static_cast<size_t>(c.getBytes())));
  }
}

void PlanStore::digestLinks(InputDigest& d) {
  SQLite::Statement links(db_, "SELECT contact_id, lead_id FROM linked_contact ORDER BY contact_id");
  while (links.executeStep()) {
    d.add("link");
    d.add(links.getColumn(0).getString());
    d.add(links.getColumn(1).getString());
  }
}

std::string PlanStore::inputFingerprint(const std::vector<std::string>& scope) {
  InputDigest d;
  d.add(kInputDigestTag);
  SQLite::Statement leads(db_, inputsQuery());
  bindClientScope(leads, scope);
  while (leads.executeStep()) digestRow(d, leads);
  digestLinks(d);
  return d.hex();
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
