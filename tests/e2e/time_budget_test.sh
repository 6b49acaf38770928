#!/usr/bin/env bash
# --time-budget (issue 11): the unattended unit `run --apply --yes --time-budget D` on a slowed
# simulator stops cleanly when its budget is spent (exit 3, one line saying so, the stage recorded
# where it stopped, no later stage started, metrics exit code 3); the next runs continue, and the
# end state (the "Lead" table and apply_log) equals one uninterrupted run's on a second database.
# Also: a budget on a single stage (fetch), a stage that fits its budget (exit as usual), and bad
# values (usage error, exit 2, naming the flag and the expected form, wherever the value came from).
# `status` says "stopped: time budget" for the stage the budget ended.
# The budgets are far shorter than the slowed work, never compared with a measured time.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init time_budget
e2e_load_sql "$GHLB_SRC/data/demo/app.sql"
m="$E2E_DIR/ghl-backfill.prom"
metric() { WANT=$1 awk '$1 == ENVIRON["WANT"] { print $2; f = 1 } END { if (!f) print "absent" }' "$m"; }
last_status() { e2e_sqlite "SELECT status FROM stage_run WHERE stage = '$1' ORDER BY id DESC LIMIT 1"; }

# ---- bad values: usage errors before anything runs ----------------------------------------------
for bad in 10x 1.5h 30m1h -5m; do
  gb run --apply --yes "--time-budget=$bad"; assert_rc 2 "run --time-budget $bad"
  assert_contains "$GB_ERR" "--time-budget"
  assert_contains "$GB_ERR" "1h30m"   # the expected form, by example
done
GHL_BACKFILL_TIME_BUDGET=soon gb plan; assert_rc 2 "plan with a bad GHL_BACKFILL_TIME_BUDGET"
assert_contains "$GB_ERR" "set by environment variable GHL_BACKFILL_TIME_BUDGET"
[[ ! -e "$WORK_DB" ]] || e2e_fail "a usage error created the work DB"

# ---- the unattended unit, stopped by its budget -------------------------------------------------
# 298 leads, one request at a time, 40 ms each: about 12 s of fetching against a 3-s budget.
e2e_start_sim "$GHLB_SRC/data/demo/ghl-sim.json" --latency-ms 40
unit=(run --apply --yes --time-budget 3s --concurrency 1 --metrics-file "$m")
gb "${unit[@]}"; assert_rc 3 "the first budgeted run"
assert_contains "$GB_ERR" "time budget spent"
assert_contains "$GB_ERR" "the next run continues"
assert_not_contains "$GB_ERR" "stopped on request"
assert_eq 3 "$(metric 'ghl_backfill_exit_code{command="run"}')" "metrics: exit code 3"
assert_eq done "$(last_status extract)" "extract finished within the budget"
assert_eq interrupted "$(last_status fetch)" "fetch recorded where the budget stopped it"
assert_eq "time budget" "$(e2e_sqlite "SELECT stop_reason FROM stage_run WHERE stage = 'fetch'")" "why fetch stopped"
gb status; assert_rc 0 "status after the budget"
grep -qE '^  fetch +run +[0-9]+ +stopped: time budget ' "$GB_OUT" || e2e_fail "status does not say 'stopped: time budget'"
assert_eq 0 "$(e2e_sqlite "SELECT count(*) FROM stage_run WHERE stage IN ('plan', 'apply')")" \
  "no stage after the deadline started"
all=$(e2e_sqlite "SELECT count(*) FROM lead WHERE eligible = 1")
fetched=$(e2e_sqlite "SELECT count(*) FROM fetch_result")
[[ $fetched -gt 0 && $fetched -lt $all ]] || e2e_fail "the budgeted fetch was not partial ($fetched of $all)"
assert_eq 0 "$(e2e_sqlite "SELECT count(*) FROM apply_log")" "nothing written yet"

# The next runs continue (each fetches more: never the same leads again) until one finishes.
runs=1 stopped=1 rc=3
while [[ $rc -eq 3 ]]; do
  ((runs < 12)) || e2e_fail "still not done after $runs budgeted runs"
  before=$(e2e_sqlite "SELECT count(*) FROM fetch_result")
  gb "${unit[@]}"; runs=$((runs + 1)) rc=$GB_RC
  [[ $rc -eq 0 || $rc -eq 3 ]] || e2e_fail "budgeted run $runs: exit $rc"
  if grep -qF "time budget spent" "$GB_ERR"; then
    stopped=$((stopped + 1))
    [[ $(e2e_sqlite "SELECT count(*) FROM fetch_result") -gt $before || $(last_status fetch) == done ]] \
      || e2e_fail "budgeted run $runs made no progress"
  fi
done
((stopped >= 2)) || e2e_fail "only $stopped run(s) were stopped by the budget: the test needs the work to span runs"
assert_eq 0 "$(metric 'ghl_backfill_exit_code{command="run"}')" "metrics: the finishing run's exit code"
assert_eq done "$(last_status apply)" "apply finished"

# ---- a budget on one stage: fetch alone, on a copy of the snapshot ------------------------------
one="$E2E_DIR/one.db"
gb_raw extract --work-db "$one"; assert_rc 0 "extract for the single-stage check"
gb_raw fetch --work-db "$one" --concurrency 1 --time-budget 1s; assert_rc 3 "fetch --time-budget 1s"
assert_contains "$GB_ERR" "time budget spent"
assert_eq interrupted "$(sqlite3 "$one" "SELECT status FROM stage_run WHERE stage = 'fetch'")" "fetch alone: recorded"
n1=$(sqlite3 "$one" "SELECT count(*) FROM fetch_result")
[[ $n1 -gt 0 && $n1 -lt $all ]] || e2e_fail "fetch alone: not partial ($n1 of $all)"
e2e_start_sim "$GHLB_SRC/data/demo/ghl-sim.json"   # no latency: the budget is not spent
GHL_BACKFILL_TIME_BUDGET=1h gb_raw fetch --work-db "$one"
[[ $GB_RC -eq 0 || $GB_RC -eq 3 ]] || e2e_fail "fetch within its budget: exit $GB_RC"
assert_not_contains "$GB_ERR" "time budget spent"
gb_raw plan --work-db "$one" --time-budget 1h; assert_rc 0 "plan within its budget exits as usual"

# ---- the same data, never interrupted, in a second database: the same end state ----------------
final='SELECT string_agg(concat_ws(chr(31), id, "ghlContactId", email, phone, "firstName", "lastName",
         "companyName", "enrichmentStatus", "enrichmentSource", ("enrichedAt" IS NULL)::text), chr(30) ORDER BY id)
       FROM "Lead"'
log_q="SELECT lead_id, field, outcome, new_value FROM apply_log ORDER BY lead_id, field"
ref_db="${E2E_DB}_ref"
ref_url=$("$GHLB_SRC/tools/pg-cluster" createdb "$GHLB_PG_DIR" "$ref_db" "$GHLB_SRC/schema/app_db.sql" \
            "$GHLB_SRC/data/demo/app.sql" 2>"$E2E_DIR/ref.err") || e2e_fail "createdb $ref_db: $(tail -n 1 "$E2E_DIR/ref.err")"
e2e_start_sim "$GHLB_SRC/data/demo/ghl-sim.json"   # a fresh simulator: the same scripted faults
ref_work="$E2E_DIR/ref.db"
for _ in 1 2 3; do   # the demo scripts one-off faults: a lead may need a second run (exit 3)
  gb_raw run --apply --yes --work-db "$ref_work" --database-url "$ref_url"
  [[ $GB_RC -eq 3 ]] || break
done
assert_rc 0 "the uninterrupted reference run"
assert_eq "$(psql -X -q -A -t -d "$ref_url" -c "$final" | md5sum)" "$(e2e_psql "$final" | md5sum)" \
  "final \"Lead\" table equals the uninterrupted run's"
assert_eq "$(sqlite3 "$ref_work" "$log_q" | md5sum)" "$(e2e_sqlite "$log_q" | md5sum)" \
  "apply_log equals the uninterrupted run's"
[[ $(e2e_sqlite "SELECT count(*) FROM apply_log WHERE outcome = 'written'") -ge 3 ]] || e2e_fail "too few writes to compare"
psql -X -q -d "${ref_url%/*}/postgres" -c "DROP DATABASE \"$ref_db\" WITH (FORCE)" >/dev/null
assert_no_pii
e2e_pass
