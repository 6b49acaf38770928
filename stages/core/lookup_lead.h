// The per-lead lookup task: one lead looked up on its own, by GET of its contact id or by search
// of its normalized email (searchAfter pages while GHL's total says contacts are unread), then
// possibly the GET that follows a search hit whose payload lacks a field the lead misses. An OR
// group and a scan hand each member its own search answer and call finishSearch, so every
// strategy chooses the contact by the same rule.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "contact.h"
#include "lead.h"
#include "lookup_task.h"

namespace ghlb {

inline constexpr std::size_t kMaxSearchPages = 20;  // searchAfter pages read for one search

class LeadLookup final : public LookupTask {
 public:
  explicit LeadLookup(LeadSnapshot lead);

  // True when the lead needs a call (a GET or a search); else noCallOutcome is its result.
  bool needsCall() const { return plan.kind == Lookup::kGet || plan.kind == Lookup::kSearch; }
  FetchOutcome noCallOutcome() const;

  HttpRequest request(const GhlTarget& target, int page_limit) const override;
  Endpoint endpoint() const override;
  Next onReply(TaskContext& ctx, const Reply& reply, std::string body) override;
  void fail(TaskContext& ctx, FetchOutcome outcome, const std::string& detail) override;

  // The lead's whole search answer is in search_body: the contact is chosen and checked, and the
  // GET follows (kAgain) when the payload lacks a field the lead misses; else it is recorded.
  Next finishSearch(TaskContext& ctx);

  LeadSnapshot lead;
  LookupPlan plan;
  bool follow_get = false;           // the current request is the GET after a search hit
  std::string follow_id;             // contact id of that GET
  std::optional<Contact> chosen{};   // the search's contact that GET completes
  std::string cursor;                // searchAfter of the next search page; "" for the first
  std::vector<std::string> pages{};  // search pages read so far, as GHL sent them
  std::vector<Contact> contacts{};   // their contacts
  std::size_t page_bytes = 0;        // their size: bounded by --max-body-bytes in all
  std::string search_body;           // the whole search answer (one body)
  std::string detail;                // carried to the result, e.g. "ambiguous"

 private:
  std::string_view requestedId() const;
  Next onSearchPage(TaskContext& ctx, const SearchPage& page, std::string body);
  Next done(TaskContext& ctx, FetchOutcome outcome, std::string why, std::string contact_body = {});
};

// A batch or scan the location will not serve (WHAT, REASON, STATUS: said once by
// TaskContext::fallBack): each of its LEADS is handed back to be looked up on its own, its
// attempts those of the group (ATTEMPTS); LEADS is left empty.
void lookUpEachAlone(TaskContext& ctx, std::vector<LeadLookup>& leads, int attempts, const char* what,
                     const char* reason, int status);

}  // namespace ghlb
