#include "lookup_batch.h"

#include <cstdio>
#include <unordered_set>

#include "fetch_tasks.h"

namespace ghlb {

std::string batchKey(const std::vector<std::string>& emails) {
  std::uint64_t h = 14695981039346656037ull;
  for (const auto& e : emails) {
    for (const unsigned char c : e) h = (h ^ c) * 1099511628211ull;
    h = (h ^ '\n') * 1099511628211ull;
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llx-%zu", static_cast<unsigned long long>(h), emails.size());
  return buf;
}

BatchLookup::BatchLookup(std::vector<LeadLookup> members) : members_(std::move(members)) {
  std::unordered_set<std::string> have;
  for (const auto& m : members_)
    if (have.insert(m.plan.key).second) emails_.push_back(m.plan.key);
  key_ = batchKey(emails_);
}

std::unique_ptr<BatchLookup> BatchLookup::take(TaskContext& ctx, ClientQueue& source, int batch) {
  std::vector<LeadLookup> members;
  std::unordered_set<std::string> have;
  while (const LeadSnapshot* next = source.peek()) {
    const LookupPlan plan = lookupFor(*next);
    if (plan.kind != Lookup::kSearch) break;
    if (!have.count(plan.key)) {
      if (static_cast<int>(have.size()) >= batch) break;
      have.insert(plan.key);
    }
    members.emplace_back(source.pop());
  }
  auto group = std::make_unique<BatchLookup>(std::move(members));
  group->not_before = ctx.now();
  const auto stored = ctx.batchPages(group->key_);
  if (stored.empty()) return group;
  std::int64_t last_contacts = 0;
  for (const auto& p : stored) {
    const auto parsed = parseSearchBody(p.body);
    if (!parsed) return group;  // cannot happen: pages were accepted once; page 0 replaces them
    last_contacts = static_cast<std::int64_t>(parsed->contacts.size());
    group->seen_ += last_contacts;
    group->page_bytes_ += p.body.size();
  }
  group->seq_ = static_cast<std::int64_t>(stored.size());
  group->cursor_ = stored.back().next_cursor;
  group->attempts = 1;
  group->last_status = 200;
  ctx.log().info("batch_resumed", {{"client_id", ctx.clientId()}, {"pages", group->seq_}});
  if (stored.back().total > group->seen_ && last_contacts > 0 && !group->cursor_.empty()) return group;
  group->finish(ctx);
  return nullptr;
}

HttpRequest BatchLookup::request(const GhlTarget& target, int) const {
  return buildBatchSearchRequest(target, emails_, kScanPageLimit, cursor_);
}

void BatchLookup::fail(TaskContext& ctx, FetchOutcome outcome, const std::string& detail) {
  for (auto& m : members_) {
    m.attempts = attempts;
    m.last_status = last_status;
    ctx.record(m, outcome, detail);
  }
  members_.clear();
}

// One page of the group's answer, stored at once; the next page is asked while GHL's total says
// contacts are unread.
Next BatchLookup::onPage(TaskContext& ctx, const SearchPage& page, std::string body) {
  // The pages end by GHL's total: a page without a usable one could end them early, silently.
  if (!page.total_given || page.total < 0) return fallBack(ctx, "bad_total", last_status);
  page_bytes_ += body.size();
  if (page_bytes_ > static_cast<std::size_t>(ctx.maxBodyBytes()))
    return fallBack(ctx, "body_too_large", last_status);
  ctx.addBatchPage(key_, ScanPage{seq_, cursor_, page.next_cursor, page.total, std::move(body)});
  ++seq_;
  seen_ += static_cast<std::int64_t>(page.contacts.size());
  if (page.total > seen_ && !page.contacts.empty()) {
    if (seq_ >= static_cast<std::int64_t>(kMaxSearchPages) || page.next_cursor.empty())
      return fallBack(ctx, "too_many_pages", last_status);
    cursor_ = page.next_cursor;
    tries = 0;
    not_before = ctx.now();
    return Next::kAgain;
  }
  finish(ctx);
  return Next::kDone;
}

// Each member gets, from the stored pages, the contacts of its own email, as a per-lead search
// would; the pages are then marked complete.
void BatchLookup::finish(TaskContext& ctx) {
  ContactIndex index;
  for (const auto& e : emails_) index.wantEmail(e);
  for (const auto& p : ctx.batchPages(key_)) index.addBody(p.body);
  for (auto& m : members_) {
    m.attempts = attempts;
    m.last_status = last_status;
    m.search_body = index.searchBodyFor(m.plan.key);
    if (m.finishSearch(ctx) == Next::kAgain) ctx.push(std::make_unique<LeadLookup>(std::move(m)), true);
  }
  members_.clear();
  ctx.finishBatch(key_);
}

Next BatchLookup::fallBack(TaskContext& ctx, const char* reason, int status) {
  lookUpEachAlone(ctx, members_, attempts, "batch", reason, status);
  return Next::kDone;
}

}  // namespace ghlb
