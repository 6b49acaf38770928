// decisions: every state a change can be in and how it gets there (decisions.h), the linkage
// rule, apply's filter, and the decision store on a real work DB (set, reset, reconcile after a
// re-plan, counts by state), plus --leads-file parsing of the review command.
#include "decisions.h"

#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <span>
#include <sstream>

#include "decision_store.h"
#include "error.h"
#include "log.h"
#include "random_plan.h"
#include "review_cmd.h"
#include "temp_path.h"
#include "work_db.h"

using namespace ghlb;

namespace {

ChangeFacts change(const char* field, const char* value, std::optional<Decision> d = std::nullopt,
                   const char* decided_on = nullptr, const char* outcome = nullptr) {
  ChangeFacts c;
  c.field = field;
  c.new_value = value;
  c.decision = d;
  if (d) c.decision_value = decided_on ? decided_on : value;
  if (outcome) c.apply_outcome = outcome;
  return c;
}

// Two leads of client-a (lead-1: link + phone + enrichment, lead-2: email) and one of client-b.
void seed(SQLite::Database& db) {
  db.exec(
      "INSERT INTO stage_run(id, stage, started_at, status) VALUES (1, 'plan', 't', 'done');"
      "INSERT INTO lead(id, client_id, location_id, extract_run) VALUES "
      " ('lead-1', 'client-a', 'loc-a', 1), ('lead-2', 'client-a', 'loc-a', 1), ('lead-9', 'client-b', "
      "'loc-b', 1);"
      "INSERT INTO plan_lead(lead_id, client_id, status, link, ambiguous, plan_run) VALUES "
      " ('lead-1', 'client-a', 'fill', 1, 1, 1), ('lead-2', 'client-a', 'fill', 0, 0, 1),"
      " ('lead-9', 'client-b', 'fill', 0, 0, 1);"
      "INSERT INTO plan_item(lead_id, field, new_value) VALUES "
      " ('lead-1', 'ghlContactId', 'ccccccccccccccc1'), ('lead-1', 'phone', '+14155550134'),"
      " ('lead-1', 'enrichmentStatus', 'enriched'), ('lead-1', 'enrichmentSource', 'ghl'),"
      " ('lead-1', 'enrichedAt', '(time of write)'), ('lead-2', 'email', 'a@example.com'),"
      " ('lead-9', 'firstName', 'Ann');");
}

std::map<std::string, ChangeState> statesOf(DecisionStore& store,
                                            const std::vector<std::string>& scope = {}) {
  std::map<std::string, ChangeState> m;
  for (const auto& r : store.loadChanges(scope)) m[r.lead_id + "/" + r.facts.field] = r.state;
  return m;
}

}  // namespace

TEST_CASE("change states and decisions have one name table that round-trips") {
  for (const auto s : kChangeStates) CHECK((changeStateFromString(toString(s)) == s));
  CHECK((std::string(toString(ChangeState::kReverted)) == "reverted"));
  CHECK_FALSE((changeStateFromString("Approved")));
  CHECK((decisionFromString(toString(Decision::kApproved)) == Decision::kApproved));
  CHECK((decisionFromString(toString(Decision::kRejected)) == Decision::kRejected));
  CHECK_FALSE((decisionFromString("proposed")));
}

TEST_CASE("deriveState: every transition of a change") {
  const std::optional<std::string> none;
  SUBCASE("proposed -> approved -> rejected -> proposed (decisions, before apply)") {
    CHECK((deriveState("fill", std::nullopt, none) == ChangeState::kProposed));
    CHECK((deriveState("fill", Decision::kApproved, none) == ChangeState::kApproved));
    CHECK((deriveState("fill", Decision::kRejected, none) == ChangeState::kRejected));
  }
  SUBCASE("the plan's waiting and conflict come before a decision") {
    CHECK((deriveState("waiting", std::nullopt, none) == ChangeState::kWaiting));
    CHECK((deriveState("waiting", Decision::kApproved, none) == ChangeState::kWaiting));
    CHECK((deriveState("conflict", Decision::kRejected, none) == ChangeState::kConflict));
  }
  SUBCASE("what apply did comes first") {
    for (const char* o : {"written", "already_set"})
      CHECK((deriveState("fill", Decision::kApproved, std::string(o)) == ChangeState::kApplied));
    for (const char* o : {"stale", "gone", "invalid_value", "something_new"})
      CHECK((deriveState("fill", std::nullopt, std::string(o)) == ChangeState::kStale));
    CHECK((deriveState("fill", std::nullopt, std::string("conflict")) == ChangeState::kConflict));
    CHECK((deriveState("applied", std::nullopt, std::string("reverted")) == ChangeState::kReverted));
    CHECK((deriveState("", std::nullopt, std::string("written")) == ChangeState::kApplied));
  }
  SUBCASE("only proposed, approved, rejected and waiting changes are decidable") {
    std::vector<ChangeState> decidable;
    for (const auto s : kChangeStates)
      if (isDecidable(s)) decidable.push_back(s);
    CHECK((decidable == std::vector<ChangeState>{ChangeState::kProposed, ChangeState::kApproved,
                                                 ChangeState::kRejected, ChangeState::kWaiting}));
  }
}

TEST_CASE("a decision holds only on the value it was taken on") {
  CHECK((ownDecision(change("phone", "+14155550134", Decision::kRejected)) == Decision::kRejected));
  CHECK_FALSE((ownDecision(change("phone", "+14155550199", Decision::kRejected, "+14155550134"))));
  CHECK((leadStates("fill", {change("phone", "+14155550199", Decision::kApproved, "+14155550134")}) ==
         std::vector<ChangeState>{ChangeState::kProposed}));
}

TEST_CASE(
    "linkage: a rejected link rejects the lead, enrichment follows the phone, approval takes the link") {
  SUBCASE("rejecting ghlContactId rejects every change of the lead") {
    const auto e = effectiveDecisions({change("ghlContactId", "c1", Decision::kRejected),
                                       change("email", "a@x", Decision::kApproved), change("phone", "+1")});
    CHECK((e == std::vector<std::optional<Decision>>(3, Decision::kRejected)));
  }
  SUBCASE("rejecting phone rejects the enrichment trio, not the other fields") {
    const auto e =
        effectiveDecisions({change("phone", "+1", Decision::kRejected), change("email", "a@x"),
                            change("enrichmentStatus", "enriched", Decision::kApproved),
                            change("enrichmentSource", "ghl"), change("enrichedAt", "(time of write)")});
    CHECK((e[0] == Decision::kRejected));
    CHECK_FALSE((e[1]));
    CHECK((e[2] == Decision::kRejected));
    CHECK((e[3] == Decision::kRejected));
    CHECK((e[4] == Decision::kRejected));
  }
  SUBCASE("approving phone approves its enrichment and the link it comes with") {
    const auto e =
        effectiveDecisions({change("ghlContactId", "c1"), change("phone", "+1", Decision::kApproved),
                            change("enrichmentStatus", "x")});
    CHECK((e == std::vector<std::optional<Decision>>(3, Decision::kApproved)));
  }
  SUBCASE("a decision on the enrichment alone is ignored while the lead has a phone change") {
    const auto e =
        effectiveDecisions({change("phone", "+1"), change("enrichmentStatus", "x", Decision::kRejected)});
    CHECK_FALSE((e[1]));
  }
  SUBCASE("a rejected field does not touch the link or the other fields") {
    const auto e = effectiveDecisions(
        {change("ghlContactId", "c1"), change("email", "a@x", Decision::kRejected), change("lastName", "B")});
    CHECK_FALSE((e[0]));
    CHECK((e[1] == Decision::kRejected));
    CHECK_FALSE((e[2]));
  }
}

TEST_CASE("apply writes no rejected change, and with --only-approved only approved ones") {
  CHECK((applyMayWrite(std::nullopt, false)));
  CHECK((applyMayWrite(Decision::kApproved, false)));
  CHECK_FALSE((applyMayWrite(Decision::kRejected, false)));
  CHECK_FALSE((applyMayWrite(std::nullopt, true)));
  CHECK((applyMayWrite(Decision::kApproved, true)));
  CHECK_FALSE((applyMayWrite(Decision::kRejected, true)));
}

TEST_CASE("decision store: set, reset, states with linkage, and counts") {
  WorkDb work(test::freshPath("decisions-store.db"));
  auto& db = work.db();
  seed(db);
  DecisionStore store(db);
  CHECK((store.loadChanges({}).size() == 7));
  CHECK((store.loadChanges({"client-b"}).size() == 1));
  for (const auto& [k, s] : statesOf(store)) CHECK_MESSAGE((s == ChangeState::kProposed), k);

  store.set({{"lead-1", "phone", "+14155550134"}}, Decision::kRejected, "t1");
  auto st = statesOf(store);
  CHECK((st["lead-1/phone"] == ChangeState::kRejected));
  CHECK((st["lead-1/enrichedAt"] == ChangeState::kRejected));
  CHECK((st["lead-1/ghlContactId"] == ChangeState::kProposed));
  CHECK((st["lead-2/email"] == ChangeState::kProposed));

  store.set({{"lead-1", "ghlContactId", "ccccccccccccccc1"}, {"lead-2", "email", "a@example.com"}},
            Decision::kApproved, "t2");
  st = statesOf(store);
  CHECK((st["lead-1/ghlContactId"] == ChangeState::kApproved));
  CHECK((st["lead-1/phone"] == ChangeState::kRejected));  // an approved link does not undo a rejection
  CHECK((st["lead-2/email"] == ChangeState::kApproved));

  store.reset({{"lead-1", "phone", ""}});
  st = statesOf(store);
  CHECK((st["lead-1/phone"] == ChangeState::kProposed));  // the link's approval does not spread to fields
  CHECK((st["lead-1/enrichmentStatus"] == ChangeState::kProposed));

  const auto counts = store.countsByState({});
  CHECK((counts.totals.at(ChangeState::kApproved) == 2));
  CHECK((counts.totals.at(ChangeState::kProposed) == 5));
  CHECK((counts.by_tenant.at("client-b").at(ChangeState::kProposed) == 1));
  CHECK((counts.by_field.at("email").at(ChangeState::kApproved) == 1));
}

TEST_CASE("decision store: apply's outcomes make changes applied, stale, conflict or reverted") {
  WorkDb work(test::freshPath("decisions-apply.db"));
  auto& db = work.db();
  seed(db);
  DecisionStore store(db);
  store.set({{"lead-2", "email", "a@example.com"}, {"lead-9", "firstName", "Ann"}}, Decision::kApproved, "t");
  db.exec(
      "INSERT INTO apply_log(lead_id, field, outcome, new_value, applied_at, apply_run) VALUES "
      " ('lead-2', 'email', 'written', 'a@example.com', 't', 1), ('lead-9', 'firstName', 'stale', 'Ann', "
      "'t', 1),"
      " ('lead-1', 'phone', 'conflict', '+14155550134', 't', 1),"
      " ('lead-1', 'ghlContactId', 'reverted', 'ccccccccccccccc1', 't', 1);");
  auto st = statesOf(store);
  CHECK((st["lead-2/email"] == ChangeState::kApplied));
  CHECK((st["lead-9/firstName"] == ChangeState::kStale));
  CHECK((st["lead-1/phone"] == ChangeState::kConflict));
  CHECK((st["lead-1/ghlContactId"] == ChangeState::kReverted));
  // A re-plan drops the settled fields from plan_item (dropApplied): they still count, from apply_log.
  db.exec(
      "DELETE FROM plan_item WHERE lead_id = 'lead-2'; UPDATE plan_lead SET status = 'applied' WHERE lead_id "
      "= 'lead-2'");
  CHECK((store.reconcile({}) == 1));
  st = statesOf(store);
  CHECK((st["lead-2/email"] == ChangeState::kApplied));
  CHECK((statesOf(store, {"client-a"}).size() == 6));
}

TEST_CASE("decision store: a re-plan keeps the decisions of unchanged changes and drops the others") {
  WorkDb work(test::freshPath("decisions-replan.db"));
  auto& db = work.db();
  seed(db);
  DecisionStore store(db);
  store.set({{"lead-1", "phone", "+14155550134"},
             {"lead-2", "email", "a@example.com"},
             {"lead-9", "firstName", "Ann"}},
            Decision::kRejected, "t");
  // The new plan: lead-2's email is another value now, lead-9's first name is no longer planned.
  db.exec(
      "UPDATE plan_item SET new_value = 'b@example.com' WHERE lead_id = 'lead-2';"
      "DELETE FROM plan_item WHERE lead_id = 'lead-9';");
  SUBCASE("reconcile in the scope of the re-plan only") {
    CHECK((store.reconcile({"client-a"}) == 1));
    CHECK((db.execAndGet(
                 "SELECT group_concat(lead_id || '/' || field, ' ') FROM (SELECT * FROM decision ORDER BY 1)")
               .getString() == "lead-1/phone lead-9/firstName"));
  }
  SUBCASE("reconcile of every tenant") {
    CHECK((store.reconcile({}) == 2));
    const auto st = statesOf(store);
    CHECK((st.at("lead-1/phone") == ChangeState::kRejected));
    CHECK((st.at("lead-2/email") == ChangeState::kProposed));
  }
}

TEST_CASE("decision store: a failed set stores nothing") {
  WorkDb work(test::freshPath("decisions-atomic.db"));
  auto& db = work.db();
  seed(db);
  DecisionStore store(db);
  db.exec(
      "CREATE TRIGGER no_lead9 BEFORE INSERT ON decision WHEN NEW.lead_id = 'lead-9' "
      "BEGIN SELECT RAISE(ABORT, 'refused'); END");
  CHECK_THROWS(store.set({{"lead-1", "phone", "+14155550134"}, {"lead-9", "firstName", "Ann"}},
                         Decision::kApproved, "t"));
  CHECK((db.execAndGet("SELECT count(*) FROM decision").getInt() == 0));
}

namespace {
struct FakePlanned {
  std::string id;
  std::map<std::string, std::string> fields;
};
}  // namespace

TEST_CASE("DecisionHold: drops rejected changes (linkage included), or all but approved") {
  WorkDb work(test::freshPath("decisions-filter.db"));
  auto& db = work.db();
  seed(db);
  const auto planned = [] {
    return std::vector<FakePlanned>{{"lead-1",
                                     {{"ghlContactId", "ccccccccccccccc1"},
                                      {"phone", "+14155550134"},
                                      {"enrichmentStatus", "enriched"},
                                      {"enrichmentSource", "ghl"},
                                      {"enrichedAt", "(time of write)"}}},
                                    {"lead-2", {{"email", "a@example.com"}}},
                                    {"lead-9", {{"firstName", "Ann"}}}};
  };
  DecisionStore(db).set({{"lead-1", "phone", "+14155550134"}}, Decision::kRejected, "t");
  DecisionStore(db).set({{"lead-2", "email", "a@example.com"}}, Decision::kApproved, "t");
  auto p = planned();
  CHECK((DecisionHold(db, {}, false).holdBack(p) == 4));
  REQUIRE(p.size() == 3);
  CHECK((p[0].fields.size() == 1));
  CHECK((p[0].fields.count("ghlContactId") == 1));
  p = planned();
  CHECK((DecisionHold(db, {}, true).holdBack(p) == 6));
  REQUIRE(p.size() == 1);
  CHECK((p[0].id == "lead-2"));
  DecisionStore(db).set({{"lead-1", "ghlContactId", "ccccccccccccccc1"}}, Decision::kRejected, "t");
  p = planned();
  CHECK((DecisionHold(db, {}, false).holdBack(p) == 5));
  CHECK((p.size() == 2));
}

TEST_CASE("--leads-file: one id per line, # comments and blank lines ignored, hostile lines refused") {
  CHECK((parseLeadIds("lead-1\n# a comment\n\n  lead-2  # trailing comment\r\nlead-3") ==
         std::vector<std::string>{"lead-1", "lead-2", "lead-3"}));
  CHECK((parseLeadIds("").empty()));
  CHECK_THROWS_AS(parseLeadIds("lead-1\nbad\x01id\n"), FatalError);
  CHECK_THROWS_AS(parseLeadIds(std::string(201, 'a')), FatalError);
}

namespace {

// The query eachChange ran before its merged pass (session 9), kept as the reference it must equal:
// plan_item's changes in scope by plan_lead's tenant, then apply_log's rows plan_item does not hold,
// in scope by lead's tenant, ordered by lead and field.
std::vector<std::string> referenceChanges(SQLite::Database& db, const std::vector<std::string>& scope,
                                          bool decided_only) {
  const auto decided = [decided_only](const char* lead) {
    return decided_only ? std::string(" AND ") + lead + " IN (SELECT x.lead_id FROM decision x)"
                        : std::string();
  };
  SQLite::Statement q(
      db,
      "SELECT i.lead_id, p.client_id, p.status, p.ambiguous, i.field, i.new_value, d.decision, "
      "d.new_value, a.outcome FROM plan_item i JOIN plan_lead p ON p.lead_id = i.lead_id "
      "LEFT JOIN decision d ON d.lead_id = i.lead_id AND d.field = i.field "
      "LEFT JOIN apply_log a ON a.lead_id = i.lead_id AND a.field = i.field WHERE " +
          clientScope("p.client_id") + decided("i.lead_id") +
          " UNION ALL "
          "SELECT a.lead_id, l.client_id, coalesce(p.status, ''), coalesce(p.ambiguous, 0), a.field, "
          "coalesce(a.new_value, ''), d.decision, d.new_value, a.outcome FROM apply_log a "
          "JOIN lead l ON l.id = a.lead_id LEFT JOIN plan_lead p ON p.lead_id = a.lead_id "
          "LEFT JOIN decision d ON d.lead_id = a.lead_id AND d.field = a.field "
          "WHERE NOT EXISTS (SELECT 1 FROM plan_item i WHERE i.lead_id = a.lead_id AND i.field = a.field) "
          "AND " +
          clientScope("l.client_id") + decided("a.lead_id") + " ORDER BY 1, 5");
  bindClientScope(q, scope);
  return test::rowsOf(q, 9);
}

// eachChange's rows in the reference's columns, with the derived state and effective decision.
std::vector<std::string> mergedChanges(SQLite::Database& db, const std::vector<std::string>& scope,
                                       bool decided_only, std::vector<ChangeState>* states = nullptr) {
  std::vector<std::string> out;
  DecisionStore(db).eachChange(scope, decided_only, [&](const ChangeRow& r) {
    const auto opt = [](const std::optional<std::string>& v) { return v ? *v : std::string("<null>"); };
    out.push_back(r.lead_id + "|" + r.client_id + "|" + r.plan_status + "|" + (r.ambiguous ? "1" : "0") +
                  "|" + r.facts.field + "|" + r.facts.new_value + "|" +
                  (r.facts.decision ? std::string(toString(*r.facts.decision)) : "<null>") + "|" +
                  opt(r.facts.decision_value) + "|" + opt(r.facts.apply_outcome) + "|");
    if (states) states->push_back(r.state);
  });
  return out;
}

}  // namespace

TEST_CASE("eachChange's merged pass yields exactly the rows of the SQL join it replaced") {
  // Random plans (random_plan.h): moved leads, apply_log rows of leads the plan or the snapshot no
  // longer holds, decisions on other values, ids that sort by byte.
  WorkDb work(test::freshPath("decisions-merge.db"));
  auto& db = work.db();
  test::seedRandomPlan(db);
  for (const std::vector<std::string>& scope :
       std::vector<std::vector<std::string>>{{}, {"client-a"}, {"client-b", "client-c"}, {"client-none"}})
    for (const bool decided_only : {false, true}) {
      CAPTURE(scope.size());
      CAPTURE(decided_only);
      const auto want = referenceChanges(db, scope, decided_only);
      if (scope.empty() && !decided_only) CHECK((want.size() > 900));  // the random plan has every case
      CHECK((mergedChanges(db, scope, decided_only) == want));
    }
  // The states the rows get are those of the linkage rule over each lead's rows (decisions.h).
  std::vector<ChangeState> states;
  const auto rows = mergedChanges(db, {}, false, &states);
  const auto all = DecisionStore(db).loadChanges({});
  REQUIRE(all.size() == rows.size());
  std::map<ChangeState, int> seen;
  for (size_t i = 0; i < all.size(); ++i) ++seen[all[i].state];
  CHECK((seen.size() == std::size(kChangeStates)));  // every state occurs
  const StateCounts by_row = countStates(all);
  StateTally tally;
  for (const auto& r : all) tally.add(r);
  const StateCounts tallied = tally.counts();
  CHECK((tallied.totals == by_row.totals));
  CHECK((tallied.by_tenant == by_row.by_tenant));
  CHECK((tallied.by_field == by_row.by_field));
}

namespace {

// Every field of a ChangeRow that eachChange gives, derived state and decision in force included.
std::string rowText(const ChangeRow& r) {
  const auto opt = [](const std::optional<std::string>& v) { return v ? *v : std::string("<null>"); };
  return r.lead_id + "|" + r.client_id + "|" + r.plan_status + "|" + (r.ambiguous ? "1" : "0") + "|" +
         r.facts.field + "|" + r.facts.new_value + "|" +
         (r.facts.decision ? std::string(toString(*r.facts.decision)) : "<null>") + "|" +
         opt(r.facts.decision_value) + "|" + opt(r.facts.apply_outcome) + "|" +
         std::string(toString(r.state)) + "|" +
         (r.effective ? std::string(toString(*r.effective)) : "<null>");
}

std::string statesText(const std::map<ChangeState, std::int64_t>& m) {
  std::string out;
  for (const auto s : kChangeStates) out += std::to_string(m.count(s) ? m.at(s) : 0) + " ";
  return out;
}

// review's decision as it was before it read only the decided leads again (session 10), kept as the
// reference: the selection and each change's state before in one pass, the decisions, then every
// state after in a second full pass. Returns the JSON summary's numbers as one text.
std::string referenceReview(SQLite::Database& db, const ReviewOptions& o) {
  DecisionStore store(db);
  SQLite::Transaction tx(db);
  const std::set<std::string> leads(o.lead_ids.begin(), o.lead_ids.end());
  const std::set<std::string> fields(o.fields.begin(), o.fields.end());
  std::vector<ChangeState> states;
  for (const auto& s : o.states) states.push_back(*changeStateFromString(s));
  std::vector<ChangeState> before;
  std::set<std::string> seen;
  std::vector<DecisionKey> keys;
  std::int64_t selected = 0, skipped = 0, changed = 0, unmatched = 0;
  store.eachChange(o.common.client_ids, false, [&](const ChangeRow& c) {
    before.push_back(c.state);
    if (!leads.empty() && leads.count(c.lead_id)) seen.insert(c.lead_id);
    if (!fields.empty() && !fields.count(c.facts.field)) return;
    if (!leads.empty() && !leads.count(c.lead_id)) return;
    if (o.ambiguous && !c.ambiguous) return;
    if (!states.empty() && std::find(states.begin(), states.end(), c.state) == states.end()) return;
    ++selected;
    if (!isDecidable(c.state)) {
      ++skipped;
      return;
    }
    keys.push_back({c.lead_id, c.facts.field, c.facts.new_value});
  });
  for (const auto& id : leads) unmatched += seen.count(id) ? 0 : 1;
  if (o.reset)
    store.reset(keys);
  else
    store.set(keys, o.approve ? Decision::kApproved : Decision::kRejected, "t");
  StateCounts c;
  size_t i = 0;
  store.eachChange(o.common.client_ids, false, [&](const ChangeRow& row) {
    if (i < before.size() && before[i] != row.state) ++changed;
    ++i;
    countState(c, row);
  });
  if (!o.dry_run) tx.commit();
  std::string out = std::to_string(selected) + " " + std::to_string(changed) + " " + std::to_string(skipped) +
                    " " + std::to_string(unmatched) + "\ntotal " + statesText(c.totals) + "\n";
  for (const auto& [tenant, m] : c.by_tenant) out += tenant + " " + statesText(m) + "\n";
  for (const auto& [field, m] : c.by_field) out += field + " " + statesText(m) + "\n";
  return out;
}

// runReview --json's numbers, as referenceReview writes them.
std::string reviewJson(const ReviewOptions& o) {
  ReviewOptions json = o;
  json.json = true;
  std::ostringstream out, log_out;
  const Log log("review", LogFormat::kText, true, &log_out);
  runReview(json, log, out);
  rapidjson::Document d;
  d.Parse(out.str().c_str());
  REQUIRE(!d.HasParseError());
  const auto states = [](const rapidjson::Value& v) {
    std::string s;
    for (const auto st : kChangeStates)
      s += std::to_string(v[std::string(toString(st)).c_str()].GetInt64()) + " ";
    return s;
  };
  std::string text = std::to_string(d["selected"].GetInt64()) + " " +
                     std::to_string(d["changed"].GetInt64()) + " " + std::to_string(d["skipped"].GetInt64()) +
                     " " + std::to_string(d["unmatched_lead_ids"].GetInt64()) + "\ntotal " +
                     states(d["totals"]) + "\n";
  for (const auto& t : d["tenants"].GetArray())
    text += std::string(t["client_id"].GetString()) + " " + states(t["states"]) + "\n";
  std::map<std::string, std::string> by_field;  // the reference's map order
  for (const auto& f : d["fields"].GetArray()) by_field[f["field"].GetString()] = states(f["states"]);
  for (const auto& [field, s] : by_field) text += field + " " + s + "\n";
  return text;
}

std::vector<std::string> decisionRows(SQLite::Database& db) {
  SQLite::Statement q(db, "SELECT lead_id, field, new_value, decision FROM decision ORDER BY lead_id, field");
  return test::rowsOf(q, 4);
}

}  // namespace

TEST_CASE("eachLead gives eachChange's rows, a lead at a time") {
  WorkDb work(test::freshPath("decisions-lead.db"));
  auto& db = work.db();
  test::seedRandomPlan(db);
  for (const std::vector<std::string>& scope :
       std::vector<std::vector<std::string>>{{}, {"client-a"}, {"client-b", "client-c"}})
    for (const bool decided_only : {false, true}) {
      std::vector<std::string> want, got;
      DecisionStore(db).eachChange(scope, decided_only,
                                   [&](const ChangeRow& r) { want.push_back(rowText(r)); });
      std::set<std::string> leads;
      DecisionStore(db).eachLead(scope, decided_only, [&](std::span<const ChangeRow> rows) {
        REQUIRE(!rows.empty());
        CHECK(leads.insert(rows.front().lead_id).second);  // each lead once
        for (const ChangeRow& r : rows) {
          CHECK(r.lead_id == rows.front().lead_id);
          got.push_back(rowText(r));
        }
      });
      CAPTURE(scope.size());
      CHECK((!want.empty()));
      CHECK((got == want));
    }
}

TEST_CASE("review's decisions: the summary and the decisions stored equal the two-pass review's") {
  // Two copies of a random work DB; on each, the same random reviews, one by runReview (one pass:
  // the states after derived in memory), one by the reference (two full passes, the states after
  // read back once the decisions are stored). A few leads or many, every action and selector.
  const std::string path = test::freshPath("review-new.db"), ref_path = test::freshPath("review-ref.db");
  {
    WorkDb work(path);
    test::seedRandomPlan(work.db(), 400, 0x9E3779B97F4A7C15ull);
    work.db().exec(
        "INSERT INTO plan(id, plan_run, created_at, scope, fingerprint) VALUES (1, 1, 't', '', 'f')");
    SQLite::Statement copy(work.db(), "VACUUM INTO ?");
    copy.bind(1, ref_path);
    copy.exec();
  }
  std::vector<std::string> ids;
  {
    WorkDb work(path);
    DecisionStore(work.db()).eachChange({}, false, [&](const ChangeRow& r) {
      if (ids.empty() || ids.back() != r.lead_id) ids.push_back(r.lead_id);
    });
  }
  REQUIRE(ids.size() > 100);
  std::uint64_t seed = 88172645463325252ull;
  const auto rnd = [&seed](std::uint64_t n) {
    seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
    return static_cast<size_t>(seed % n);
  };
  const char* tenants[] = {"client-a", "client-b", "client-c"};
  const char* fields[] = {"ghlContactId", "email", "phone", "firstName", "enrichmentStatus", "companyName"};
  const char* states[] = {"proposed", "approved", "rejected", "waiting"};
  int few = 0, many = 0;
  for (int round = 0; round < 60; ++round) {
    ReviewOptions o;
    o.common.work_db = path;
    const int action = static_cast<int>(rnd(3));
    o.approve = action == 0, o.reject = action == 1, o.reset = action == 2;
    o.dry_run = rnd(5) == 0;
    if (rnd(3) == 0) o.common.client_ids.push_back(tenants[rnd(3)]);
    if (rnd(6) == 0) o.common.client_ids.push_back(tenants[rnd(3)]);
    if (rnd(2) == 0) o.fields.push_back(fields[rnd(std::size(fields))]);
    if (rnd(2) == 0) {
      for (size_t n = 1 + rnd(4); n > 0; --n) o.lead_ids.push_back(ids[rnd(ids.size())]);
      if (rnd(4) == 0) o.lead_ids.push_back("lead-none");
      ++few;
    } else {
      ++many;
    }
    o.ambiguous = rnd(6) == 0;
    if (rnd(5) == 0) o.states.push_back(states[rnd(std::size(states))]);
    if (o.common.client_ids.empty() && o.fields.empty() && o.lead_ids.empty() && !o.ambiguous &&
        o.states.empty())
      o.all = true;
    CAPTURE(round);
    const std::string got = reviewJson(o);
    WorkDb ref(ref_path);
    CHECK(got == referenceReview(ref.db(), o));
    WorkDb work(path);
    CHECK((decisionRows(work.db()) == decisionRows(ref.db())));
  }
  CHECK(few > 10);
  CHECK(many > 10);
}
