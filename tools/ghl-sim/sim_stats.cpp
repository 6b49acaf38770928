#include "sim_stats.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

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
  const std::lock_guard lock(mu_);
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("requests");
  w.Int64(requests_);
  w.Key("by_location");
  w.StartObject();
  for (const auto& [id, loc] : byLocation_) {
    w.Key(id.c_str(), static_cast<rapidjson::SizeType>(id.size()));
    w.StartObject();
    w.Key("requests");
    w.Int64(loc.requests);
    w.Key("rate_limited");
    w.Int64(loc.rateLimited);
    w.Key("max_in_window");
    w.Int64(loc.maxInWindow);
    w.Key("max_seen_in_window");
    w.Int64(loc.maxSeenInWindow);
    w.Key("search");
    w.Int64(loc.search);
    w.Key("get");
    w.Int64(loc.get);
    w.EndObject();
  }
  w.EndObject();
  w.Key("write_attempts");
  w.Int64(writeAttempts_);
  w.Key("status_counts");
  w.StartObject();
  for (const auto& [status, count] : statusCounts_) {
    const std::string key = std::to_string(status);
    w.Key(key.c_str(), static_cast<rapidjson::SizeType>(key.size()));
    w.Int64(count);
  }
  w.EndObject();
  w.Key("resets");
  w.Int64(resets_);
  w.Key("faults_injected");
  w.Int64(faults_);
  w.Key("unexpected_requests");
  w.Int64(unexpected_);
  w.Key("bad_auth_header");
  w.Int64(badAuth_);
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
