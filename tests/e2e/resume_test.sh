#!/usr/bin/env bash
# Stop anywhere, resume, and end exactly like an uninterrupted run: one database gets an
# uninterrupted `ghl-backfill run --apply`; another gets the stages one process at a time with a
# SIGKILL in the middle of fetch and in the middle of apply (held on a row lock), each stage then
# re-run. Both must end with the same application rows and each field written exactly once.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init resume
e2e_load_sql "$GHLB_SRC/data/demo/app.sql"
e2e_start_sim "$GHLB_SRC/data/demo/ghl-sim.json" --latency-ms 5 --burst 1000

# The backfill's columns, timestamps reduced to "set or not" (they carry the time of the write).
state() {
  e2e_psql "SELECT string_agg(md5(ROW(\"ghlContactId\", email, phone, \"firstName\", \"lastName\", \"companyName\",
              \"enrichmentStatus\", \"enrichmentSource\", \"enrichedAt\" IS NULL)::text), ',' ORDER BY id) FROM \"Lead\""
}

# Reference: uninterrupted, in a second database loaded the same way.
ref_url=$("$GHLB_SRC/tools/pg-cluster" createdb "$GHLB_PG_DIR" "${E2E_DB}_ref" \
            "$GHLB_SRC/schema/app_db.sql" "$GHLB_SRC/data/demo/app.sql")
for i in 1 2 3; do
  gb_raw run --apply --yes --work-db "$E2E_DIR/ref.db" --database-url "$ref_url"
  [[ $GB_RC -eq 3 ]] || break
done
assert_rc 0 "uninterrupted run --apply"
reference=$(DATABASE_URL=$ref_url state)
psql -X -q -d "${DATABASE_URL%/*}/postgres" -c "DROP DATABASE \"${E2E_DB}_ref\" WITH (FORCE)" >/dev/null

# Interrupted after each stage: every stage is its own process, and re-run.
gb extract; assert_rc 0 "extract"
gb extract; assert_rc 0 "extract re-run"

# Kill fetch once it has sent some requests.
"$GHLB_BIN/ghl-backfill" fetch --work-db "$WORK_DB" --concurrency 2 >"$E2E_DIR/killed-fetch.out" 2>&1 &
pid=$!
for _ in $(seq 600); do
  [[ $(e2e_sim_counter requests) -ge 40 ]] && break
  sleep 0.05
done
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
cat "$E2E_DIR/killed-fetch.out" >>"$E2E_DIR/all-output.log"
done_before=$(e2e_sqlite "SELECT count(*) FROM fetch_result")
[[ $done_before -lt 241 ]] || e2e_fail "fetch finished before it was killed; the test proves nothing"
for i in 1 2 3; do
  gb fetch
  [[ $GB_RC -eq 3 ]] || break
done
assert_rc 0 "fetch resumed"
assert_eq 241 "$(e2e_sqlite "SELECT count(*) FROM fetch_result")" "every lead fetched once resumed"
gb plan; assert_rc 0 "plan"
gb plan; assert_rc 0 "plan re-run"

# Kill apply while it waits on a row another session holds.
locked=$(e2e_sqlite "SELECT lead_id FROM plan_lead WHERE status = 'fill' ORDER BY lead_id LIMIT 1 OFFSET 100")
psql -X -q -d "$DATABASE_URL" -c "BEGIN; SELECT 1 FROM \"Lead\" WHERE id = '$locked' FOR UPDATE; SELECT pg_sleep(120);" \
  >/dev/null 2>&1 &
holder=$!
for _ in $(seq 200); do
  [[ $(e2e_psql "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.query LIKE '%pg_sleep%' AND l.mode = 'RowShareLock'") -ge 1 ]] && break
  sleep 0.05
done
"$GHLB_BIN/ghl-backfill" apply --yes --work-db "$WORK_DB" --batch-size 10 >"$E2E_DIR/killed-apply.out" 2>&1 &
pid=$!
for _ in $(seq 600); do
  [[ $(e2e_psql "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'") -ge 1 ]] && break
  sleep 0.05
done
assert_eq 1 "$(e2e_psql "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")" "apply is blocked on the held row"
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
# Ending the psql client would leave its server session asleep with the lock: end the session.
e2e_psql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(120)%' AND pid <> pg_backend_pid()" >/dev/null
wait "$holder" 2>/dev/null || true
cat "$E2E_DIR/killed-apply.out" >>"$E2E_DIR/all-output.log"
partial=$(e2e_sqlite "SELECT count(DISTINCT lead_id) FROM apply_log")
[[ $partial -gt 0 && $partial -lt 195 ]] || e2e_fail "apply was not interrupted midway ($partial leads logged)"
gb apply --yes; assert_rc 0 "apply resumed"
gb apply --yes; assert_rc 0 "apply re-run"
assert_contains "$GB_OUT" "nothing to write"

assert_eq "$reference" "$(state)" "interrupted and resumed ends like uninterrupted"
assert_eq 0 "$(e2e_sqlite "SELECT count(*) FROM plan_item i LEFT JOIN apply_log a USING (lead_id, field) WHERE a.outcome IS NULL OR a.outcome NOT IN ('written')")" \
  "every planned field written exactly once, none stale"
assert_eq "interrupted" "$(e2e_sqlite "SELECT status FROM stage_run WHERE stage = 'apply' ORDER BY id LIMIT 1")" "the killed apply run is marked interrupted"
assert_no_pii
e2e_pass
