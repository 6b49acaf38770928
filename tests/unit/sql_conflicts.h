// The conflict rule as plan runs it, for unit tests that hold plans in a vector: the plans written
// to a fresh work DB (a real SQLite file) through PlanRows, the contacts LINKED_LEAD names put in
// linked_contact, PlanStore::resolveConflicts run over the stored rows, and each plan read back
// (status, note, other_lead, link, and the changes and reports the rows still hold).
#pragma once
#include <doctest/doctest.h>

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "plan.h"
#include "plan_store.h"
#include "temp_path.h"
#include "work_db.h"

namespace ghlb::test {

inline void resolveConflictsInSql(
    std::vector<LeadPlan>& plans,
    const std::function<std::optional<std::string>(const std::string& contact_id)>& linked_lead) {
  const std::string path = freshPath("conflicts.db");
  std::int64_t to_write = 0;
  {
    WorkDb work(path, WorkDb::Mode::kCreate);
    auto& db = work.db();
    const std::int64_t run = work.beginRun("plan", "{}");
    SQLite::Transaction tx(db);
    SQLite::Statement link(db, "INSERT OR IGNORE INTO linked_contact(contact_id, lead_id) VALUES (?, ?)");
    bool pending_claims = false;
    PlanRows rows(db, run);
    for (const auto& p : plans) {
      if (p.link && p.contact_id)
        if (const auto holder = linked_lead(*p.contact_id)) {
          link.bind(1, *p.contact_id);
          link.bind(2, *holder);
          link.exec();
          link.reset();
        }
      pending_claims = pending_claims || (p.status == plan_status::kPending && !p.claim_key.empty());
      rows.add(p);
      to_write += static_cast<std::int64_t>(p.changes.size());
    }
    const ConflictCounts taken = PlanStore(db).resolveConflicts(run, pending_claims);
    tx.commit();
    SQLite::Statement lead(db, "SELECT status, note, other_lead, link FROM plan_lead WHERE lead_id = ?");
    SQLite::Statement items(db, "SELECT field FROM plan_item WHERE lead_id = ?");
    SQLite::Statement reports(db, "SELECT field FROM plan_report WHERE lead_id = ?");
    std::int64_t items_left = 0;
    for (auto& p : plans) {
      lead.bind(1, p.lead_id);
      REQUIRE(lead.executeStep());
      p.status = lead.getColumn(0).getString();
      p.note = lead.getColumn(1).getString();
      p.other_lead = optionalText(lead.getColumn(2));
      p.link = lead.getColumn(3).getInt() != 0;
      lead.reset();
      // The plan's own order (kFields order), kept to what the rows still hold.
      for (auto* st : {&items, &reports}) {
        std::set<std::string> held;
        st->bind(1, p.lead_id);
        while (st->executeStep()) held.insert(st->getColumn(0).getString());
        st->reset();
        if (st == &items) {
          std::erase_if(p.changes, [&](const FieldChange& c) { return !held.count(c.field); });
          CHECK(p.changes.size() == held.size());
          items_left += static_cast<std::int64_t>(held.size());
        } else {
          std::erase_if(p.reports, [&](const auto& r) { return !held.count(r.first); });
          CHECK(p.reports.size() == held.size());
        }
      }
    }
    // What it says it took back is what the rows lost.
    std::int64_t taken_items = 0;
    for (const auto& v : taken.items) taken_items += v.n;
    CHECK(to_write - taken_items == items_left);
  }
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
}

}  // namespace ghlb::test
