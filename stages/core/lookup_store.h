// The work-DB tables of fetch's lookup strategies (schema/work_db/008_lookup_pages.sql,
// 009_lookup_batches.sql): per client, its location's contact count and the strategy chosen (with
// why), the raw pages of the current location scan with their cursors, so that a killed scan
// resumes from its last page, and the raw answers of OR-batched searches, likewise.
// This file owns their SQL. Pages hold GHL's bodies (personal data), never a token.
#pragma once
#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ghlb {

struct LookupLocation {
  std::string location_id;
  std::optional<std::int64_t> contacts_total;
  std::string strategy;  // "" until chosen
  std::string reason;
  bool scan_complete = false;
};

struct ScanPage {
  std::int64_t seq = 0;
  std::string cursor;       // searchAfter sent ("" for the first page)
  std::string next_cursor;  // of its last contact ("" when none)
  std::int64_t total = 0;
  std::string body;
};

class LookupStore {
 public:
  explicit LookupStore(SQLite::Database& db);

  // What is known of CLIENT's location; nullopt when nothing.
  std::optional<LookupLocation> location(const std::string& client_id);

  // Records the contact count of CLIENT's location (LOCATION_ID); NOW_ISO stamps it.
  void saveTotal(const std::string& client_id, const std::string& location_id, std::int64_t total,
                 const std::string& now_iso);

  // Records the strategy chosen for CLIENT and why (no PII).
  void saveChoice(const std::string& client_id, const std::string& location_id, const std::string& strategy,
                  const std::string& reason, const std::string& now_iso);

  // Records why follow-up GETs stopped for CLIENT's location (no PII).
  void saveFollowUps(const std::string& client_id, const std::string& location_id, const std::string& why,
                     const std::string& now_iso);

  // The pages of CLIENT's unfinished scan of LOCATION_ID, by seq; empty when there is none.
  std::vector<ScanPage> pendingScan(const std::string& client_id, const std::string& location_id);

  // Starts a new scan of CLIENT: drops its earlier pages, marks the scan unfinished.
  void beginScan(const std::string& client_id, const std::string& location_id, const std::string& now_iso);

  // Stores one page of CLIENT's scan (at once, in its own transaction: a kill loses no read page).
  void addPage(const std::string& client_id, const ScanPage& page, const std::string& now_iso,
               std::int64_t run);

  // Marks CLIENT's scan complete (its results are in fetch_result).
  void finishScan(const std::string& client_id, const std::string& now_iso);

  // The stored pages of CLIENT's OR group BATCH_KEY not yet complete, by seq (a prefix without gaps).
  std::vector<ScanPage> pendingBatch(const std::string& client_id, const std::string& batch_key);

  // Stores one page of an OR group's answer at once; page 0 first drops the group's older pages.
  void addBatchPage(const std::string& client_id, const std::string& batch_key, const ScanPage& page,
                    const std::string& now_iso, std::int64_t run);

  // Marks the group's pages complete: its members' results are recorded.
  void finishBatch(const std::string& client_id, const std::string& batch_key);

 private:
  void ensureRow(const std::string& client_id, const std::string& location_id, const std::string& now_iso);

  SQLite::Database& db_;
};

}  // namespace ghlb
