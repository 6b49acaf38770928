#!/usr/bin/env bash
# A work DB belongs to the application database it was extracted from: extract, fetch and apply
# pointed at another database (here a second copy of the same demo data, the most confusable case)
# refuse with exit 1 and one line, and change nothing in either database.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init app_database
e2e_load_sql "$GHLB_SRC/data/demo/app.sql"
e2e_start_sim "$GHLB_SRC/data/demo/ghl-sim.json"

other_db="${E2E_DB}_other"
other_url=$("$GHLB_SRC/tools/pg-cluster" createdb "$GHLB_PG_DIR" "$other_db" "$GHLB_SRC/schema/app_db.sql" \
              "$GHLB_SRC/data/demo/app.sql" 2>"$E2E_DIR/other.err") \
  || e2e_fail "createdb $other_db: $(tail -n 1 "$E2E_DIR/other.err")"
rows='SELECT md5(string_agg(md5(ROW(l.*)::text), $$,$$ ORDER BY id)) FROM "Lead" l'
other_rows() { psql -X -q -A -t -d "$other_url" -c "$rows"; }

gb extract; assert_rc 0 "extract"
e2e_fetch_settled "fetch"
gb plan; assert_rc 0 "plan"

other_before=$(other_rows)
work_before=$(sqlite3 "$WORK_DB" .dump | grep -v '^INSERT INTO stage_run' | md5sum)
refused() {  # STAGE...: run against the other database, expect the one-line refusal
  DATABASE_URL=$other_url gb "$@"
  assert_rc 1 "$1 against another database"
  assert_eq 1 "$(wc -l <"$GB_ERR")" "$1: one line on stderr"
  assert_contains "$GB_ERR" "belongs to another application database"
  assert_eq 0 "$(wc -c <"$GB_OUT")" "$1: nothing on stdout"
}
refused apply --yes
refused extract
refused fetch --refetch
assert_eq "$other_before" "$(other_rows)" "the other database is unchanged"
assert_eq "$work_before" "$(sqlite3 "$WORK_DB" .dump | grep -v '^INSERT INTO stage_run' | md5sum)" \
  "the work DB is unchanged (but for run bookkeeping)"

# Its own database: applied as planned; a new work DB for the other database works too.
gb apply --yes; assert_rc 0 "apply to its own database"
[[ $(e2e_sqlite "SELECT count(*) FROM apply_log WHERE outcome = 'written'") -gt 0 ]] || e2e_fail "nothing written"
DATABASE_URL=$other_url gb_raw extract --work-db "$E2E_DIR/other.db"; assert_rc 0 "a new work DB for the other database"

psql -X -q -d "${other_url%/*}/postgres" -c "DROP DATABASE \"$other_db\" WITH (FORCE)" >/dev/null
assert_no_pii
e2e_pass
