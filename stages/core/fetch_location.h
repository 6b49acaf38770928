// One location as fetch serves it: its fresh leads (the work list, read lazily), its waiting
// tasks (retries, next pages, follow-up GETs: before fresh leads), its strategy (auto until the
// probe or the work list decides; per-lead after a fallback) and what its follow-up GETs taught.
// It makes the location's next task and is the TaskContext its tasks answer through; what
// reaches beyond the location (results, stopping, counts) goes to the engine (LocationHost).
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fetch_tasks.h"
#include "fetch_work.h"
#include "lookup_lead.h"
#include "lookup_store.h"
#include "lookup_task.h"
#include "options.h"

namespace ghlb {

class Location;

// The engine as a location reaches it.
class LocationHost {
 public:
  virtual void record(LeadLookup& lead, FetchOutcome outcome, std::string detail,
                      std::string contact_body) = 0;
  // Logs why LOC stops (REASON, STATUS) and calls LOC.markStopped(OUTCOME, DETAIL).
  virtual void stopLocation(Location& loc, FetchOutcome outcome, const char* reason, int status,
                            const char* detail) = 0;
  virtual void dailySpent(Location& loc) = 0;
  virtual void flushResults() = 0;
  virtual void countFallback() = 0;

 protected:
  ~LocationHost() = default;
};

// The retries, follow-up GETs and next pages of one location, before its fresh leads: those due
// now in order (pushFront: finish started leads first), those backing off by due time, so the
// earliest due time is known without a scan.
class PendingTasks {
 public:
  using Task = std::unique_ptr<LookupTask>;
  void pushFront(Task task) { ready_.push_front(std::move(task)); }
  void push(Task task, SteadyTime now);
  Task take(SteadyTime now);  // nullptr when none is due
  std::optional<SteadyTime> due() const;
  bool empty() const { return ready_.empty() && delayed_.empty(); }
  std::vector<Task> drain();  // every task, in no particular order

 private:
  std::deque<Task> ready_;
  std::multimap<SteadyTime, Task> delayed_;
};

// What every location of a run shares.
struct LocationServices {
  LocationHost& host;
  LookupStore& lookups;
  const Log& log;
  const Clock& clock;
  const FetchOptions& opts;
  std::int64_t run = 0;  // stage_run id stamped on stored pages
};

class Location final : public TaskContext {
 public:
  Location(const LocationServices& s, std::size_t index, std::string client_id, LocationWork work,
           ClientQueue source);

  // Leads with nothing to look up, or an id that cannot be sent, are recorded at once.
  void recordLeadsWithoutCall();
  // The next task to send at NOW: a waiting one, else from the fresh leads as the strategy has
  // them (a probe first when auto can gain from it). nullptr: none now.
  std::unique_ptr<LookupTask> takeReady(SteadyTime now);
  // When the earliest task is due; nullopt when the location has nothing left to send.
  std::optional<SteadyTime> due();
  bool hasWork() { return !pending_.empty() || source_.peek() != nullptr; }
  // A task the engine hands back: to send first (kAgain), or after its backoff (kRetry).
  void pushFirst(std::unique_ptr<LookupTask> task) { pending_.pushFront(std::move(task)); }
  void pushLater(std::unique_ptr<LookupTask> task, SteadyTime now) { pending_.push(std::move(task), now); }
  // Stopped for the run: every waiting task fails with OUTCOME and DETAIL, and so do the unread
  // leads that need a call (the others get their own outcome).
  void markStopped(FetchOutcome outcome, const char* detail);

  // TaskContext
  SteadyTime now() const override { return s_.clock.now(); }
  const Log& log() const override { return s_.log; }
  const std::string& clientId() const override { return client_id_; }
  std::int64_t maxBodyBytes() const override { return s_.opts.max_body_bytes; }
  std::optional<FetchOutcome> stopped() const override { return stopped_; }
  void stop(FetchOutcome outcome, const char* reason, int status) override;
  void dailySpent() override { s_.host.dailySpent(*this); }
  void record(LeadLookup& lead, FetchOutcome outcome, std::string detail, std::string contact_body) override;
  void push(std::unique_ptr<LookupTask> task, bool first) override;
  bool followUpsOff() const override { return follow_ups_off_; }
  void noteFollowUp(bool useful) override;
  void probed(std::optional<std::int64_t> contacts, const char* reason) override;
  void fallBack(const char* what, const char* reason, int status) override;
  std::vector<ScanPage> batchPages(const std::string& batch_key) override;
  void addBatchPage(const std::string& batch_key, ScanPage page) override;
  void finishBatch(const std::string& batch_key) override;
  std::vector<ScanPage> scanPages() override;
  void beginScan() override;
  void addScanPage(ScanPage page) override;
  void finishScan() override;

  std::size_t index() const { return index_; }
  GhlTarget target{};  // holds the token
  bool has_token = false;
  bool bad_token = false;  // a token that is not visible ASCII: never sent

 private:
  std::unique_ptr<LookupTask> takeFresh(SteadyTime now);
  void choose(FetchStrategy strategy, const char* reason);
  std::string stamp() const;

  LocationServices s_;
  std::size_t index_;  // in the scheduler
  std::string client_id_;
  FetchStrategy strategy_;  // kAuto until chosen
  LocationWork work_;       // what auto weighs
  bool probing_ = false;    // the probe is sent or waiting to be sent again
  bool scan_started_ = false;
  int follow_ups_ = 0, follow_ups_useful_ = 0;  // follow-up GETs answered, and those that added a value
  bool follow_ups_off_ = false;                 // kUselessFollowUps added nothing: no more of them
  ClientQueue source_;
  PendingTasks pending_;
  std::optional<FetchOutcome> stopped_;
};

}  // namespace ghlb
