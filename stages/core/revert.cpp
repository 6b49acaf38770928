#include "revert.h"

#include <rapidjson/ostreamwrapper.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <set>

#include "app_db.h"
#include "app_identity.h"
#include "apply.h"
#include "confirm.h"
#include "error.h"
#include "json_util.h"
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

// Restores one lead inside tx; appends one result per journal row.
void revertLead(pqxx::work& tx, const LeadRevert& lead, std::vector<RevertResult>& out) {
  std::vector<const FieldSpec*> fields;
  std::vector<const char*> params;  // after, before per field
  for (const auto& r : lead.rows) {
    fields.push_back(findField(r.field));
    params.push_back(r.after.c_str());
    params.push_back(r.before ? r.before->c_str() : nullptr);
  }
  const auto rows = tx.exec_params(revertSql(fields), lead.id, pqxx::prepare::make_dynamic_params(params));
  const bool updated = !rows.empty() && rows[0][static_cast<int>(fields.size())].as<std::int64_t>() > 0;
  for (size_t i = 0; i < lead.rows.size(); ++i) {
    const bool restored = updated && rows[0][static_cast<int>(i)].as<bool>();
    out.push_back(
        {lead.id, lead.rows[i].field, restored ? RevertOutcome::kRestored : RevertOutcome::kLeftChanged});
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
    for (const auto& [f, n] : c) {
      w.Key(f.c_str());
      w.Int64(n);
    }
    w.EndObject();
  };
  w.StartObject();
  w.Key("schema_version");
  w.Int(1);
  w.Key("wave");
  w.Int64(wave.id);
  w.Key("dry_run");
  w.Bool(opts.dry_run);
  counts("restored", rep.restored);
  counts("left_changed", rep.left);
  w.Key("left_changed_leads");
  w.StartArray();
  for (const auto& id : rep.left_leads) w.String(id.c_str());
  w.EndArray();
  w.Key("failed_leads");
  w.Int64(rep.failed_leads);
  w.EndObject();
  os.Flush();
  out << "\n";
}

std::string revertSummary(const WaveRecord& wave, const std::vector<LeadRevert>& leads) {
  std::map<std::string, std::int64_t> by_field;
  std::int64_t values = 0;
  for (const auto& l : leads)
    for (const auto& r : l.rows) ++by_field[r.field], ++values;
  std::string out = "Revert wave " + std::to_string(wave.id) + " (plan " + std::to_string(wave.plan_id) +
                    ", applied " + wave.started_at + ") will restore up to " + std::to_string(values) +
                    " values of " + std::to_string(leads.size()) + " leads in the application database:";
  const char* sep = " ";
  for (const auto& [field, n] : by_field) {
    out += sep + field + " " + std::to_string(n);
    sep = ", ";
  }
  return out +
         ". Each field gets its value from before the wave back only if it still holds what the wave wrote.";
}

}  // namespace

std::string revertSql(const std::vector<const FieldSpec*>& fields) {
  std::string cur = "SELECT id", set, any, out = "SELECT ";
  for (size_t k = 0; k < fields.size(); ++k) {
    const std::string c = fields[k]->column, n = std::to_string(k);
    const std::string after = "$" + std::to_string(2 * k + 2), before = "$" + std::to_string(2 * k + 3);
    // Still what the wave wrote? (untyped parameter: compared as the column's type)
    cur += ", (" + c + " IS NOT DISTINCT FROM " + after + ") AS r" + n;
    set += c + " = CASE WHEN cur.r" + n + " THEN " + before + " ELSE l." + c + " END, ";
    any += (any.empty() ? "cur.r" : " OR cur.r") + n;
    out += "cur.r" + n + ", ";
  }
  return "WITH cur AS (" + cur + " FROM " + names::kLeadTable +
         " WHERE id = $1 FOR UPDATE), upd AS (UPDATE " + names::kLeadTable + " l SET " + set +
         names::kUpdatedAt + " = (now() AT TIME ZONE 'UTC') FROM cur " + "WHERE l.id = cur.id AND (" + any +
         ") RETURNING l.id) " + out + "(SELECT count(*) FROM upd) FROM cur";
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
  const auto leads = byLead(store.unreverted(wave->id));
  Report rep;
  if (leads.empty()) {
    if (opts.json)
      printJson(opts, *wave, rep, std::cout);
    else
      std::cout << "revert wave " << wave->id << ": nothing to revert (" << wave->journaled
                << " values written; already reverted: " << wave->restored << " restored, "
                << wave->left_changed << " left as the application changed them)\n";
    return ExitCode::kDone;
  }
  if (!opts.dry_run && !confirm({"revert", "check the wave with --dry-run, then pass --yes",
                                 revertSummary(*wave, leads), "Do you want to restore these values?",
                                 "revert cancelled: nothing was written (only the answer 'yes' writes)"},
                                opts.yes))
    return ExitCode::kFatal;
  std::int64_t run = 0;
  if (!opts.dry_run)
    run = work.beginRun("revert", jsonObject({{"wave", wave->id}, {"batch_size", opts.batch_size}}));

  const auto progress = makeProgress(opts.common, log, ::isatty(STDERR_FILENO) == 1);
  const SystemClock clock;
  StageMeter meter(*progress, clock, "leads", static_cast<std::int64_t>(leads.size()));
  bool interrupted = false;
  std::int64_t done_leads = 0;
  const auto batch = static_cast<size_t>(opts.batch_size);
  for (size_t start = 0; start < leads.size(); start += batch) {
    if (stopRequested()) {  // between batches: what is committed is recorded, the rest waits
      interrupted = true;
      break;
    }
    const size_t end = std::min(leads.size(), start + batch);
    std::vector<RevertResult> results;
    const auto runTx = [&](size_t from, size_t to, std::vector<RevertResult>& into) {
      pqxx::work tx(app.conn());
      app.enter(tx);
      for (size_t i = from; i < to; ++i) revertLead(tx, leads[i], into);
      if (opts.dry_run)
        tx.abort();
      else
        tx.commit();
    };
    try {
      runTx(start, end, results);
    } catch (const pqxx::broken_connection&) {
      throw FatalError(
          "lost the connection to the application database during revert: run revert again (what was "
          "committed is kept)");
    } catch (const pqxx::sql_error& e) {
      if (unretryableSqlError(e)) throwUnretryable(e, "revert");
      // One lead failed the batch (e.g. a unique "ghlContactId" taken meanwhile): isolate it.
      log.warn("batch failed, retrying lead by lead",
               {{"first_lead_id", leads[start].id}, {"sqlstate", e.sqlstate()}});
      results.clear();
      for (size_t i = start; i < end; ++i) {
        std::vector<RevertResult> one;
        try {
          runTx(i, i + 1, one);
          results.insert(results.end(), one.begin(), one.end());
        } catch (const pqxx::sql_error& e2) {
          if (unretryableSqlError(e2)) throwUnretryable(e2, "revert");
          ++rep.failed_leads;
          log.error("lead failed, left for the next run",
                    {{"lead_id", leads[i].id}, {"sqlstate", e2.sqlstate()}});
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
    done_leads += static_cast<std::int64_t>(end - start);
    meter.add(static_cast<std::int64_t>(end - start));
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
