#include "lookup_scan.h"

#include <algorithm>

namespace ghlb {

ScanLookup::ScanLookup(std::vector<LeadLookup> leads) : leads_(std::move(leads)) {
  for (const auto& l : leads_) {
    if (l.plan.kind == Lookup::kGet)
      index_.wantId(l.plan.key);
    else
      index_.wantEmail(l.plan.key);
  }
}

std::unique_ptr<ScanLookup> ScanLookup::start(TaskContext& ctx, ClientQueue& source) {
  std::vector<LeadLookup> leads;
  while (source.peek()) {
    LeadLookup lead(source.pop());
    if (lead.needsCall())
      leads.push_back(std::move(lead));
    else
      ctx.record(lead, lead.noCallOutcome(), "");
  }
  auto scan = std::make_unique<ScanLookup>(std::move(leads));
  const auto pages = ctx.scanPages();
  for (const auto& p : pages) {
    std::int64_t n = 0;
    if (!scan->index_.addBody(p.body, &n)) break;  // cannot happen: pages were accepted once
    scan->seq_ = p.seq + 1;
    scan->seen_ += n;
    scan->total_ = p.total;
    scan->cursor_ = p.next_cursor;
  }
  if (pages.empty() || scan->seq_ == 0) ctx.beginScan();
  scan->not_before = ctx.now();
  if (scan->seq_ > 0) {
    ctx.log().info("scan_resumed", {{"client_id", ctx.clientId()}, {"pages", scan->seq_}});
    if (scan->seen_ >= scan->total_) {
      scan->finish(ctx);
      return nullptr;
    }
  }
  return scan;
}

HttpRequest ScanLookup::request(const GhlTarget& target, int) const {
  return buildScanRequest(target, kScanPageLimit, cursor_);
}

void ScanLookup::fail(TaskContext& ctx, FetchOutcome outcome, const std::string& detail) {
  for (auto& lead : leads_) {
    lead.attempts = std::max(lead.attempts, 1);
    lead.last_status = last_status;
    ctx.record(lead, outcome, detail);
  }
  leads_.clear();
}

Next ScanLookup::onPage(TaskContext& ctx, const SearchPage& page, std::string body) {
  // The walk ends by GHL's total: a page without a usable one could end it early, silently.
  if (!page.total_given || page.total < 0) return fallBack(ctx, "bad_total", last_status);
  std::int64_t n = 0;
  if (!index_.addBody(body, &n)) return fallBack(ctx, "unexpected_shape", last_status);
  if (total_ < 0) total_ = page.total;
  ctx.addScanPage(ScanPage{seq_, cursor_, page.next_cursor, page.total, std::move(body)});
  ++seq_;
  seen_ += n;
  cursor_ = page.next_cursor;
  if (page.contacts.empty() || seen_ >= page.total) {
    finish(ctx);
    return Next::kDone;
  }
  if (page.next_cursor.empty()) return fallBack(ctx, "no_search_after", last_status);
  if (seq_ > total_ / kScanPageLimit + kScanSlackPages) return fallBack(ctx, "too_many_pages", last_status);
  tries = 0;
  not_before = ctx.now();
  return Next::kAgain;  // one deep cursor per location at a time
}

void ScanLookup::finish(TaskContext& ctx) {
  std::int64_t gets = 0;
  const auto leads = static_cast<std::int64_t>(leads_.size());
  for (auto& lead : leads_) {
    lead.attempts = std::max(lead.attempts, 1);
    lead.last_status = 200;
    if (lead.plan.kind == Lookup::kSearch) {
      lead.search_body = index_.searchBodyFor(lead.plan.key);
      if (lead.finishSearch(ctx) == Next::kAgain)
        ctx.push(std::make_unique<LeadLookup>(std::move(lead)), true);
      continue;
    }
    const RawContact* c = index_.byId(lead.plan.key);
    if (c && !untrustedReason(c->contact, lead.lead.location_id, lead.plan.key) &&
        !lacksFieldLeadMisses(c->contact, lead.lead)) {
      ctx.record(lead, FetchOutcome::kFound, "", contactBodyOf(c->json));
      continue;
    }
    ++gets;  // not shown, or shown without a field the lead misses: its GET
    lead.attempts = 0;
    lead.last_status = 0;
    ctx.push(std::make_unique<LeadLookup>(std::move(lead)), false);
  }
  leads_.clear();
  ctx.finishScan();
  ctx.log().info("scan_done", {{"client_id", ctx.clientId()},
                               {"pages", seq_},
                               {"contacts", seen_},
                               {"leads", leads},
                               {"follow_up_gets", gets}});
}

Next ScanLookup::fallBack(TaskContext& ctx, const char* reason, int status) {
  lookUpEachAlone(ctx, leads_, attempts, "scan", reason, status);
  return Next::kDone;
}

}  // namespace ghlb
