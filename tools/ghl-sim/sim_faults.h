// Fault injection: the deterministic per-target scripts from the data file (each matching request
// consumes the next scripted response) and the seeded random faults and latency used for soak
// tests and demos. Both are thread-safe.
#pragma once
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "sim_data.h"

namespace ghlsim {

class FaultScripts {
 public:
  explicit FaultScripts(const std::vector<FaultScript>& scripts);

  // The next scripted response for a GET of `contactId`, consuming it; nullopt when no script
  // targets the id or its scripts are exhausted. With several scripts for one target, the first
  // (in file order) that still has responses is used.
  std::optional<FaultAction> nextForContact(std::string_view contactId);

  // The next scripted response for a search whose email eq filters have `emailKeys` (trimmed,
  // lower-cased), consuming it; the first script in file order whose email is among the keys
  // and that still has responses wins.
  std::optional<FaultAction> nextForEmails(const std::vector<std::string>& emailKeys);

 private:
  struct Entry {
    FaultScript script;
    std::size_t next = 0;
  };
  std::mutex mu_;
  std::vector<Entry> entries_;
};

struct RandomFaultConfig {
  double failRate = 0;       // fraction answered 500, 502 or 503
  double resetRate = 0;      // fraction whose connection is reset
  double malformedRate = 0;  // fraction answered 200 with truncated JSON
  int latencyMs = 0;         // added to every request
  int jitterMs = 0;          // plus a uniform 0..jitterMs
  std::uint64_t seed = 1;
};

class RandomFaults {
 public:
  explicit RandomFaults(RandomFaultConfig config);

  // One draw: a fault (status 500/502/503, reset or malformed) with the configured
  // probabilities, or nullopt. Draws nothing from the generator when all rates are 0, so the
  // sequence of faults for a given seed depends only on the number of draws.
  std::optional<FaultAction> draw();

  // latencyMs plus a uniform 0..jitterMs (ms).
  std::chrono::milliseconds delay();

 private:
  RandomFaultConfig config_;
  std::mutex mu_;
  std::mt19937_64 faultRng_;
  std::mt19937_64 jitterRng_;
};

}  // namespace ghlsim
