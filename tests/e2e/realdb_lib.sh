# shellcheck shell=bash
# realdb_lib.sh: helpers for the e2e tests on the application's real table shape
# (schema/app_db_real.sql). Source after lib.sh and e2e_init.


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
CREATE TABLE public.before_backfill AS SELECT l.id, $E2E_ROWHASH AS h FROM "Lead" l;
SQL
  assert_eq 80 "$(e2e_psql "SELECT count(*) FROM information_schema.columns WHERE table_schema = '$schema' AND table_name = 'Lead'")" "columns of the real \"Lead\""
  assert_eq 42 "$(e2e_psql "SELECT count(*) FROM pg_indexes WHERE schemaname = '$schema' AND tablename = 'Lead'")" "indexes of the real \"Lead\""
}

# realdb_run_pipeline: extract, fetch (until nothing is retryable), plan, apply; each must succeed.
realdb_run_pipeline() {
  gb extract; assert_rc 0 "extract"
  assert_eq "$(awk -F'\t' 'NR > 1 && $4 == 1' "$E2E_DEMO_EXPECTED" | wc -l)" \
            "$(e2e_sqlite 'SELECT count(*) FROM lead WHERE eligible = 1')" "eligible leads"
  e2e_fetch_settled "fetch ends with nothing retryable"
  gb plan; assert_rc 0 "plan"
  gb apply --yes --batch-size 7; assert_rc 0 "apply"
  assert_eq "$(e2e_sqlite "SELECT count(*) FROM plan_item")" \
            "$(e2e_sqlite "SELECT count(*) FROM apply_log WHERE outcome = 'written'")" "every planned field written"
}
