// The lookup strategies of fetch (issue 8) as pure parts the engine composes: what each strategy
// costs for a location's work and which one auto picks, and the index that cuts an OR-batched
// answer or a location's scan pages into per-lead answers. A per-lead answer is built in the
// shape plan already reads: a search body holding exactly the contacts whose normalized primary
// email is the lead's, or a GET body for a lead known by contact id.
#pragma once
#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "contact.h"
#include "options.h"

namespace ghlb {

inline constexpr int kScanPageLimit = 500;  // GHL's largest page: a scan reads 500 contacts a request

const char* toString(FetchStrategy s);  // "auto", "per-lead", "batched", "scan"

// What a location's remaining work holds, as the costs need it.
struct LocationWork {
  std::int64_t gets = 0;                 // leads looked up by contact id
  std::int64_t searches = 0;             // leads looked up by email
  std::int64_t emails = 0;               // distinct emails among them
  std::optional<std::int64_t> contacts;  // contacts of the location (the probe's total), when known
};

// The requests STRATEGY is expected to send for W (BATCH emails per OR group): per-lead one per
// lead; batched one per GET plus one per group; scan one per 500 contacts (at least one).
// Follow-up GETs, extra pages and retries are not counted. Scan without a contact count: nullopt.
std::optional<std::int64_t> expectedRequests(FetchStrategy strategy, const LocationWork& w, int batch);

struct StrategyChoice {
  FetchStrategy strategy = FetchStrategy::kPerLead;
  std::int64_t requests = 0;
};

// The cheapest of per-lead, batched and scan (scan only with a contact count); ties go to the
// simpler one (per-lead, then batched).
StrategyChoice chooseStrategy(const LocationWork& w, int batch);

// True when a probe (one request) can pay: the best strategy without a contact count costs more
// than the probe plus one scan page.
bool probeWorthIt(const LocationWork& w, int batch);

// Collects, from answers that may hold any contacts of one location, the contacts wanted by
// normalized primary email and by id, and turns them into per-lead answers. Contacts are
// deduplicated by id (a page boundary may repeat one).
class ContactIndex {
 public:
  void wantEmail(const std::string& normalized_email) { want_email_.insert(normalized_email); }
  void wantId(const std::string& id) { want_id_.insert(id); }

  // Adds the contacts of one search body; false when the body is not a valid search answer.
  bool addBody(std::string_view body, std::int64_t* contacts = nullptr);

  // {"contacts":[...],"total":N} with every contact seen whose normalized primary email is EMAIL.
  std::string searchBodyFor(const std::string& normalized_email) const;

  // The contact seen with ID, or nullptr.
  const RawContact* byId(const std::string& id) const;

 private:
  std::unordered_set<std::string> want_email_, want_id_, seen_;
  std::unordered_map<std::string, std::vector<std::string>> by_email_;  // contact objects (JSON)
  std::unordered_map<std::string, RawContact> by_id_;
};

}  // namespace ghlb
