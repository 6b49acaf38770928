#!/usr/bin/env bash
# extract --incremental (issue 11) on the real table shape: after a full extract, the application
# adds a lead, clears a phone, changes an email and fills a lead; the incremental extract reads
# only those (through "updatedAt") and ends with the same snapshot as a full extract of the same
# table. Also: a stopped (--max-leads) full extract continues where it stopped, in both --snapshot
# kinds, instead of starting over.
source "$GHLB_SRC/tests/e2e/lib.sh"
source "$GHLB_SRC/tests/e2e/realdb_lib.sh"
e2e_init extract_incremental
realdb_load_demo
# The demo was loaded just now: date its leads back a day, as an older table would be.
e2e_psql "UPDATE \"Lead\" SET \"updatedAt\" = now() - interval '1 day'" >/dev/null
snapshot='SELECT id, client_id, location_id, coalesce(ghl_contact_id, "-"), coalesce(email, "-"),
  coalesce(phone, "-"), coalesce(first_name, "-"), coalesce(last_name, "-"), coalesce(company_name, "-"),
  coalesce(enrichment_status, "-"), eligible FROM lead ORDER BY id'
linked='SELECT contact_id, lead_id FROM linked_contact ORDER BY contact_id'

gb extract --full; assert_rc 0 "first full extract"
eligible=$(e2e_sqlite 'SELECT count(*) FROM lead WHERE eligible = 1')
assert_eq "$(e2e_sqlite 'SELECT count(*) FROM extract_watermark')" \
  "$(e2e_sqlite 'SELECT count(*) FROM client')" "a watermark per participating tenant"

# Nothing changed: the incremental extract reads nothing.
cp "$WORK_DB" "$E2E_DIR/before.db"
gb extract --incremental; assert_rc 0 "incremental, nothing changed"
assert_contains "$GB_OUT" "0 changed eligible leads"
assert_eq "$(WORK_DB="$E2E_DIR/before.db" e2e_sqlite "$snapshot")" "$(e2e_sqlite "$snapshot")" "nothing changed"

# The application changes four leads (and sets "updatedAt", as it does on every write).
filled=$(e2e_sqlite "SELECT id FROM lead WHERE eligible = 1 AND ghl_contact_id IS NULL ORDER BY id LIMIT 1")
changed=$(e2e_sqlite "SELECT id FROM lead WHERE eligible = 1 AND email IS NOT NULL AND id <> '$filled' ORDER BY id DESC LIMIT 1")
complete=$(e2e_psql "SELECT l.id FROM \"Lead\" l JOIN \"Client\" c ON c.id = l.\"clientId\"
  WHERE c.\"ghlPrivateKey\" IS NOT NULL AND c.\"ghlLocationId\" IS NOT NULL
  AND coalesce(trim(l.phone), '') <> '' AND coalesce(trim(l.email), '') <> '' AND coalesce(trim(l.\"firstName\"), '') <> ''
  AND coalesce(trim(l.\"lastName\"), '') <> '' AND coalesce(trim(l.\"companyName\"), '') <> ''
  AND coalesce(trim(l.\"ghlContactId\"), '') <> '' ORDER BY l.id LIMIT 1")
client=$(e2e_sqlite "SELECT client_id FROM lead WHERE id = '$changed'")
[[ -n $filled && -n $changed && -n $complete ]] || e2e_fail "demo has no lead for each case"
assert_eq "" "$(e2e_sqlite "SELECT id FROM lead WHERE id = '$complete'")" "the complete lead is not in the snapshot"
e2e_psql "INSERT INTO \"Lead\"(id, \"clientId\", email, \"updatedAt\") VALUES ('lead-added', '$client', 'added@example.com', now() AT TIME ZONE 'UTC')" >/dev/null
e2e_psql "UPDATE \"Lead\" SET phone = NULL, \"updatedAt\" = now() AT TIME ZONE 'UTC' WHERE id = '$complete'" >/dev/null
e2e_psql "UPDATE \"Lead\" SET email = 'changed@example.com', \"updatedAt\" = now() AT TIME ZONE 'UTC' WHERE id = '$changed'" >/dev/null
e2e_psql "UPDATE \"Lead\" SET phone = '+15550000009', email = coalesce(nullif(trim(email), ''), 'filled@example.com'),
  \"firstName\" = 'F', \"lastName\" = 'L', \"companyName\" = 'C', \"ghlContactId\" = 'cFilledByTheApp01',
  \"updatedAt\" = now() AT TIME ZONE 'UTC' WHERE id = '$filled'" >/dev/null

cp "$WORK_DB" "$E2E_DIR/full.db"
gb extract --incremental; assert_rc 0 "incremental extract"
assert_contains "$GB_OUT" "3 changed eligible leads (2 new, 1 refreshed"
assert_contains "$GB_OUT" "1 no longer eligible"
assert_eq "1" "$(e2e_sqlite "SELECT eligible FROM lead WHERE id = 'lead-added'")" "the added lead"
assert_eq "1|-" "$(e2e_sqlite "SELECT eligible, coalesce(phone, '-') FROM lead WHERE id = '$complete'")" "the lead whose phone was cleared"
assert_eq "changed@example.com" "$(e2e_sqlite "SELECT email FROM lead WHERE id = '$changed'")" "the changed email"
assert_eq "0" "$(e2e_sqlite "SELECT eligible FROM lead WHERE id = '$filled'")" "the lead filled by the application"
assert_eq $((eligible + 1)) "$(e2e_sqlite 'SELECT count(*) FROM lead WHERE eligible = 1')" "two added, one dropped"
assert_eq "cFilledByTheApp01" "$(e2e_sqlite "SELECT contact_id FROM linked_contact WHERE lead_id = '$filled'")" "the new link is seen"

# The same table, extracted in full from the same starting point: the same snapshot.
WORK_DB="$E2E_DIR/full.db" gb extract --full; assert_rc 0 "full extract of the changed table"
assert_eq "$(WORK_DB="$E2E_DIR/full.db" e2e_sqlite "$snapshot")" "$(e2e_sqlite "$snapshot")" "incremental and full snapshots agree"
assert_eq "$(WORK_DB="$E2E_DIR/full.db" e2e_sqlite "$linked")" "$(e2e_sqlite "$linked")" "linked contacts agree"

# A stopped full extract continues after its last lead instead of starting over.
for kind in whole pages; do
  WORK_DB="$E2E_DIR/resume-$kind.db" gb extract --snapshot "$kind" --max-leads 5; assert_rc 0 "capped $kind extract"
  assert_contains "$GB_OUT" "5 eligible leads (5 new"
  WORK_DB="$E2E_DIR/resume-$kind.db" gb extract --snapshot "$kind"; assert_rc 0 "$kind extract continues"
  assert_contains "$GB_OUT" "$((eligible + 1 - 5)) eligible leads ($((eligible + 1 - 5)) new, 0 refreshed"
  assert_eq "$(e2e_sqlite "$snapshot" | grep -v '|0$')" "$(WORK_DB="$E2E_DIR/resume-$kind.db" e2e_sqlite "$snapshot")" \
    "$kind: the continued extract's snapshot"
done
assert_no_pii
e2e_pass
