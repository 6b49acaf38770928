// The lookup tasks of fetch (issue 8 "Shape", STYLE 21): what one request is for, and how one
// answer becomes N lead results. A task is one lead (lookup_lead.h), the probe of a location's
// contact count, an OR group of emails (lookup_batch.h) or a location scan (lookup_scan.h). Each
// kind builds its own next request, says how its answer is classified, and turns the answer into
// lead results, follow-up tasks, a retry or a fallback through a TaskContext: the narrow view of
// its location and of the engine it is given. The engine (fetch.cpp) schedules tasks without
// knowing their kind; a test drives one kind with a fake context on recorded answers.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "clock.h"
#include "ghl_client.h"
#include "log.h"
#include "lookup_store.h"
#include "outcome.h"

namespace ghlb {

class LeadLookup;
class LookupTask;

// What becomes of a task once its answer is read.
enum class Next {
  kDone,   // finished: its leads are recorded, or handed on as other tasks
  kAgain,  // send it again now, before the location's other tasks (next page, follow-up GET)
  kRetry,  // send it again after a backoff, unless its retries are spent (then it fails)
};

// What a task may do back into its location and the engine. Tokens never pass through here.
class TaskContext {
 public:
  virtual SteadyTime now() const = 0;
  virtual const Log& log() const = 0;
  virtual const std::string& clientId() const = 0;
  virtual std::int64_t maxBodyBytes() const = 0;  // --max-body-bytes: all pages of one search

  // The location's state: set once it is stopped for the run (auth, daily quota).
  virtual std::optional<FetchOutcome> stopped() const = 0;
  // Stops the location: its waiting and unread leads get OUTCOME (reason and status are logged).
  virtual void stop(FetchOutcome outcome, const char* reason, int status) = 0;
  // GHL said the location's day is spent: not retried today, not even by a restart.
  virtual void dailySpent() = 0;

  // One lead's result, stored in fetch_result.
  virtual void record(LeadLookup& lead, FetchOutcome outcome, std::string detail,
                      std::string contact_body = {}) = 0;
  // A task the location sends later: FIRST before its other waiting tasks (a started lead's next
  // request), else after them, once its not_before is due.
  virtual void push(std::unique_ptr<LookupTask> task, bool first) = 0;

  // Follow-up GETs: whether they stopped for the location, and what one added.
  virtual bool followUpsOff() const = 0;
  virtual void noteFollowUp(bool useful) = 0;
  // The probe's answer: the location's contact count (nullopt: none), then the cheapest strategy.
  virtual void probed(std::optional<std::int64_t> contacts, const char* reason) = 0;
  // The server would not serve WHAT ("batch", "scan"): the location goes on per lead (the task
  // pushes its leads), said once in the log and the work DB.
  virtual void fallBack(const char* what, const char* reason, int status) = 0;

  // The raw pages of an OR group (BATCH_KEY) and of the location's scan, kept in the work DB so a
  // killed run resumes from the last page.
  virtual std::vector<ScanPage> batchPages(const std::string& batch_key) = 0;
  virtual void addBatchPage(const std::string& batch_key, ScanPage page) = 0;
  virtual void finishBatch(const std::string& batch_key) = 0;
  virtual std::vector<ScanPage> scanPages() = 0;  // of an unfinished scan of this location
  virtual void beginScan() = 0;
  virtual void addScanPage(ScanPage page) = 0;
  virtual void finishScan() = 0;  // the scan's results are stored first, then it is marked complete

 protected:
  ~TaskContext() = default;
};

// One task: its next request, and what its answer means.
class LookupTask {
 public:
  virtual ~LookupTask() = default;

  // The request this task sends next (PAGE_LIMIT: a per-lead search's page size).
  virtual HttpRequest request(const GhlTarget& target, int page_limit) const = 0;
  // How its answer is classified: a GET's (404: the contact is gone) or a search's.
  virtual Endpoint endpoint() const = 0;
  // Reads one answer (never kFatal: the engine stops the run on that).
  virtual Next onReply(TaskContext& ctx, const Reply& reply, std::string body) = 0;
  // Records OUTCOME for every lead the task stands for (location stopped, retries spent).
  virtual void fail(TaskContext& ctx, FetchOutcome outcome, const std::string& detail) = 0;

  int attempts = 0;         // requests sent for it
  int tries = 0;            // sends of the current request
  int last_status = 0;      // HTTP status of its last answer (0: none)
  SteadyTime not_before{};  // backoff: not sent again before this
};

// A task whose answer is a page of many leads' contacts (an OR group, a scan): a stopped location
// fails it, an answer about the location is read as for every kind, a page goes to onPage, and
// anything else (rejected, unusable, too large) falls back to per-lead lookups for the location.
class PagedLookup : public LookupTask {
 public:
  Next onReply(TaskContext& ctx, const Reply& reply, std::string body) final;

 protected:
  virtual Next onPage(TaskContext& ctx, const SearchPage& page, std::string body) = 0;
  virtual Next fallBack(TaskContext& ctx, const char* reason, int status) = 0;
};

// What every kind does with an answer about the location rather than the task: auth (the
// location stops), the daily limit (the location pauses), 429 and retryable failures (kRetry).
// nullopt for the other replies, which the task reads itself.
std::optional<Next> onLocationReply(TaskContext& ctx, LookupTask& task, const Reply& reply);

// The probe of a location's contact count: one search of page size 1, whose total decides the
// location's strategy (fetch_tasks.h). A probe that fails leaves the choice to the work list.
class ProbeLookup final : public LookupTask {
 public:
  HttpRequest request(const GhlTarget& target, int page_limit) const override;
  Endpoint endpoint() const override { return Endpoint::kSearch; }
  Next onReply(TaskContext& ctx, const Reply& reply, std::string body) override;
  void fail(TaskContext& ctx, FetchOutcome outcome, const std::string& detail) override;
};

}  // namespace ghlb
