// apply_store: the plan read batch by batch (PlanCursor: keyset by lead id, each lead whole in one
// batch, settled values and other tenants skipped), and the review's decisions held back per
// batch (DecisionHold) as it does for the whole plan at once.
#include "apply_store.h"

#include <doctest/doctest.h>

#include "decision_store.h"
#include "temp_path.h"
#include "work_db.h"

using namespace ghlb;

namespace {

// Leads lead-1 .. lead-5 of client-a (lead-3 not to fill) and lead-6 of client-b; lead-2's email
// already settled by apply.
void seed(SQLite::Database& db) {
  db.exec(
      "INSERT INTO stage_run(id, stage, started_at, status) VALUES (1, 'plan', 't', 'done');"
      "INSERT INTO plan_lead(lead_id, client_id, status, contact_id, link, plan_run) VALUES "
      " ('lead-1', 'client-a', 'fill', 'ccccccccccccccc1', 1, 1), ('lead-2', 'client-a', 'fill', NULL, 0, 1),"
      " ('lead-3', 'client-a', 'not_found', NULL, 0, 1), ('lead-4', 'client-a', 'fill', NULL, 0, 1),"
      " ('lead-5', 'client-a', 'fill', 'ccccccccccccccc5', 0, 1), ('lead-6', 'client-b', 'fill', NULL, 0, 1);"
      "INSERT INTO plan_item(lead_id, field, new_value) VALUES "
      " ('lead-1', 'ghlContactId', 'ccccccccccccccc1'), ('lead-1', 'phone', '+14155550134'),"
      " ('lead-2', 'email', 'a@example.com'), ('lead-2', 'firstName', 'Ann'),"
      " ('lead-3', 'firstName', 'Bob'), ('lead-4', 'lastName', 'Lee'), ('lead-4', 'firstName', 'Cy'),"
      " ('lead-5', 'companyName', 'Acme'), ('lead-6', 'firstName', 'Di');"
      "INSERT INTO apply_log(lead_id, field, outcome, new_value, applied_at, apply_run) VALUES "
      " ('lead-2', 'email', 'written', 'a@example.com', 't', 1);");
}

std::string idsOf(const std::vector<PlannedLead>& leads) {
  std::string out;
  for (const auto& l : leads) out += (out.empty() ? "" : ",") + l.id;
  return out;
}

}  // namespace

TEST_CASE("PlanCursor: the plan in lead-id order, batch by batch, each lead whole") {
  WorkDb work(test::freshPath("apply-cursor.db"));
  seed(work.db());
  PlanCursor cursor(work.db(), {});
  std::vector<PlannedLead> b1, b2, b3;
  CHECK(cursor.next(b1, 2));
  CHECK((idsOf(b1) == "lead-1,lead-2"));
  CHECK((b1[0].fields.size() == 2));  // both rows of lead-1 in the same batch
  CHECK((b1[0].link_contact == std::string("ccccccccccccccc1")));
  CHECK((b1[1].fields == std::map<std::string, std::string>{{"firstName", "Ann"}}));  // email settled
  CHECK(cursor.next(b2, 2));
  CHECK((idsOf(b2) == "lead-4,lead-5"));  // lead-3 is not to fill
  CHECK((b2[0].fields.size() == 2));
  CHECK((b2[1].link_contact == std::nullopt));  // a contact without a planned link is no guard
  CHECK(cursor.next(b3, 2));
  CHECK((idsOf(b3) == "lead-6"));
  std::vector<PlannedLead> none;
  CHECK_FALSE(cursor.next(none, 2));
  CHECK(none.empty());

  PlanCursor tenant(work.db(), {"client-b"});
  std::vector<PlannedLead> b;
  tenant.next(b, 10);
  CHECK((idsOf(b) == "lead-6"));
  CHECK_FALSE(tenant.next(b, 10));
}

TEST_CASE("DecisionHold: per batch, what it drops from the whole plan at once") {
  WorkDb work(test::freshPath("apply-hold.db"));
  auto& db = work.db();
  seed(db);
  db.exec(
      "INSERT INTO lead(id, client_id, location_id, extract_run) VALUES ('lead-1', 'client-a', 'loc-a', 1),"
      " ('lead-2', 'client-a', 'loc-a', 1), ('lead-4', 'client-a', 'loc-a', 1), ('lead-5', 'client-a', "
      "'loc-a', 1),"
      " ('lead-6', 'client-b', 'loc-b', 1)");
  DecisionStore(db).set({{"lead-1", "ghlContactId", "ccccccccccccccc1"}}, Decision::kRejected, "t");
  DecisionStore(db).set({{"lead-4", "lastName", "Lee"}}, Decision::kApproved, "t");
  for (const bool only_approved : {false, true}) {
    CAPTURE(only_approved);
    std::vector<PlannedLead> whole;
    PlanCursor(db, {}).next(whole, 100);
    const DecisionHold hold(db, {}, only_approved);
    const std::int64_t expected = hold.holdBack(whole);
    PlanCursor cursor(db, {});
    std::vector<PlannedLead> kept;
    std::int64_t held = 0;
    bool more = true;
    for (int i = 0; more && i < 10; ++i) {  // 3 batches; a cursor that never ends fails here
      std::vector<PlannedLead> batch;
      more = cursor.next(batch, 2);
      held += hold.holdBack(batch);
      kept.insert(kept.end(), batch.begin(), batch.end());
    }
    CHECK_FALSE(more);
    CHECK((held == expected));
    CHECK((idsOf(kept) == idsOf(whole)));
  }
  // With --only-approved, only lead-4's approved lastName is left of the 7 unsettled values.
  const DecisionHold approved(db, {}, true);
  std::vector<PlannedLead> all;
  PlanCursor(db, {}).next(all, 100);
  CHECK((approved.holdBack(all) == 6));
  REQUIRE(all.size() == 1);
  CHECK((all[0].fields == std::map<std::string, std::string>{{"lastName", "Lee"}}));
}

TEST_CASE("apply's held count from the decided leads and one aggregate equals holding back the whole plan") {
  WorkDb work(test::freshPath("apply-held.db"));
  auto& db = work.db();
  seed(db);
  db.exec(
      "INSERT INTO lead(id, client_id, location_id, extract_run) VALUES ('lead-1', 'client-a', 'loc-a', 1),"
      " ('lead-2', 'client-a', 'loc-a', 1), ('lead-3', 'client-a', 'loc-a', 1), ('lead-4', 'client-a', "
      "'loc-a', 1), ('lead-5', 'client-a', 'loc-a', 1), ('lead-6', 'client-b', 'loc-b', 1)");
  // Decisions on a settled value (lead-2's email), a lead not to fill (lead-3) and another tenant.
  DecisionStore(db).set({{"lead-1", "ghlContactId", "ccccccccccccccc1"}}, Decision::kRejected, "t");
  DecisionStore(db).set({{"lead-4", "lastName", "Lee"}}, Decision::kApproved, "t");
  DecisionStore(db).set({{"lead-2", "email", "a@example.com"}}, Decision::kRejected, "t");
  DecisionStore(db).set({{"lead-3", "firstName", "Bob"}}, Decision::kApproved, "t");
  DecisionStore(db).set({{"lead-6", "firstName", "Di"}}, Decision::kApproved, "t");
  // lead-2 keeps its unsettled firstName; lead-3 is not to fill.
  CHECK((idsOf(decidedLeads(db, {})) == "lead-1,lead-2,lead-4,lead-6"));
  for (const auto& scope : {std::vector<std::string>{}, std::vector<std::string>{"client-a"},
                            std::vector<std::string>{"client-b"}})
    for (const bool only_approved : {false, true}) {
      CAPTURE(scope.size());
      CAPTURE(only_approved);
      const DecisionHold hold(db, scope, only_approved);
      std::vector<PlannedLead> whole;
      PlanCursor(db, scope).next(whole, 100);
      const std::int64_t expected = hold.holdBack(whole);
      auto decided = decidedLeads(db, scope);
      const std::int64_t held =
          hold.holdBack(decided) + (only_approved ? countUndecidedValues(db, scope) : 0);
      CHECK((held == expected));
    }
  CHECK((countUndecidedValues(db, {}) == 1));  // lead-5's companyName (lead-2 has a decision)
}

TEST_CASE("inputsWrittenSince: only an extract or fetch run after the plan's run counts") {
  WorkDb work(test::freshPath("apply-inputs.db"));
  auto& db = work.db();
  const auto plan = work.beginRun("plan", "{}");
  CHECK_FALSE(inputsWrittenSince(db, plan));
  work.beginRun("apply", "{}");
  work.beginRun("revert", "{}");
  work.beginRun("plan", "{}");
  CHECK_FALSE(inputsWrittenSince(db, plan));
  const auto fetch = work.beginRun("fetch", "{}");
  CHECK(inputsWrittenSince(db, plan));
  CHECK_FALSE(inputsWrittenSince(db, fetch));
  work.beginRun("extract", "{}");
  CHECK(inputsWrittenSince(db, fetch));
}
