#!/usr/bin/env bash
# Rules that only apply can enforce, because the application keeps writing after the snapshot:
# every write re-checks that the field is still missing (stale otherwise), a link re-checks that
# no other lead took the contact (conflict: the lead is left entirely unchanged), enrichment is
# set from the status at write time in both directions ('not_needed' after the plan: not set;
# 'not_needed' at extract but 'pending' at write time: set), a deleted lead is reported gone,
# "updatedAt" moves only on rows actually written, a GHL value holding a NUL is reported and never
# written (the lead's other fields are), and a role without UPDATE stops apply (exit 1, one line).
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init apply_guards
e2e_load_sql "$GHLB_SRC/tests/e2e/data/guards.sql"
e2e_psql "INSERT INTO \"Lead\"(id, \"clientId\", email, \"enrichmentStatus\", \"createdAt\", \"updatedAt\") VALUES
  ('lead-nn-up', 'client-g', 'nnup@example.com', 'not_needed', now(), '2020-01-01'),
  ('lead-bad', 'client-g', 'bad@example.com', 'pending', now(), '2020-01-01')" >/dev/null
e2e_start_sim "$GHLB_SRC/tests/e2e/data/guards-sim.json"

gb extract; assert_rc 0 "extract"
gb fetch; assert_rc 0 "fetch"
gb plan --export "$E2E_DIR/plan.json"; assert_rc 0 "plan"
assert_eq "1|1|$(e2e_sqlite "SELECT count(*) FROM plan_item")|600" \
  "$(sqlite3 :memory: "SELECT json_valid(d), json_extract(d, '\$.warning') LIKE '%personal data%',
                              (SELECT count(*) FROM json_each(d, '\$.rows') WHERE json_extract(value, '\$.new_value') IS NOT NULL
                               AND json_extract(value, '\$.applied') IS NULL)
                       FROM (SELECT CAST(readfile('$E2E_DIR/plan.json') AS TEXT) AS d)" | tr -d '\n')|$(stat -c %a "$E2E_DIR/plan.json")" \
  "the JSON export: valid, warns of PII, one row per planned value (and the other leads' own), mode 0600"
assert_eq "cStaleStale00001" "$(e2e_sqlite "SELECT new_value FROM plan_item WHERE lead_id = 'lead-stale' AND field = 'ghlContactId'")" "planned link"

# A value holding a NUL is reported, not planned; the lead's other fields are.
assert_eq "lastName:invalid_value" "$(e2e_sqlite "SELECT field || ':' || reason FROM plan_report WHERE lead_id = 'lead-bad'")" \
  "NUL value reported"
assert_eq "0" "$(e2e_sqlite "SELECT count(*) FROM plan_item WHERE lead_id = 'lead-bad' AND field = 'lastName'")" "NUL value not planned"
# lead-nn-up was 'not_needed' at extract: the plan expects no enrichment (the status decides at write time).
assert_eq "0" "$(e2e_sqlite "SELECT count(*) FROM plan_item WHERE lead_id = 'lead-nn-up' AND field LIKE 'enrich%'")" \
  "no enrichment expected from a not_needed snapshot"

# Defence in depth: a value that is not clean text in the work DB (tampered, or a plan of an older
# build) is never sent either: recorded invalid_value, the lead's other fields written.
e2e_sqlite "UPDATE plan_item SET new_value = CAST(X'4265C0AF61' AS TEXT) WHERE lead_id = 'lead-bad' AND field = 'firstName'"

# A role that may read but not update "Lead": apply stops at once, exit 1, one clear line, and
# writes nothing (never "retry lead by lead" and exit 3).
ro_role="${E2E_DB}_ro"
e2e_psql "CREATE ROLE \"$ro_role\" LOGIN; GRANT SELECT ON \"Lead\", \"Client\" TO \"$ro_role\"" >/dev/null
all_rows() { e2e_psql "SELECT string_agg(md5(ROW(l.*)::text), ',' ORDER BY id) FROM \"Lead\" l"; }
rows_before=$(all_rows)
gb apply --yes --database-url "${DATABASE_URL/postgres@/$ro_role@}"; assert_rc 1 "apply without UPDATE permission"
assert_eq 1 "$(grep -c . "$GB_ERR")" "one line on stderr"
assert_contains "$GB_ERR" 'lacks UPDATE on column "ghlContactId" of table "Lead"'  # checked up front
assert_not_contains "$GB_ERR" "lead by lead"
assert_eq "$rows_before" "$(all_rows)" "nothing written without UPDATE permission"
assert_eq 0 "$(e2e_sqlite "SELECT count(*) FROM apply_log")" "nothing recorded without UPDATE permission"
e2e_psql "DROP OWNED BY \"$ro_role\"; DROP ROLE \"$ro_role\"" >/dev/null

# The application writes after the plan was made.
e2e_psql "UPDATE \"Lead\" SET phone = '+15550009999' WHERE id = 'lead-stale'" >/dev/null
e2e_psql "UPDATE \"Lead\" SET \"ghlContactId\" = 'cRaceRaceRace001' WHERE id = 'lead-other'" >/dev/null
e2e_psql "UPDATE \"Lead\" SET \"enrichmentStatus\" = 'not_needed' WHERE id = 'lead-nn'" >/dev/null
e2e_psql "UPDATE \"Lead\" SET \"enrichmentStatus\" = 'pending' WHERE id = 'lead-nn-up'" >/dev/null
e2e_psql "DELETE FROM \"Lead\" WHERE id = 'lead-gone'" >/dev/null
race_before=$(e2e_psql "SELECT md5(ROW(l.*)::text) FROM \"Lead\" l WHERE id = 'lead-race'")

gb apply --yes; assert_rc 0 "apply"
outcomes=$(e2e_sqlite "SELECT lead_id || ':' || field || '=' || outcome FROM apply_log ORDER BY lead_id, field")

# lead-ok: everything written, enrichment set, updatedAt moved.
assert_eq "+14155550101|Otto|Kay|cOkOkOkOkOk000001|enriched|ghl|t|t" \
  "$(e2e_psql "SELECT phone, \"firstName\", \"lastName\", \"ghlContactId\", \"enrichmentStatus\", \"enrichmentSource\",
               \"enrichedAt\" IS NOT NULL, \"updatedAt\" > '2020-01-01' FROM \"Lead\" WHERE id = 'lead-ok'")" "lead-ok written"
assert_eq "Present Co" "$(e2e_psql "SELECT \"companyName\" FROM \"Lead\" WHERE id = 'lead-ok'")" "present value kept"

# lead-stale: the phone set meanwhile is kept and reported stale; the other fields are written;
# no enrichment since no phone was written.
assert_eq "+15550009999|Stan|Lee|pending|" \
  "$(e2e_psql "SELECT phone, \"firstName\", \"lastName\", \"enrichmentStatus\", \"enrichmentSource\" FROM \"Lead\" WHERE id = 'lead-stale'")" "lead-stale"
grep -qx "lead-stale:phone=stale" <<<"$outcomes" || e2e_fail "lead-stale phone not recorded stale"
grep -qx "lead-stale:firstName=written" <<<"$outcomes" || e2e_fail "lead-stale firstName not written"

# lead-race: its contact was linked to another lead meanwhile: nothing of it changes.
assert_eq "$race_before" "$(e2e_psql "SELECT md5(ROW(l.*)::text) FROM \"Lead\" l WHERE id = 'lead-race'")" "lead-race untouched"
grep -qx "lead-race:ghlContactId=conflict" <<<"$outcomes" || e2e_fail "lead-race link not recorded as conflict"
grep -qx "lead-race:phone=conflict" <<<"$outcomes" || e2e_fail "lead-race phone not recorded as conflict"

# lead-nn: phone written, the status turned 'not_needed' meanwhile so enrichment is not touched.
assert_eq "+14155550104|not_needed||f" \
  "$(e2e_psql "SELECT phone, \"enrichmentStatus\", \"enrichmentSource\", \"enrichedAt\" IS NOT NULL FROM \"Lead\" WHERE id = 'lead-nn'")" "lead-nn"

# lead-nn-up: 'not_needed' at extract, 'pending' at write time: the phone brings enrichment.
assert_eq "+14155550106|enriched|ghl|t" \
  "$(e2e_psql "SELECT phone, \"enrichmentStatus\", \"enrichmentSource\", \"enrichedAt\" IS NOT NULL FROM \"Lead\" WHERE id = 'lead-nn-up'")" \
  "lead-nn-up enriched from its status at write time"
grep -qx "lead-nn-up:enrichmentStatus=written" <<<"$outcomes" || e2e_fail "lead-nn-up enrichment not recorded written"
grep -qx "lead-nn:enrichmentStatus=stale" <<<"$outcomes" || e2e_fail "lead-nn enrichment not recorded stale"

# lead-bad: the NUL value is never written (not even truncated), nor the overlong UTF-8 planted in
# the work DB; the other fields are.
grep -qx "lead-bad:firstName=invalid_value" <<<"$outcomes" || e2e_fail "lead-bad firstName not recorded invalid_value"
assert_eq "||+14155550107|enriched" \
  "$(e2e_psql "SELECT \"firstName\", \"lastName\", phone, \"enrichmentStatus\" FROM \"Lead\" WHERE id = 'lead-bad'")" "lead-bad"

# lead-gone: deleted meanwhile.
grep -qx "lead-gone:phone=gone" <<<"$outcomes" || e2e_fail "lead-gone not recorded gone"

# A second apply writes nothing and changes no row.
snapshot=$(e2e_psql "SELECT string_agg(md5(ROW(l.*)::text), ',' ORDER BY id) FROM \"Lead\" l")
gb apply --yes; assert_rc 0 "apply again"
assert_contains "$GB_OUT" "nothing to write"
assert_eq "$snapshot" "$(e2e_psql "SELECT string_agg(md5(ROW(l.*)::text), ',' ORDER BY id) FROM \"Lead\" l")" "second apply idempotent"

# The plan summary now shows what apply found.
gb plan; assert_rc 0 "plan after apply"
assert_contains "$GB_OUT" "Applied so far (fields, per tenant and outcome):"
applied_total() {  # the TOTAL of one outcome column in the review's applied table
  awk -v want="$1" '/^Applied so far/ {f = 1} f && /^tenant/ {for (i = 2; i <= NF; i++) col[$i] = i}
                    f && /^TOTAL/ {print $col[want]}' "$GB_OUT"
}
for outcome in written stale conflict gone; do
  assert_eq "$(e2e_sqlite "SELECT count(*) FROM apply_log WHERE outcome = '$outcome'")" "$(applied_total "$outcome")" \
    "review shows the $outcome count"
done
[[ $(applied_total stale) -ge 1 && $(applied_total conflict) -ge 1 ]] || e2e_fail "review lacks stale or conflict counts"
# An id with control characters in a one-line error comes out escaped: still one line.
gb plan --client-id $'no-such\nplan: forged line\x1b[2J'; assert_rc 2 "unknown client id"
assert_eq 1 "$(grep -c . "$GB_ERR")" "one line on stderr"
assert_contains "$GB_ERR" 'unknown --client-id no-such\nplan: forged line\x1b[2J'
gb_raw $'no-such\nghl-backfill: forged'; assert_rc 2 "unknown command"
assert_contains "$GB_ERR" "unknown command 'no-such\\nghl-backfill: forged'"
assert_eq 0 "$(grep -c '^ghl-backfill: forged' "$GB_ERR" || true)" "no forged line"
assert_no_pii
e2e_pass
