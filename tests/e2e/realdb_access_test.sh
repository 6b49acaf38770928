#!/usr/bin/env bash
# On the real table shape: a role subject to row-level security on "Lead" is refused before it
# reads anything (one line naming the table and the fix), a role lacking UPDATE on a written column
# is refused before apply writes anything, a role lacking SELECT is refused by extract, and an
# unknown database URL parameter is named (its value is not echoed).
source "$GHLB_SRC/tests/e2e/lib.sh"
source "$GHLB_SRC/tests/e2e/realdb_lib.sh"
e2e_init realdb_access
realdb_load_demo
e2e_start_sim "$GHLB_SRC/data/demo/ghl-sim.json"

# Roles are cluster-wide: names unique to this run, dropped at the end.
sfx=$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')
reader="ghlb_reader_$sfx"
owner_url=$DATABASE_URL
role_url="${DATABASE_URL/postgres@/$reader@}"
e2e_psql "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
            CREATE ROLE authenticated NOLOGIN; END IF; END \$\$;
          CREATE ROLE $reader LOGIN NOBYPASSRLS;
          GRANT SELECT ON \"Client\", \"Lead\" TO $reader;
          GRANT UPDATE (\"ghlContactId\", email, phone, \"firstName\", \"lastName\", \"companyName\",
                        \"enrichmentStatus\", \"enrichmentSource\", \"enrichedAt\", \"updatedAt\") ON \"Lead\" TO $reader;
          ALTER TABLE \"Lead\" ENABLE ROW LEVEL SECURITY;
          CREATE POLICY lead_read ON \"Lead\" FOR SELECT TO authenticated USING (true);" >/dev/null
cleanup_roles() {
  DATABASE_URL=$owner_url e2e_psql "DROP OWNED BY $reader; DROP ROLE $reader" >/dev/null
}

# Row-level security: refused, exit 1, one line naming "Lead" and the fix; nothing extracted.
DATABASE_URL=$role_url gb extract
assert_rc 1 "extract under row-level security"
assert_eq 1 "$(wc -l <"$GB_ERR")" "one line"
assert_contains "$GB_ERR" 'row-level security is enabled on table "Lead"'
assert_contains "$GB_ERR" "owner or a role with BYPASSRLS"
[[ ! -f "$WORK_DB" ]] || assert_eq 0 "$(e2e_sqlite 'SELECT count(*) FROM lead')" "nothing extracted"
# The table's owner reads through it (not FORCEd) and so does a BYPASSRLS role.
e2e_psql "ALTER ROLE $reader BYPASSRLS" >/dev/null
DATABASE_URL=$role_url gb extract
assert_rc 0 "extract as a BYPASSRLS role"
assert_eq "$(awk -F'\t' 'NR > 1 && $4 == 1' "$E2E_DEMO_EXPECTED" | wc -l)" \
          "$(e2e_sqlite 'SELECT count(*) FROM lead WHERE eligible = 1')" "eligible leads read through RLS"
e2e_psql "ALTER ROLE $reader NOBYPASSRLS; ALTER TABLE \"Lead\" DISABLE ROW LEVEL SECURITY" >/dev/null

# fetch and plan as the role; then UPDATE on phone taken away: apply refuses before any write.
for attempt in 1 2 3; do
  DATABASE_URL=$role_url gb fetch
  [[ $GB_RC -eq 3 ]] || break
done
assert_rc 0 "fetch as the role"
gb plan; assert_rc 0 "plan"
e2e_psql "REVOKE UPDATE (phone) ON \"Lead\" FROM $reader" >/dev/null
DATABASE_URL=$role_url gb apply --yes
assert_rc 1 "apply without UPDATE on phone"
assert_eq 1 "$(wc -l <"$GB_ERR")" "one line"
assert_contains "$GB_ERR" 'lacks UPDATE on column "phone" of table "Lead"'
assert_eq 0 "$(e2e_psql "SELECT count(*) FROM \"Lead\" l JOIN before_backfill b USING (id) WHERE $E2E_ROWHASH <> b.h")" \
          "no row written"
assert_eq 0 "$(e2e_sqlite 'SELECT count(*) FROM apply_log')" "nothing logged as applied"
# RLS enabled again: apply refuses for that first (it would update no row).
e2e_psql "ALTER TABLE \"Lead\" ENABLE ROW LEVEL SECURITY" >/dev/null
DATABASE_URL=$role_url gb apply --yes
assert_rc 1 "apply under row-level security"
assert_contains "$GB_ERR" 'row-level security is enabled on table "Lead"'
e2e_psql "ALTER TABLE \"Lead\" DISABLE ROW LEVEL SECURITY;
          GRANT UPDATE (phone) ON \"Lead\" TO $reader" >/dev/null
DATABASE_URL=$role_url gb apply --yes --batch-size 7
assert_rc 0 "apply with every UPDATE privilege"
e2e_check_demo_result

# SELECT missing on a column extract reads: named.
e2e_psql "REVOKE SELECT ON \"Client\" FROM $reader; GRANT SELECT (id, \"ghlLocationId\") ON \"Client\" TO $reader" >/dev/null
DATABASE_URL=$role_url gb extract
assert_rc 1 "extract without SELECT on the token column"
assert_contains "$GB_ERR" 'lacks SELECT on column "ghlPrivateKey" of table "Client"'

# Ownership: the table's owner reads through row-level security, unless the table FORCEs it.
e2e_psql "GRANT SELECT ON \"Client\" TO $reader;
          ALTER TABLE \"Lead\" ENABLE ROW LEVEL SECURITY; ALTER TABLE \"Lead\" OWNER TO $reader" >/dev/null
DATABASE_URL=$role_url gb extract
assert_rc 0 "extract as the owner of a table with row-level security"
e2e_psql "ALTER TABLE \"Lead\" FORCE ROW LEVEL SECURITY" >/dev/null
DATABASE_URL=$role_url gb extract
assert_rc 1 "extract as the owner of a table that FORCEs row-level security"
assert_contains "$GB_ERR" "FORCEs row-level security: only BYPASSRLS helps"
e2e_psql "ALTER TABLE \"Lead\" NO FORCE ROW LEVEL SECURITY; ALTER TABLE \"Lead\" DISABLE ROW LEVEL SECURITY;
          ALTER TABLE \"Lead\" OWNER TO postgres" >/dev/null

# An unknown URL parameter: named, exit 2, its value and no password echoed.
DATABASE_URL="${DATABASE_URL/postgres@/postgres:pw-Zq81x@}?sslmode=disable&statement_timeout=tok-Vb63&pgbouncer=false" gb extract
assert_rc 2 "unknown URL parameter"
assert_eq 1 "$(wc -l <"$GB_ERR")" "one line"
assert_contains "$GB_ERR" '"statement_timeout"'
assert_not_contains "$GB_ERR" "tok-Vb63"
assert_not_contains "$GB_ERR" "pw-Zq81x"

cleanup_roles
assert_no_pii
e2e_pass
