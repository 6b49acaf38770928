// What fetch tells the user while it runs, apart from the engine (ninja's BuildStatus beside Plan
// and CommandRunner): the progress meter (progress.h: a live line, log records, or nothing), fed
// at most once per interval with the whole stage's done/total, the request rate against what the
// active locations' windows allow, and an ETA; the fetch_resumed line at the start and the
// fetch_summary line at the end. Counts and ids only, never PII.
#pragma once
#include <cstdint>
#include <memory>

#include "clock.h"
#include "fetch.h"
#include "log.h"
#include "progress.h"

namespace ghlb {

// What the locations look like at one moment, as the meter shows it.
struct LocationsGauge {
  std::int64_t paused = 0;   // paused by a 429 or their window, or stopped for the daily quota
  double ceiling_per_s = 0;  // what the windows of the locations with work allow
};

class FetchStatus {
 public:
  // PROGRESS null: "progress" log records through LOG. STAGE_TOTAL: eligible leads in scope,
  // earlier runs' included; TO_FETCH: those of this run's work list.
  FetchStatus(const Log& log, Progress* progress, Millis interval, SteadyTime start, std::int64_t stage_total,
              std::int64_t to_fetch);

  // The fetch_resumed line, when earlier runs did part of the stage.
  void started() const;

  // True once an update is due at NOW (the caller then measures the gauge).
  bool due(SteadyTime now) const { return now - last_ >= interval_; }

  // One update of the meter at NOW.
  void update(SteadyTime now, const FetchCounts& counts, const LocationsGauge& gauge);

  // Ends the meter and logs fetch_summary.
  void finish(const FetchCounts& counts);

  std::int64_t stageTotal() const { return stage_total_; }

 private:
  const Log& log_;
  std::unique_ptr<Progress> own_;
  Progress* progress_;
  Millis interval_;
  SteadyTime started_, last_;
  std::int64_t stage_total_, to_fetch_;
  std::int64_t last_requests_ = 0;
};

}  // namespace ghlb
