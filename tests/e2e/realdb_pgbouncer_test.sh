#!/usr/bin/env bash
# The application's own Prisma URL (?schema=, pgbouncer=true, connection_limit) through a real
# PgBouncer in transaction mode, on the real table shape kept in a non-public schema: extract,
# fetch, plan and apply work end to end and give the demo's expected values. The pooler runs
# DISCARD ALL after every transaction, so a named prepared statement or a session-level
# search_path would be lost: both must not be relied on. An unknown URL parameter is named.
source "$GHLB_SRC/tests/e2e/lib.sh"
source "$GHLB_SRC/tests/e2e/realdb_lib.sh"
e2e_init realdb_pgbouncer
pgbouncer_bin=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
[[ -x "$pgbouncer_bin" ]] || e2e_fail "pgbouncer not found (tools/install-deps test installs it)"
realdb_load_demo app_data
e2e_start_sim "$GHLB_SRC/data/demo/ghl-sim.json"

# PgBouncer on a free loopback port, as postgres when we are root (it refuses root).
# Its own directory: the pooler's OS user cannot enter $E2E_DIR. Kept on failure, as $E2E_DIR.
pgb_dir=$(mktemp -d "${TMPDIR:-/tmp}/ghlb-e2e-pgbouncer.XXXXXX")
chmod 755 "$pgb_dir"
pg_port=$(sed -n 's/^PGPORT=//p' "$GHLB_PG_DIR/env")
pgb_pid=""
stop_pgbouncer() {
  if [[ -n "$pgb_pid" ]]; then
    kill "$pgb_pid" 2>/dev/null || true
    wait "$pgb_pid" 2>/dev/null || true
    pgb_pid=""
  fi
}
# Stop it on every exit, then lib.sh's own exit handler (with the script's exit status).
trap 'rc=$?; set +e; trap - ERR; stop_pgbouncer; (exit $rc); _e2e_on_exit' EXIT
for try in 1 2 3 4 5 6 7 8; do
  pgb_port=$((20000 + RANDOM % 40000))
  (exec 3<>"/dev/tcp/127.0.0.1/$pgb_port") 2>/dev/null && continue  # taken
  cat >"$pgb_dir/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=$pg_port
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $pgb_port
unix_socket_dir =
auth_type = trust
auth_file = $pgb_dir/userlist.txt
pool_mode = transaction
server_reset_query = DISCARD ALL
server_reset_query_always = 1
default_pool_size = 2
max_client_conn = 20
ignore_startup_parameters = extra_float_digits
logfile = $pgb_dir/pgbouncer.log
INI
  echo '"postgres" ""' >"$pgb_dir/userlist.txt"
  chmod 644 "$pgb_dir/pgbouncer.ini" "$pgb_dir/userlist.txt"
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres "$pgb_dir"
    (cd / && exec runuser -u postgres -- "$pgbouncer_bin" "$pgb_dir/pgbouncer.ini") >"$pgb_dir/stdout" 2>&1 &
  else
    "$pgbouncer_bin" "$pgb_dir/pgbouncer.ini" >"$pgb_dir/stdout" 2>&1 &
  fi
  pgb_pid=$!
  # Poll for a state (an answer through the pooler); the bound only guards against a hang.
  for ((i = 0; i < 200; i++)); do
    kill -0 "$pgb_pid" 2>/dev/null || break
    psql -X -q -A -t -h 127.0.0.1 -p "$pgb_port" -U postgres -d "$E2E_DB" -c 'SELECT 1' >/dev/null 2>&1 && break 2
    sleep 0.05
  done
  stop_pgbouncer
done
[[ -n "$pgb_pid" ]] || e2e_fail "pgbouncer did not start: $(tail -n 2 "$pgb_dir/pgbouncer.log" "$pgb_dir/stdout" 2>/dev/null | tr '\n' ' ')"

pooled="postgresql://postgres@127.0.0.1:$pgb_port/$E2E_DB?schema=app_data&pgbouncer=true&connection_limit=1"
# The pooler really forgets session state: a session search_path is gone in the next transaction.
assert_eq '"$user", public' "$(psql -X -q -A -t -h 127.0.0.1 -p "$pgb_port" -U postgres -d "$E2E_DB" \
                                -c 'SET search_path = app_data' -c 'SHOW search_path')" "pooler discards session state"

DATABASE_URL=$pooled realdb_run_pipeline
# Every stage that connected said so (plan never connects; a fetch with nothing left does not).
for n in 1 2 "$GB_N"; do  # extract, the first fetch, apply
  grep -q 'pooler_mode' "$E2E_DIR/err.$n" || e2e_fail "run $n: no pooler note"
done
assert_contains "$GB_ERR" "a direct database URL (not through the pooler) is faster"
assert_contains "$GB_ERR" "parameter=pgbouncer"
assert_contains "$GB_ERR" "parameter=connection_limit"
assert_not_contains "$GB_ERR" "$E2E_DB"
e2e_check_demo_result app_data

# The direct URL with ?schema= (search_path for the session, prepared statements on): the same leads.
eligible=$(e2e_sqlite 'SELECT count(*) FROM lead WHERE eligible = 1')
DATABASE_URL="$DATABASE_URL?schema=app_data" gb extract
assert_rc 0 "extract over the direct URL with ?schema="
assert_not_contains "$GB_ERR" "pooler_mode"
assert_eq "$eligible" "$(e2e_sqlite 'SELECT count(*) FROM lead WHERE eligible = 1')" "eligible leads, direct"

# An unknown parameter in the same URL: named, nothing else echoed.
DATABASE_URL="$pooled&frobnicate=tok-Vb63" gb extract
assert_rc 2 "unknown URL parameter"
assert_contains "$GB_ERR" '"frobnicate"'
assert_not_contains "$GB_ERR" "tok-Vb63"

stop_pgbouncer
rm -rf -- "$pgb_dir"
DATABASE_URL="$DATABASE_URL?options=-csearch_path%3Dapp_data" assert_no_pii  # the demo is in app_data
e2e_pass
