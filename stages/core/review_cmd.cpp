#include "review_cmd.h"

#include <rapidjson/ostreamwrapper.h>
#include <rapidjson/writer.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <set>
#include <span>
#include <sstream>

#include "cli.h"
#include "clock.h"
#include "decision_store.h"
#include "error.h"
#include "fields.h"
#include "plan_store.h"
#include "review.h"
#include "text.h"
#include "work_db.h"

namespace ghlb {
namespace {

constexpr size_t kMaxLeadIdBytes = 200;
constexpr size_t kMaxLeadsFileBytes = size_t{64} << 20;

std::string stateNames() {
  std::string out;
  for (const auto s : kChangeStates) out += std::string(out.empty() ? "" : ", ") + std::string(toString(s));
  return out;
}

const char* actionName(const ReviewOptions& o) {
  return o.approve ? "approve" : o.reject ? "reject" : o.reset ? "reset" : nullptr;
}

// A selector other than --client-id (which alone only scopes the summary).
bool selectsChanges(const ReviewOptions& o) {
  return !o.fields.empty() || !o.lead_ids.empty() || !o.leads_file.empty() || o.ambiguous ||
         !o.states.empty();
}

std::string readLeadsFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw usageError("cannot read --leads-file " + escapeControl(path) +
                     ": give a readable file of lead ids, one per line");
  // Lead ids only: a file far larger than any tenant's leads is a wrong file, not a selection.
  std::error_code ec;
  if (const auto size = std::filesystem::file_size(path, ec); !ec && size > kMaxLeadsFileBytes)
    throw usageError("--leads-file " + escapeControl(path) +
                     " is larger than 64 MiB: give a file of lead ids");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Outcome {
  std::int64_t selected = 0, changed = 0, skipped = 0, unmatched = 0;
};

void printStates(const std::map<ChangeState, std::int64_t>& m, std::ostream& out) {
  for (const auto s : kChangeStates) {
    const auto it = m.find(s);
    out << std::setw(9) << (it == m.end() ? 0 : it->second);
  }
  out << "\n";
}

void printText(const ReviewOptions& o, std::int64_t plan_id, const Outcome& r, const StateCounts& c,
               const std::map<std::string, std::string>& names, std::ostream& out) {
  if (const char* action = actionName(o)) {
    out << (o.dry_run ? "review --dry-run (nothing stored): " : "review: ") << action << " " << r.selected
        << " changes selected, " << r.skipped
        << " of them skipped (applied, stale, conflict or reverted: no longer decidable); " << r.changed
        << " changes " << (o.dry_run ? "would change" : "changed") << " state (linked changes included)";
    if (r.unmatched) out << "; " << r.unmatched << " lead ids named have no change in the plan";
    out << ".\n\n";
  }
  out << "Changes of plan " << plan_id << " by state\n  " << std::left << std::setw(26) << "" << std::right;
  for (const auto s : kChangeStates) out << std::setw(9) << toString(s);
  out << "\n  " << std::left << std::setw(26) << "total" << std::right;
  printStates(c.totals, out);
  out << "By tenant\n";
  for (const auto& [tenant, m] : c.by_tenant) {
    // The tenant's name (else its id), cut to the column: the table stays within 100 columns.
    const std::string label = tenantLabel(tenant, names, 24);
    size_t chars = 0;  // UTF-8: count characters, not bytes
    for (const char ch : label) chars += (static_cast<unsigned char>(ch) & 0xC0) != 0x80 ? 1 : 0;
    out << "  " << label << std::string(chars < 26 ? 26 - chars : 1, ' ');
    printStates(m, out);
  }
  if (c.by_tenant.empty()) out << "  no change planned\n";
  out << "By field\n";
  for (const auto& f : kFields) {  // in kFields order, as plan lists changes
    const auto it = c.by_field.find(f.name);
    if (it == c.by_field.end()) continue;
    out << "  " << std::left << std::setw(26) << f.name << std::right;
    printStates(it->second, out);
  }
  const auto approved = c.totals.count(ChangeState::kApproved) ? c.totals.at(ChangeState::kApproved) : 0;
  const auto rejected = c.totals.count(ChangeState::kRejected) ? c.totals.at(ChangeState::kRejected) : 0;
  out << "\n'ghl-backfill apply' writes every proposed or approved change and never a rejected one ("
      << rejected << "); 'apply --only-approved' writes only the approved ones (" << approved << ").\n";
}

void writeStates(rapidjson::Writer<rapidjson::OStreamWrapper>& w,
                 const std::map<ChangeState, std::int64_t>& m) {
  w.StartObject();
  for (const auto s : kChangeStates) {
    const auto name = toString(s);
    w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    const auto it = m.find(s);
    w.Int64(it == m.end() ? 0 : it->second);
  }
  w.EndObject();
}

void printJson(const ReviewOptions& o, std::int64_t plan_id, const Outcome& r, const StateCounts& c,
               std::ostream& out) {
  rapidjson::OStreamWrapper os(out);
  rapidjson::Writer<rapidjson::OStreamWrapper> w(os);
  w.StartObject();
  w.Key("schema_version");
  w.Int(kReviewJsonSchemaVersion);
  w.Key("plan_id");
  w.Int64(plan_id);
  w.Key("action");
  if (const char* action = actionName(o))
    w.String(action);
  else
    w.Null();
  w.Key("dry_run");
  w.Bool(o.dry_run);
  w.Key("selected");
  w.Int64(r.selected);
  w.Key("changed");
  w.Int64(r.changed);
  w.Key("skipped");
  w.Int64(r.skipped);
  w.Key("unmatched_lead_ids");
  w.Int64(r.unmatched);
  w.Key("totals");
  writeStates(w, c.totals);
  w.Key("tenants");
  w.StartArray();
  for (const auto& [tenant, m] : c.by_tenant) {
    w.StartObject();
    w.Key("client_id");
    w.String(tenant.c_str(), static_cast<rapidjson::SizeType>(tenant.size()));
    w.Key("states");
    writeStates(w, m);
    w.EndObject();
  }
  w.EndArray();
  w.Key("fields");
  w.StartArray();
  for (const auto& f : kFields) {
    const auto it = c.by_field.find(f.name);
    if (it == c.by_field.end()) continue;
    w.StartObject();
    w.Key("field");
    w.String(f.name);
    w.Key("states");
    writeStates(w, it->second);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  os.Flush();
  out << "\n";
}

}  // namespace

std::vector<std::string> parseLeadIds(const std::string& text) {
  std::vector<std::string> ids;
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    const std::string id(jsTrim(line));
    if (id.empty()) continue;
    const bool control =
        std::any_of(id.begin(), id.end(), [](unsigned char ch) { return ch < 0x20 || ch == 0x7f; });
    if (control || id.size() > kMaxLeadIdBytes)
      throw usageError("line " + std::to_string(n) +
                       " of --leads-file is not a lead id (control bytes or longer than 200 bytes): give one "
                       "\"Lead\".id per line");
    ids.push_back(id);
  }
  return ids;
}

ExitCode runReview(const ReviewOptions& opts, const Log& log, std::ostream& out) {
  const char* action = actionName(opts);
  // Usage first, before opening anything.
  for (const auto& f : opts.fields)
    if (!findField(f)) throw unknownFieldError(f, fieldNames());
  std::vector<ChangeState> states;
  for (const auto& s : opts.states) {
    const auto st = changeStateFromString(s);
    if (!st)
      throw usageError("unknown state '" + escapeControl(s) + "' for --state: states are " + stateNames());
    states.push_back(*st);
  }
  if (action && !selectsChanges(opts) && opts.common.client_ids.empty() && !opts.all)
    throw usageError(
        "name what to decide: --client-id, --field, --lead, --leads-file, --ambiguous or --state; --all to "
        "decide everything");
  if (!action && (selectsChanges(opts) || opts.all))
    throw usageError(
        "name the decision: --approve, --reject or --reset (without one, review only shows the summary)");
  std::set<std::string> leads(opts.lead_ids.begin(), opts.lead_ids.end());
  if (!opts.leads_file.empty()) {
    const auto from_file = parseLeadIds(readLeadsFile(opts.leads_file));
    if (from_file.empty())
      throw usageError("--leads-file " + escapeControl(opts.leads_file) +
                       " holds no lead id: one id per line");
    leads.insert(from_file.begin(), from_file.end());
  }
  const bool by_lead = !opts.lead_ids.empty() || !opts.leads_file.empty();

  WorkDb work(opts.common.work_db, WorkDb::Mode::kExisting);
  auto& db = work.db();
  checkKnownClients(db, opts.common.client_ids);
  const auto plan = PlanStore(db).latestCovering(opts.common.client_ids);
  if (!plan)
    throw FatalError("there is no plan for these tenants: run 'ghl-backfill plan' first, then review it");

  DecisionStore store(db);
  SQLite::Transaction tx(db);  // --dry-run rolls it back
  // One pass over the scope, streamed (memory flat at a million leads), a lead at a time: each
  // change counted in its state before, and the selection. A decision changes the states of its own
  // lead only (the linkage rule stays within a lead), so the states after are derived there, from
  // the lead's rows with the decision as storing it makes it (a read after storing derives the
  // same), and the lead's changed rows are moved in the count: an action costs the summary's pass
  // plus what it decides, and the decisions are stored after the pass.
  Outcome r;
  StateTally tally;
  std::set<std::string> fields(opts.fields.begin(), opts.fields.end());
  std::set<std::string> seen;
  std::vector<DecisionKey> keys;
  std::vector<size_t> picked;  // the lead's rows decided
  std::vector<ChangeFacts> facts;
  const std::optional<Decision> decision = opts.approve  ? std::optional(Decision::kApproved)
                                           : opts.reject ? std::optional(Decision::kRejected)
                                                         : std::nullopt;  // --reset: none
  store.eachLead(opts.common.client_ids, false, [&](std::span<const ChangeRow> rows) {
    picked.clear();
    const bool named = by_lead && leads.count(rows.front().lead_id);  // every row is of one lead
    if (named && action) seen.insert(rows.front().lead_id);
    for (size_t i = 0; i < rows.size(); ++i) {
      const ChangeRow& c = rows[i];
      tally.add(c);
      if (!action) continue;
      if (!fields.empty() && !fields.count(c.facts.field)) continue;
      if (by_lead && !named) continue;
      if (opts.ambiguous && !c.ambiguous) continue;
      if (!states.empty() && std::find(states.begin(), states.end(), c.state) == states.end()) continue;
      ++r.selected;
      if (!isDecidable(c.state)) {
        ++r.skipped;
        continue;
      }
      keys.push_back({c.lead_id, c.facts.field, c.facts.new_value});
      picked.push_back(i);
    }
    if (picked.empty()) return;
    facts.clear();
    for (const ChangeRow& c : rows) facts.push_back(c.facts);
    for (const size_t i : picked) {  // as set() or reset() stores it: on the change's own value
      facts[i].decision = decision;
      facts[i].decision_value = decision ? std::optional(facts[i].new_value) : std::nullopt;
    }
    const auto effective = effectiveDecisions(facts);
    for (size_t i = 0; i < rows.size(); ++i) {
      const ChangeState after = deriveState(rows[i].plan_status, effective[i], facts[i].apply_outcome);
      if (after == rows[i].state) continue;
      ++r.changed;
      tally.move(rows[i], rows[i].state, after);
    }
  });
  if (action) {
    for (const auto& id : leads) r.unmatched += seen.count(id) ? 0 : 1;
    if (opts.reset)
      store.reset(keys);
    else
      store.set(keys, *decision, isoNowUtc());
  }
  const StateCounts counts = tally.counts();
  if (action && !opts.dry_run) tx.commit();

  if (opts.json)
    printJson(opts, plan->id, r, counts, out);
  else
    printText(opts, plan->id, r, counts, tenantNames(db, opts.common.client_ids), out);
  if (action)
    log.info(opts.dry_run ? "review dry run done: nothing stored" : "review done",
             {{"plan_id", plan->id},
              {"action", std::string(action)},
              {"selected", r.selected},
              {"changed", r.changed},
              {"skipped", r.skipped},
              {"unmatched_lead_ids", r.unmatched}});
  return ExitCode::kDone;
}

int reviewMain(int argc, char** argv) {
  sqliteWithoutCallMutex();
  ReviewOptions o;
  CLI::App app;
  defineReview(app, o);
  return runStageMain(app, argc, argv, "ghl-backfill review", o.common, [&](const Log& log) {
    requireWorkDb(o.common);
    return runReview(o, log, std::cout);
  });
}

}  // namespace ghlb
