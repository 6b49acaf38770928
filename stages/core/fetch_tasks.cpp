#include "fetch_tasks.h"

#include <algorithm>

#include "fetch_work.h"
#include "lead.h"
#include "text.h"

namespace ghlb {

const char* toString(FetchStrategy s) {
  switch (s) {
    case FetchStrategy::kAuto:
      return "auto";
    case FetchStrategy::kPerLead:
      return "per-lead";
    case FetchStrategy::kBatched:
      return "batched";
    case FetchStrategy::kScan:
      return "scan";
  }
  return "auto";
}

std::optional<std::int64_t> expectedRequests(FetchStrategy strategy, const LocationWork& w, int batch) {
  const std::int64_t b = std::max(1, batch);
  switch (strategy) {
    case FetchStrategy::kPerLead:
      return w.gets + w.searches;
    case FetchStrategy::kBatched:
      return w.gets + (w.emails + b - 1) / b;
    case FetchStrategy::kScan:
      if (!w.contacts) return std::nullopt;
      if (w.gets + w.searches == 0) return 0;
      return std::max<std::int64_t>(1, (*w.contacts + kScanPageLimit - 1) / kScanPageLimit);
    case FetchStrategy::kAuto:
      return chooseStrategy(w, batch).requests;
  }
  return std::nullopt;
}

StrategyChoice chooseStrategy(const LocationWork& w, int batch) {
  StrategyChoice best{FetchStrategy::kPerLead, *expectedRequests(FetchStrategy::kPerLead, w, batch)};
  for (const FetchStrategy s : {FetchStrategy::kBatched, FetchStrategy::kScan})
    if (const auto n = expectedRequests(s, w, batch); n && *n < best.requests) best = {s, *n};
  return best;
}

bool probeWorthIt(const LocationWork& w, int batch) {
  LocationWork unknown = w;
  unknown.contacts.reset();
  return chooseStrategy(unknown, batch).requests > 2;
}

bool ContactIndex::addBody(std::string_view body, std::int64_t* contacts) {
  auto split = splitSearchBody(body);
  if (!split) return false;
  if (contacts) *contacts = static_cast<std::int64_t>(split->size());
  for (auto& rc : *split) {
    if (!seen_.insert(rc.contact.id).second) continue;
    const auto email = normalizeEmail(rc.contact.email ? *rc.contact.email : std::string());
    if (email && want_email_.count(*email)) by_email_[*email].push_back(rc.json);
    if (want_id_.count(rc.contact.id)) by_id_.emplace(rc.contact.id, std::move(rc));
  }
  return true;
}

std::string ContactIndex::searchBodyFor(const std::string& normalized_email) const {
  std::vector<const std::string*> objects;
  if (const auto it = by_email_.find(normalized_email); it != by_email_.end())
    for (const auto& o : it->second) objects.push_back(&o);
  return searchBodyOf(objects);
}

const RawContact* ContactIndex::byId(const std::string& id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

}  // namespace ghlb
