// Where fetch's results go: one FetchResultRow per lead looked up, upserted into the work DB's
// fetch_result (keyed by lead id, so a re-run replaces the older answer) and stamped with the
// run's id and the time of writing. Rows are buffered and written in batches, one SQLite
// transaction each, so a run does not pay a commit per lead and a crash loses at most the
// batch not yet flushed. A row holds GHL's answer bodies, never a token. Beside each row fetch
// stores what plan reads of it (fetch_answer, schema/work_db/015_fetch_answer.sql): the bodies'
// contacts in a compact form, so that plan does not parse the bodies on each run.
#pragma once
#include <SQLiteCpp/SQLiteCpp.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clock.h"
#include "lead.h"
#include "outcome.h"

namespace ghlb {

// One lead's result as fetch_result stores it; empty strings are stored as NULL.
// (Not plan.h's FetchRecord, which is the same row as plan reads it back.)
struct FetchResultRow {
  std::string lead_id;
  Lookup lookup = Lookup::kNone;
  std::string key;  // lookup_key: the contact id or normalized email looked up
  FetchOutcome outcome = FetchOutcome::kTransient;
  int http_status = 0;  // 0: no response, stored as NULL
  std::string detail;
  std::string search_body;
  std::string contact_body;
  int attempts = 0;
  std::string fetched_at;  // ISO UTC, from the caller's clock ("" : the wall clock now)
};

// The compact form plan reads of a stored result (contact.h encodeAnswer of its parsed bodies) into
// FORM: true for a found lookup, false (FORM cleared) for any other outcome, whose bodies plan does
// not read. A body is absent when it is NULL (fetch stores an empty body as NULL). The one function
// fetch, plan (for a result stored without the form) and the bench's generator use.
bool answerFormOf(FetchOutcome outcome, std::optional<std::string_view> search_body,
                  std::optional<std::string_view> contact_body, std::string& form);

// Stores the compact form of every fetch_result row that has none (a work DB fetched before
// fetch stored it, or rows written by the bench's generator), in one transaction; returns how
// many rows it stored. plan reads such rows from their bodies anyway: this only spares the parse.
std::int64_t storeMissingAnswers(SQLite::Database& db);

// The batched writer of fetch_result. Rows added are written once FLUSH_EVERY (at least 1) are
// pending (or their bodies pass kMaxPendingBytes), or by flushIfDue() once FLUSH_INTERVAL has passed since
// the last flush. The caller must flush() before the store goes away: the destructor drops what is still
// pending.
class ResultStore {
 public:
  static constexpr std::size_t kMaxPendingBytes = 16u << 20;

  // RUN is the stage_run id stored as fetch_run; NOW starts the flush interval.
  ResultStore(SQLite::Database& db, std::int64_t run, int flush_every, Millis flush_interval, SteadyTime now);

  // Buffers R; flushes when the batch is full.
  void add(FetchResultRow r, SteadyTime now);

  // Flushes when rows are pending and the interval has passed since the last flush.
  void flushIfDue(SteadyTime now);

  // Writes every pending row in one transaction (throws SQLite::Exception on failure).
  void flush(SteadyTime now);

 private:
  void bindText(int i, const std::string& s);
  void write(const FetchResultRow& r);

  SQLite::Database& db_;
  SQLite::Statement upsert_;
  SQLite::Statement answer_;  // the row's fetch_answer, after it
  std::string form_;          // kept storage for the form being written
  std::int64_t run_;
  std::size_t every_;
  Millis interval_;
  SteadyTime last_flush_;
  std::vector<FetchResultRow> pending_;
  std::size_t pending_bytes_ = 0;
};

}  // namespace ghlb
