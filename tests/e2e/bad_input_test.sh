#!/usr/bin/env bash
# Bad input gets one clear line on stderr and exit 1 or 2, and changes nothing in either database.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init bad_input
e2e_load_sql "$GHLB_SRC/tests/e2e/data/guards.sql"
e2e_psql "INSERT INTO \"Client\"(id, name, \"userId\", \"createdAt\", \"updatedAt\")
          VALUES ('client-nogh', 'No GHL', 'u1', now(), now())" >/dev/null
e2e_start_sim "$GHLB_SRC/tests/e2e/data/guards-sim.json"

app_state() { e2e_psql "SELECT string_agg(md5(ROW(l.*)::text), ',' ORDER BY id) FROM \"Lead\" l"; }
work_state() { sqlite3 "$WORK_DB" .dump | md5sum; }
# expect_error RC TEXT: the last run exited RC with exactly one line on stderr containing TEXT.
expect_error() {
  assert_rc "$1" "exit status for: $2"
  assert_eq 1 "$(wc -l <"$GB_ERR")" "one line on stderr for: $2"
  assert_contains "$GB_ERR" "$2"
  [[ ! -s "$GB_OUT" ]] || e2e_fail "nothing on stdout expected for: $2"
}

# Unreachable database: nothing created, the URL (which may hold a password) is not echoed.
gb_raw extract --work-db "$E2E_DIR/none.db" --database-url "postgresql://postgres:s3cret@127.0.0.1:1/nope"
expect_error 1 "cannot connect to the application database"
assert_not_contains "$GB_ERR" "s3cret"
[[ ! -e "$E2E_DIR/none.db" ]] || e2e_fail "a work DB was created although the database is unreachable"
# No URL: libpq's defaults (PG* variables, ~/.pgpass), here a socket directory with no server.
DATABASE_URL="" PGHOST="$E2E_DIR" gb_raw extract --work-db "$E2E_DIR/none.db"
expect_error 1 "no server on the local socket"

# A good run to have a work DB to protect.
gb extract; assert_rc 0 "extract"
gb fetch; assert_rc 0 "fetch"
gb plan; assert_rc 0 "plan"
app0=$(app_state); work0=$(work_state)

# Unknown --client-id, for each stage that takes it.
for stage in extract fetch plan apply status; do
  gb "$stage" --client-id no-such-client
  expect_error 2 "unknown --client-id no-such-client"
done
# A tenant named with --client-id that has no GHL location or token.
gb extract --client-id client-nogh
expect_error 2 "takes no part: its \"Client\" row has no GHL location or token"
# Usage errors.
gb extract --page-size 0; expect_error 2 "--page-size"
gb extract --no-such-flag; expect_error 2 "no-such-flag"
gb fetch --concurrency 0; expect_error 2 "--concurrency"
gb apply --yes --batch-size 0; expect_error 2 "--batch-size"
gb plan --export "$E2E_DIR/plan.xlsx"; expect_error 2 ".csv or .json"
gb_raw frobnicate; assert_rc 2 "unknown command"
# Malformed or unsafe GHL base URLs.
gb fetch --refetch --ghl-base-url "ftp://127.0.0.1/"; expect_error 2 "--ghl-base-url"
gb fetch --refetch --ghl-base-url "http://example.com"; expect_error 2 "--ghl-base-url"
gb fetch --refetch --ghl-base-url "not a url"; expect_error 2 "--ghl-base-url"
assert_eq "$app0" "$(app_state)" "the application database is unchanged"
assert_eq "$work0" "$(work_state)" "the work DB is unchanged"

# Missing table, missing column: the message names it.
e2e_psql 'ALTER TABLE "Lead" RENAME COLUMN "companyName" TO "company"' >/dev/null
gb extract; expect_error 1 '"companyName"'
gb apply --yes; expect_error 1 '"companyName"'
e2e_psql 'ALTER TABLE "Lead" RENAME COLUMN "company" TO "companyName"' >/dev/null
e2e_psql 'ALTER TABLE "Client" RENAME TO "Tenant"' >/dev/null
gb extract; expect_error 1 'no table "Client"'
e2e_psql 'ALTER TABLE "Tenant" RENAME TO "Client"' >/dev/null
assert_eq "$work0" "$(work_state)" "the work DB is unchanged after schema errors"

# A work DB that is not SQLite, or from a newer version of ghl-backfill.
echo "this is a text file, not a database; it must survive untouched" >"$E2E_DIR/text.db"
sum=$(md5sum <"$E2E_DIR/text.db")
for stage in extract plan status; do
  gb_raw "$stage" --work-db "$E2E_DIR/text.db"
  expect_error 1 "not a SQLite database"
done
assert_eq "$sum" "$(md5sum <"$E2E_DIR/text.db")" "the non-SQLite file is untouched"
sqlite3 "$E2E_DIR/other-app.db" "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT);
                                  INSERT INTO notes(body) VALUES ('another tool keeps this')"
sum=$(md5sum <"$E2E_DIR/other-app.db")
for stage in extract plan status; do
  gb_raw "$stage" --work-db "$E2E_DIR/other-app.db"
  expect_error 1 "is a SQLite database of another application"
done
assert_eq "$sum" "$(md5sum <"$E2E_DIR/other-app.db")" "another application's SQLite file is untouched"
[[ ! -e "$E2E_DIR/other-app.db.lock" ]] || e2e_fail "a lock file was left beside another application's DB"
cp "$WORK_DB" "$E2E_DIR/newer.db"
sqlite3 "$E2E_DIR/newer.db" "PRAGMA user_version = 99"
gb_raw plan --work-db "$E2E_DIR/newer.db"; expect_error 1 "newer than this ghl-backfill knows"
for stage in fetch plan apply status; do
  gb_raw "$stage" --work-db "$E2E_DIR/missing.db"; expect_error 1 "does not exist"
done
[[ ! -e "$E2E_DIR/missing.db" ]] || e2e_fail "a stage after extract created a work DB"

# GHL answering non-JSON or unexpected JSON: recorded per lead, the run goes on with the others.
cat >"$E2E_DIR/sim-bad.json" <<JSON
$(sed '$d' "$GHLB_SRC/tests/e2e/data/guards-sim.json")
]}],
 "faults": [{"email": "ok@example.com", "responses": ["notjson","notjson","notjson","notjson","notjson","notjson","notjson","notjson"]},
            {"email": "stale@example.com", "responses": ["wrongshape","wrongshape","wrongshape","wrongshape","wrongshape","wrongshape","wrongshape","wrongshape"]}]}
JSON
e2e_start_sim "$E2E_DIR/sim-bad.json"
gb fetch --refetch --max-retries 2
assert_rc 3 "fetch with bad payloads ends retryable"
assert_eq "bad_response|found|bad_response" \
  "$(e2e_sqlite "SELECT group_concat(outcome, '|') FROM (SELECT outcome FROM fetch_result WHERE lead_id IN ('lead-ok','lead-stale','lead-race') ORDER BY lead_id)")" \
  "bad payloads recorded per lead, the others fetched"
gb plan; assert_rc 3 "plan with pending leads"
assert_eq "pending" "$(e2e_sqlite "SELECT status FROM plan_lead WHERE lead_id = 'lead-ok'")" "bad payload lead is pending"
assert_no_pii
e2e_pass
