// The snapshot tables of the work DB (lead, linked_contact, linked_sync, extract_pass,
// extract_watermark): the
// one class that writes their SQL for extract (STYLE.md point 17). Built for millions of rows:
// prepared statements held for the store's life, values bound without copies, the caller groups
// calls in large transactions (SQLite::Transaction on db()).
#pragma once
#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ghlb {

// One "Lead" row as extract read it. Pointers into the reader's buffer, valid for the call only;
// nullptr is SQL NULL. id and client_id are never null.
struct SnapshotRow {
  const char* id = nullptr;
  const char* client_id = nullptr;
  const char* contact_id = nullptr;
  const char* email = nullptr;
  const char* phone = nullptr;
  const char* first_name = nullptr;
  const char* last_name = nullptr;
  const char* company_name = nullptr;
  const char* enrichment_status = nullptr;
};

enum class SnapshotKind { kWhole, kPages };
const char* snapshotKindName(SnapshotKind k);  // "whole" | "pages"
std::optional<SnapshotKind> parseSnapshotKind(const std::string& s);

// A full extract under way (extract_pass): where a stopped run continues.
struct ExtractPass {
  std::string scope;  // comma-joined --client-id values; "" = every tenant
  SnapshotKind snapshot = SnapshotKind::kWhole;
  std::int64_t first_run = 0;
  std::string since;      // server time of the first snapshot: the watermark the pass sets
  std::string client_id;  // pages: tenant in progress ("" = none yet)
  std::string lead_id;    // last lead id committed ("" = none)
};

class SnapshotStore {
 public:
  SnapshotStore(SQLite::Database& db, std::int64_t run);

  SQLite::Database& db() { return db_; }

  // A participating tenant as extract saw it (name: tenantName()'s, shown beside the id, never logged).
  void putClient(const std::string& id, const std::string& location_id,
                 const std::optional<std::string>& name);

  enum class Put { kNew, kRefreshed, kKeptApplied };
  // An eligible lead: inserted or refreshed (eligible = 1, extract_run = run), unless it was
  // applied, whose snapshot is kept as it was (only marked seen).
  Put put(const SnapshotRow& row);
  // put() of ROWS, counted into the three counters: new leads kNewPerStatement to an INSERT
  // statement (a first extract's load: a statement per lead cost as much as the row itself), then
  // put() of each row of a group where some lead was there already (its counts stay right: a row
  // the group's INSERT added is not applied, so put()'s kRefreshed for it counts as new).
  static constexpr int kNewPerStatement = 32;
  void putMany(const std::vector<SnapshotRow>& rows, std::int64_t& added, std::int64_t& refreshed,
               std::int64_t& kept_applied);
  // A lead read that is not eligible (incremental): marked eligible = 0 unless applied or not in
  // the snapshot. True when it was eligible before.
  bool drop(const char* lead_id);
  // After a complete pass begun by FIRST_RUN: eligible leads of SCOPE (client ids; empty = all)
  // not seen since are no longer eligible, unless applied. Returns how many.
  std::int64_t markUnseen(const std::vector<std::string>& scope, std::int64_t first_run);

  // A first extract (lead holds only leads written by the pass begun by FIRST_RUN, if any)
  // loads without lead_client and builds it again at the end by one sort (endBulk, in the last
  // transaction) instead of an insert per lead at its tenant's place in the index: at 2M leads
  // those inserts wandered over a 160 MB index through a 16 MB cache and held the load to
  // 20-28k leads/s, against 65-96k without. Between the two, lead has no lead_client (readers
  // are slower, not wrong); a run that dies there leaves it to the next extract to build
  // (the constructor). prepareBulk() comes outside any transaction.
  bool prepareBulk(std::int64_t first_run);
  void beginBulk();
  void endBulk();

  // linked_contact has no row (a new work DB).
  bool noLinked();
  // Empties linked_contact, and forgets linked_sync (the next --client-id compares every id).
  void clearLinked();
  void addLinked(const char* contact_id, const char* lead_id);
  // The same from views. A contact id with no holder known ("") and only printable ASCII waits in
  // a batch written many to a statement (a JSON array through json_each: a third of the CPU of
  // one INSERT each, at a million ids); flushLinked() writes the batch, before the transaction
  // commits. A holder known is written at once (linkedHolder sees it).
  void addLinked(std::string_view contact_id, std::string_view lead_id);
  // A full rewrite's (after clearLinked): every id and holder of printable ASCII waits in the batch.
  void appendLinked(std::string_view contact_id, std::string_view lead_id);
  void flushLinked();
  // The lead stored as holding CONTACT_ID ("" = not known); nullopt when it is not stored.
  std::optional<std::string> linkedHolder(std::string_view contact_id);
  // Up to LIMIT contact ids stored with their holder not known.
  std::vector<std::string> linkedNotKnown(std::int64_t limit);
  // linked_contact's state after the --client-id refresh that last made it exact (linked_sync).
  struct LinkedSync {
    std::string since;           // start of that snapshot, server clock, UTC
    std::int64_t linked = 0;     // rows of linked_contact
    std::int64_t not_known = 0;  // of which with the holder not known
  };
  std::optional<LinkedSync> linkedSync();
  void setLinkedSync(const LinkedSync& s);
  // A new work DB's linked ids (extract_linked's writeNewLinked) go into linked_new, a table of
  // linked_contact's shape, over several transactions (which the checkpointer copies into the file
  // meanwhile, instead of 40 MB at the close for a million ids), and replace linked_contact in
  // one at the end: a reader sees the old linked_contact or the whole new one, never a part.
  // beginNewLinked (outside a transaction): an empty linked_new, a leftover of a killed run gone.
  void beginNewLinked();
  // Holder not known ("": a lead no plan lead can be), batched as addLinked's.
  void addNewLinked(std::string_view contact_id);
  void flushNewLinked();
  // In the caller's transaction: linked_new becomes linked_contact (which must be empty: its rows
  // would go), with linked_sync S.
  void swapNewLinked(const LinkedSync& s);
  // Outside a transaction: a stopped write's linked_new goes.
  void dropNewLinked();
  // linked_contact in contact id order (byte order), each row passed to FN(contact_id, lead_id),
  // views valid for the call.
  template <typename Fn>
  void eachLinked(Fn fn) {
    SQLite::Statement st(db_, "SELECT contact_id, lead_id FROM linked_contact ORDER BY contact_id");
    while (st.executeStep())
      fn(std::string_view(st.getColumn(0).getText(), static_cast<size_t>(st.getColumn(0).getBytes())),
         std::string_view(st.getColumn(1).getText(), static_cast<size_t>(st.getColumn(1).getBytes())));
  }
  // Sets the lead holding CONTACT_ID ("" = not known: a lead no plan lead can be), adding the row.
  void setLinked(const std::string& contact_id, const std::string& lead_id);
  void removeLinked(const std::string& contact_id);
  // The eligible leads of SCOPE (client ids) in the snapshot: lead id -> contact id ("" = none).
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  using LeadContacts = std::unordered_map<std::string, std::string, Hash, std::equal_to<>>;
  LeadContacts eligibleContacts(const std::vector<std::string>& scope);

  std::optional<ExtractPass> pass();
  void savePass(const ExtractPass& p);
  void clearPass();

  // The tenant's incremental watermark, when a full read of it completed.
  std::optional<std::string> watermark(const std::string& client_id);
  void setWatermark(const std::string& client_id, const std::string& since);

 private:
  SQLite::Database& db_;
  std::int64_t run_;
  bool any_applied_;  // apply_log has rows: only then is each lead checked against it
  std::map<std::string, std::string, std::less<>> locations_;  // client id -> location id
  std::string contact_buf_, lead_buf_;  // addLinked's and linkedHolder's values, NUL-terminated
  std::string batch_;                   // addLinked's batch: a JSON array being written, "[" when empty
  std::size_t batched_ = 0;
  SQLite::Statement applied_, touch_, insert_, same_client_, update_, drop_, linked_, relink_, unlink_,
      holder_, linked_batch_;
  std::optional<SQLite::Statement> insert_many_;  // putMany's, made on first use
  std::string new_batch_;                         // addNewLinked's, as batch_
  std::size_t new_batched_ = 0;
  std::optional<SQLite::Statement> new_one_, new_many_;  // on linked_new, while it exists
  const char* location(const char* client_id);
  void addLinkedNow(std::string_view contact_id, std::string_view lead_id);  // after the batch
};

}  // namespace ghlb
