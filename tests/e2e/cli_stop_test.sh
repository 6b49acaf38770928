#!/usr/bin/env bash
# Clean stops: SIGINT or SIGTERM during extract (between pages), plan (before storing) and apply
# (between batches), and during `run`, ends the stage with exit 130/143, its stage_run recorded
# 'interrupted' and nothing half-written; the next run continues, and the application ends up
# exactly as after an uninterrupted backfill of the same data in a second database.
# GHLB_TEST_PAUSE_MS makes each stage wait at its stop point, so the signal is delivered at a
# known state (polled in the work DB), never after a blind sleep.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init cli_stop
e2e_load_sql "$GHLB_SRC/data/demo/app.sql"
e2e_start_sim "$GHLB_SRC/data/demo/ghl-sim.json"

# q DB SQL: one value from a work DB that may not exist yet (then empty).
q() { sqlite3 -batch -cmd '.timeout 5000' "$1" "$2" 2>/dev/null || true; }

# paused WORKDB ARGS...: starts ghl-backfill ARGS --work-db WORKDB in the background, pausing at
# every stop point; BG_PID, BG_N.
BG_N=0
paused() {
  local db=$1; shift
  BG_N=$((BG_N + 1))
  GHLB_TEST_PAUSE_MS=120000 "$GHLB_BIN/ghl-backfill" "$@" --work-db "$db" \
    >"$E2E_DIR/bg.$BG_N.out" 2>"$E2E_DIR/bg.$BG_N.err" &
  BG_PID=$!
}

# wait_until DB SQL: polls until SQL on DB prints 1 (the process must still run meanwhile).
wait_until() {
  local i
  for ((i = 0; i < 1200; i++)); do
    [[ "$(q "$1" "$2")" == 1 ]] && return 0
    kill -0 "$BG_PID" 2>/dev/null || e2e_fail "stage ended before the state '$2': $(tail -n 2 "$E2E_DIR/bg.$BG_N.err")"
    sleep 0.05
  done
  kill -9 "$BG_PID" 2>/dev/null || true
  e2e_fail "state never reached: $2"
}

# stop SIGNAL EXPECTED_RC: signals the background run and checks its exit status.
stop() {
  kill -s "$1" "$BG_PID"
  local rc=0
  wait "$BG_PID" || rc=$?
  { echo "### background run $BG_N, stopped by $1: exit $rc"; cat "$E2E_DIR/bg.$BG_N.out" "$E2E_DIR/bg.$BG_N.err"; } \
    >>"$E2E_DIR/all-output.log"
  assert_eq "$2" "$rc" "exit status after $1 (run $BG_N)"
  assert_contains "$E2E_DIR/bg.$BG_N.err" "stopped on request"
}

last_status() { q "$1" "SELECT status FROM stage_run WHERE stage = '$2' ORDER BY id DESC LIMIT 1"; }

fetch_all() {  # fetch until nothing is retryable (the demo has a one-off malformed body)
  local attempt
  for attempt in 1 2 3; do gb_raw fetch "$@"; [[ $GB_RC -eq 3 ]] || break; done
  assert_rc 0 "fetch"
}

# ---- extract: between pages -----------------------------------------------------------------
paused "$WORK_DB" extract --page-size 1
wait_until "$WORK_DB" "SELECT count(*) >= 1 FROM lead"
stop INT 130
assert_eq interrupted "$(last_status "$WORK_DB" extract)" "extract recorded as interrupted"
partial=$(e2e_sqlite "SELECT count(*) FROM lead")
sqlite3 "$WORK_DB" ".backup '$E2E_DIR/partial.db'"   # plan on a copy: it says the snapshot is partial
gb_raw plan --work-db "$E2E_DIR/partial.db"
assert_contains "$GB_ERR" "the last extract did not finish, so the snapshot is partial"
gb extract; assert_rc 0 "extract continues"
sqlite3 "$WORK_DB" ".backup '$E2E_DIR/complete.db'"
gb_raw plan --work-db "$E2E_DIR/complete.db"
assert_not_contains "$GB_ERR" "the snapshot is partial"
all=$(e2e_sqlite "SELECT count(*) FROM lead")
[[ $partial -lt $all ]] || e2e_fail "the interrupted extract was not partial ($partial of $all)"

# ---- run: stops between stages (here inside extract) and runs no later stage ------------------
paused "$E2E_DIR/run.db" run --page-size 1
wait_until "$E2E_DIR/run.db" "SELECT count(*) >= 1 FROM lead"
stop INT 130
assert_eq 0 "$(q "$E2E_DIR/run.db" "SELECT count(*) FROM stage_run WHERE stage <> 'extract'")" "run went no further"

# ---- fetch: drains what is in flight, keeps what it fetched ----------------------------------
e2e_start_sim "$GHLB_SRC/data/demo/ghl-sim.json" --latency-ms 300   # slow enough to be caught mid-run
BG_N=$((BG_N + 1))
"$GHLB_BIN/ghl-backfill" fetch --work-db "$WORK_DB" --concurrency 1 \
  >"$E2E_DIR/bg.$BG_N.out" 2>"$E2E_DIR/bg.$BG_N.err" &
BG_PID=$!
wait_until "$WORK_DB" "SELECT count(*) >= 1 FROM fetch_result"
stop INT 130
assert_eq interrupted "$(last_status "$WORK_DB" fetch)" "fetch recorded as interrupted"
fetched=$(e2e_sqlite "SELECT count(*) FROM fetch_result")
[[ $fetched -lt $all ]] || e2e_fail "the interrupted fetch was not partial ($fetched of $all)"
e2e_start_sim "$GHLB_SRC/data/demo/ghl-sim.json"

# ---- plan: rolled back, the previous plan stands ----------------------------------------------
fetch_all --work-db "$WORK_DB"
paused "$WORK_DB" plan
wait_until "$WORK_DB" "SELECT status = 'running' FROM stage_run WHERE stage = 'plan' ORDER BY id DESC LIMIT 1"
stop TERM 143
assert_eq interrupted "$(last_status "$WORK_DB" plan)" "plan recorded as interrupted"
assert_contains "$E2E_DIR/bg.$BG_N.err" "nothing of this plan is kept and the previous plan stands"
assert_eq 0 "$(e2e_sqlite 'SELECT count(*) FROM plan_lead')" "an interrupted plan stores nothing"
gb plan; assert_rc 0 "plan continues"
fill=$(e2e_sqlite "SELECT count(*) FROM plan_lead WHERE status = 'fill'")
[[ $fill -ge 3 ]] || e2e_fail "the demo should plan several writes (got $fill)"

# ---- apply: between batches -------------------------------------------------------------------
paused "$WORK_DB" apply --yes --batch-size 1
wait_until "$WORK_DB" "SELECT count(DISTINCT lead_id) >= 1 FROM apply_log"
stop INT 130
assert_eq interrupted "$(last_status "$WORK_DB" apply)" "apply recorded as interrupted"
applied=$(e2e_sqlite "SELECT count(DISTINCT lead_id) FROM apply_log")
[[ $applied -lt $fill ]] || e2e_fail "the interrupted apply was not partial ($applied of $fill)"
gb apply --yes; assert_rc 0 "apply continues"
assert_eq "$fill" "$(e2e_sqlite "SELECT count(DISTINCT lead_id) FROM apply_log")" "every planned lead applied once"

# ---- the same data, never interrupted, in a second database: the same final table ------------
final='SELECT string_agg(concat_ws(chr(31), id, "ghlContactId", email, phone, "firstName", "lastName",
         "companyName", "enrichmentStatus", "enrichmentSource", ("enrichedAt" IS NULL)::text), chr(30) ORDER BY id)
       FROM "Lead"'
ref_db="${E2E_DB}_ref"
ref_url=$("$GHLB_SRC/tools/pg-cluster" createdb "$GHLB_PG_DIR" "$ref_db" "$GHLB_SRC/schema/app_db.sql" \
            "$GHLB_SRC/data/demo/app.sql" 2>"$E2E_DIR/ref.err") || e2e_fail "createdb $ref_db: $(tail -n 1 "$E2E_DIR/ref.err")"
e2e_start_sim "$GHLB_SRC/data/demo/ghl-sim.json"   # a fresh simulator: the same faults again
ref_work="$E2E_DIR/ref.db"
gb_raw extract --work-db "$ref_work" --database-url "$ref_url"; assert_rc 0 "reference extract"
fetch_all --work-db "$ref_work" --database-url "$ref_url"
gb_raw plan --work-db "$ref_work"; assert_rc 0 "reference plan"
gb_raw apply --yes --work-db "$ref_work" --database-url "$ref_url"; assert_rc 0 "reference apply"
got=$(e2e_psql "$final" | md5sum)
want=$(psql -X -q -A -t -d "$ref_url" -c "$final" | md5sum)
assert_eq "$want" "$got" "final \"Lead\" table equals the uninterrupted run's"
psql -X -q -d "${ref_url%/*}/postgres" -c "DROP DATABASE \"$ref_db\" WITH (FORCE)" >/dev/null
assert_no_pii
e2e_pass
