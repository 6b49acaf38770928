#!/usr/bin/env bash
# Self-test of the e2e plumbing: the shared cluster, schema/app_db.sql, the demo data and lib.sh.
# Needs only PostgreSQL (no ghl-backfill, no ghl-sim). Checks the demo's row counts, and that the
# participating tenants and eligible leads computed in SQL from backfill-rules.md match
# data/demo/expected.tsv (written by tools/make-demo-data's own model of the rules).
source "${GHLB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
e2e_init pg_cluster

demo="$GHLB_SRC/data/demo"
expected="$demo/expected.tsv"

# --- the database: UTF8, and a default collation that is not byte order ------------------------
assert_eq UTF8 "$(e2e_psql 'SHOW server_encoding')" "server encoding"
assert_eq "f|t" "$(e2e_psql "SELECT 'B' < 'a', 'B' < 'a' COLLATE \"C\"")" \
  "default collation is linguistic, COLLATE \"C\" is byte order"

# --- the schema ------------------------------------------------------------------------------
cols=$(e2e_psql "SELECT string_agg(column_name, ',' ORDER BY column_name COLLATE \"C\")
                 FROM information_schema.columns WHERE table_name = 'Lead'")
assert_eq "clientId,companyName,createdAt,email,enrichedAt,enrichmentSource,enrichmentStatus,firstName,ghlContactId,id,lastName,lastReplyAt,phone,sentimentTag,updatedAt" \
  "$cols" '"Lead" columns'
assert_eq 3 "$(e2e_psql "SELECT count(*) FROM pg_indexes WHERE tablename = 'Lead'
                         AND indexdef LIKE 'CREATE INDEX%'")" '"Lead" plain indexes'
assert_eq "timestamp(3) without time zone" \
  "$(e2e_psql "SELECT format_type(atttypid, atttypmod) FROM pg_attribute
               WHERE attrelid = '\"Lead\"'::regclass AND attname = 'updatedAt'")" "updatedAt type"

# --- the demo data ---------------------------------------------------------------------------
e2e_load_sql "$demo/app.sql"
want_leads=$(awk -F'\t' 'NR > 1' "$expected" | wc -l)
assert_eq 5 "$(e2e_psql 'SELECT count(*) FROM "Client"')" "Client rows"
assert_eq "$want_leads" "$(e2e_psql 'SELECT count(*) FROM "Lead"')" "Lead rows"
assert_eq "$(awk -F'\t' 'NR > 1 { n[$2]++ } END { for (c in n) print c "|" n[c] }' "$expected" | LC_ALL=C sort)" \
  "$(e2e_psql 'SELECT "clientId" || $$|$$ || count(*) FROM "Lead" GROUP BY "clientId"' | LC_ALL=C sort)" \
  "leads per tenant"

# "Missing" (NULL, empty or JavaScript-trim whitespace only) and the eligibility rules, in SQL.
blank="'^[\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff]*\$'"
m() { echo "($1 IS NULL OR $1 ~ $blank)"; }
participating="NOT $(m 'c."ghlLocationId"') AND NOT $(m 'c."ghlPrivateKey"')"
eligible="$(m l.phone) OR $(m l.email) OR $(m 'l."firstName"') OR $(m 'l."lastName"')
          OR $(m 'l."companyName"') OR ($(m 'l."ghlContactId"') AND NOT $(m l.email))"

assert_eq 3 "$(e2e_psql "SELECT count(*) FROM \"Client\" c WHERE $participating")" \
  "participating tenants"
assert_eq 2 "$(e2e_psql "SELECT count(*) FROM \"Client\" c WHERE NOT ($participating)")" \
  "non-participating tenants (no config, whitespace token)"
want_extracted=$(awk -F'\t' 'NR > 1 && $4 == 1' "$expected" | wc -l)
assert_eq "$want_extracted" \
  "$(e2e_psql "SELECT count(*) FROM \"Lead\" l JOIN \"Client\" c ON c.id = l.\"clientId\"
               WHERE $participating AND ($eligible)")" "eligible leads of participating tenants"
assert_eq "$(awk -F'\t' 'NR > 1 && $4 == 1 { print $1 }' "$expected" | LC_ALL=C sort | md5sum)" \
  "$(e2e_psql "SELECT l.id FROM \"Lead\" l JOIN \"Client\" c ON c.id = l.\"clientId\"
               WHERE $participating AND ($eligible)" | LC_ALL=C sort | md5sum)" \
  "the eligible lead ids are those of expected.tsv"
assert_eq "$(awk -F'\t' 'NR > 1 && $5 == "none"' "$expected" | wc -l)" \
  "$(e2e_psql "SELECT count(*) FROM \"Lead\" l JOIN \"Client\" c ON c.id = l.\"clientId\"
               WHERE $participating AND ($eligible) AND $(m 'l."ghlContactId"') AND $(m l.email)")" \
  "leads with nothing to look up"

# Byte order matters in the demo: id order differs between the default collation and "C".
assert_eq f "$(e2e_psql 'SELECT (SELECT array_agg(id ORDER BY id) FROM "Lead")
                            = (SELECT array_agg(id ORDER BY id COLLATE "C") FROM "Lead")')" \
  "demo ids sort differently in byte order"

# "ghlContactId" is unique across the whole table.
dup=$(e2e_psql 'SELECT "ghlContactId" FROM "Lead" WHERE "ghlContactId" IS NOT NULL LIMIT 1')
if psql -X -q -d "$DATABASE_URL" -c "UPDATE \"Lead\" SET \"ghlContactId\" = '$dup'
      WHERE id = (SELECT min(id) FROM \"Lead\" WHERE \"ghlContactId\" IS NULL)" >/dev/null 2>&1; then
  e2e_fail "a duplicate ghlContactId was accepted"
fi

# --- lib.sh itself ---------------------------------------------------------------------------
sqlite3 "$WORK_DB" 'CREATE TABLE t(x); INSERT INTO t VALUES (7);'
assert_eq 7 "$(e2e_sqlite 'SELECT x FROM t')" "e2e_sqlite"

# assert_no_pii: clean output passes; planted values fail with counts only, never the value.
SIM_DATA_FILES+=("$demo/ghl-sim.json")
echo "### gb 0: exit 0" >>"$E2E_DIR/all-output.log"
echo "ghl-backfill: 12 leads, lead 0088bc01-f524-4b53-99aa-8ddddb263c86 done" >>"$E2E_DIR/all-output.log"
assert_no_pii
cp "$E2E_DIR/all-output.log" "$E2E_DIR/clean.log"
email=$(e2e_psql 'SELECT email FROM "Lead" WHERE email LIKE $$%@%$$ ORDER BY id COLLATE "C" LIMIT 1')
token=$(sed -n 's/.*"token": "\([^"]*\)".*/\1/p' "$demo/ghl-sim.json" | awk 'NR == 1')
sim_phone=$(sed -n 's/.*"phone": "\(+1[0-9]\{10\}\)".*/\1/p' "$demo/ghl-sim.json" | awk 'NR == 1')
name=$(e2e_psql 'SELECT "lastName" FROM "Lead" WHERE length("lastName") > 4 LIMIT 1')
for planted in "searching ${email^^}" "Bearer $token" "phone ${sim_phone#+}." "lead of $name:"; do
  cp "$E2E_DIR/clean.log" "$E2E_DIR/all-output.log"
  echo "$planted" >>"$E2E_DIR/all-output.log"
  e2e_expect_fail "$E2E_DIR/nopii.err" assert_no_pii
  assert_contains "$E2E_DIR/nopii.err" "assert_no_pii: 1 "
  assert_not_contains "$E2E_DIR/nopii.err" "${planted#* }"
done
cp "$E2E_DIR/clean.log" "$E2E_DIR/all-output.log"
# A grep that fails (killed, out of memory) must fail the check, never read as "nothing found".
grep() { return 137; }
e2e_expect_fail "$E2E_DIR/nopii.err" assert_no_pii
unset -f grep
assert_contains "$E2E_DIR/nopii.err" "nothing was checked"

e2e_pass
