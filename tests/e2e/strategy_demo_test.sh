#!/usr/bin/env bash
# Issue 8: the bundled demo fetched with each strategy (per-lead, batched, scan, auto), each from
# a fresh simulator, work DB and application table: every strategy gives the fetch outcomes of
# data/demo/expected.tsv and the same final application table; batched and scan use fewer
# requests than per-lead.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init strategy_demo
e2e_load_sql "$GHLB_SRC/data/demo/app.sql"
expected="$GHLB_SRC/data/demo/expected.tsv"
e2e_psql 'CREATE TABLE lead_backup AS SELECT * FROM "Lead"' >/dev/null
final='SELECT id || '"'|'"' || concat_ws('"'|'"', "ghlContactId", email, phone, "firstName", "lastName",
       "companyName", "enrichmentStatus", "enrichmentSource") FROM "Lead" ORDER BY id COLLATE "C"'
want_outcomes=$(awk -F'\t' 'NR > 1 && $4 == 1 {print $1 "|" $6}' "$expected" | LC_ALL=C sort)
before=$(e2e_psql "$final")

declare -A table requests
for s in per-lead batched scan auto; do
  e2e_start_sim "$GHLB_SRC/data/demo/ghl-sim.json"  # fresh fault scripts and counters
  WORK_DB="$E2E_DIR/work-$s.db"
  gb extract; assert_rc 0 "extract ($s)"
  e2e_fetch_settled "fetch --strategy $s ends with nothing retryable" --strategy "$s"
  requests[$s]=$(e2e_sim_counter requests)
  assert_eq "$want_outcomes" "$(e2e_sqlite 'SELECT lead_id || "|" || outcome FROM fetch_result ORDER BY lead_id')" \
            "fetch outcome of every lead ($s)"
  gb plan; assert_rc 0 "plan ($s)"
  gb apply --yes; assert_rc 0 "apply ($s)"
  table[$s]=$(e2e_psql "$final")
  e2e_psql 'DELETE FROM "Lead"; INSERT INTO "Lead" SELECT * FROM lead_backup' >/dev/null
  echo "strategy $s: ${requests[$s]} requests" >>"$E2E_DIR/figures"
done
# --estimate after auto's probes: each location's strategy is the one auto chose, no call made.
WORK_DB="$E2E_DIR/work-auto.db"
calls=$(e2e_sim_counter requests)
gb fetch --estimate --refetch --strategy auto; assert_rc 0 "fetch --estimate"
assert_eq "$calls" "$(e2e_sim_counter requests)" "--estimate calls nothing"
assert_eq "$(e2e_sqlite "SELECT client_id || ' ' || strategy FROM lookup_location ORDER BY client_id")" \
          "$(awk 'NR > 2 && NF == 7 && $1 != "TOTAL" {print $1, $7}' "$GB_OUT" | LC_ALL=C sort)" \
          "the estimate shows auto's choice per location"
cat "$E2E_DIR/figures"
[[ "${table[per-lead]}" != "$before" ]] || e2e_fail "per-lead wrote nothing: the comparison proves nothing"
for s in batched scan auto; do
  assert_eq "${table[per-lead]}" "${table[$s]}" "the application table after $s is the one after per-lead"
done
[[ ${requests[batched]} -lt ${requests[per-lead]} ]] || e2e_fail "batched used ${requests[batched]} requests, per-lead ${requests[per-lead]}"
[[ ${requests[scan]} -lt ${requests[per-lead]} ]] || e2e_fail "scan used ${requests[scan]} requests, per-lead ${requests[per-lead]}"
assert_no_pii
e2e_pass
