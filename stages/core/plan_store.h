// plan_store: the identity of a plan (work-DB table "plan", schema/work_db/002_plan_identity.sql).
// Each completed plan run records an id, the tenants it covers and a fingerprint of the inputs it
// was computed from, so that apply writes only a plan whose inputs are still those reviewed.
// This class owns every SQL statement on table "plan" and the fingerprint's query.
#pragma once
#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// A digest of a sequence of fields (NULL distinct from ''): 64-bit FNV-1a over length-prefixed
// values, as 16 hex digits. It detects change, it is not a security boundary: the work DB is written
// only by our stages under their lock, and a crafted collision of GHL answers could at most make
// apply write the plan that was reviewed.
// The first field of every plan's input digest (the fingerprint's version).
inline constexpr const char* kInputDigestTag = "ghlb-plan-inputs-v1";

class InputDigest {
 public:
  void add(std::optional<std::string_view> field);
  std::string hex() const;

 private:
  std::uint64_t h_ = 14695981039346656037ull;
  void mix(std::string_view bytes);
};

// True when a plan of plan_scope covers the tenants client_ids (empty = every tenant).
bool planCovers(const std::vector<std::string>& plan_scope, const std::vector<std::string>& client_ids);

class PlanStore {
 public:
  explicit PlanStore(SQLite::Database& db) : db_(db) {}

  // The fingerprint of what a plan of scope reads: every eligible lead of the scope with its
  // snapshot values and its fetch result (lookup, key, outcome, raw bodies), in lead id order, then
  // every contact link of the application table (linked_contact, which decides conflicts), in
  // contact id order. Bookkeeping that plan does not read (extract_run, fetched_at, attempts,
  // http_status) is left out: an extract or fetch that changes nothing plan reads leaves it equal.
  // A hash, not a change counter, so that extract and fetch need no extra bookkeeping and a
  // re-extract that found the same rows does not turn a reviewed plan stale.
  std::string inputFingerprint(const std::vector<std::string>& scope);

  // The pieces of inputFingerprint, for plan, which reads the same rows once to plan and to
  // digest them. inputsQuery(): every eligible lead of the scope (bound with bindClientScope)
  // with its snapshot values (kLeadSnapshotColumns) then its fetch result (lookup, lookup_key,
  // outcome, search_body, contact_body), in lead id order. digestRow: one row of it (current row
  // of Q). digestLinks: the contact links, after the last row.
  static std::string inputsQuery();
  static void digestRow(InputDigest& d, SQLite::Statement& q);
  void digestLinks(InputDigest& d);

  std::int64_t add(const PlanRecord& r);  // returns the new plan id
  std::optional<PlanRecord> find(std::int64_t id);
  // The newest plan that covers client_ids (empty = every tenant).
  std::optional<PlanRecord> latestCovering(const std::vector<std::string>& client_ids);

 private:
  SQLite::Database& db_;
};

}  // namespace ghlb
