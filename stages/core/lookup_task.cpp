#include "lookup_task.h"

#include <algorithm>

#include "fetch_tasks.h"

namespace ghlb {

std::optional<Next> onLocationReply(TaskContext& ctx, LookupTask& task, const Reply& reply) {
  switch (reply.kind) {
    case ReplyKind::kAuth:
      ctx.stop(FetchOutcome::kAuthFailed, "auth", reply.status);
      task.fail(ctx, FetchOutcome::kAuthFailed, reply.detail);
      return Next::kDone;
    case ReplyKind::kDailyLimit:
      ctx.dailySpent();  // never retried today, not even by a restart
      ctx.stop(FetchOutcome::kDailyLimit, "daily_limit", reply.status);
      task.fail(ctx, FetchOutcome::kDailyLimit, reply.detail);
      return Next::kDone;
    case ReplyKind::kRateLimited:
    case ReplyKind::kRetry:
      return Next::kRetry;
    default:
      return std::nullopt;
  }
}

HttpRequest ProbeLookup::request(const GhlTarget& target, int) const { return buildScanRequest(target, 1); }

Next ProbeLookup::onReply(TaskContext& ctx, const Reply& reply, std::string) {
  if (const auto stopped = ctx.stopped()) {
    fail(ctx, *stopped, "location_stopped");
    return Next::kDone;
  }
  if (const auto next = onLocationReply(ctx, *this, reply)) return *next;
  if (reply.kind == ReplyKind::kOk && reply.page && reply.page->total_given)
    ctx.probed(std::max<std::int64_t>(0, reply.page->total), "cheapest");
  else  // rejected, unusable or too large: the work list alone decides
    ctx.probed(std::nullopt, "probe_failed");
  return Next::kDone;
}

void ProbeLookup::fail(TaskContext& ctx, FetchOutcome, const std::string&) {
  ctx.probed(std::nullopt, "probe_failed");  // a probe stands for no lead
}

Next PagedLookup::onReply(TaskContext& ctx, const Reply& reply, std::string body) {
  if (const auto stopped = ctx.stopped()) {
    fail(ctx, *stopped, "location_stopped");
    return Next::kDone;
  }
  if (const auto next = onLocationReply(ctx, *this, reply)) return *next;
  if (reply.kind == ReplyKind::kOk && reply.page) return onPage(ctx, *reply.page, std::move(body));
  return fallBack(ctx, reply.detail.c_str(), reply.status);
}

}  // namespace ghlb
