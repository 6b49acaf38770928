#include "revert.h"

#include <rapidjson/ostreamwrapper.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>

#include "app_db.h"
#include "app_identity.h"
#include "apply.h"
#include "confirm.h"
#include "error.h"
#include "json_util.h"
#include "json_write.h"
#include "names.h"
#include "progress.h"
#include "stop_signal.h"
#include "text.h"
#include "wave_store.h"
#include "work_db.h"

namespace ghlb {
namespace {

// The journal rows of one lead.
struct LeadRevert {
  std::string id;
  std::vector<JournalRow> rows;  // in kFields order
};

std::vector<LeadRevert> byLead(std::vector<JournalRow> rows) {
  std::vector<LeadRevert> out;
  for (auto& r : rows) {
    if (!findField(r.field)) continue;  // not a field this build writes: never sent to SQL
    if (out.empty() || out.back().id != r.lead_id) out.push_back({r.lead_id, {}});
    out.back().rows.push_back(std::move(r));
  }
  for (auto& l : out)
    std::sort(l.rows.begin(), l.rows.end(), [](const JournalRow& a, const JournalRow& b) {
      return findField(a.field) < findField(b.field);
    });
  return out;
}

// The batch's journal as the statement takes it: $1 the lead ids (text[]), $2 one JSON object
// per lead, {"id": ..., "a": {field: what the wave wrote}, "b": {field: the value before}}, only
// the fields journaled (a before may be null). Text only, escaped by the JSON writer: never SQL.
struct BatchParams {
  std::string ids, journal;
};

BatchParams batchParams(const std::vector<LeadRevert>& leads) {
  BatchParams p;
  std::vector<std::string> ids;
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  const auto str = [&w](const std::string& v) {
    w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
  };
  w.StartArray();
  for (const auto& l : leads) {
    ids.push_back(l.id);
    w.StartObject();
    w.Key("id");
    str(l.id);
    w.Key("a");
    w.StartObject();
    for (const auto& r : l.rows) {
      w.Key(r.field.c_str());
      str(r.after);
    }
    w.EndObject();
    w.Key("b");
    w.StartObject();
    for (const auto& r : l.rows) {
      w.Key(r.field.c_str());
      if (r.before)
        str(*r.before);
      else
        w.Null();
    }
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  p.ids = pgTextArray(ids);
  p.journal = buf.GetString();
  return p;
}

// Restores the leads of one batch inside tx (one statement); appends one result per journal row.
// prepared: the statement "ghlb_revert" exists on the connection (not in pooler mode).
void revertBatch(pqxx::work& tx, const std::vector<LeadRevert>& leads, bool prepared,
                 std::vector<RevertResult>& out) {
  const BatchParams p = batchParams(leads);
  const auto rows = prepared ? tx.exec_prepared("ghlb_revert", p.ids, p.journal)
                             : tx.exec_params(revertSql(), p.ids, p.journal);
  // Per lead found: id, updated, then per field of kFields whether it held what the wave wrote.
  std::unordered_map<std::string_view, pqxx::row> by_id;
  for (const auto& r : rows) by_id.emplace(r[0].c_str(), r);
  for (const auto& lead : leads) {
    const auto it = by_id.find(lead.id);
    const bool updated = it != by_id.end() && it->second[1].as<bool>();
    for (const auto& r : lead.rows) {
      const auto col = 2 + static_cast<int>(findField(r.field) - kFields);
      const bool restored = updated && it->second[col].as<bool>();
      out.push_back({lead.id, r.field, restored ? RevertOutcome::kRestored : RevertOutcome::kLeftChanged});
    }
  }
}

using Counts = std::map<std::string, std::int64_t>;

struct Report {
  Counts restored, left;             // per field
  std::set<std::string> left_leads;  // leads with a field left
  std::int64_t failed_leads = 0;
};

void printText(const RevertOptions& opts, const WaveRecord& wave, const Report& rep, std::ostream& out) {
  std::int64_t restored = 0, left = 0;
  for (const auto& [f, n] : rep.restored) restored += n;
  for (const auto& [f, n] : rep.left) left += n;
  const char* would = opts.dry_run ? "would restore" : "restored";
  out << "revert wave " << wave.id << (opts.dry_run ? " --dry-run: nothing was written; a real run " : ": ")
      << would << " " << restored << " values; " << (opts.dry_run ? "would leave " : "left ") << left
      << " the application changed since\n";
  std::set<std::string> fields;
  for (const auto& [f, n] : rep.restored) fields.insert(f);
  for (const auto& [f, n] : rep.left) fields.insert(f);
  for (const auto& f : fields) {
    const auto r = rep.restored.count(f) ? rep.restored.at(f) : 0;
    const auto l = rep.left.count(f) ? rep.left.at(f) : 0;
    out << "  " << f << ": " << (opts.dry_run ? "would_restore" : "restored") << "=" << r
        << " left_changed=" << l << "\n";
  }
  if (!rep.left_leads.empty()) {
    out << "leads with a field left (--json lists them all):";
    int shown = 0;
    for (const auto& id : rep.left_leads) {
      if (++shown > 20) {
        out << " ... and " << rep.left_leads.size() - 20 << " more";
        break;
      }
      out << " " << escapeControl(id);
    }
    out << "\n";
  }
}

void printJson(const RevertOptions& opts, const WaveRecord& wave, const Report& rep, std::ostream& out) {
  rapidjson::OStreamWrapper os(out);
  rapidjson::Writer<rapidjson::OStreamWrapper> w(os);
  const auto counts = [&w](const char* key, const Counts& c) {
    w.Key(key);
    w.StartObject();
    for (const auto& [f, n] : c) json::member(w, f, n);
    w.EndObject();
  };
  w.StartObject();
  json::member(w, "schema_version", 1);
  json::member(w, "wave", wave.id);
  json::member(w, "dry_run", opts.dry_run);
  counts("restored", rep.restored);
  counts("left_changed", rep.left);
  w.Key("left_changed_leads");
  w.StartArray();
  for (const auto& id : rep.left_leads) w.String(id.c_str());
  w.EndArray();
  json::member(w, "failed_leads", rep.failed_leads);
  w.EndObject();
  os.Flush();
  out << "\n";
}

std::string revertSummary(const WaveRecord& wave, const JournalSummary& todo) {
  std::string out = "Revert wave " + std::to_string(wave.id) + " (plan " + std::to_string(wave.plan_id) +
                    ", applied " + wave.started_at + ") will restore up to " + std::to_string(todo.values) +
                    " values of " + std::to_string(todo.leads) + " leads in the application database:";
  const char* sep = " ";
  for (const auto& [field, n] : todo.by_field) {
    out += sep + field + " " + std::to_string(n);
    sep = ", ";
  }
  return out +
         ". Each field gets its value from before the wave back only if it still holds what the wave wrote.";
}

}  // namespace

std::string revertSql() {
  using namespace names;
  // The journal's values as "Lead" rows (jsonb_populate_record): each takes its column's type, so
  // the comparison is the column type's (a timestamp as a timestamp), and NULL stays NULL.
  // Whether a row was updated: a hashed IN, not a join with upd, which the planner (estimating one
  // row of each) ran as a nested loop, quadratic in the batch (2 of 2.7 s of a 1000-lead batch).
  std::string cur = "SELECT l.id", set, any, out = "SELECT cur.id, cur.id IN (SELECT id FROM upd)";
  for (size_t k = 0; k < std::size(kFields); ++k) {
    const std::string c = kFields[k].column, n = std::to_string(k);
    // Journaled and still what the wave wrote (a field not journaled is NULL in a: never equal).
    cur += ", coalesce(l." + c + " = a." + c + ", false) AS r" + n + ", b." + c + " AS b" + n;
    set += c + " = CASE WHEN cur.r" + n + " THEN cur.b" + n + " ELSE l." + c + " END, ";
    any += (any.empty() ? "cur.r" : " OR cur.r") + n;
    out += ", cur.r" + n;
  }
  // The rows locked in id order, found by the batch's ids (as apply's statement does).
  return "WITH j AS (SELECT e->>'id' AS id, e->'a' AS a, e->'b' AS b FROM jsonb_array_elements($2::jsonb) "
         "e), "
         "cur AS (" +
         cur + " FROM " + kLeadTable +
         " l JOIN j ON j.id = l.id CROSS JOIN LATERAL jsonb_populate_record(NULL::" + kLeadTable +
         ", j.a) a CROSS JOIN LATERAL jsonb_populate_record(NULL::" + kLeadTable +
         ", j.b) b WHERE l.id = ANY($1::text[]) ORDER BY l.id FOR UPDATE OF l), upd AS (UPDATE " +
         kLeadTable + " l SET " + set + kUpdatedAt +
         " = (now() AT TIME ZONE 'UTC') FROM cur WHERE l.id = cur.id AND l.id = " + "ANY($1::text[]) AND (" +
         any + ") RETURNING l.id) " + out + " FROM cur";
}

ExitCode runRevert(const RevertOptions& opts, const Log& log) {
  if (opts.wave < 1) throw usageError("WAVE must be a wave number printed by apply (1 or more)");
  if (!opts.common.client_ids.empty())
    throw usageError(
        "revert takes no --client-id: it restores a whole wave (apply --client-id makes a wave of one "
        "tenant)");
  if (opts.batch_size < 1 || opts.batch_size > 10000)
    throw usageError("--batch-size must be between 1 and 10000");
  AppDb app(resolveDatabaseUrl(opts.database_url), &log);
  app.checkSchema();
  app.checkAccess(/*write=*/true);
  WorkDb work(opts.common.work_db, WorkDb::Mode::kExisting);
  bindAppDatabase(work, appDatabaseIdentity(app), /*record=*/false);  // never another database's wave
  auto& db = work.db();
  WaveStore store(db);
  const auto wave = store.find(opts.wave);
  if (!wave)
    throw FatalError("wave " + std::to_string(opts.wave) +
                     " does not exist in this work DB: 'ghl-backfill status' lists the waves");
  // The summary by one aggregate, then the journal batch by batch (JournalCursor): never the whole
  // wave in memory.
  std::vector<std::string> known;  // fields this build writes: only those are ever sent to SQL
  for (const auto& f : kFields) known.push_back(f.name);
  const JournalSummary todo = store.unrevertedSummary(wave->id, known);
  Report rep;
  if (todo.leads == 0) {
    if (opts.json)
      printJson(opts, *wave, rep, std::cout);
    else
      std::cout << "revert wave " << wave->id << ": nothing to revert (" << wave->journaled
                << " values written; already reverted: " << wave->restored << " restored, "
                << wave->left_changed << " left as the application changed them)\n";
    return ExitCode::kDone;
  }
  if (!opts.dry_run && !confirm({"revert", "check the wave with --dry-run, then pass --yes",
                                 revertSummary(*wave, todo), "Do you want to restore these values?",
                                 "revert cancelled: nothing was written (only the answer 'yes' writes)"},
                                opts.yes))
    return ExitCode::kFatal;
  std::int64_t run = 0;
  if (!opts.dry_run)
    run = work.beginRun("revert", jsonObject({{"wave", wave->id}, {"batch_size", opts.batch_size}}));
  // A transaction pooler hands each transaction its own server connection: no named statement.
  const bool prepared = !app.pooler();
  if (prepared) app.conn().prepare("ghlb_revert", revertSql());

  const auto progress = makeProgress(opts.common, log, ::isatty(STDERR_FILENO) == 1);
  const SystemClock clock;
  StageMeter meter(*progress, clock, "leads", todo.leads);
  bool interrupted = false;
  std::int64_t done_leads = 0;
  const auto batch = static_cast<size_t>(opts.batch_size);
  // One transaction of LEADS, committed (dry run: rolled back); their results into INTO.
  const auto runTx = [&](const std::vector<LeadRevert>& leads, std::vector<RevertResult>& into) {
    pqxx::work tx(app.conn());
    app.enter(tx);
    revertBatch(tx, leads, prepared, into);
    if (opts.dry_run)
      tx.abort();
    else
      tx.commit();
  };
  JournalCursor cursor(db, wave->id);
  for (bool more = true; more;) {
    if (stopRequested()) {  // between batches: what is committed is recorded, the rest waits
      interrupted = true;
      break;
    }
    std::vector<JournalRow> rows;
    more = cursor.next(rows, batch);
    const auto leads = byLead(std::move(rows));
    if (leads.empty()) continue;
    std::vector<RevertResult> results;
    try {
      runTx(leads, results);
    } catch (const pqxx::broken_connection&) {
      throw FatalError(
          "lost the connection to the application database during revert: run revert again (what was "
          "committed is kept)");
    } catch (const pqxx::sql_error& e) {
      if (unretryableSqlError(e)) throwUnretryable(e, "revert");
      // One lead failed the batch (e.g. a unique "ghlContactId" taken meanwhile): isolate it.
      log.warn("batch failed, retrying lead by lead",
               {{"first_lead_id", leads.front().id}, {"sqlstate", e.sqlstate()}});
      results.clear();
      for (const auto& lead : leads) {
        std::vector<RevertResult> one;
        try {
          runTx({lead}, one);
          results.insert(results.end(), one.begin(), one.end());
        } catch (const pqxx::broken_connection&) {
          throw FatalError(
              "lost the connection to the application database during revert: run revert again (what was "
              "committed is kept)");
        } catch (const pqxx::sql_error& e2) {
          if (unretryableSqlError(e2)) throwUnretryable(e2, "revert");
          ++rep.failed_leads;
          log.error("lead failed, left for the next run",
                    {{"lead_id", lead.id}, {"sqlstate", e2.sqlstate()}});
        }
      }
    }
    if (!opts.dry_run) store.recordRevert(wave->id, results);
    for (const auto& r : results) {
      if (r.outcome == RevertOutcome::kRestored) {
        ++rep.restored[r.field];
      } else {
        ++rep.left[r.field];
        rep.left_leads.insert(r.lead_id);
      }
    }
    done_leads += static_cast<std::int64_t>(leads.size());
    meter.add(static_cast<std::int64_t>(leads.size()));
    testPausePoint();
  }
  meter.finish();
  if (opts.json)
    printJson(opts, *wave, rep, std::cout);
  else
    printText(opts, *wave, rep, std::cout);
  if (!opts.dry_run) {
    std::vector<std::pair<std::string, std::int64_t>> counts{
        {"wave", wave->id}, {"leads", done_leads}, {"failed_leads", rep.failed_leads}};
    for (const auto& [f, n] : rep.restored) counts.emplace_back(f + ":restored", n);
    for (const auto& [f, n] : rep.left) counts.emplace_back(f + ":left_changed", n);
    work.finishRun(run,
                   interrupted        ? "interrupted"
                   : rep.failed_leads ? "retryable"
                                      : "done",
                   jsonObject(counts));
  }
  if (interrupted) throw StopRequested();
  return rep.failed_leads ? ExitCode::kRetryable : ExitCode::kDone;
}

}  // namespace ghlb
