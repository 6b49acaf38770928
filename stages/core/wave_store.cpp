#include "wave_store.h"

#include "apply.h"
#include "clock.h"
#include "work_db.h"

namespace ghlb {
namespace {

// status, in WaveStatus order.
constexpr const char* kWaveStatusNames[] = {"running", "done", "interrupted", "retryable"};
constexpr const char* kRevertOutcomeNames[] = {"restored", "left_changed"};

constexpr const char* kWaveColumns =
    "w.id, w.plan_id, w.apply_run, w.selection, w.started_at, w.finished_at, w.status, w.counts, "
    "(SELECT count(*) FROM journal j WHERE j.wave = w.id), "
    "(SELECT count(*) FROM journal j WHERE j.wave = w.id AND j.revert_outcome = 'restored'), "
    "(SELECT count(*) FROM journal j WHERE j.wave = w.id AND j.revert_outcome = 'left_changed')";

WaveRecord readWave(SQLite::Statement& q) {
  WaveRecord w;
  w.id = q.getColumn(0).getInt64();
  w.plan_id = q.getColumn(1).getInt64();
  w.apply_run = q.getColumn(2).getInt64();
  w.selection = q.getColumn(3).getString();
  w.started_at = q.getColumn(4).getString();
  w.finished_at = optionalText(q.getColumn(5));
  w.status = q.getColumn(6).getString();
  w.counts = q.getColumn(7).getString();
  w.journaled = q.getColumn(8).getInt64();
  w.restored = q.getColumn(9).getInt64();
  w.left_changed = q.getColumn(10).getInt64();
  return w;
}

}  // namespace

const char* waveStatusName(WaveStatus s) { return kWaveStatusNames[static_cast<int>(s)]; }
const char* revertOutcomeName(RevertOutcome o) { return kRevertOutcomeNames[static_cast<int>(o)]; }

std::int64_t WaveStore::begin(std::int64_t plan_id, std::int64_t apply_run,
                              const std::string& selection_json) {
  SQLite::Transaction tx(db_);
  SQLite::Statement died(db_, "UPDATE wave SET status = ?1 WHERE status = ?2");
  died.bind(1, waveStatusName(WaveStatus::kInterrupted));
  died.bind(2, waveStatusName(WaveStatus::kRunning));
  died.exec();
  SQLite::Statement st(db_,
                       "INSERT INTO wave(id, plan_id, apply_run, selection, started_at, status) "
                       "VALUES ((SELECT coalesce(max(id), 0) + 1 FROM wave), ?, ?, ?, ?, ?)");
  st.bind(1, plan_id);
  st.bind(2, apply_run);
  st.bind(3, selection_json);
  st.bind(4, isoNowUtc());
  st.bind(5, waveStatusName(WaveStatus::kRunning));
  st.exec();
  const std::int64_t id = db_.getLastInsertRowid();
  tx.commit();
  return id;
}

void WaveStore::finish(std::int64_t wave, WaveStatus status, const std::string& counts_json) {
  SQLite::Statement st(db_, "UPDATE wave SET finished_at = ?, status = ?, counts = ? WHERE id = ?");
  st.bind(1, isoNowUtc());
  st.bind(2, waveStatusName(status));
  st.bind(3, counts_json);
  st.bind(4, wave);
  st.exec();
}

void WaveStore::journal(std::int64_t wave, const std::vector<JournalRow>& rows) {
  SQLite::Statement ins(db_,
                        "INSERT INTO journal(wave, lead_id, field, before, after, written_at) "
                        "VALUES (?, ?, ?, ?, ?, ?)");
  const std::string now = isoNowUtc();
  for (const auto& r : rows) {
    ins.bind(1, wave);
    ins.bind(2, r.lead_id);
    ins.bind(3, r.field);
    bindOptional(ins, 4, r.before);
    ins.bind(5, r.after);
    ins.bind(6, now);
    ins.exec();
    ins.reset();
  }
}

std::optional<WaveRecord> WaveStore::find(std::int64_t wave) {
  SQLite::Statement q(db_, std::string("SELECT ") + kWaveColumns + " FROM wave w WHERE w.id = ?");
  q.bind(1, wave);
  if (!q.executeStep()) return std::nullopt;
  return readWave(q);
}

std::vector<WaveRecord> WaveStore::all() {
  SQLite::Statement q(db_, std::string("SELECT ") + kWaveColumns + " FROM wave w ORDER BY w.id");
  std::vector<WaveRecord> out;
  while (q.executeStep()) out.push_back(readWave(q));
  return out;
}

std::vector<JournalRow> WaveStore::unreverted(std::int64_t wave) {
  SQLite::Statement q(
      db_,
      "SELECT lead_id, field, before, after FROM journal WHERE wave = ? AND reverted_at IS NULL "
      "ORDER BY lead_id, field");
  q.bind(1, wave);
  std::vector<JournalRow> out;
  while (q.executeStep())
    out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(), optionalText(q.getColumn(2)),
                   q.getColumn(3).getString()});
  return out;
}

JournalSummary WaveStore::unrevertedSummary(std::int64_t wave, const std::vector<std::string>& fields) {
  JournalSummary out;
  if (fields.empty()) return out;
  std::string in;  // ?2, ?3, ...: the fields
  for (size_t i = 0; i < fields.size(); ++i) in += (i ? ", ?" : "?") + std::to_string(i + 2);
  const std::string rows = "FROM journal WHERE wave = ?1 AND reverted_at IS NULL AND field IN (" + in + ")";
  const auto bind = [&](SQLite::Statement& q) {
    q.bind(1, wave);
    for (size_t i = 0; i < fields.size(); ++i) q.bind(static_cast<int>(i + 2), fields[i]);
  };
  SQLite::Statement by_field(db_, "SELECT field, count(*) " + rows + " GROUP BY field");
  bind(by_field);
  while (by_field.executeStep()) {
    const std::int64_t n = by_field.getColumn(1).getInt64();
    out.by_field[by_field.getColumn(0).getString()] = n;
    out.values += n;
  }
  SQLite::Statement leads(db_, "SELECT count(DISTINCT lead_id) " + rows);
  bind(leads);
  leads.executeStep();
  out.leads = leads.getColumn(0).getInt64();
  return out;
}

void WaveStore::recordRevert(std::int64_t wave, const std::vector<RevertResult>& results) {
  SQLite::Transaction tx(db_);
  SQLite::Statement j(db_,
                      "UPDATE journal SET reverted_at = ?, revert_outcome = ? WHERE wave = ? AND lead_id = ? "
                      "AND field = ?");
  SQLite::Statement a(db_, "UPDATE apply_log SET outcome = ? WHERE lead_id = ? AND field = ?");
  const std::string now = isoNowUtc();
  for (const auto& r : results) {
    j.bind(1, now);
    j.bind(2, revertOutcomeName(r.outcome));
    j.bind(3, wave);
    j.bind(4, r.lead_id);
    j.bind(5, r.field);
    j.exec();
    j.reset();
    if (r.outcome != RevertOutcome::kRestored) continue;
    a.bind(1, apply_outcome::kReverted);
    a.bind(2, r.lead_id);
    a.bind(3, r.field);
    a.exec();
    a.reset();
  }
  tx.commit();
}

// The journal's primary key (wave, lead_id, field) in order, no sort: each batch's run reads only
// the rows it returns, and the rows of leads already reverted (a resumed revert) once.
JournalCursor::JournalCursor(SQLite::Database& db, std::int64_t wave)
    : query_(db,
             "SELECT lead_id, field, before, after FROM journal WHERE wave = ?1 AND lead_id > ?2 "
             "AND reverted_at IS NULL ORDER BY lead_id, field") {
  query_.bind(1, wave);
}

bool JournalCursor::next(std::vector<JournalRow>& out, std::size_t max) {
  if (done_ || max == 0) return !done_;
  query_.reset();
  query_.bind(2, last_);
  std::size_t taken = 0;
  bool more = false;
  std::string lead;  // the lead of the rows being read
  while (query_.executeStep()) {
    const char* id = query_.getColumn(0).getText();
    if (taken == 0 || lead != id) {
      if (taken == max) {  // the next batch starts at this lead
        more = true;
        break;
      }
      lead = id;
      ++taken;
    }
    out.push_back({lead, query_.getColumn(1).getString(), optionalText(query_.getColumn(2)),
                   query_.getColumn(3).getString()});
  }
  query_.reset();
  if (taken) last_ = lead;
  done_ = !more;
  return more;
}

}  // namespace ghlb
