#!/usr/bin/env bash
# Waves and undo (issue 6): `apply --sample` selects the same leads on every run (dry run twice,
# and the real wave, agree); each apply is a numbered wave with its selection; `revert WAVE`
# restores exactly the fields of its wave that still hold what the wave wrote (whole rows compared
# with snapshots taken before and after), leaves a later wave's fields and a field the application
# changed by hand (reported), is idempotent, and a later apply never writes a reverted value
# again. Also: a field the application filled between plan and apply is stale while the rest of
# its row is written.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init waves_revert
e2e_load_sql "$GHLB_SRC/data/demo/app.sql"
e2e_start_sim "$GHLB_SRC/data/demo/ghl-sim.json"
tenant=aed09b82-4ca8-4fc2-bfb6-37dd5bae2d26
other=f1f0742a-0e46-4215-b5fa-5b0cdb18bd76
cols='"ghlContactId" email phone "firstName" "lastName" "companyName" "enrichmentStatus" "enrichmentSource" "enrichedAt"'
fields='ghlContactId email phone firstName lastName companyName enrichmentStatus enrichmentSource enrichedAt'
table_hash() { e2e_psql "SELECT md5(string_agg(md5(ROW(l.*)::text), ',' ORDER BY id)) FROM \"Lead\" l"; }

gb extract; assert_rc 0 "extract"
e2e_fetch_settled "fetch"
gb plan; assert_rc 0 "plan"

# The sample is deterministic: two dry runs list the same leads, and write nothing.
listed() { sed -n '/^selected leads/,$p' "$GB_OUT" | tail -n +2 | tr -d ' '; }
wave1=(--client-id "$tenant" --sample 0.1 --field phone)
before=$(table_hash)
gb apply --dry-run --list-leads "${wave1[@]}"; assert_rc 0 "dry run 1"
dry1=$(listed)
gb apply --dry-run --list-leads "${wave1[@]}"; assert_rc 0 "dry run 2"
assert_eq "$dry1" "$(listed)" "the same sample twice"
[[ $(grep -c . <<<"$dry1") -ge 2 ]] || e2e_fail "the 0.1 sample holds fewer than 2 leads"
assert_eq "$before" "$(table_hash)" "dry runs write nothing"
assert_eq 0 "$(e2e_sqlite "SELECT count(*) FROM wave")" "a dry run is no wave"

# Wave 1: the sample's phones (with their links and enrichment).
e2e_psql "CREATE TABLE snap0 AS SELECT * FROM \"Lead\"" >/dev/null
gb apply --yes "${wave1[@]}"; assert_rc 0 "wave 1"
assert_contains "$GB_OUT" "wave 1: wrote"
assert_eq "$dry1" "$(e2e_sqlite "SELECT DISTINCT a.lead_id FROM apply_log a JOIN wave w ON w.apply_run = a.apply_run
                                 WHERE w.id = 1 ORDER BY a.lead_id")" "wave 1 is the dry run's selection"
assert_eq "0.1|[\"enrichedAt\",\"enrichmentSource\",\"enrichmentStatus\",\"phone\"]|[\"$tenant\"]|done" \
  "$(e2e_sqlite "SELECT json_extract(selection, '\$.sample'), json_extract(selection, '\$.fields'),
                 json_extract(selection, '\$.client_ids'), status FROM wave WHERE id = 1")" "wave 1's stored selection"
assert_eq "0" "$(e2e_sqlite "SELECT count(*) FROM journal WHERE wave = 1 AND field NOT IN
                             ('phone', 'ghlContactId', 'enrichmentStatus', 'enrichmentSource', 'enrichedAt')")" \
  "wave 1 wrote only phones, links and enrichment"
# The journal's after is what PostgreSQL holds, the stored timestamp for "enrichedAt" included.
for f in $fields; do
  while IFS='|' read -r lead after; do
    [[ -n "$lead" ]] || continue
    assert_eq "$after" "$(e2e_psql "SELECT \"$f\"::text FROM \"Lead\" WHERE id = '$lead'")" "journal after of $f"
  done < <(e2e_sqlite "SELECT lead_id, after FROM journal WHERE wave = 1 AND field = '$f' LIMIT 2")
done

# Wave 2: the names, email and company of the whole tenant (wave 1's leads included).
gb apply --yes --client-id "$tenant" --field firstName --field lastName --field email --field companyName
assert_rc 0 "wave 2"
assert_contains "$GB_OUT" "wave 2: wrote"
[[ $(e2e_sqlite "SELECT count(*) FROM journal j WHERE wave = 2 AND lead_id IN (SELECT lead_id FROM journal WHERE wave = 1)") -ge 1 ]] \
  || e2e_fail "wave 2 wrote nothing to a lead of wave 1"

# The application changes one phone of wave 1 by hand.
hand=$(e2e_sqlite "SELECT lead_id FROM journal WHERE wave = 1 AND field = 'phone' ORDER BY lead_id LIMIT 1")
e2e_psql "UPDATE \"Lead\" SET phone = '+15550001234' WHERE id = '$hand'" >/dev/null
e2e_psql "CREATE TABLE snap2 AS SELECT * FROM \"Lead\"" >/dev/null
before=$(table_hash)

# Usage and refusals: nothing written.
gb revert 99 --yes; assert_rc 1 "unknown wave"
assert_contains "$GB_ERR" "wave 99 does not exist"
gb revert x1 --yes; assert_rc 2 "malformed wave"
gb revert 0 --yes; assert_rc 2 "wave 0"
gb revert 1 --yes --client-id "$tenant"; assert_rc 2 "revert takes no --client-id"
gb revert 1 </dev/null; assert_rc 2 "no terminal, no --yes"
assert_contains "$GB_ERR" "pass --yes"
gb revert 1 --dry-run; assert_rc 0 "revert --dry-run"
assert_contains "$GB_OUT" "would_restore="
assert_eq "$before" "$(table_hash)" "a dry run restores nothing"
assert_eq 0 "$(e2e_sqlite "SELECT count(*) FROM journal WHERE reverted_at IS NOT NULL")" "a dry run records nothing"

gb revert 1 --yes --json; assert_rc 0 "revert 1"
assert_eq 1 "$(jq '.left_changed.phone' "$GB_OUT")" "the hand-changed phone is left"
assert_eq "[\"$hand\"]" "$(jq -c '.left_changed_leads' "$GB_OUT")" "and its lead reported"
assert_eq "$(e2e_sqlite "SELECT count(*) - 1 FROM journal WHERE wave = 1")" "$(jq '[.restored[]] | add' "$GB_OUT")" \
  "every other value of wave 1 restored"

# Whole rows: each field wave 1 wrote (but the hand-changed phone) is back to its value before
# wave 1; every other column is as before the revert; "updatedAt" moved exactly on restored rows.
assert_eq 0 "$(e2e_revert_mismatches 1 "$hand" phone snap2 "$cols" \
  "OR (l.\"clientId\", l.\"sentimentTag\", l.\"lastReplyAt\", l.\"createdAt\") IS DISTINCT FROM
      (sa.\"clientId\", sa.\"sentimentTag\", sa.\"lastReplyAt\", sa.\"createdAt\")")" \
  "revert restored exactly wave 1's fields"
assert_eq "$(e2e_psql "SELECT count(*) FROM snap2")" "$(e2e_psql "SELECT count(*) FROM \"Lead\"")" "no row added or lost"
assert_eq "+15550001234" "$(e2e_psql "SELECT phone FROM \"Lead\" WHERE id = '$hand'")" "the application's phone kept"
assert_eq "$(e2e_psql "SELECT count(*) FROM w1")" "$(e2e_sqlite "SELECT count(*) FROM apply_log WHERE outcome = 'reverted'")" \
  "restored values are apply_log 'reverted'"

# Revert again: nothing to do, nothing changes.
after_revert=$(table_hash)
gb revert 1 --yes; assert_rc 0 "revert 1 again"
assert_contains "$GB_OUT" "nothing to revert"
assert_eq "$after_revert" "$(table_hash)" "a second revert changes nothing"

# status lists the waves.
gb status --json; assert_rc 0 "status --json"
assert_eq "1|2|$(e2e_psql "SELECT count(*) FROM w1")" "$(jq -r '[.waves[0].wave, .waves[1].wave, .waves[0].restored] | join("|")' "$GB_OUT")" \
  "status --json lists the waves"
gb status; assert_rc 0 "status"
assert_contains "$GB_OUT" "Waves"

# The application fills a field of another tenant's lead between plan and apply: that field is
# stale, the rest of its row is written.
stale=$(e2e_sqlite "SELECT i.lead_id FROM plan_item i JOIN plan_lead p USING (lead_id) WHERE p.client_id = '$other'
                    AND i.field = 'firstName' AND (SELECT count(*) FROM plan_item j WHERE j.lead_id = i.lead_id) >= 2
                    ORDER BY i.lead_id LIMIT 1")
[[ -n "$stale" ]] || e2e_fail "no lead of the other tenant with a planned firstName and another field"
e2e_psql "UPDATE \"Lead\" SET \"firstName\" = 'Appfilled' WHERE id = '$stale'" >/dev/null

# A wave that writes a lead's link and first name, then a wave of its other fields: the second
# still re-checks the link's contact although the link is not in it. The application moves the
# contact to another lead in between: the rest of that lead is a conflict, nothing written.
guarded=$(e2e_sqlite "SELECT lead_id FROM plan_item i JOIN plan_lead p USING (lead_id) WHERE p.client_id = '$other'
                      AND i.field = 'ghlContactId' AND lead_id <> '$stale'
                      AND EXISTS (SELECT 1 FROM plan_item j WHERE j.lead_id = i.lead_id AND j.field = 'firstName')
                      AND EXISTS (SELECT 1 FROM plan_item j WHERE j.lead_id = i.lead_id AND j.field NOT IN ('firstName', 'ghlContactId'))
                      ORDER BY lead_id LIMIT 1")
[[ -n "$guarded" ]] || e2e_fail "no lead of the other tenant with a planned link, firstName and another field"
gb apply --yes --client-id "$other" --field firstName; assert_rc 0 "wave 3"
assert_contains "$GB_OUT" "wave 3: wrote"
assert_eq "firstName ghlContactId" "$(e2e_sqlite "SELECT group_concat(field, ' ') FROM (SELECT field FROM journal
                                                 WHERE wave = 3 AND lead_id = '$guarded' ORDER BY field)")" \
  "a field brings its planned link"
contact=$(e2e_psql "SELECT \"ghlContactId\" FROM \"Lead\" WHERE id = '$guarded'")
e2e_psql "UPDATE \"Lead\" SET \"ghlContactId\" = NULL WHERE id = '$guarded';
          INSERT INTO \"Lead\"(id, \"clientId\", \"ghlContactId\", \"createdAt\", \"updatedAt\")
          VALUES ('zz-app-lead', '$other', '$contact', now(), now())" >/dev/null
guarded_row=$(e2e_psql "SELECT md5(ROW(l.*)::text) FROM \"Lead\" l WHERE id = '$guarded'")

# A later apply of everything (wave 4) never writes a reverted value again.
gb apply --yes; assert_rc 0 "apply everything"
assert_contains "$GB_OUT" "wave 4: wrote"
# Once everything is written, an apply has nothing to write and records no wave to revert.
gb apply --yes; assert_rc 0 "apply with nothing left to write"
assert_contains "$GB_OUT" "nothing to write (plan"
assert_eq 4 "$(e2e_sqlite "SELECT count(*) FROM wave")" "an apply that writes nothing is no wave"
assert_eq "$guarded_row" "$(e2e_psql "SELECT md5(ROW(l.*)::text) FROM \"Lead\" l WHERE id = '$guarded'")" \
  "nothing filled from a contact another lead holds now"
assert_eq conflict "$(e2e_sqlite "SELECT group_concat(DISTINCT outcome) FROM apply_log a WHERE lead_id = '$guarded'
                                  AND field NOT IN ('firstName', 'ghlContactId')")" "the rest of that lead is a conflict"
assert_eq 0 "$(e2e_psql "SELECT count(*) FROM \"Lead\" l JOIN snap0 s0 USING (id) WHERE false $(
  for c in $cols; do
    f=${c//\"/}
    printf " OR (EXISTS (SELECT 1 FROM w1 WHERE w1.lead_id = l.id AND w1.field = '%s') AND l.%s IS DISTINCT FROM s0.%s)" "$f" "$c" "$c"
  done)")" "reverted values stay reverted"
assert_eq 0 "$(e2e_sqlite "SELECT count(*) FROM journal WHERE wave > 2 AND lead_id || field IN
                           (SELECT lead_id || field FROM journal WHERE wave = 1)")" "later waves rewrote nothing of wave 1"
assert_eq "firstName=stale" "$(e2e_sqlite "SELECT field || '=' || outcome FROM apply_log WHERE lead_id = '$stale' AND outcome <> 'written'")" \
  "only the application's field is stale"
assert_eq "Appfilled" "$(e2e_psql "SELECT \"firstName\" FROM \"Lead\" WHERE id = '$stale'")" "the application's value kept"
assert_eq "$(($(e2e_sqlite "SELECT count(*) FROM plan_item WHERE lead_id = '$stale'") - 1))" \
  "$(e2e_sqlite "SELECT count(*) FROM journal WHERE lead_id = '$stale'")" "the rest of the row written (and journaled)"

# Revert stops cleanly between batches (SIGTERM: exit 143, its run interrupted, what was committed
# recorded), and the same command finishes the wave. GHLB_TEST_PAUSE_MS holds it after each batch.
GHLB_TEST_PAUSE_MS=120000 "$GHLB_BIN/ghl-backfill" revert 4 --yes --batch-size 1 --work-db "$WORK_DB" \
  >"$E2E_DIR/bg.out" 2>"$E2E_DIR/bg.err" &
bg=$!
for ((i = 0; i < 1200; i++)); do
  [[ "$(sqlite3 -batch -cmd '.timeout 5000' "$WORK_DB" "SELECT count(*) >= 1 FROM journal WHERE wave = 4 AND reverted_at IS NOT NULL" 2>/dev/null)" == 1 ]] && break
  kill -0 "$bg" 2>/dev/null || e2e_fail "revert ended before its first batch was recorded"
  sleep 0.05
done
kill -TERM "$bg"
rc=0
wait "$bg" || rc=$?
cat "$E2E_DIR/bg.out" "$E2E_DIR/bg.err" >>"$E2E_DIR/all-output.log"
assert_eq 143 "$rc" "revert stopped by SIGTERM"
assert_eq interrupted "$(e2e_sqlite "SELECT status FROM stage_run WHERE stage = 'revert' ORDER BY id DESC LIMIT 1")" "revert run interrupted"
[[ $(e2e_sqlite "SELECT count(*) FROM journal WHERE wave = 4 AND reverted_at IS NULL") -gt 0 ]] || e2e_fail "the stopped revert was not partial"
gb revert 4 --yes; assert_rc 0 "revert 4 continues"
assert_eq 0 "$(e2e_sqlite "SELECT count(*) FROM journal WHERE wave = 4 AND reverted_at IS NULL")" "wave 4 reverted entirely"
assert_eq 0 "$(e2e_sqlite "SELECT count(*) FROM journal WHERE wave = 4 AND revert_outcome <> 'restored'")" "nothing of wave 4 changed since"
gb plan; assert_rc 0 "plan after revert"
assert_eq 0 "$(e2e_sqlite "SELECT count(*) FROM plan_item i JOIN journal j ON j.lead_id = i.lead_id AND j.field = i.field
                           WHERE j.revert_outcome = 'restored'")" "plan shows reverted values as settled"
assert_no_pii
e2e_pass
