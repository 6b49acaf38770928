#!/usr/bin/env bash
# Issue 6 on the demo data: apply writes only a plan that exists and whose inputs did not change
# (a stale plan, by fetch or by extract, is refused; --plan ID too); apply asks for confirmation
# (no terminal and no --yes: exit 2; on a terminal only 'yes' writes; --dry-run never asks); and a
# second full pass after a complete apply shows nothing to write and no new conflict.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init review_second_pass
e2e_load_sql "$GHLB_SRC/data/demo/app.sql"
e2e_start_sim "$GHLB_SRC/data/demo/ghl-sim.json"
stale='the plan is older than its inputs: run plan again'

# apply with no plan at all: an error, not "nothing to write".
gb extract; assert_rc 0 "extract"
gb apply --yes; assert_rc 1 "apply without a plan"
assert_contains "$GB_ERR" "there is no plan for these tenants"
assert_eq 1 "$(grep -c . "$GB_ERR")" "one line"

# A plan made while leads were still unfetched; fetch then changes its inputs.
gb fetch --max-requests 5
gb plan; [[ $GB_RC -eq 3 ]] || assert_rc 3 "plan with leads pending"
plan1=$(e2e_sqlite "SELECT max(id) FROM plan")
assert_contains "$GB_OUT" "Plan $plan1 saved"
assert_contains "$GB_OUT" "have no final lookup (pending)"   # says what is still to come ...
assert_not_contains "$GB_OUT" "Apply it with"                 # ... rather than inviting an apply
gb plan --detailed-exitcode; assert_rc 2 "plan --detailed-exitcode with changes"
for attempt in 1 2 3 4; do
  gb fetch
  [[ $GB_RC -eq 3 ]] || break
done
assert_rc 0 "fetch ends with nothing retryable"
gb apply --yes; assert_rc 1 "apply of the latest plan after fetch"
assert_contains "$GB_ERR" "$stale"
gb apply --yes --plan "$plan1"; assert_rc 1 "apply --plan of an older plan after fetch"
assert_contains "$GB_ERR" "$stale"
gb apply --yes --plan 999; assert_rc 1 "apply --plan of no plan"
assert_eq 0 "$(e2e_sqlite "SELECT count(*) FROM apply_log")" "nothing applied"

# A fresh plan; an extract that changes nothing plan reads leaves it valid, one that does not
# (a new eligible lead) makes it stale.
gb plan --json; assert_rc 0 "plan"
first_conflicts=$(jq '.totals.by_status.conflict // 0' "$GB_OUT")
[[ $first_conflicts -gt 0 ]] || e2e_fail "the demo has no conflict to compare"
gb extract; assert_rc 0 "extract that changes nothing"
gb apply --dry-run </dev/null; assert_rc 0 "the plan is still current after a no-change extract (dry run never asks)"
client=$(e2e_sqlite "SELECT client_id FROM lead ORDER BY id LIMIT 1")
e2e_psql "INSERT INTO \"Lead\"(id, \"clientId\", email, \"createdAt\", \"updatedAt\")
          VALUES ('lead-review-new', '$client', 'nobody.review@example.com', now(), now())" >/dev/null
gb extract; assert_rc 0 "extract that sees a new lead"
gb apply --yes; assert_rc 1 "apply after extract changed the inputs"
assert_contains "$GB_ERR" "$stale"
gb fetch; assert_rc 0 "fetch the new lead"
gb plan; assert_rc 0 "plan again"
to_write=$(e2e_sqlite "SELECT count(*) FROM plan_item")
[[ $to_write -gt 0 ]] || e2e_fail "nothing to write in the demo"

# Confirmation: no terminal and no --yes refuses (exit 2, one line); on a terminal, any answer
# but 'yes' writes nothing; 'yes' writes.
"$GHLB_BIN/ghl-backfill" apply --work-db "$WORK_DB" </dev/null >"$E2E_DIR/noterm.out" 2>"$E2E_DIR/noterm.err" &&
  rc=0 || rc=$?
cat "$E2E_DIR/noterm.out" "$E2E_DIR/noterm.err" >>"$E2E_DIR/all-output.log"
assert_eq 2 "$rc" "apply without a terminal and without --yes"
assert_contains "$E2E_DIR/noterm.err" "pass --yes"
assert_eq 1 "$(grep -c . "$E2E_DIR/noterm.err")" "one line"
"$GHLB_BIN/ghl-backfill" run --apply --work-db "$WORK_DB" </dev/null >"$E2E_DIR/run-noterm.out" 2>"$E2E_DIR/run-noterm.err" &&
  rc=0 || rc=$?
cat "$E2E_DIR/run-noterm.out" "$E2E_DIR/run-noterm.err" >>"$E2E_DIR/all-output.log"
assert_eq 2 "$rc" "run --apply without a terminal and without --yes"
assert_contains "$E2E_DIR/run-noterm.err" "pass --yes"
assert_eq 0 "$(e2e_sqlite "SELECT count(*) FROM apply_log")" "run --apply refused: nothing written"
on_terminal() {  # ANSWER OUTFILE: runs apply on a pseudo-terminal, typing ANSWER
  local rc=0
  printf '%s\n' "$1" | script -qec "'$GHLB_BIN/ghl-backfill' apply --work-db '$WORK_DB'" /dev/null >"$2" 2>&1 || rc=$?
  cat "$2" >>"$E2E_DIR/all-output.log"
  return "$rc"
}
rc=0; on_terminal no "$E2E_DIR/tty-no.out" || rc=$?
assert_eq 1 "$rc" "answer 'no' on a terminal"
assert_contains "$E2E_DIR/tty-no.out" "Only 'yes' will be accepted"
assert_contains "$E2E_DIR/tty-no.out" "apply cancelled: nothing was written"
if grep -q "error:" "$E2E_DIR/tty-no.out"; then e2e_fail "answer 'no' reads like a failure of the tool"; fi
rc=0; on_terminal y "$E2E_DIR/tty-y.out" || rc=$?
assert_eq 1 "$rc" "answer 'y' on a terminal"
# Ctrl-C at the prompt (typed on the terminal: the line discipline sends SIGINT): exit 130.
mkfifo "$E2E_DIR/tty-int.in"
script -qec "'$GHLB_BIN/ghl-backfill' apply --work-db '$WORK_DB'" /dev/null <"$E2E_DIR/tty-int.in" \
  >"$E2E_DIR/tty-int.out" 2>&1 &
int_pid=$!
exec {int_fd}>"$E2E_DIR/tty-int.in"
for _ in $(seq 300); do
  grep -q "Only 'yes' will be accepted" "$E2E_DIR/tty-int.out" && break
  sleep 0.1
done
assert_contains "$E2E_DIR/tty-int.out" "Only 'yes' will be accepted"
sleep 0.3  # the prompt is out: apply is waiting for the answer
printf '\003' >&"$int_fd"
for _ in $(seq 300); do  # stdin stays open: only the signal may end the read
  kill -0 "$int_pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$int_pid" 2>/dev/null; then
  kill "$int_pid"; exec {int_fd}>&-; wait "$int_pid" || true
  e2e_fail "apply kept waiting for an answer after Ctrl-C"
fi
rc=0; wait "$int_pid" || rc=$?
exec {int_fd}>&-
cat "$E2E_DIR/tty-int.out" >>"$E2E_DIR/all-output.log"
assert_eq 130 "$rc" "Ctrl-C at the confirmation prompt"
assert_eq 0 "$(e2e_sqlite "SELECT count(*) FROM apply_log")" "a refused apply writes nothing"
rc=0; on_terminal yes "$E2E_DIR/tty-yes.out" || rc=$?
assert_eq 0 "$rc" "answer 'yes' on a terminal"
assert_contains "$E2E_DIR/tty-yes.out" "will write $to_write values to"
assert_eq "$to_write" "$(e2e_sqlite "SELECT count(*) FROM apply_log")" "every planned value settled"
gb status --json; assert_rc 0 "status right after apply"
assert_eq 0 "$(jq '[.tenants[].to_write] | add' "$GB_OUT")" "status: what apply wrote is no longer to write"

# The second pass: nothing to write, no new conflict, detailed exit code 0, status to_write 0.
gb run --apply --yes; assert_rc 0 "second run --apply"
gb plan --json; assert_rc 0 "second plan"
assert_eq 0 "$(jq '.totals.fields | add // 0' "$GB_OUT")" "second pass: nothing to write"
assert_eq "$first_conflicts" "$(jq '.totals.by_status.conflict // 0' "$GB_OUT")" "second pass: no new conflict"
[[ $(jq '.totals.by_status.applied // 0' "$GB_OUT") -gt 0 ]] || e2e_fail "second pass: no lead shown as applied"
gb plan; assert_rc 0 "second plan (text)"
assert_contains "$GB_OUT" "nothing to write"
gb plan --detailed-exitcode; assert_rc 0 "plan --detailed-exitcode after a complete apply"
gb status --json; assert_rc 0 "status"
assert_eq 0 "$(jq '[.tenants[].to_write] | add' "$GB_OUT")" "status: to_write 0"
assert_no_pii
e2e_pass
