#!/usr/bin/env bash
# apply --max-rows-per-second N (issue 12, paced writes): the batches are spread so that the leads
# written never run ahead of N per second (checked from apply_log's per-batch timestamps: a lower
# bound only, never an upper one), a stop during a pause ends the run at once and cleanly (exit
# 130, the batch written is recorded, the run and its wave interrupted), and the next run writes
# the rest. A negative pace is a usage error.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init apply_pace
e2e_load_sql "$GHLB_SRC/data/demo/app.sql"
e2e_start_sim "$GHLB_SRC/data/demo/ghl-sim.json"

gb extract; assert_rc 0 "extract"
e2e_fetch_settled "fetch"
gb plan; assert_rc 0 "plan"
leads=$(e2e_sqlite "SELECT count(*) FROM plan_lead WHERE status = 'fill'")
values=$(e2e_sqlite "SELECT count(*) FROM plan_item i JOIN plan_lead p USING (lead_id) WHERE p.status = 'fill'")
(( leads > 100 )) || e2e_fail "the demo plan should fill more than 100 leads, has $leads"

gb apply --yes --max-rows-per-second -1; assert_rc 2 "negative pace"
assert_contains "$GB_ERR" "--max-rows-per-second"
assert_eq 0 "$(e2e_sqlite "SELECT count(*) FROM apply_log")" "nothing written on a usage error"

# 1. A stop during a pause: the first batch (40 leads) is written, then the pace asks for a 40-s
# pause; SIGINT ends it at once. The guard below (20 s) is far shorter than the pause, so a pause
# that does not watch the stop flag fails the test.
"$GHLB_BIN/ghl-backfill" apply --yes --batch-size 40 --max-rows-per-second 1 --work-db "$WORK_DB" \
  >"$E2E_DIR/bg.out" 2>"$E2E_DIR/bg.err" &
pid=$!
for ((i = 0; i < 600; i++)); do
  [[ $(e2e_sqlite "SELECT count(DISTINCT lead_id) FROM apply_log") -ge 40 ]] && break
  kill -0 "$pid" 2>/dev/null || e2e_fail "apply ended before its first batch was recorded: $(tail -n 2 "$E2E_DIR/bg.err")"
  sleep 0.05
done
kill -s INT "$pid"
for ((i = 0; i < 400; i++)); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.05
done
if kill -0 "$pid" 2>/dev/null; then
  kill -9 "$pid" 2>/dev/null || true
  e2e_fail "apply did not stop during its pause"
fi
rc=0
wait "$pid" || rc=$?
cat "$E2E_DIR/bg.out" "$E2E_DIR/bg.err" >>"$E2E_DIR/all-output.log"
assert_eq 130 "$rc" "apply stopped by SIGINT during a pause"
assert_eq 40 "$(e2e_sqlite "SELECT count(DISTINCT lead_id) FROM apply_log")" "exactly the first batch recorded"
assert_eq "interrupted|interrupted" \
  "$(e2e_sqlite "SELECT r.status || '|' || w.status FROM stage_run r JOIN wave w ON w.apply_run = r.id WHERE r.stage = 'apply'")" \
  "the run and its wave are interrupted"

# 2. The rest at 50 leads per second in batches of 10: from the first batch to the last, at least
# (leads / 50 - 1) seconds. Each batch's outcomes carry one applied_at.
rest=$((leads - 40))
gb apply --yes --batch-size 10 --max-rows-per-second 50; assert_rc 0 "paced apply"
run=$(e2e_sqlite "SELECT max(id) FROM stage_run WHERE stage = 'apply'")
assert_eq "$(((rest + 9) / 10))" "$(e2e_sqlite "SELECT count(DISTINCT applied_at) FROM apply_log WHERE apply_run = $run")" \
  "one timestamp per batch of 10"
span=$(e2e_sqlite "SELECT (julianday(max(applied_at)) - julianday(min(applied_at))) * 86400 FROM apply_log WHERE apply_run = $run")
awk -v s="$span" -v n="$rest" 'BEGIN { exit !(s >= n / 50 - 1) }' \
  || e2e_fail "the pace did not hold: $rest leads in $span s at 50 leads/s (at least $((rest / 50 - 1)) s expected)"
assert_eq "$values" "$(e2e_sqlite "SELECT count(*) FROM apply_log")" "every planned value settled"
assert_eq "done|done" \
  "$(e2e_sqlite "SELECT r.status || '|' || w.status FROM stage_run r JOIN wave w ON w.apply_run = r.id WHERE r.id = $run")" \
  "the paced run is done"
assert_eq 1 "$(e2e_sqlite "SELECT json_extract(options, '\$.max_rows_per_second') = 50 FROM stage_run WHERE id = $run")" \
  "the pace is recorded in the run's options"

assert_no_pii
e2e_pass
