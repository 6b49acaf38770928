#include "sim_stats.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "json_write.h"

namespace ghlsim {

Stats::Stats(const std::vector<std::string>& locationIds) {
  for (const std::string& id : locationIds) byLocation_.emplace(id, PerLocation{});
}

void Stats::record(const RequestRecord& r) {
  const std::lock_guard lock(mu_);
  ++requests_;
  if (r.writeAttempt) ++writeAttempts_;
  if (r.fault) ++faults_;
  if (r.unexpected) ++unexpected_;
  if (r.badAuthHeader) ++badAuth_;
  if (r.status) {
    ++statusCounts_[*r.status];
  } else {
    ++resets_;
  }
  if (!r.location) return;
  PerLocation& loc = byLocation_[*r.location];
  ++loc.requests;
  if (r.rateLimited) ++loc.rateLimited;
  if (r.route == Route::Search) ++loc.search;
  if (r.route == Route::Get) ++loc.get;
  loc.maxInWindow = std::max<long>(loc.maxInWindow, r.inWindow);
  loc.maxSeenInWindow = std::max<long>(loc.maxSeenInWindow, r.seenInWindow);
}

std::string Stats::json() const {
  using ghlb::json::key;
  using ghlb::json::member;
  const std::lock_guard lock(mu_);
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  member(w, "requests", requests_);
  key(w, "by_location");
  w.StartObject();
  for (const auto& [id, loc] : byLocation_) {
    key(w, id);
    w.StartObject();
    member(w, "requests", loc.requests);
    member(w, "rate_limited", loc.rateLimited);
    member(w, "max_in_window", loc.maxInWindow);
    member(w, "max_seen_in_window", loc.maxSeenInWindow);
    member(w, "search", loc.search);
    member(w, "get", loc.get);
    w.EndObject();
  }
  w.EndObject();
  member(w, "write_attempts", writeAttempts_);
  key(w, "status_counts");
  w.StartObject();
  for (const auto& [status, count] : statusCounts_) member(w, std::to_string(status), count);
  w.EndObject();
  member(w, "resets", resets_);
  member(w, "faults_injected", faults_);
  member(w, "unexpected_requests", unexpected_);
  member(w, "bad_auth_header", badAuth_);
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

void Stats::reset() {
  const std::lock_guard lock(mu_);
  requests_ = writeAttempts_ = resets_ = faults_ = unexpected_ = badAuth_ = 0;
  for (auto& [id, loc] : byLocation_) loc = PerLocation{};
  statusCounts_.clear();
}

}  // namespace ghlsim
