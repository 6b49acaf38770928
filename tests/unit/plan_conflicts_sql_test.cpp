// The conflict rule in SQL (PlanStore::resolveConflicts, as plan runs it) against the in-memory
// rule it replaced (kept here, verbatim, as the oracle): the same status, note, other lead, link,
// changes and reports for every lead, on thousands of random sets of leads that share contacts,
// emails and holders, with pending leads among them.
#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "plan.h"
#include "sql_conflicts.h"

using namespace ghlb;

namespace {

// The rule as plan.cpp ran it in memory before it moved to SQL (issue 9).
void resolveInMemory(std::vector<LeadPlan>& plans,
                     const std::function<std::optional<std::string>(const std::string&)>& linked_lead) {
  using View = std::string_view;
  std::unordered_map<View, View> first_pending;
  for (const auto& p : plans) {
    if (p.status != plan_status::kPending || p.claim_key.empty()) continue;
    auto [it, inserted] = first_pending.emplace(p.claim_key, p.lead_id);
    if (!inserted && View(p.lead_id) < it->second) it->second = p.lead_id;
  }
  std::unordered_map<View, std::optional<std::string>> holder;
  for (const auto& p : plans)
    if (p.link && !holder.count(*p.contact_id)) holder.emplace(*p.contact_id, linked_lead(*p.contact_id));
  const auto holdsItself = [&holder](const LeadPlan& p) { return holder.at(*p.contact_id) == p.lead_id; };
  std::unordered_map<View, const LeadPlan*> winner;
  for (const auto& p : plans) {
    if (!p.link) continue;
    auto [it, inserted] = winner.emplace(*p.contact_id, &p);
    if (inserted || holdsItself(*it->second)) continue;
    if (holdsItself(p) || p.lead_id < it->second->lead_id) it->second = &p;
  }
  struct Loss {
    const char* reason;
    std::string other_lead;
  };
  std::vector<std::pair<LeadPlan*, Loss>> losers;
  for (auto& p : plans) {
    if (!p.link) continue;
    const auto& held_by = holder.at(*p.contact_id);
    if (held_by && *held_by != p.lead_id) {
      losers.push_back({&p, {"contact_already_linked", *held_by}});
    } else if (held_by) {
      continue;
    } else if (const LeadPlan* w = winner.at(*p.contact_id); w != &p) {
      losers.push_back({&p, {"contact_taken_by_smaller_lead_id", w->lead_id}});
    } else if (const auto it = first_pending.find(p.claim_key);
               it != first_pending.end() && it->second < View(p.lead_id)) {
      losers.push_back({&p, {"smaller_lead_pending", std::string(it->second)}});
    }
  }
  for (auto& [lead, loss] : losers) {
    LeadPlan& p = *lead;
    p.status = loss.reason == std::string_view("smaller_lead_pending") ? plan_status::kWaiting
                                                                       : plan_status::kConflict;
    p.note = loss.reason;
    p.other_lead = std::move(loss.other_lead);
    p.link = false;
    p.changes.clear();
    p.reports.clear();
  }
}

std::string show(const LeadPlan& p) {
  std::string out = p.lead_id + " " + p.status + " " + p.note + " " + p.other_lead.value_or("-") + " " +
                    (p.link ? "link" : "nolink");
  for (const auto& c : p.changes) out += " " + c.field + "=" + c.new_value;
  for (const auto& [f, r] : p.reports) out += " " + f + ":" + r;
  return out;
}

}  // namespace

TEST_CASE("conflict rule: SQL on the stored rows decides as the in-memory rule did") {
  std::mt19937 rng(9);
  const auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  // Ids that differ in case and length, so that byte order (not locale order) decides.
  const std::vector<std::string> ids = {"a", "B", "b", "A1", "a1", "Z", "z", "lead-10", "lead-9", "lead-1"};
  int conflicts = 0, waiting = 0, kept = 0;
  for (int round = 0; round < 400; ++round) {
    std::vector<LeadPlan> plans;
    std::vector<std::string> pool = ids;
    std::shuffle(pool.begin(), pool.end(), rng);
    const int n = 1 + pick(8);
    for (int i = 0; i < n; ++i) {
      LeadPlan p;
      p.lead_id = pool[static_cast<size_t>(i)];
      p.client_id = "client-" + std::to_string(pick(2));
      const int key = pick(3);
      p.claim_key =
          "loc\x1f"
          "email\x1f"
          "e" +
          std::to_string(key);
      switch (pick(4)) {
        case 0:  // pending: not fetched, or fetched again later
          p.status = plan_status::kPending;
          if (pick(5) == 0) p.claim_key.clear();  // nothing to look up
          break;
        case 1:  // found, nothing it can fill
          p.status = plan_status::kNothing;
          p.contact_id = "contact" + std::to_string(pick(3));
          p.link = pick(4) != 0;
          break;
        default:  // found, something to fill
          p.status = plan_status::kFill;
          p.contact_id = "contact" + std::to_string(pick(3));
          p.link = pick(4) != 0;
          if (p.link) p.changes.push_back({"ghlContactId", std::nullopt, *p.contact_id});
          p.changes.push_back({"firstName", std::nullopt, "Ann"});
          if (pick(2)) p.reports.emplace_back("phone", kNoStorageForm);
      }
      plans.push_back(std::move(p));
    }
    // Holders: some contacts are linked in the application table, to a lead of the set or not.
    std::unordered_map<std::string, std::string> held;
    for (int c = 0; c < 3; ++c)
      if (pick(3) == 0)
        held["contact" + std::to_string(c)] = pick(2) ? plans[static_cast<size_t>(pick(n))].lead_id : "other";
    const auto linked = [&held](const std::string& contact) -> std::optional<std::string> {
      const auto it = held.find(contact);
      return it == held.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    auto expected = plans;
    resolveInMemory(expected, linked);
    auto actual = plans;
    test::resolveConflictsInSql(actual, linked);
    for (size_t i = 0; i < plans.size(); ++i) {
      CAPTURE(round);
      CHECK(show(actual[i]) == show(expected[i]));
      if (expected[i].status == plan_status::kConflict) ++conflicts;
      if (expected[i].status == plan_status::kWaiting) ++waiting;
      if (expected[i].link) ++kept;
    }
  }
  // Every outcome occurs often, or the comparison proves little.
  CHECK(conflicts > 100);
  CHECK(waiting > 50);
  CHECK(kept > 100);
}
