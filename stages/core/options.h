// One options struct per stage, every default beside its field. Tests build them directly;
// the stage mains fill them from the command line (cli.h). No field ever holds a token.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "names.h"

namespace ghlb {

enum class LogFormat { kText, kJson };

struct CommonOptions {
  std::string work_db = names::kDefaultWorkDb;  // --work-db
  std::vector<std::string> client_ids;          // --client-id (repeatable); empty = all tenants
  LogFormat log_format = LogFormat::kText;      // --log-format text|json
  bool quiet = false;                           // --quiet: errors only on stderr
  std::string metrics_file;                     // --metrics-file: Prometheus textfile at the end
  std::chrono::seconds time_budget{0};          // --time-budget: stop cleanly after this; 0 = none
};

struct ExtractOptions {
  CommonOptions common;
  std::string database_url;        // --database-url, default $DATABASE_URL
  int page_size = 20000;           // --page-size: rows per FETCH of the server-side cursor
  std::int64_t max_leads = 0;      // --max-leads: cap on leads snapshotted this run; 0 = no cap
  std::string snapshot = "whole";  // --snapshot whole|pages (snapshot_store.h SnapshotKind)
  bool incremental = false;        // --incremental: only leads changed since the tenant's watermark
  bool full = false;               // --full: every lead of the scope (the default, said explicitly)
};

// How fetch looks a location's leads up (fetch_tasks.h): one request per lead, OR groups of
// emails, or a walk of the location's whole contact list; kAuto picks the cheapest per location.
enum class FetchStrategy { kAuto, kPerLead, kBatched, kScan };

struct FetchOptions {
  CommonOptions common;
  std::string database_url;                          // --database-url: tokens are read from "Client"
  std::string base_url = names::kGhlDefaultBaseUrl;  // --ghl-base-url, default $GHL_API_BASE
  int burst_per_10s = 90;                            // --per-location-burst-per-10s, $GHL_REQUESTS_PER_10S
  double per_location_rps = 0;                       // --per-location-rps: steady cap; 0 = burst/10 s only
  int concurrency = 16;                              // --concurrency: requests in flight overall
  int max_retries = 5;                               // --max-retries per request (5xx, 429, network)
  int timeout_ms = 15000;                            // --timeout-ms per request
  bool refetch = false;                              // --refetch: fetch every lead again
  std::int64_t max_requests = 0;                     // --max-requests: stop after this many; 0 = no cap
  int search_page_limit = 100;                       // contacts asked per email search
  std::int64_t max_body_bytes = 4 << 20;             // --max-body-bytes: longest GHL answer read
  int headroom = 10;                              // --headroom: slots of each window left to the application
  std::int64_t daily_reserve = 20000;             // --daily-reserve: daily requests per location never spent
  bool estimate = false;                          // --estimate: print what the work needs, call nothing
  FetchStrategy strategy = FetchStrategy::kAuto;  // --strategy auto|per-lead|batched|scan
  int search_batch = 100;                         // --search-batch: emails OR-ed in one search (1-500)
  std::int64_t recheck_not_found_after_s =
      7 * 86400;  // --recheck-not-found-after: not_found looked up again; 0 never
};

struct PlanOptions {
  CommonOptions common;
  std::string export_path;         // --export FILE.csv|FILE.json: the diff, with PII
  bool json = false;               // --json: the review as one JSON document on stdout (review_json.h)
  bool detailed_exitcode = false;  // --detailed-exitcode: 0 nothing to write, 2 changes, 1 error
  // The HTML report (report_html.h).
  std::string report_path;  // --report FILE.html: one self-contained page for the reviewer
  bool show_pii = false;    // --show-pii: the report shows emails and phones unmasked
  // What the printed review is narrowed to (review.h ReviewFilter); empty = everything. The plan,
  // the export and the exit status always cover the whole scope.
  std::vector<std::string> leads;     // --lead ID (repeatable): these leads, in detail (values: PII)
  std::vector<std::string> fields;    // --field F (repeatable): kFields names
  std::vector<std::string> outcomes;  // --outcome S (repeatable): reviewOutcomes()
};

struct ApplyOptions {
  CommonOptions common;
  std::string database_url;              // --database-url
  int batch_size = 1000;                 // --batch-size: leads per PostgreSQL transaction
  bool dry_run = false;                  // --dry-run: report, write nothing
  std::int64_t plan_id = 0;              // --plan ID: apply this plan; 0 = the latest plan covering the scope
  std::int64_t max_rows_per_second = 0;  // --max-rows-per-second N: pace the batches; 0 = no pace
  bool yes = false;                      // --yes: no confirmation question (needed without a terminal)

  // --only-approved: write only the changes a reviewer approved ('ghl-backfill review').
  bool only_approved = false;
  // The wave (wave_select.h): which of the planned values this run writes.
  std::vector<std::string> fields;  // --field F (repeatable): only these fields; empty = every field
  std::int64_t limit = 0;           // --limit N: at most the first N selected leads (lead-id order); 0 = all
  double sample = 1.0;              // --sample F: the deterministic fraction F of leads, 0 < F <= 1
  bool list_leads = false;          // --list-leads: print the selected lead ids
};

// `ghl-backfill revert WAVE`: restores what one wave wrote, where the application left it as is.
struct RevertOptions {
  CommonOptions common;
  std::string database_url;  // --database-url
  std::int64_t wave = 0;     // WAVE: the wave number apply printed (status lists them)
  int batch_size = 200;      // --batch-size: leads per PostgreSQL transaction
  bool dry_run = false;      // --dry-run: report what would be restored, write nothing
  bool yes = false;          // --yes: no confirmation question (needed without a terminal)
  bool json = false;         // --json: one JSON document on stdout (counts and lead ids, no values)
};

}  // namespace ghlb

namespace ghlb {

struct StatusOptions {
  CommonOptions common;
  bool json = false;  // --json: one JSON document on stdout (schema_version 1)
};

// `ghl-backfill review`: sets the reviewer's decision on the changes the selectors pick (AND).
struct ReviewOptions {
  CommonOptions common;
  bool approve = false;               // --approve: exactly one of --approve, --reject, --reset
  bool reject = false;                // --reject
  bool reset = false;                 // --reset: back to proposed
  std::vector<std::string> fields;    // --field F (repeatable): names of fields.h's kFields
  std::vector<std::string> lead_ids;  // --lead ID (repeatable)
  std::string leads_file;             // --leads-file FILE: one lead id per line, # comments
  bool ambiguous = false;             // --ambiguous: leads whose email matched several contacts
  std::vector<std::string> states;    // --state S (repeatable): changes now in state S
  bool all = false;                   // --all: every change (no selector needed)
  bool dry_run = false;               // --dry-run: show what would change, store nothing
  bool json = false;                  // --json: the summary as one JSON document
};

// `ghl-backfill run`: the stages' options, filled from one command line.
struct RunOptions {
  CommonOptions common;
  ExtractOptions extract;  // database_url is shared by extract, fetch and apply
  FetchOptions fetch;
  PlanOptions plan;
  ApplyOptions apply;
  bool do_apply = false;  // --apply: apply after the review
};

}  // namespace ghlb
