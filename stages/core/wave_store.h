// wave_store: the waves and the apply journal (work-DB tables "wave" and "journal",
// schema/work_db/007_waves.sql). Every apply that writes is a wave, numbered 1, 2, 3, ... in its
// work DB, with its selection, times, status and counts; every value a wave wrote is journaled
// with the value it replaced, so `revert WAVE` can restore exactly what this tool changed. This
// class owns every SQL statement on those tables, and the apply_log outcome revert records.
#pragma once
#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ghlb {

enum class WaveStatus {
  kRunning,      // being applied (or the process died: the next wave marks it interrupted)
  kDone,         // every selected lead settled
  kInterrupted,  // stopped between batches (Ctrl-C, SIGTERM) or died
  kRetryable,    // finished with leads failed or not final yet: run apply again
};
const char* waveStatusName(WaveStatus s);

enum class RevertOutcome {
  kRestored,     // the field held what the wave wrote and got its before value back
  kLeftChanged,  // the application changed the field since (or deleted the lead): left as is
};
const char* revertOutcomeName(RevertOutcome o);

struct WaveRecord {
  std::int64_t id = 0;  // the wave number
  std::int64_t plan_id = 0;
  std::int64_t apply_run = 0;  // stage_run id of the apply
  std::string selection;       // JSON (see apply.cpp's selectionJson)
  std::string started_at;      // ISO-8601 UTC
  std::optional<std::string> finished_at;
  std::string status;             // waveStatusName(), as stored
  std::string counts;             // JSON object
  std::int64_t journaled = 0;     // values the wave wrote
  std::int64_t restored = 0;      // of those, restored by revert
  std::int64_t left_changed = 0;  // of those, left by revert (changed by the application)
};

// One value a wave wrote.
struct JournalRow {
  std::string lead_id;
  std::string field;                  // fields.h name
  std::optional<std::string> before;  // what the field held at write time
  std::string after;                  // what was written (for "enrichedAt": the stored timestamp)
};

// What a revert of a wave has left to do: the journal rows no revert has handled yet, counted.
struct JournalSummary {
  std::map<std::string, std::int64_t> by_field;  // field -> values
  std::int64_t values = 0, leads = 0;
};

struct RevertResult {
  std::string lead_id;
  std::string field;
  RevertOutcome outcome;
};

class WaveStore {
 public:
  explicit WaveStore(SQLite::Database& db) : db_(db) {}

  // A new wave numbered one above the last, status running, started now. A wave still 'running'
  // (its apply died) is marked interrupted first.
  std::int64_t begin(std::int64_t plan_id, std::int64_t apply_run, const std::string& selection_json);
  void finish(std::int64_t wave, WaveStatus status, const std::string& counts_json);

  // Journals rows as written by wave now. Call inside the caller's transaction, the one that
  // records the same values in apply_log, so that both or neither are kept.
  void journal(std::int64_t wave, const std::vector<JournalRow>& rows);

  std::optional<WaveRecord> find(std::int64_t wave);
  std::vector<WaveRecord> all();  // in wave order

  // The journal rows of wave that no revert has handled yet, in lead-id then field order.
  std::vector<JournalRow> unreverted(std::int64_t wave);

  // JournalSummary of the rows unreverted() returns, restricted to FIELDS (the fields this build
  // writes): one aggregate query, nothing held per lead.
  JournalSummary unrevertedSummary(std::int64_t wave, const std::vector<std::string>& fields);

  // Records what revert did, in one transaction: each journal row's reverted_at and
  // revert_outcome, and apply_log outcome 'reverted' for each restored value (so that no later
  // apply writes it again and plan shows it settled).
  void recordRevert(std::int64_t wave, const std::vector<RevertResult>& results);

 private:
  SQLite::Database& db_;
};

// The rows unreverted() returns, a batch of leads at a time (issue 9: flat memory): a keyset on
// the lead id over the journal's primary key, one prepared statement re-run from the last lead
// read, so that memory holds one batch whatever the wave's size.
class JournalCursor {
 public:
  JournalCursor(SQLite::Database& db, std::int64_t wave);

  // Appends to out every unreverted row of the next leads (at most max leads), in lead-id then
  // field order. Returns false once the wave has no unreverted row after the last lead read.
  bool next(std::vector<JournalRow>& out, std::size_t max);

 private:
  SQLite::Statement query_;
  std::string last_;  // the last lead read; '' before the first (every id sorts after it)
  bool done_ = false;
};

}  // namespace ghlb
