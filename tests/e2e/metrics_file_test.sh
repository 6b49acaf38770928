#!/usr/bin/env bash
# --metrics-file (issue 11): the Prometheus textfile written at the end of each command,
# atomically, parsed here: names, labels and values matching the run (requests and 429s the
# simulator saw, values apply wrote, leads by state, exit code), for a chained run and a stage.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init metrics_file
e2e_load_sql "$GHLB_SRC/data/demo/app.sql"
e2e_start_sim "$GHLB_SRC/data/demo/ghl-sim.json"
m="$E2E_DIR/ghl-backfill.prom"

# metric NAME [LABELS]: the value of the sample NAME{LABELS} (exact label text), or "absent".
metric() {
  local want=$1
  [[ $# -lt 2 ]] || want+="{$2}"
  WANT=$want awk '$1 == ENVIRON["WANT"] { print $2; found = 1 } END { if (!found) print "absent" }' "$m"
}

# 1. A chained run up to the plan (fetch may need a second run for the demo's fault: exit 3).
gb run --metrics-file "$m"
[[ $GB_RC -eq 0 || $GB_RC -eq 3 ]] || e2e_fail "run: exit $GB_RC"
[[ -f "$m" ]] || e2e_fail "no metrics file after run"
assert_eq "644" "$(stat -c %a "$m")" "metrics file mode (counts only, readable by the collector)"
assert_eq "$GB_RC" "$(metric ghl_backfill_exit_code 'command="run"')" "exit code"
# libcurl sends a request again by itself when the server resets a reused connection (the demo
# scripts one reset): GHL sees it twice, fetch submitted it once.
assert_eq "$(($(e2e_sim_counter requests) - $(e2e_sim_counter resets)))" \
  "$(metric ghl_backfill_requests 'command="run"')" "requests = what GHL saw, less curl's own resend"
sim429=$(e2e_sim_stats | tr -d ' \n' | sed -n 's/.*"status_counts":{[^}]*"429":\([0-9]*\).*/\1/p')
assert_eq "${sim429:-0}" "$(metric ghl_backfill_rate_limited 'command="run"')" "429s = what GHL sent"
# Every line is a comment or NAME{LABELS} VALUE with a numeric value; every family is typed.
bad=$(grep -v '^#' "$m" | grep -Ecv '^ghl_backfill_[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+-]+$' || true)
assert_eq 0 "$bad" "every sample line well-formed"
for fam in $(grep -v '^#' "$m" | sed 's/[{ ].*//' | sort -u); do
  grep -q "^# TYPE $fam gauge$" "$m" || e2e_fail "family $fam has no TYPE line"
done
# Leads by state: the plan's statuses, summing to the eligible leads.
while IFS='|' read -r status n; do
  assert_eq "$n" "$(metric ghl_backfill_leads "state=\"$status\"")" "leads in state $status"
done < <(e2e_sqlite "SELECT status, count(*) FROM plan_lead GROUP BY status")
sum=$(grep '^ghl_backfill_leads{' "$m" | awk '{ s += $2 } END { print s }')
assert_eq "$(e2e_sqlite 'SELECT count(*) FROM lead WHERE eligible = 1')" "$sum" "states sum to the eligible leads"
[[ $(metric ghl_backfill_duration_seconds 'command="run"') != absent ]] || e2e_fail "no duration"
assert_eq absent "$(metric ghl_backfill_fields_written 'command="run",field="phone"')" "run without --apply wrote nothing"

# 2. fetch and plan until final, then apply: fields written by field = apply_log of that run.
for _ in 1 2 3; do
  gb fetch
  [[ $GB_RC -eq 3 ]] || break
done
gb plan; assert_rc 0 "plan"
before=$(date +%s)
gb apply --yes --metrics-file "$m"; assert_rc 0 "apply"
assert_eq 0 "$(metric ghl_backfill_exit_code 'command="apply"')" "apply's exit code"
assert_eq 0 "$(metric ghl_backfill_requests 'command="apply"')" "apply sends no request"
while IFS='|' read -r field n; do
  assert_eq "$n" "$(metric ghl_backfill_fields_written "command=\"apply\",field=\"$field\"")" "written $field"
done < <(e2e_sqlite "SELECT field, count(*) FROM apply_log WHERE outcome = 'written' GROUP BY field")
last=$(metric ghl_backfill_last_success_timestamp_seconds 'stage="apply"')
[[ ${last%.*} -ge $((before - 1)) ]] || e2e_fail "apply's last success time $last is before the run ($before)"

# 3. A failing command still leaves its exit code; the file is replaced, never appended.
gb apply --yes --plan 999 --metrics-file "$m"; assert_rc 1 "apply of a plan that does not exist"
assert_eq 1 "$(metric ghl_backfill_exit_code 'command="apply"')" "the failure's exit code"
assert_eq 1 "$(grep -c '^ghl_backfill_exit_code' "$m")" "one exit code sample: the file was replaced"
ls -a "$E2E_DIR" | grep -q '\.tmp$' && e2e_fail "a temporary file was left beside the metrics file"
assert_no_pii
e2e_pass
