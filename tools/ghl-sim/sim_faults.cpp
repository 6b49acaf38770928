#include "sim_faults.h"

#include <algorithm>

namespace ghlsim {

FaultScripts::FaultScripts(const std::vector<FaultScript>& scripts) {
  entries_.reserve(scripts.size());
  for (const FaultScript& s : scripts) entries_.push_back(Entry{s, 0});
}

std::optional<FaultAction> FaultScripts::nextForContact(std::string_view contactId) {
  const std::lock_guard lock(mu_);
  for (Entry& e : entries_) {
    if (!e.script.contactId.empty() && e.script.contactId == contactId &&
        e.next < e.script.responses.size()) {
      return e.script.responses[e.next++];
    }
  }
  return std::nullopt;
}

std::optional<FaultAction> FaultScripts::nextForEmails(const std::vector<std::string>& emailKeys) {
  if (emailKeys.empty()) return std::nullopt;
  const std::lock_guard lock(mu_);
  for (Entry& e : entries_) {
    if (e.script.emailKey.empty() || e.next >= e.script.responses.size()) continue;
    if (std::find(emailKeys.begin(), emailKeys.end(), e.script.emailKey) != emailKeys.end()) {
      return e.script.responses[e.next++];
    }
  }
  return std::nullopt;
}

RandomFaults::RandomFaults(RandomFaultConfig config)
    : config_(config), faultRng_(config.seed), jitterRng_(config.seed ^ 0x9E3779B97F4A7C15ULL) {}

std::optional<FaultAction> RandomFaults::draw() {
  if (config_.failRate <= 0 && config_.resetRate <= 0 && config_.malformedRate <= 0) return std::nullopt;
  const std::lock_guard lock(mu_);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const double u = unit(faultRng_);
  if (u < config_.failRate) {
    static constexpr int kStatuses[] = {500, 502, 503};
    std::uniform_int_distribution<int> pick(0, 2);
    return FaultAction{FaultAction::Kind::Status, kStatuses[pick(faultRng_)]};
  }
  if (u < config_.failRate + config_.resetRate) return FaultAction{FaultAction::Kind::Reset, 0};
  if (u < config_.failRate + config_.resetRate + config_.malformedRate) {
    return FaultAction{FaultAction::Kind::Malformed, 0};
  }
  return std::nullopt;
}

std::chrono::milliseconds RandomFaults::delay() {
  if (config_.jitterMs <= 0) return std::chrono::milliseconds(std::max(0, config_.latencyMs));
  const std::lock_guard lock(mu_);
  std::uniform_int_distribution<int> jitter(0, config_.jitterMs);
  return std::chrono::milliseconds(std::max(0, config_.latencyMs) + jitter(jitterRng_));
}

}  // namespace ghlsim
