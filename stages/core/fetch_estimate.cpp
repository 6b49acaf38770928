// fetch --estimate (fetch.h): what the remaining work needs per location, without calling GHL.
#include <algorithm>
#include <cstdio>
#include <ostream>

#include "fetch.h"
#include "fetch_tasks.h"
#include "fetch_work.h"
#include "lookup_store.h"
#include "quota_store.h"
#include "text.h"

namespace ghlb {

FetchEstimate estimateFetch(WorkDb& work, const FetchOptions& opts, const Clock& clock) {
  constexpr std::int64_t kGhlDaily = 200000;
  constexpr double kGhlMax = 100;
  FetchEstimate est;
  QuotaStore quota(work.db());
  const std::string today = utcDay(clock.wallNow());
  double per_second = std::min<double>(opts.burst_per_10s, kGhlMax - opts.headroom) / 10.0;
  if (opts.per_location_rps > 0) per_second = std::min(per_second, opts.per_location_rps);
  per_second = std::max(per_second, 0.1);
  const std::int64_t per_day = std::max<std::int64_t>(1, kGhlDaily - opts.daily_reserve);
  LookupStore lookups(work.db());
  for (const auto& [client, cw] : readWorkList(work, workRule(opts, clock.wallNow()), opts.common.client_ids,
                                               /*with_location_work=*/true)) {
    if (cw.leads == 0) continue;
    LocationEstimate e;
    e.client_id = client;
    e.leads = cw.leads;
    LocationWork w = cw.work;
    if (const auto known = lookups.location(client)) w.contacts = known->contacts_total;
    StrategyChoice choice{opts.strategy, 0};
    if (opts.strategy == FetchStrategy::kAuto) {
      e.probe = !w.contacts && probeWorthIt(w, opts.search_batch);
      choice = chooseStrategy(w, opts.search_batch);
    } else {
      // A forced scan of a location whose size is unknown: per-lead's count bounds it.
      choice.requests = expectedRequests(opts.strategy, w, opts.search_batch)
                            .value_or(*expectedRequests(FetchStrategy::kPerLead, w, opts.search_batch));
    }
    e.strategy = choice.strategy;
    e.requests = choice.requests + (e.probe ? 1 : 0);
    e.requests_max = e.requests + w.searches;
    e.seconds = static_cast<double>(e.requests) / per_second;
    const auto stored = quota.daily(client, today);
    const std::int64_t today_left =
        std::max<std::int64_t>(0, (stored ? stored->remaining : kGhlDaily) - opts.daily_reserve);
    if (e.requests > 0)
      e.days = e.requests <= today_left ? 1 : 1 + (e.requests - today_left + per_day - 1) / per_day;
    est.requests += e.requests;
    est.requests_max += e.requests_max;
    est.leads += e.leads;
    est.seconds = std::max(est.seconds, e.seconds);
    est.days = std::max(est.days, e.days);
    est.locations.push_back(std::move(e));
  }
  return est;
}

void printFetchEstimate(const FetchOptions& in, const Log& log, std::ostream& out) {
  validateFetchOptions(in);
  WorkDb work(in.common.work_db, WorkDb::Mode::kExisting);
  checkKnownClients(work.db(), in.common.client_ids);
  SystemClock clock;
  const FetchEstimate est = estimateFetch(work, in, clock);
  const auto row = [&out](const std::string& name, std::int64_t leads, std::int64_t req, std::int64_t req_max,
                          double secs, std::int64_t days, const std::string& strategy) {
    char buf[240];
    std::snprintf(buf, sizeof buf, "%-28s %10lld %10lld %12lld %10.0f %6lld  %s\n", name.c_str(),
                  static_cast<long long>(leads), static_cast<long long>(req), static_cast<long long>(req_max),
                  secs, static_cast<long long>(days), strategy.c_str());
    out << buf;
  };
  out << "Fetch estimate (no GHL call made): requests the remaining work needs, at the configured rate\n";
  char head[200];
  std::snprintf(head, sizeof head, "%-28s %10s %10s %12s %10s %6s  %s\n", "client", "leads", "requests",
                "requests_max", "seconds", "days", "strategy");
  out << head;
  for (const auto& e : est.locations)
    row(e.client_id, e.leads, e.requests, e.requests_max, e.seconds, e.days,
        std::string(toString(e.strategy)) + (e.probe ? " (probe decides)" : ""));
  row("TOTAL", est.leads, est.requests, est.requests_max, est.seconds, est.days, "");
  out << "requests: those of the strategy (per-lead: one per lead needing a call; batched: one per OR group "
         "of --search-batch emails plus one per GET; scan: one per 500 contacts of the location, known from "
         "an earlier probe); requests_max adds the GET that may follow each email search.\n";
  out.flush();
  log.info("fetch_estimate", {{"locations", static_cast<std::int64_t>(est.locations.size())},
                              {"leads", est.leads},
                              {"requests", est.requests},
                              {"requests_max", est.requests_max},
                              {"seconds", static_cast<std::int64_t>(est.seconds + 0.5)},
                              {"days", est.days}});
}

}  // namespace ghlb
