#!/usr/bin/env bash
# Issue 8 "Done when": a location scan killed with SIGKILL mid-walk (no clean stop, no flush)
# resumes from its last stored page: the resumed run asks for no stored page again, and the final
# application table equals an uninterrupted run's. The simulator answers slowly (--latency-ms)
# so the kill lands between pages; the test waits for stored pages, not for time.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init fetch_scan_kill

loc=locKKKKKKKKKKKKKKKKK01
{
  echo "INSERT INTO \"Client\"(id, name, \"ghlLocationId\", \"ghlPrivateKey\", \"userId\", \"createdAt\", \"updatedAt\") VALUES
    ('client-k', 'K', '$loc', 'token-k-secret-0001', 'u', now(), now());"
  echo "INSERT INTO \"Lead\"(id, \"clientId\", email, \"createdAt\", \"updatedAt\")
        SELECT 'lead-k-' || lpad(i::text, 4, '0'), 'client-k', 'k' || (i * 29) || '@k.example.com', now(), now()
        FROM generate_series(1, 100) i;"
  echo "INSERT INTO \"Lead\"(id, \"clientId\", \"ghlContactId\", \"createdAt\", \"updatedAt\")
        SELECT 'lead-k-id-' || i, 'client-k', 'ctk' || lpad(i::text, 13, '0'), now(), now()
        FROM generate_series(2900, 2909) i;"
} | e2e_load_sql -
e2e_psql 'CREATE TABLE lead_backup AS SELECT * FROM "Lead"' >/dev/null
# 3,000 contacts: a scan reads 6 pages of 500.
awk -v loc="$loc" 'BEGIN {
  printf "{\"locations\": [{\"id\": \"%s\", \"token\": \"token-k-secret-0001\", \"contacts\": [\n", loc
  for (i = 1; i <= 3000; i++) {
    date = sprintf("2023-03-%02dT%02d:%02d:00.000Z", 1 + int(i / 1440), int(i % 1440 / 60), i % 60)
    printf "{\"id\": \"ctk%013d\", \"email\": \"k%d@k.example.com\", \"phone\": \"+1 415 555 %04d\", \"firstName\": \"F%d\", \"lastName\": \"L%d\", \"companyName\": \"Co%d\", \"dateAdded\": \"%s\"}%s\n",
      i, i, i, i, i, i, date, (i < 3000 ? "," : "")
  }
  printf "]}]}\n"
}' >"$E2E_DIR/sim.json"
final='SELECT id || '"'|'"' || concat_ws('"'|'"', "ghlContactId", email, phone, "firstName", "lastName",
       "companyName") FROM "Lead" ORDER BY id COLLATE "C"'
before=$(e2e_psql "$final")

# plan_apply NAME: plan and apply the current work DB; keeps the final table; restores "Lead".
declare -A table
plan_apply() {
  gb plan; assert_rc 0 "plan ($1)"
  gb apply --yes; assert_rc 0 "apply ($1)"
  table[$1]=$(e2e_psql "$final")
  e2e_psql 'DELETE FROM "Lead"; INSERT INTO "Lead" SELECT * FROM lead_backup' >/dev/null
}

# The uninterrupted run.
e2e_start_sim "$E2E_DIR/sim.json"
WORK_DB="$E2E_DIR/work-whole.db"
gb extract; assert_rc 0 "extract (whole)"
gb fetch --strategy scan; assert_rc 0 "uninterrupted scan"
assert_eq 6 "$(e2e_sim_counter requests)" "the uninterrupted scan reads 6 pages"
plan_apply whole

# The killed run: SIGKILL once two pages are stored.
e2e_start_sim "$E2E_DIR/sim.json" --latency-ms 400
WORK_DB="$E2E_DIR/work-killed.db"
gb extract; assert_rc 0 "extract (killed)"
"$GHLB_BIN/ghl-backfill" fetch --strategy scan --work-db "$WORK_DB" >"$E2E_DIR/killed.out" 2>"$E2E_DIR/killed.err" &
fetch_pid=$!
pages=0
for ((i = 0; i < 600; i++)); do  # a guard against hanging, not a timing assumption
  pages=$(sqlite3 -cmd '.timeout 5000' "$WORK_DB" "SELECT count(*) FROM lookup_page" 2>/dev/null || echo 0)
  [[ $pages -ge 2 ]] && break
  kill -0 "$fetch_pid" 2>/dev/null || break
  sleep 0.05
done
kill -9 "$fetch_pid" 2>/dev/null || e2e_fail "fetch ended before the kill (pages stored: $pages)"
wait "$fetch_pid" 2>/dev/null || true
stored=$(e2e_sqlite "SELECT count(*) FROM lookup_page WHERE client_id = 'client-k'")
[[ $stored -ge 2 && $stored -lt 6 ]] || e2e_fail "the kill did not land mid-walk: $stored pages stored"
assert_eq 0 "$(e2e_sqlite "SELECT scan_complete FROM lookup_location WHERE client_id = 'client-k'")" "scan unfinished"
assert_eq 0 "$(e2e_sqlite "SELECT count(*) FROM fetch_result")" "no result stored before the scan's end"
killed_cursors=$(e2e_sqlite "SELECT IFNULL(cursor, '') FROM lookup_page ORDER BY seq")

# The resumed run, on a fresh simulator (fresh counters and request log).
e2e_start_sim "$E2E_DIR/sim.json"
gb fetch --strategy scan; assert_rc 0 "resumed scan"
assert_contains "$GB_ERR" "scan_resumed"
assert_eq $((6 - stored)) "$(e2e_sim_counter requests)" "the resumed run reads only the pages not stored"
first_new_cursor=$(e2e_sqlite "SELECT IFNULL(cursor, '') FROM lookup_page WHERE seq = $stored")
[[ -n "$first_new_cursor" ]] || e2e_fail "the resumed run started without a cursor (from the first page)"
assert_eq "$killed_cursors" "$(e2e_sqlite "SELECT IFNULL(cursor, '') FROM lookup_page WHERE seq < $stored ORDER BY seq")" \
          "the stored pages are kept as they were"
assert_eq 6 "$(e2e_sqlite "SELECT count(*) FROM lookup_page")" "6 pages in all"
assert_eq 110 "$(e2e_sqlite "SELECT count(*) FROM fetch_result WHERE outcome = 'found'")" "every lead found"
plan_apply resumed

[[ "${table[whole]}" != "$before" ]] || e2e_fail "the uninterrupted run wrote nothing: the comparison proves nothing"
assert_eq "${table[whole]}" "${table[resumed]}" "the application table after the killed+resumed scan is the uninterrupted one's"
assert_no_pii
e2e_pass
