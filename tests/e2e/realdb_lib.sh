# shellcheck shell=bash
# realdb_lib.sh: helpers for the e2e tests on the application's real table shape
# (schema/app_db_real.sql). Source after lib.sh and e2e_init.

REALDB_EXPECTED="$GHLB_SRC/data/demo/expected.tsv"
# A fingerprint of every lead row as the application holds it.
REALDB_ROWHASH='md5(ROW(l."ghlContactId", l.email, l.phone, l."firstName", l."lastName", l."companyName",
         l."enrichmentStatus", l."enrichmentSource", l."enrichedAt", l."updatedAt", l."sentimentTag")::text)'

# realdb_load_demo [SCHEMA]: replaces e2e_init's small tables with the real shape (in SCHEMA when
# given, created here) and loads the demo into it. The demo names users "Client" references: one
# "User" row per id. Ends with a copy of every lead's fingerprint in table before_backfill.
realdb_load_demo() {
  local schema=${1:-public}
  e2e_psql 'DROP TABLE "Lead", "Client"' >/dev/null
  e2e_load_sql - <<SQL
CREATE SCHEMA IF NOT EXISTS "$schema";
SET search_path = "$schema";
\i $GHLB_SRC/schema/app_db_real.sql
ALTER TABLE "Client" DROP CONSTRAINT "Client_userId_fkey";
\i $GHLB_SRC/data/demo/app.sql
INSERT INTO "User" ("id", "email", "updatedAt")
  SELECT DISTINCT "userId", 'user-' || "userId" || '@users.invalid', CURRENT_TIMESTAMP FROM "Client";
ALTER TABLE "Client" ADD CONSTRAINT "Client_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id")
  ON DELETE RESTRICT ON UPDATE CASCADE;
CREATE TABLE public.before_backfill AS SELECT l.id, $REALDB_ROWHASH AS h FROM "Lead" l;
SQL
  assert_eq 80 "$(e2e_psql "SELECT count(*) FROM information_schema.columns WHERE table_schema = '$schema' AND table_name = 'Lead'")" "columns of the real \"Lead\""
  assert_eq 42 "$(e2e_psql "SELECT count(*) FROM pg_indexes WHERE schemaname = '$schema' AND tablename = 'Lead'")" "indexes of the real \"Lead\""
}

# realdb_check_demo_result [SCHEMA]: the application holds exactly the values data/demo/expected.tsv
# says, and only the leads with a planned write changed (as demo_pipeline_test checks).
realdb_check_demo_result() {
  local schema=${1:-public} result
  {
    echo "SET search_path = \"$schema\";"
    echo "CREATE TEMP TABLE want(id text, field text, value text);"
    awk -F'\t' 'NR > 1 && $13 != "" {
        n = split($13, kv, ";");
        for (i = 1; i <= n; i++) { p = index(kv[i], "="); f = substr(kv[i], 1, p - 1); v = substr(kv[i], p + 1);
          gsub("\x27", "\x27\x27", v); printf "INSERT INTO want VALUES (\x27%s\x27, \x27%s\x27, \x27%s\x27);\n", $1, f, v } }' "$REALDB_EXPECTED"
    cat <<'SQL'
SELECT count(*) FROM want w JOIN "Lead" l USING (id) WHERE
  CASE w.field WHEN 'ghlContactId' THEN l."ghlContactId" WHEN 'email' THEN l.email WHEN 'phone' THEN l.phone
    WHEN 'firstName' THEN l."firstName" WHEN 'lastName' THEN l."lastName" WHEN 'companyName' THEN l."companyName" END
  IS DISTINCT FROM w.value;
SELECT count(*) FROM want;
SQL
  } >"$E2E_DIR/check.sql"
  result=$(psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$DATABASE_URL" -f "$E2E_DIR/check.sql" | tr '\n' ' ')
  assert_eq "0 $(awk -F'\t' 'NR > 1 && $13 != ""' "$REALDB_EXPECTED" | awk -F'\t' '{n += split($13, a, ";")} END {print n}') " \
            "$result" "every expected value is in the application database"
  assert_eq "$(awk -F'\t' 'NR > 1 && $13 != "" {print $1}' "$REALDB_EXPECTED" | LC_ALL=C sort)" \
            "$(e2e_psql "SELECT l.id FROM \"$schema\".\"Lead\" l JOIN before_backfill b USING (id)
                         WHERE $REALDB_ROWHASH <> b.h ORDER BY l.id COLLATE \"C\"")" \
            "exactly the leads with a planned write changed"
  assert_eq "$(awk -F'\t' 'NR > 1 && $12 == 1' "$REALDB_EXPECTED" | wc -l)" \
            "$(e2e_psql "SELECT count(*) FROM \"$schema\".\"Lead\" WHERE \"enrichmentSource\" = 'ghl' AND \"enrichmentStatus\" = 'enriched'")" \
            "enriched leads"
}

# realdb_run_pipeline: extract, fetch (until nothing is retryable), plan, apply; each must succeed.
realdb_run_pipeline() {
  gb extract; assert_rc 0 "extract"
  assert_eq "$(awk -F'\t' 'NR > 1 && $4 == 1' "$REALDB_EXPECTED" | wc -l)" \
            "$(e2e_sqlite 'SELECT count(*) FROM lead WHERE eligible = 1')" "eligible leads"
  e2e_fetch_settled "fetch ends with nothing retryable"
  gb plan; assert_rc 0 "plan"
  gb apply --yes --batch-size 7; assert_rc 0 "apply"
  assert_eq "$(e2e_sqlite "SELECT count(*) FROM plan_item")" \
            "$(e2e_sqlite "SELECT count(*) FROM apply_log WHERE outcome = 'written'")" "every planned field written"
}
