#!/usr/bin/env bash
# revert streamed (issue 9): the wave's journal is read a few leads at a time and each batch is
# restored by one set-based statement. With batches of 3 leads over the whole demo wave, a lead
# the application changed (one field) and a lead it deleted, each in a batch with leads to
# restore: every other journaled value is back to its value before the wave (whole rows compared),
# the changed field and the deleted lead are left and reported, "updatedAt" moves only on restored
# rows, and the confirmation's counts are those of the journal.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init waves_revert_batches
e2e_load_sql "$GHLB_SRC/data/demo/app.sql"
e2e_start_sim "$GHLB_SRC/data/demo/ghl-sim.json"
cols='"ghlContactId" email phone "firstName" "lastName" "companyName" "enrichmentStatus" "enrichmentSource" "enrichedAt"'

gb extract; assert_rc 0 "extract"
e2e_fetch_settled "fetch"
gb plan; assert_rc 0 "plan"
e2e_psql "CREATE TABLE snap0 AS SELECT * FROM \"Lead\"" >/dev/null
gb apply --yes; assert_rc 0 "wave 1"
leads=$(e2e_sqlite "SELECT count(DISTINCT lead_id) FROM journal WHERE wave = 1")
values=$(e2e_sqlite "SELECT count(*) FROM journal WHERE wave = 1")
[[ $leads -ge 12 ]] || e2e_fail "wave 1 wrote fewer than 12 leads ($leads)"

# The application changes one field of the 5th lead and deletes the 8th (both mid-batch).
changed=$(e2e_sqlite "SELECT lead_id FROM (SELECT DISTINCT lead_id FROM journal WHERE wave = 1 ORDER BY lead_id) LIMIT 1 OFFSET 4")
field=$(e2e_sqlite "SELECT field FROM journal WHERE wave = 1 AND lead_id = '$changed' AND field IN
                    ('email', 'phone', 'firstName', 'lastName', 'companyName') ORDER BY field LIMIT 1")
[[ -n $field ]] || e2e_fail "the 5th lead of wave 1 has no fill field"
gone=$(e2e_sqlite "SELECT lead_id FROM (SELECT DISTINCT lead_id FROM journal WHERE wave = 1 ORDER BY lead_id) LIMIT 1 OFFSET 7")
gone_values=$(e2e_sqlite "SELECT count(*) FROM journal WHERE wave = 1 AND lead_id = '$gone'")
e2e_psql "UPDATE \"Lead\" SET \"$field\" = 'Changed by the app' WHERE id = '$changed';
          DELETE FROM \"Lead\" WHERE id = '$gone'" >/dev/null
e2e_psql "CREATE TABLE snap1 AS SELECT * FROM \"Lead\"" >/dev/null

# On a terminal the question's summary counts the journal (the deleted lead included: the
# statement finds out); answering 'no' writes nothing.
rc=0
printf 'no\n' | script -qec "'$GHLB_BIN/ghl-backfill' revert 1 --work-db '$WORK_DB'" /dev/null >"$E2E_DIR/tty-no.out" 2>&1 || rc=$?
cat "$E2E_DIR/tty-no.out" >>"$E2E_DIR/all-output.log"
assert_eq 1 "$rc" "answer 'no' on a terminal"
assert_contains "$E2E_DIR/tty-no.out" "will restore up to $values values of $leads leads"
assert_contains "$E2E_DIR/tty-no.out" "$field $(e2e_sqlite "SELECT count(*) FROM journal WHERE wave = 1 AND field = '$field'")"
assert_eq 0 "$(e2e_sqlite "SELECT count(*) FROM journal WHERE reverted_at IS NOT NULL")" "'no' records nothing"
gb revert 1 --yes --batch-size 3 --json; assert_rc 0 "revert 1 in batches of 3"
assert_eq "$((values - gone_values - 1))" "$(jq '[.restored[]] | add' "$GB_OUT")" "every other value restored"
assert_eq "$((gone_values + 1))" "$(jq '[.left_changed[]] | add' "$GB_OUT")" "the changed field and the deleted lead's values left"
assert_eq "$(printf '%s\n' "$changed" "$gone" | LC_ALL=C sort | jq -R . | jq -sc .)" "$(jq -c '.left_changed_leads' "$GB_OUT")" \
  "both leads reported"
assert_eq 0 "$(e2e_sqlite "SELECT count(*) FROM journal WHERE wave = 1 AND reverted_at IS NULL")" "every journal row handled"

# Whole rows: journaled fields back to snap0 (but the changed one), the rest as in snap1, and
# "updatedAt" moved exactly on the rows restored.
assert_eq 0 "$(e2e_revert_mismatches 1 "$changed" "$field" snap1 "$cols")" \
  "revert restored exactly wave 1's fields"
assert_eq "$(e2e_psql "SELECT count(*) FROM snap1")" "$(e2e_psql "SELECT count(*) FROM \"Lead\"")" "no row added or lost"
assert_eq "Changed by the app" "$(e2e_psql "SELECT \"$field\" FROM \"Lead\" WHERE id = '$changed'")" "the application's value kept"
assert_no_pii
e2e_pass
