#!/usr/bin/env bash
# PostgreSQL the way psql connects: with no URL, libpq's PG* variables and ~/.pgpass; and every
# kind of connection failure said as what it is (refused, unknown host, authentication failed,
# database does not exist, TLS), in one line that never repeats the password, writing nothing.
# A second throwaway cluster requires a password (scram) for one role, so that PGPASSWORD and
# ~/.pgpass are really used and a wrong password really fails.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init cli_pg
e2e_load_sql "$GHLB_SRC/tests/e2e/data/guards.sql"
export HOME="$E2E_DIR/home"
mkdir -p "$HOME"
url=$DATABASE_URL
hostport=${url#postgresql://postgres@}; hostport=${hostport%%/*}
port=${hostport##*:}
dbname=${url##*/}
want_leads=""

# expect_connect_error KIND: the last run failed with one line naming KIND, no secret, no work DB.
expect_connect_error() {
  assert_rc 1 "connection failure: $1"
  assert_eq 1 "$(wc -l <"$GB_ERR")" "one line for: $1"
  assert_contains "$GB_ERR" "cannot connect to the application database: $1"
  assert_not_contains "$GB_ERR" "Sup3rSecret"
  [[ ! -e "$E2E_DIR/fail.db" ]] || e2e_fail "a work DB was created although the connection failed ($1)"
}

# ---- no URL: PG* variables --------------------------------------------------------------------
(
  unset DATABASE_URL
  export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=$dbname
  gb extract; assert_rc 0 "extract with PGHOST/PGPORT/PGUSER/PGDATABASE and no URL"
)
want_leads=$(e2e_sqlite "SELECT count(*) FROM lead")
[[ $want_leads -gt 0 ]] || e2e_fail "extract through PG* variables snapshotted nothing"

# ---- each kind of failure ---------------------------------------------------------------------
gb_raw extract --work-db "$E2E_DIR/fail.db" --database-url "postgresql://postgres:Sup3rSecret@127.0.0.1:1/x"
expect_connect_error "connection refused"
gb_raw extract --work-db "$E2E_DIR/fail.db" --database-url "postgresql://postgres:Sup3rSecret@nohost.invalid/x"
expect_connect_error "unknown host"
gb_raw extract --work-db "$E2E_DIR/fail.db" --database-url "postgresql://nobody_here:Sup3rSecret@$hostport/$dbname"
expect_connect_error "authentication failed"
gb_raw extract --work-db "$E2E_DIR/fail.db" --database-url "postgresql://postgres:Sup3rSecret@$hostport/no_such_db_x"
expect_connect_error "database does not exist"
gb_raw extract --work-db "$E2E_DIR/fail.db" --database-url "postgresql://postgres:Sup3rSecret@$hostport/$dbname?sslmode=require"
expect_connect_error "TLS failed"
DATABASE_URL="" PGHOST="$E2E_DIR" gb_raw extract --work-db "$E2E_DIR/fail.db"
expect_connect_error "no server on the local socket"
# The same classification for the stages after extract (apply connects too).
gb_raw apply --database-url "postgresql://postgres:Sup3rSecret@127.0.0.1:1/x" --work-db "$WORK_DB"
assert_rc 1; assert_contains "$GB_ERR" "connection refused"

# ---- a cluster that wants a password: PGPASSWORD, ~/.pgpass, a wrong password ----------------
pgtmp=$(mktemp -d /tmp/ghlb-e2e-pgauth.XXXXXX)
chmod 755 "$pgtmp"
stop_auth_cluster() { "$GHLB_SRC/tools/pg-cluster" destroy "$pgtmp/pg" >/dev/null 2>&1 || true; rm -rf "$pgtmp"; }
trap 'rc=$?; stop_auth_cluster; (exit $rc); _e2e_on_exit' EXIT
auth_url=$("$GHLB_SRC/tools/pg-cluster" start "$pgtmp/pg" 2>"$E2E_DIR/pgauth.err") \
  || e2e_fail "cannot start a second cluster: $(tail -n 1 "$E2E_DIR/pgauth.err")"
aport=${auth_url##*127.0.0.1:}; aport=${aport%%/*}
"$GHLB_SRC/tools/pg-cluster" createdb "$pgtmp/pg" authdb "$GHLB_SRC/schema/app_db.sql" \
  "$GHLB_SRC/tests/e2e/data/guards.sql" >/dev/null 2>"$E2E_DIR/pgauth.err" \
  || e2e_fail "createdb on the second cluster: $(tail -n 1 "$E2E_DIR/pgauth.err")"
psql -X -q -v ON_ERROR_STOP=1 -d "${auth_url%/*}/authdb" >/dev/null <<'SQL' || e2e_fail "cannot create role app"
SET password_encryption = 'scram-sha-256';
CREATE ROLE app LOGIN PASSWORD 'Sup3rSecret';
GRANT ALL ON ALL TABLES IN SCHEMA public TO app;
SQL
hba="$pgtmp/pg/data/pg_hba.conf"
{ echo "host all app 127.0.0.1/32 scram-sha-256"; cat "$hba"; } >"$hba.new"
cat "$hba.new" >"$hba"; rm -f "$hba.new"
psql -X -q -d "${auth_url%/*}/authdb" -c 'SELECT pg_reload_conf()' >/dev/null || e2e_fail "reload"
(
  unset DATABASE_URL
  export PGHOST=127.0.0.1 PGPORT=$aport PGUSER=app PGDATABASE=authdb
  gb_raw extract --work-db "$E2E_DIR/fail.db"
  expect_connect_error "authentication failed"   # no password anywhere
  PGPASSWORD=wrong gb_raw extract --work-db "$E2E_DIR/fail.db"
  expect_connect_error "authentication failed"
  PGPASSWORD=Sup3rSecret gb_raw extract --work-db "$E2E_DIR/pgpassword.db"; assert_rc 0 "PGPASSWORD"
  printf '127.0.0.1:%s:authdb:app:Sup3rSecret\n' "$aport" >"$HOME/.pgpass"
  chmod 600 "$HOME/.pgpass"
  gb_raw extract --work-db "$E2E_DIR/pgpass.db"; assert_rc 0 "~/.pgpass with no URL"
  gb_raw extract --work-db "$E2E_DIR/pgpass-url.db" --database-url "postgresql://app@127.0.0.1:$aport/authdb"
  assert_rc 0 "~/.pgpass with a URL without password"
  printf '127.0.0.1:%s:authdb:app:wrong\n' "$aport" >"$HOME/.pgpass"
  gb_raw extract --work-db "$E2E_DIR/fail.db"
  expect_connect_error "authentication failed"
)
for f in pgpassword pgpass pgpass-url; do
  assert_eq "$want_leads" "$(sqlite3 "$E2E_DIR/$f.db" 'SELECT count(*) FROM lead')" "leads via $f"
done
assert_not_contains "$E2E_DIR/all-output.log" "Sup3rSecret"
assert_no_pii
e2e_pass
