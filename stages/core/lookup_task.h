// The lookup tasks of fetch (issue 8 "Shape", STYLE 21): what one request is for, and how one
// answer becomes N lead results. A task is one lead (its GET or search, then possibly the GET
// that follows a search hit), the probe of a location's contact count, an OR group of emails, or
// one page of a location scan; it builds its own request (requestFor) and says how its answer is
// read (endpointOf). An OR group's answer is cut into its members' per-lead answers here
// (cutBatchAnswer); the engine (fetch.cpp) schedules tasks through FetchScheduler
// (fetch_scheduler.h) without knowing which kind of task an answer belongs to until it hands the
// answer back.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clock.h"
#include "contact.h"
#include "ghl_client.h"
#include "lead.h"
#include "outcome.h"

namespace ghlb {

// What one request is for: one lead (its GET or search, or the GET after a search hit), the
// probe of a location's contact count, an OR group of emails, or one page of a location scan.
enum class Task { kLead, kProbe, kBatch, kScanPage };

// One lookup task: a lead being looked up (its first request, then possibly the GET that follows
// a search hit), or a probe, batch or scan page whose one answer turns into N lead results.
struct LookupTask {
  Task task = Task::kLead;
  std::vector<LookupTask> members{};  // kBatch: the leads of the group
  std::vector<std::string> emails{};  // kBatch: their distinct emails
  std::int64_t seen = 0;              // kBatch: contacts read over its pages
  std::string batch_key{};            // kBatch: names its stored pages (lookup_batch_page)
  std::int64_t batch_seq = 0;         // kBatch: pages stored
  LeadSnapshot lead;
  LookupPlan plan;
  bool follow_get = false;          // the current request is the GET after a search hit
  std::string follow_id;            // contact id of that GET
  std::optional<Contact> chosen{};  // the search's contact that GET completes
  int attempts = 0;                 // requests sent for this lead
  int tries = 0;                    // sends of the current request
  int last_status = 0;
  SteadyTime not_before{};           // backoff: not sent again before this
  std::string cursor;                // searchAfter of the next search page; "" for the first
  std::vector<std::string> pages{};  // search pages read so far, as GHL sent them
  std::vector<Contact> contacts{};   // their contacts
  size_t page_bytes = 0;             // their size: bounded by --max-body-bytes in all
  std::string search_body;
  std::string detail;  // carried to the result, e.g. "ambiguous"
};

// The task of looking LEAD up on its own.
LookupTask leadTask(LeadSnapshot lead);

// True when the task's lead needs a call (a GET or a search); else noCallOutcome is its result.
bool needsCall(const LookupTask& t);
FetchOutcome noCallOutcome(const LookupTask& t);

// The request T needs next: its GET or search, the GET that follows a search hit, the probe,
// the next page of an OR group or of a scan.
HttpRequest requestFor(const LookupTask& t, const GhlTarget& target, int page_limit);

// How T's answer is classified: a GET's (404: the contact is gone) or a search's.
Endpoint endpointOf(const LookupTask& t);

// The contact id a GET of T asked for ("" for a search).
std::string_view requestedId(const LookupTask& t);

// An OR group's whole answer (BODIES: its pages as GHL sent them) cut into its members' tasks,
// each holding, as search_body, the contacts of its own normalized email only, as a per-lead
// search would have answered; attempts and status are the group's.
std::vector<LookupTask> cutBatchAnswer(LookupTask& batch, const std::vector<std::string>& bodies);

}  // namespace ghlb
