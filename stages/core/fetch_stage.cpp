// The fetch stage around the engine (fetch.h): options checked, credentials read from the
// application database, the stage_run row, the one line of a run no re-run fixes, the exit code
// and the counts as JSON.
#include <SQLiteCpp/SQLiteCpp.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <optional>
#include <vector>

#include "app_db.h"
#include "app_identity.h"
#include "base_url.h"
#include "curl_transport.h"
#include "error.h"
#include "fetch.h"
#include "fetch_tasks.h"
#include "fetch_work.h"
#include "json_util.h"
#include "stop_signal.h"
#include "text.h"

namespace ghlb {
namespace {

constexpr std::int64_t kMinBodyBytes = 64 << 10;
constexpr std::int64_t kMaxBodyBytes = 64 << 20;
constexpr std::int64_t kMaxBodyMemory = 512 << 20;  // concurrency x max body: answers held at once

constexpr FetchOutcome kAllOutcomes[] = {
    FetchOutcome::kFound,      FetchOutcome::kNotFound,  FetchOutcome::kContactGone,
    FetchOutcome::kInvalidId,  FetchOutcome::kNoLookup,  FetchOutcome::kAuthFailed,
    FetchOutcome::kDailyLimit, FetchOutcome::kPermanent, FetchOutcome::kBadResponse,
    FetchOutcome::kTransient,
};

// How the one line of a run that reaches no location names the transport error class.
std::string describeError(std::string_view error) {
  if (error == "refused") return "connection refused";
  if (error == "dns") return "host name not resolved";
  if (error == "timeout") return "timed out";
  if (error == "reset") return "connection reset";
  if (error == "tls_handshake") return "TLS handshake failed: no TLS server there?";
  return "network error";
}

std::string optionsJson(const FetchOptions& o) {
  return jsonObject({{"base_url", o.base_url},
                     {"client_ids", joinIds(o.common.client_ids)},
                     {"burst_per_10s", o.burst_per_10s},
                     {"headroom", o.headroom},
                     {"daily_reserve", static_cast<std::int64_t>(o.daily_reserve)},
                     {"per_location_rps", o.per_location_rps},
                     {"concurrency", o.concurrency},
                     {"max_retries", o.max_retries},
                     {"timeout_ms", o.timeout_ms},
                     {"refetch", o.refetch ? 1 : 0},
                     {"max_requests", static_cast<std::int64_t>(o.max_requests)},
                     {"max_body_bytes", static_cast<std::int64_t>(o.max_body_bytes)},
                     {"search_page_limit", o.search_page_limit},
                     {"strategy", std::string(toString(o.strategy))},
                     {"search_batch", o.search_batch}});
}

// Tokens of the clients in WORK, read from the application database (memory only).
// The work DB must belong to that database (bindAppDatabase).
std::map<std::string, Credential> readCredentials(WorkDb& work_db, const FetchOptions& opts,
                                                  const WorkList& work, const Log& log) {
  std::map<std::string, Credential> creds;
  const auto has_work = [&work](const std::string& id) {
    const auto it = work.clients.find(id);
    return it != work.clients.end() && it->second.leads > 0;
  };
  if (std::none_of(work.clients.begin(), work.clients.end(),
                   [](const auto& c) { return c.second.leads > 0; }))
    return creds;  // nothing to fetch: no need for the application database
  AppDb app(resolveDatabaseUrl(opts.database_url), &log);
  app.checkAccess(/*write=*/false);
  bindAppDatabase(work_db, appDatabaseIdentity(app), /*record=*/false);
  for (auto& row : app.clients(opts.common.client_ids, /*with_tokens=*/true))
    if (row.participates && has_work(row.id))
      creds[row.id] = Credential{row.location_id, std::move(row.token)};
  return creds;
}

// Fetches and finishes the stage_run row; a run fetchFailure() names is finished "failed" (what
// was fetched is kept) and its message returned in FAILURE.
ExitCode fetchAndFinish(WorkDb& work, const FetchOptions& opts, const WorkList& work_list,
                        const std::map<std::string, Credential>& creds, const Log& log, std::int64_t run,
                        const Clock& clock, std::optional<std::string>& failure) {
  // Signals are handled by stop_signal (installed by runStageMain): a stop drains what is in
  // flight, flushes, records 'interrupted', and the stage exits 130 or 143.
  CurlTransport transport(opts.concurrency, std::string("ghl-backfill/") + GHLB_VERSION,
                          static_cast<std::size_t>(opts.max_body_bytes));
  FetchControl control;
  control.stop = &stopFlag();
  control.work_list = &work_list;
  const auto progress = makeProgress(opts.common, log, isatty(STDERR_FILENO) == 1);
  control.progress = progress.get();
  control.progress_interval = progress->interval();
  const FetchCounts counts = fetchLeads(work, creds, transport, clock, opts, log, run, control);
  failure = fetchFailure(counts);
  if (failure) {
    work.finishRun(run, "failed", fetchCountsJson(counts));
    return ExitCode::kFatal;
  }
  const ExitCode code = fetchExitCode(counts);
  work.finishRun(run,
                 counts.interrupted        ? "interrupted"
                 : code == ExitCode::kDone ? "done"
                                           : "retryable",
                 fetchCountsJson(counts));
  if (counts.interrupted) throw StopRequested();
  return code;
}

void checkRange(bool ok, const std::string& flag, const std::string& value, const char* range) {
  if (!ok) throw usageError(flag + " " + value + ": must be " + range);
}

}  // namespace

std::int64_t FetchCounts::stored() const {
  std::int64_t n = 0;
  for (const auto& [o, c] : outcomes) n += c;
  return n;
}

std::int64_t FetchCounts::retryable() const {
  std::int64_t n = 0;
  for (const auto& [o, c] : outcomes)
    if (isRetryable(o)) n += c;
  return n;
}

void validateFetchOptions(const FetchOptions& o) {
  checkRange(o.concurrency >= 1 && o.concurrency <= 256, "--concurrency", std::to_string(o.concurrency),
             "from 1 to 256");
  checkRange(o.burst_per_10s >= 1 && o.burst_per_10s <= 100, "--per-location-burst-per-10s",
             std::to_string(o.burst_per_10s), "from 1 to 100 (GHL allows 100 per 10 s per location)");
  checkRange(o.headroom >= 0 && o.headroom <= 99, "--headroom", std::to_string(o.headroom),
             "from 0 to 99 (slots of GHL's 100 per window left to the application)");
  checkRange(o.daily_reserve >= 0 && o.daily_reserve <= 1000000000, "--daily-reserve",
             std::to_string(o.daily_reserve),
             "from 0 to 1000000000 (requests of each location's day kept unspent)");
  checkRange(o.per_location_rps >= 0 && o.per_location_rps <= 10, "--per-location-rps",
             std::to_string(o.per_location_rps), "from 0 (off) to 10 (GHL's 100 per 10 s)");
  checkRange(o.max_retries >= 0 && o.max_retries <= 20, "--max-retries", std::to_string(o.max_retries),
             "from 0 to 20");
  checkRange(o.timeout_ms >= 100 && o.timeout_ms <= 600000, "--timeout-ms", std::to_string(o.timeout_ms),
             "from 100 to 600000");
  checkRange(o.max_requests >= 0, "--max-requests", std::to_string(o.max_requests), "0 (no cap) or more");
  checkRange(o.max_body_bytes >= kMinBodyBytes && o.max_body_bytes <= kMaxBodyBytes, "--max-body-bytes",
             std::to_string(o.max_body_bytes), "from 65536 (64 KiB) to 67108864 (64 MiB)");
  if (o.concurrency * o.max_body_bytes > kMaxBodyMemory)
    throw usageError("--concurrency " + std::to_string(o.concurrency) + " x --max-body-bytes " +
                     std::to_string(o.max_body_bytes) +
                     " may hold more than 512 MiB of answers at once: lower either flag");
  checkRange(o.search_batch >= 1 && o.search_batch <= 500, "--search-batch", std::to_string(o.search_batch),
             "from 1 to 500 (emails OR-ed in one search)");
  checkRange(o.search_page_limit >= 1 && o.search_page_limit <= 500, "search page limit",
             std::to_string(o.search_page_limit), "from 1 to 500 (GHL's maximum)");
}

std::optional<std::string> fetchFailure(const FetchCounts& c) {
  if (c.tls_failed)
    return std::string(
        "TLS verification failed for the GHL API: check --ghl-base-url / GHL_API_BASE, the server's "
        "certificate and the system CA certificates (verification is never turned off), then run fetch "
        "again");
  if (!c.unreachable_error.empty())
    return "cannot reach GHL (" + describeError(c.unreachable_error) +
           ") for every location: check --ghl-base-url / GHL_API_BASE and the network, then run fetch again";
  if (c.locations > 0 && c.auth_stopped == c.locations)
    return std::string(
        "no location could be authenticated: check \"Client\".\"ghlPrivateKey\" of each tenant (missing, "
        "revoked, or not visible ASCII), then run fetch again");
  return std::nullopt;
}

ExitCode fetchExitCode(const FetchCounts& c) {
  return c.retryable() > 0 || c.unfetched > 0 ? ExitCode::kRetryable : ExitCode::kDone;
}

std::string fetchCountsJson(const FetchCounts& c) {
  std::vector<std::pair<std::string, std::int64_t>> fields = {{"total", c.total},
                                                              {"requests", c.requests},
                                                              {"rate_limited", c.rate_limited},
                                                              {"unfetched", c.unfetched}};
  for (const FetchOutcome o : kAllOutcomes) {
    const auto it = c.outcomes.find(o);
    fields.emplace_back(std::string(toString(o)), it == c.outcomes.end() ? 0 : it->second);
  }
  fields.emplace_back("fallbacks", c.fallbacks);
  fields.emplace_back("interrupted", c.interrupted ? 1 : 0);
  fields.emplace_back("capped", c.capped ? 1 : 0);
  fields.emplace_back("unreachable", c.unreachable_error.empty() ? 0 : 1);
  fields.emplace_back("tls_failed", c.tls_failed ? 1 : 0);
  return jsonObject(fields);
}

ExitCode runFetch(const FetchOptions& in, const Log& log) {
  validateFetchOptions(in);
  if (in.estimate) {
    printFetchEstimate(in, log, std::cout);
    return ExitCode::kDone;
  }
  FetchOptions opts = in;
  opts.base_url = validateBaseUrl(in.base_url);
  WorkDb work(opts.common.work_db, WorkDb::Mode::kExisting);
  if (work.lastExtractUnfinished())
    log.warn(
        "the last extract did not finish, so the snapshot is partial: run 'ghl-backfill extract' again to "
        "complete it");
  checkKnownClients(work.db(), opts.common.client_ids);
  // Bad input and an unreachable application database stop the stage before it writes anything.
  SystemClock clock;
  WorkList work_list;
  work_list.rule = workRule(opts, clock.wallNow());
  work_list.clients = readWorkList(work, work_list.rule, opts.common.client_ids,
                                   /*with_location_work=*/opts.strategy == FetchStrategy::kAuto);
  const auto creds = readCredentials(work, opts, work_list, log);
  const std::int64_t run = work.beginRun("fetch", optionsJson(opts));
  std::optional<std::string> failure;
  ExitCode code = ExitCode::kDone;
  try {
    code = fetchAndFinish(work, opts, work_list, creds, log, run, clock, failure);
  } catch (const SQLite::Exception& e) {
    try {
      work.finishRun(run, "failed", "{}");
    } catch (...) {
    }
    throw FatalError("work DB " + opts.common.work_db + ": " + e.what() +
                     ": check free disk space and permissions, then run fetch again");
  } catch (const StopRequested&) {
    throw;  // recorded as 'interrupted' already
  } catch (...) {
    try {
      work.finishRun(run, "failed", "{}");
    } catch (...) {
    }
    throw;
  }
  if (failure) throw FatalError(*failure);
  return code;
}

}  // namespace ghlb
