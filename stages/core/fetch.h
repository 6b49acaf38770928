// fetch: looks every lead of the snapshot up in GHL (GET by contact id, or email search plus a GET
// when the search payload lacks a field the lead misses) and stores the raw answers in the work
// DB's fetch_result, for plan to read. All locations are served at once, round-robin, each within
// its own RateLimiter, with at most --concurrency requests in flight overall. Re-running fetches
// only what is missing, retryable, whose lookup changed with the snapshot, or a not_found older
// than --recheck-not-found-after. Tokens stay in memory: never in the work DB, a log line or an
// error. Per location, --strategy decides how leads are looked up (fetch_tasks.h: per-lead,
// OR-batched searches, or a scan of the location's contacts); one answer may give many leads'
// results, each stored in the shape a per-lead lookup gives, so plan reads fetch_result as before.
//
// The shape (ninja's Plan / CommandRunner / BuildStatus): fetch_work.h reads the work list;
// fetch_scheduler.h says which location may send next (limiter, daily quota, reachability,
// round-robin, O(log n) in locations); fetch_location.h is one location's leads, waiting tasks
// and strategy; lookup_task.h is the task interface (lookup_lead.h, lookup_batch.h,
// lookup_scan.h: each kind builds its request and turns its answer into N lead results through a
// TaskContext); fetch_progress.h tells the user; lookup_store.h keeps scan pages and OR-group
// answers raw, fetch_store.h writes fetch_result. The engine (fetch.cpp) joins them without
// knowing a task's kind; fetch_stage.cpp is the stage around it, fetch_estimate.cpp --estimate.
//
// Search lag: a contact created moments before a search may not be in GHL's search index yet. A
// lead that batch or scan (or a per-lead search) does not find is recorded not_found with the
// time of its lookup (fetched_at), and --recheck-not-found-after (default 7d) looks it up again
// on a later run once that result is older; no run re-queries every not-found lead, and no run
// waits on the index (a retry seconds later would cost a request per lead for a rare case).
#pragma once
#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "clock.h"
#include "exit_code.h"
#include "fetch_work.h"
#include "log.h"
#include "options.h"
#include "outcome.h"
#include "progress.h"
#include "transport.h"
#include "work_db.h"

namespace ghlb {

// What fetch needs to call GHL for one client (tenant). The token is a secret.
struct Credential {
  std::string location_id;
  std::string token;
};

struct FetchCounts {
  std::int64_t total = 0;                         // leads in the work list of this run
  std::int64_t requests = 0;                      // HTTP requests issued
  std::int64_t rate_limited = 0;                  // 429 responses
  std::int64_t unfetched = 0;                     // work-list leads left without a result (cap, signal)
  std::map<FetchOutcome, std::int64_t> outcomes;  // results stored by this run
  bool interrupted = false;                       // stopped by a signal
  bool capped = false;                            // stopped issuing at --max-requests
  std::int64_t locations = 0;                     // locations with work
  std::int64_t auth_stopped = 0;                  // of which stopped as auth_failed
  std::string unreachable_error;                  // set when every location was unreachable
  bool tls_failed = false;                        // stopped at a TLS verification failure
  std::int64_t fallbacks = 0;                     // locations whose batch or scan fell back to per-lead

  std::int64_t stored() const;     // results stored by this run
  std::int64_t retryable() const;  // of which retryable
};

// Knobs of the engine that are not command-line options.
struct FetchControl {
  const std::atomic<bool>* stop = nullptr;  // once true: stop issuing, drain in-flight, flush
  Millis stop_grace{1500};         // in-flight wait after a stop request; later answers are dropped (their
                                   // leads stay unfetched), so a stop ends within 2 s; <0: timeout_ms + 1 s
  std::uint64_t seed = 0x5eed;     // jitter of backoffs and limiters
  int flush_every = 200;           // results per SQLite transaction ...
  Millis flush_interval{1000};     // ... or at least this often
  Millis progress_interval{5000};  // progress at most this often
  Progress* progress = nullptr;    // null: "progress" log records
  // The work list as runFetch read it (readWorkList, with location work under --strategy auto);
  // null: the engine reads it. Read once per run, not once per caller.
  const WorkList* work_list = nullptr;
};

// The stage: validates options, opens the work DB, reads tokens from the application database,
// fetches, and finishes the stage_run row. kDone, or kRetryable when leads are left retryable
// or unfetched. FatalError (usage errors included) propagates to the main; fetchFailure() ends
// the run as a FatalError too, after storing what was fetched (stage_run marked failed).
ExitCode runFetch(const FetchOptions& opts, const Log& log);

// What the remaining work of fetch needs, per location, without calling GHL. Requests: those of
// the strategy fetch would use (fetch_tasks.h: per-lead one per lead that needs a call; batched
// one per GET plus one per OR group; scan one per 500 contacts). auto picks the cheapest with the
// location's contact count from an earlier probe; without one, a probe (counted) decides when it
// can pay, and the cost shown is the best without a scan. Not counted, because only GHL's
// answers tell: searchAfter pages beyond the first, the GET that follows a search whose payload
// lacks a field the lead misses (at most one per search lead: requests_max counts it), retries.
// Time: requests at our window share, min(burst, 100 - headroom) per 10 s (GHL's Max until an
// answer says otherwise; --per-location-rps when lower), all locations at once. Days: the
// requests that fit in today's quota above the reserve (the work DB's count for today, else
// GHL's 200,000 a day), then 200,000 - reserve a day.
struct LocationEstimate {
  std::string client_id;
  FetchStrategy strategy = FetchStrategy::kPerLead;  // the one fetch would use (auto: chosen)
  bool probe = false;                                // auto decides after a probe (counted in requests)
  std::int64_t leads = 0;                            // in the work list
  std::int64_t requests = 0;                         // one per lead that needs a call
  std::int64_t requests_max = 0;                     // plus one follow-up GET per search lead
  double seconds = 0;                                // at the configured rate
  std::int64_t days = 0;                             // UTC days the daily budget spreads the requests over
};
struct FetchEstimate {
  std::vector<LocationEstimate> locations;
  std::int64_t requests = 0, requests_max = 0, leads = 0;
  double seconds = 0;  // the slowest location (they run at once)
  std::int64_t days = 0;
};
FetchEstimate estimateFetch(WorkDb& work, const FetchOptions& opts, const Clock& clock);

// Opens the work DB, estimates and prints the table (and a fetch_estimate log line).
void printFetchEstimate(const FetchOptions& opts, const Log& log, std::ostream& out);

// usageError naming the first out-of-range option, with its allowed range.
void validateFetchOptions(const FetchOptions& opts);

// The engine: fetches the work list (control.work_list, else readWorkList()) and stores each result in
// fetch_result with fetch_run = RUN_ID. CREDS maps client id to its location and token; a client of the work
// list without one is stopped at once (warning reason=no_token) and its leads recorded auth_failed, detail
// "location_stopped". opts.base_url is used as given (validated by the caller).
FetchCounts fetchLeads(WorkDb& work, const std::map<std::string, Credential>& creds, Transport& transport,
                       const Clock& clock, const FetchOptions& opts, const Log& log, std::int64_t run_id,
                       const FetchControl& control = {});

// The one-line message of a run no re-run can fix as it is (exit 1): TLS verification failed,
// every location unreachable, or every location failed authentication. nullopt otherwise.
std::optional<std::string> fetchFailure(const FetchCounts& counts);

// kRetryable when anything is left retryable or unfetched, else kDone.
ExitCode fetchExitCode(const FetchCounts& counts);

// The counts as stage_run.counts JSON (numbers only).
std::string fetchCountsJson(const FetchCounts& counts);

}  // namespace ghlb
