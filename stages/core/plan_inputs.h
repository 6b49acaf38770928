// plan_inputs: what a plan reads, as one store: the query of every eligible lead of a scope with
// its fetch result, and the fingerprint of those inputs (InputDigest), recorded with each plan so
// that apply writes only a plan whose inputs are still those reviewed.
#pragma once
#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ghlb {

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

class PlanInputs {
 public:
  explicit PlanInputs(SQLite::Database& db) : db_(db) {}

  // The fingerprint of what a plan of scope reads: every eligible lead of the scope with its
  // snapshot values and its fetch result (lookup, key, outcome, raw bodies), in lead id order, then
  // every contact link of the application table (linked_contact, which decides conflicts), in
  // contact id order. Bookkeeping that plan does not read (extract_run, fetched_at, attempts,
  // http_status) is left out: an extract or fetch that changes nothing plan reads leaves it equal.
  // A hash, not a change counter, so that extract and fetch need no extra bookkeeping and a
  // re-extract that found the same rows does not turn a reviewed plan stale.
  std::string fingerprint(const std::vector<std::string>& scope);

  // The pieces of fingerprint, for plan, which reads the same rows once to plan and to digest
  // them. query(): every eligible lead of the scope (bound with bindClientScope) with its snapshot
  // values (kLeadSnapshotColumns) then its fetch result (lookup, lookup_key, outcome, search_body,
  // contact_body), in lead id order. digestRow: one row of it (current row of Q). digestLinks: the
  // contact links, after the last row.
  static std::string query();
  static void digestRow(InputDigest& d, SQLite::Statement& q);
  void digestLinks(InputDigest& d);

 private:
  SQLite::Database& db_;
};

}  // namespace ghlb
