#include "lookup_task.h"

#include "fetch_tasks.h"

namespace ghlb {

LookupTask leadTask(LeadSnapshot lead) {
  LookupTask t;
  t.plan = lookupFor(lead);
  t.lead = std::move(lead);
  return t;
}

bool needsCall(const LookupTask& t) { return t.plan.kind == Lookup::kGet || t.plan.kind == Lookup::kSearch; }

FetchOutcome noCallOutcome(const LookupTask& t) {
  return t.plan.kind == Lookup::kNone ? FetchOutcome::kNoLookup : FetchOutcome::kInvalidId;
}

HttpRequest requestFor(const LookupTask& t, const GhlTarget& target, int page_limit) {
  if (t.task == Task::kProbe) return buildScanRequest(target, 1);
  if (t.task == Task::kScanPage) return buildScanRequest(target, kScanPageLimit, t.cursor);
  if (t.task == Task::kBatch) return buildBatchSearchRequest(target, t.emails, kScanPageLimit, t.cursor);
  if (t.follow_get) return buildGetRequest(target, t.follow_id);
  if (t.plan.kind == Lookup::kGet) return buildGetRequest(target, t.plan.key);
  return buildSearchRequest(target, t.plan.key, page_limit, t.cursor);
}

Endpoint endpointOf(const LookupTask& t) {
  const bool get = t.task == Task::kLead && (t.follow_get || t.plan.kind == Lookup::kGet);
  return get ? Endpoint::kGet : Endpoint::kSearch;
}

std::string_view requestedId(const LookupTask& t) {
  if (t.follow_get) return t.follow_id;
  return t.plan.kind == Lookup::kGet ? std::string_view(t.plan.key) : std::string_view();
}

std::vector<LookupTask> cutBatchAnswer(LookupTask& batch, const std::vector<std::string>& bodies) {
  ContactIndex index;
  for (const auto& e : batch.emails) index.wantEmail(e);
  for (const auto& b : bodies) index.addBody(b);
  std::vector<LookupTask> out = std::move(batch.members);
  batch.members.clear();
  for (auto& m : out) {
    m.attempts = batch.attempts;
    m.last_status = batch.last_status;
    m.search_body = index.searchBodyFor(m.plan.key);
  }
  return out;
}

}  // namespace ghlb
