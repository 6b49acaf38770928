// plan_inputs: what a plan reads, as one store: every eligible lead of a scope with what fetch
// stored for it, read once in lead id order (PlanInputs::Reader), and the fingerprint of those
// inputs, recorded with each plan so that apply writes only a plan whose inputs are still those
// reviewed. What plan reads of a fetch result is its lookup, key and outcome and, for a found
// lookup, the contacts of its bodies in the compact form fetch stored (fetch_answer; parsed from
// fetch_result's bodies when a row has none): never a raw body on the common path.
#pragma once
#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lead.h"
#include "plan.h"

namespace ghlb {

// A digest of a sequence of fields (NULL distinct from ''): 64-bit FNV-1a over length-prefixed
// values, as 16 hex digits. The report's sample key (report_html.cpp); the plan's fingerprint is
// InputHash.
class InputDigest {
 public:
  void add(std::optional<std::string_view> field);
  std::string hex() const;

 private:
  std::uint64_t h_ = 14695981039346656037ull;
  void mix(std::string_view bytes);
};

// The first field of every plan's input hash (the fingerprint's version): v2 hashes the compact
// answers with InputHash, so that no fingerprint of v1 (FNV over the raw bodies) can match one.
inline constexpr const char* kInputDigestTag = "ghlb-plan-inputs-v2";

// The fingerprint's hash of a sequence of fields (NULL distinct from ''), as 16 hex digits: each
// field's length, then its bytes eight at a time, each word folded in with a 64x64->128-bit
// multiply (wyhash's mum). About 8 times fewer steps per byte than FNV-1a's byte at a time. It
// detects change, it is not a security boundary: the work DB is written only by our stages under
// their lock, and a crafted collision of GHL answers could at most make apply write the plan that
// was reviewed. (XXH3 would be as fast at these sizes, a few hundred bytes per lead, and is one
// more library to install: not worth it.)
class InputHash {
 public:
  void add(std::optional<std::string_view> field);
  std::string hex() const;

 private:
  std::uint64_t h_ = 0x243f6a8885a308d3ull;
  void word(std::uint64_t w);
};

class PlanInputs {
 public:
  explicit PlanInputs(SQLite::Database& db) : db_(db) {}

  // The fingerprint of what a plan of scope reads: every eligible lead of the scope with its
  // snapshot values and its fetch result as plan reads it (Reader::digest), in lead id order, then
  // every contact link of the application table (linked_contact, which decides conflicts), in
  // contact id order. Bookkeeping that plan does not read (extract_run, fetched_at, attempts,
  // http_status, the parts of a body that are no contact field) is left out: an extract or fetch
  // that changes nothing plan reads leaves it equal. A hash, not a change counter, so that
  // extract and fetch need no extra bookkeeping and a re-extract that found the same rows does not
  // turn a reviewed plan stale. Equal whether a result's compact form is stored or parsed.
  std::string fingerprint(const std::vector<std::string>& scope);

  // Every eligible lead of SCOPE in lead id order, with its fetch result as plan reads it (the
  // lookup, key and outcome; a found one's compact answer in FetchRecord::answer, no body). Every
  // tenant: lead and fetch_answer each scanned once in lead id order side by side (a merge: no
  // B-tree descent per lead); a scope of tenants: lead LEFT JOIN fetch_answer. A lead without a
  // current fetch_answer row reads its fetch_result row by its key and parses its bodies
  // (answerFormOf).
  class Reader {
   public:
    Reader(SQLite::Database& db, const std::vector<std::string>& scope);
    bool next();  // false after the last lead
    const LeadSnapshot& lead() const { return lead_; }
    const std::optional<FetchRecord>& fetch() const { return fetch_; }
    // The current lead's share of the fingerprint: its snapshot values and its fetch result.
    void digest(InputHash& h) const;

   private:
    // The current lead's fetch_answer row: columns AT.. of Q (lookup, lookup_key, outcome, form),
    // or none (Q null).
    void readAnswer(SQLite::Statement* q, int at);
    void readResult();  // the current lead's fetch_result row, when it has no fetch_answer row
    bool merge_;        // every tenant: answers_ scanned beside q_
    SQLite::Statement q_, answers_, result_;
    bool answers_more_ = false;
    LeadSnapshot lead_;
    std::optional<FetchRecord> fetch_;
  };

  // The contact links' share of the fingerprint, after the last lead.
  void digestLinks(InputHash& h);

 private:
  SQLite::Database& db_;
};

}  // namespace ghlb
