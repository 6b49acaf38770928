#!/usr/bin/env bash
# Small things an unattended operator meets (issue 11 round):
#  - a run whose process was killed hard (kill -9) shows 'died' in `status` (text and --json),
#    not 'running' forever; a live one shows 'running'; the next stage records it as died;
#  - a run stopped by a signal records stop_reason 'signal';
#  - a TLS handshake failure (no TLS server at the https URL) is told as a handshake failure,
#    not as a certificate problem;
#  - an invalid port in the database URL is a usage error (exit 2), not a failed connection.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init unattended_leftovers
e2e_load_sql "$GHLB_SRC/data/demo/app.sql"
e2e_start_sim "$GHLB_SRC/data/demo/ghl-sim.json"

q() { sqlite3 -batch -cmd '.timeout 5000' "$WORK_DB" "$1" 2>/dev/null || true; }
BG_N=0
paused() {  # ARGS...: ghl-backfill ARGS in the background, pausing at its stop point; BG_PID
  BG_N=$((BG_N + 1))
  GHLB_TEST_PAUSE_MS=120000 "$GHLB_BIN/ghl-backfill" "$@" --work-db "$WORK_DB" \
    >"$E2E_DIR/bg.$BG_N.out" 2>"$E2E_DIR/bg.$BG_N.err" &
  BG_PID=$!
}
wait_running() {  # STAGE: until its newest stage_run is 'running' (the process must still run)
  local i
  for ((i = 0; i < 1200; i++)); do
    [[ "$(q "SELECT status = 'running' FROM stage_run WHERE stage = '$1' ORDER BY id DESC LIMIT 1")" == 1 ]] && return 0
    kill -0 "$BG_PID" 2>/dev/null || e2e_fail "$1 ended before running: $(tail -n 2 "$E2E_DIR/bg.$BG_N.err")"
    sleep 0.05
  done
  kill -9 "$BG_PID" 2>/dev/null || true
  e2e_fail "$1 never showed as running"
}
json_stage() { jq -r ".stages[] | select(.stage == \"$1\") | .$2" "$GB_OUT"; }

gb extract; assert_rc 0 "extract"
for _ in 1 2 3; do gb fetch; [[ $GB_RC -eq 3 ]] || break; done
assert_rc 0 "fetch"

# ---- a live run shows running; killed with -9 it shows died --------------------------------------
paused plan
wait_running plan
gb status; assert_rc 0 "status during plan"
grep -qE '^  plan +run +[0-9]+ +running ' "$GB_OUT" || e2e_fail "status does not show the live plan as running"
kill -9 "$BG_PID"; wait "$BG_PID" 2>/dev/null || true
cat "$E2E_DIR/bg.$BG_N.out" "$E2E_DIR/bg.$BG_N.err" >>"$E2E_DIR/all-output.log"
assert_eq running "$(q "SELECT status FROM stage_run WHERE stage = 'plan'")" "the killed plan's row (nobody updated it)"
gb status; assert_rc 0 "status after kill -9"
grep -qE '^  plan +run +[0-9]+ +died ' "$GB_OUT" || e2e_fail "status does not show the killed plan as died"
gb status --json; assert_rc 0 "status --json after kill -9"
assert_eq interrupted "$(json_stage plan status)" "JSON status of the killed plan"
assert_eq died "$(json_stage plan stop_reason)" "JSON stop_reason of the killed plan"
assert_eq null "$(json_stage extract stop_reason)" "a finished run has no stop_reason"
gb plan; assert_rc 0 "the next plan"
assert_eq "interrupted|died" "$(q "SELECT status || '|' || stop_reason FROM stage_run WHERE stage = 'plan' ORDER BY id LIMIT 1")" \
  "the next stage recorded the killed run as died"

# ---- a signal: stop_reason 'signal' ----------------------------------------------------------------
paused plan
wait_running plan
kill -INT "$BG_PID"; rc=0; wait "$BG_PID" || rc=$?
cat "$E2E_DIR/bg.$BG_N.out" "$E2E_DIR/bg.$BG_N.err" >>"$E2E_DIR/all-output.log"
assert_eq 130 "$rc" "plan stopped by SIGINT"
assert_eq "interrupted|signal" "$(q "SELECT status || '|' || stop_reason FROM stage_run WHERE stage = 'plan' ORDER BY id DESC LIMIT 1")" \
  "a signal's stop recorded"
gb status; grep -qE '^  plan +run +[0-9]+ +interrupted ' "$GB_OUT" || e2e_fail "status: a signal's stop is 'interrupted'"

# ---- a TLS handshake failure is not a certificate problem -----------------------------------------
gb fetch --refetch --max-retries 0 --ghl-base-url "${GHL_API_BASE/http:/https:}"
assert_rc 1 "fetch from an https URL served by plain HTTP"
assert_contains "$GB_ERR" "TLS handshake failed"
assert_not_contains "$GB_ERR" "certificate"

# ---- an invalid port is a usage error --------------------------------------------------------------
for port in 99999 0 54x2; do
  gb extract --database-url "postgresql://backfill@127.0.0.1:$port/app"
  assert_rc 2 "extract with port $port"
  assert_contains "$GB_ERR" "is not a port number"
done
assert_no_pii
e2e_pass
