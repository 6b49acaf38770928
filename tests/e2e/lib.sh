# shellcheck shell=bash
# lib.sh: helpers for the end-to-end tests of ghl-backfill, sourced by tests/e2e/*.sh under ctest.
#
# Environment (set by ctest): GHLB_BIN (directory holding ghl-backfill), GHLB_SIM (the ghl-sim
# executable), GHLB_SRC (source root), GHLB_PG_DIR (a cluster started by the ctest fixture with
# tools/pg-cluster start). A test looks like:
#
#   source "$GHLB_SRC/tests/e2e/lib.sh"
#   e2e_init demo_run                      # work dir, fresh database, DATABASE_URL, traps
#   e2e_load_sql "$GHLB_SRC/data/demo/app.sql"
#   e2e_start_sim "$GHLB_SRC/data/demo/ghl-sim.json"
#   gb extract; assert_rc 0
#   assert_eq 5 "$(e2e_psql 'SELECT count(*) FROM "Client"')" "client rows"
#   assert_no_pii
#   e2e_pass
#
# Every failure prints "e2e NAME: FAIL: ..." on stderr and exits 1; the work dir ($E2E_DIR) and
# the database are kept on failure and removed after e2e_pass. Nothing here depends on wall-clock
# timing: waits poll for a state, with a generous bound only as a guard against hanging.
# Set E2E_VERBOSE=1 to echo every ghl-backfill run's output on stderr.

set -Eeuo pipefail

: "${GHLB_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
E2E_NAME=${E2E_NAME:-$(basename "$0" .sh)}
E2E_DIR=""
E2E_DB=""
E2E_PASSED=0
GB_N=0
GB_RC=""
GB_OUT=""
GB_ERR=""
SIM_PID=""
SIM_DATA_FILES=()

# ---- failure and cleanup ---------------------------------------------------------------------

e2e_fail() {
  echo "e2e $E2E_NAME: FAIL: $*" >&2
  # A failure inside $(...) only ends that subshell: leave a mark that e2e_pass checks.
  [[ -z "$E2E_DIR" || $BASH_SUBSHELL -eq 0 ]] || : >"$E2E_DIR/.failed"
  exit 1
}

_e2e_need() {
  local v
  for v in "$@"; do
    [[ -n "${!v:-}" ]] || e2e_fail "environment variable $v is not set (run under ctest)"
  done
}

_e2e_on_err() {
  local rc=$1 line=$2 cmd=$3
  # Inside $(...) the parent reports the failed substitution; say it once.
  if [[ $BASH_SUBSHELL -eq 0 ]]; then
    echo "e2e $E2E_NAME: FAIL: line $line: exit $rc: $cmd" >&2
  fi
  exit 1
}

_e2e_on_exit() {
  local rc=$?
  set +e
  e2e_stop_sim
  if [[ $rc -eq 0 && $E2E_PASSED -ne 1 ]]; then
    echo "e2e $E2E_NAME: FAIL: the script ended without e2e_pass" >&2
    rc=1
  fi
  if [[ $rc -eq 0 ]]; then
    if [[ -n "$E2E_DB" && -r "${GHLB_PG_DIR:-}/env" ]]; then
      psql -X -q -d "${DATABASE_URL%/*}/postgres" \
        -c "DROP DATABASE IF EXISTS \"$E2E_DB\" WITH (FORCE)" >/dev/null 2>&1
    fi
    [[ -n "$E2E_DIR" ]] && rm -rf -- "$E2E_DIR"
  else
    echo "e2e $E2E_NAME: kept work dir $E2E_DIR and database ${E2E_DB:-(none)}" >&2
  fi
  exit "$rc"
}

# ---- setup -----------------------------------------------------------------------------------

# e2e_init NAME: work dir, traps, a fresh database NAME_<random> holding schema/app_db.sql.
# Exports DATABASE_URL and WORK_DB, and points GHL_API_BASE at a closed port until a sim starts,
# so that no test can ever reach the real GHL by accident.
e2e_init() {
  [[ $# -eq 1 ]] || e2e_fail "usage: e2e_init NAME"
  E2E_NAME=$1
  _e2e_need GHLB_SRC GHLB_PG_DIR
  command -v psql >/dev/null || e2e_fail "psql not found"
  [[ -r "$GHLB_PG_DIR/env" ]] || e2e_fail "no cluster at GHLB_PG_DIR=$GHLB_PG_DIR (fixture not run?)"
  trap '_e2e_on_err $? $LINENO "$BASH_COMMAND"' ERR
  trap _e2e_on_exit EXIT
  E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ghlb-e2e-$E2E_NAME.XXXXXX")
  export E2E_DIR
  export WORK_DB="$E2E_DIR/work.db"
  : >"$E2E_DIR/all-output.log"
  : >"$E2E_DIR/sim.log"
  local base suffix
  base=$(printf '%s' "$E2E_NAME" | LC_ALL=C tr '[:upper:]' '[:lower:]' | LC_ALL=C tr -c 'a-z0-9_' '_' \
         | cut -c1-40)
  suffix=$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')
  E2E_DB="${base}_${suffix}"
  DATABASE_URL=$("$GHLB_SRC/tools/pg-cluster" createdb "$GHLB_PG_DIR" "$E2E_DB" \
                   "$GHLB_SRC/schema/app_db.sql" 2>"$E2E_DIR/createdb.err") \
    || e2e_fail "cannot create database: $(tail -n 1 "$E2E_DIR/createdb.err")"
  export DATABASE_URL
  export GHL_API_BASE="http://127.0.0.1:9"
  # Tests written for one request per lead keep it; strategy tests pass --strategy (issue 8).
  export GHL_BACKFILL_STRATEGY=per-lead
  unset GHL_REQUESTS_PER_10S GHL_MAX_429_RETRIES PGHOST PGPORT PGUSER PGDATABASE PGPASSWORD PGSERVICE
}

# ---- databases -------------------------------------------------------------------------------

# e2e_load_sql FILE|-: runs the SQL (file, or stdin for '-') in the test database.
e2e_load_sql() {
  [[ $# -eq 1 ]] || e2e_fail "usage: e2e_load_sql FILE|-"
  local src=$1
  [[ "$src" == - || -r "$src" ]] || e2e_fail "e2e_load_sql: cannot read $src"
  PGOPTIONS='-c client_min_messages=warning' \
    psql -X -q -v ON_ERROR_STOP=1 -d "$DATABASE_URL" -f "$src" >/dev/null 2>"$E2E_DIR/psql.err" \
    || e2e_fail "e2e_load_sql $src: $(grep -m 1 ERROR "$E2E_DIR/psql.err" || tail -n 1 "$E2E_DIR/psql.err")"
}

# A fingerprint of lead row l as the application holds it: the fields the backfill writes,
# "updatedAt", and a column it never writes.
E2E_ROWHASH='md5(ROW(l."ghlContactId", l.email, l.phone, l."firstName", l."lastName", l."companyName",
         l."enrichmentStatus", l."enrichmentSource", l."enrichedAt", l."updatedAt", l."sentimentTag")::text)'
# What must happen to each lead of the demo (data/demo/app.sql and ghl-sim.json).
E2E_DEMO_EXPECTED="$GHLB_SRC/data/demo/expected.tsv"

# e2e_psql "SQL": prints the result unaligned, tuples only, fields separated by '|'.
e2e_psql() {
  [[ $# -eq 1 ]] || e2e_fail "usage: e2e_psql SQL"
  PGOPTIONS='-c client_min_messages=warning' \
    psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$DATABASE_URL" -c "$1" 2>"$E2E_DIR/psql.err" \
    || e2e_fail "e2e_psql: $(head -n 1 "$E2E_DIR/psql.err") (SQL: $1)"
}

# e2e_sqlite "SQL": runs SQL on the work database ($WORK_DB), which must exist already.
e2e_sqlite() {
  [[ $# -eq 1 ]] || e2e_fail "usage: e2e_sqlite SQL"
  [[ -f "$WORK_DB" ]] || e2e_fail "e2e_sqlite: no work database yet at $WORK_DB"
  sqlite3 -batch -bail -cmd '.timeout 10000' "$WORK_DB" "$1" 2>"$E2E_DIR/sqlite.err" \
    || e2e_fail "e2e_sqlite: $(head -n 1 "$E2E_DIR/sqlite.err") (SQL: $1)"
}

# ---- generated tenants (quota tests) --------------------------------------------------------
# A generated tenant is one letter C: "Client" client-C named C, location e2e_loc C, token
# token-C-secret-0001; its leads lead-C-001... have the emails personI@C.example.com, and its GHL
# contacts ctC0000000000001... the same emails, a phone and names.

# e2e_check_demo_result [SCHEMA]: after the demo's apply, the application holds exactly the values
# data/demo/expected.tsv says, and only the leads with a planned write changed since table
# before_backfill was made (with $E2E_ROWHASH).
e2e_check_demo_result() {
  local schema=${1:-public} result
  {
    echo "SET search_path = \"$schema\";"
    echo "CREATE TEMP TABLE want(id text, field text, value text);"
    awk -F'\t' 'NR > 1 && $13 != "" {
        n = split($13, kv, ";");
        for (i = 1; i <= n; i++) { p = index(kv[i], "="); f = substr(kv[i], 1, p - 1); v = substr(kv[i], p + 1);
          gsub("\x27", "\x27\x27", v); printf "INSERT INTO want VALUES (\x27%s\x27, \x27%s\x27, \x27%s\x27);\n", $1, f, v } }' "$E2E_DEMO_EXPECTED"
    cat <<'SQL'
SELECT count(*) FROM want w JOIN "Lead" l USING (id) WHERE
  CASE w.field WHEN 'ghlContactId' THEN l."ghlContactId" WHEN 'email' THEN l.email WHEN 'phone' THEN l.phone
    WHEN 'firstName' THEN l."firstName" WHEN 'lastName' THEN l."lastName" WHEN 'companyName' THEN l."companyName" END
  IS DISTINCT FROM w.value;
SELECT count(*) FROM want;
SQL
  } >"$E2E_DIR/check.sql"
  result=$(psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$DATABASE_URL" -f "$E2E_DIR/check.sql" | tr '\n' ' ')
  assert_eq "0 $(awk -F'\t' 'NR > 1 && $13 != ""' "$E2E_DEMO_EXPECTED" | awk -F'\t' '{n += split($13, a, ";")} END {print n}') " \
            "$result" "every expected value is in the application database"
  assert_eq "$(awk -F'\t' 'NR > 1 && $13 != "" {print $1}' "$E2E_DEMO_EXPECTED" | LC_ALL=C sort)" \
            "$(e2e_psql "SELECT l.id FROM \"$schema\".\"Lead\" l JOIN before_backfill b USING (id)
                         WHERE $E2E_ROWHASH <> b.h ORDER BY l.id COLLATE \"C\"")" \
            "exactly the leads with a planned write changed; every other row is untouched"
  assert_eq 0 "$(e2e_psql "SELECT count(*) FROM \"$schema\".\"Lead\" WHERE \"enrichmentSource\" = 'ghl' AND \"enrichedAt\" IS NULL")" \
            "enrichedAt set with enrichmentSource"
  assert_eq "$(awk -F'\t' 'NR > 1 && $12 == 1' "$E2E_DEMO_EXPECTED" | wc -l)" \
            "$(e2e_psql "SELECT count(*) FROM \"$schema\".\"Lead\" WHERE \"enrichmentSource\" = 'ghl' AND \"enrichmentStatus\" = 'enriched'")" \
            "enriched leads"
}

# e2e_revert_mismatches WAVE LEAD FIELD AFTER "COLS" [SQL]: after `revert WAVE`, the number of
# "Lead" rows l that differ from what revert must leave: each column of COLS (quoted names) back
# to its value in table snap0 where the wave journaled it (but LEAD's FIELD, left changed by the
# application), else as in table AFTER (aliased sa); and "updatedAt" moved exactly on the rows
# restored. SQL adds OR conditions. Leaves the restored (lead_id, field) pairs in table w1.
e2e_revert_mismatches() {
  local wave=$1 lead=$2 field=$3 after=$4 cols=$5 extra=${6:-} cond="" c
  e2e_psql "DROP TABLE IF EXISTS w1; CREATE TABLE w1 (lead_id text, field text)" >/dev/null
  e2e_psql "INSERT INTO w1 VALUES $(e2e_sqlite "SELECT group_concat('(''' || lead_id || ''', ''' || field || ''')', ', ')
                                     FROM journal WHERE wave = $wave AND NOT (lead_id = '$lead' AND field = '$field')")" >/dev/null
  for c in $cols; do
    cond+=" OR l.$c IS DISTINCT FROM CASE WHEN EXISTS (SELECT 1 FROM w1 WHERE w1.lead_id = l.id AND w1.field = '${c//\"/}')
                                     THEN s0.$c ELSE sa.$c END"
  done
  e2e_psql "SELECT count(*) FROM \"Lead\" l JOIN snap0 s0 USING (id) JOIN $after sa USING (id) WHERE false $cond
            OR (l.\"updatedAt\" = sa.\"updatedAt\") = EXISTS (SELECT 1 FROM w1 WHERE w1.lead_id = l.id) $extra"
}

# e2e_loc C: tenant C's GHL location id (locCCCCCCCCCCCC01).
e2e_loc() {
  local up=${1^^} i out=loc
  for ((i = 0; i < 12; i++)); do out+=$up; done
  printf '%s01' "$out"
}

# e2e_tenants_sql C:N...: the SQL of the tenants, each with N email-only leads (N may be 0).
e2e_tenants_sql() {
  local spec c n sep=""
  echo "INSERT INTO \"Client\"(id, name, \"ghlLocationId\", \"ghlPrivateKey\", \"userId\", \"createdAt\", \"updatedAt\") VALUES"
  for spec; do
    c=${spec%%:*}
    echo "$sep ('client-$c', '${c^^}', '$(e2e_loc "$c")', 'token-$c-secret-0001', 'u', now(), now())"
    sep=","
  done
  echo ";"
  for spec; do
    c=${spec%%:*} n=${spec#*:}
    echo "INSERT INTO \"Lead\"(id, \"clientId\", email, \"createdAt\", \"updatedAt\")
          SELECT 'lead-$c-' || lpad(i::text, 3, '0'), 'client-$c', 'person' || i || '@$c.example.com', now(), now()
          FROM generate_series(1, $n) i;"
  done
}

# e2e_sim_location C N [TOKEN]: tenant C's location in the simulator's data file (one JSON object),
# with N contacts; TOKEN (default token-C-secret-0001) is the token GHL knows for it.
e2e_sim_location() {
  local c=$1 n=$2 token=${3:-token-$1-secret-0001} i
  echo "{\"id\": \"$(e2e_loc "$c")\", \"token\": \"$token\", \"contacts\": ["
  for ((i = 1; i <= n; i++)); do
    printf '{"id": "ct%s%013d", "email": "person%d@%s.example.com", "phone": "+1 415 555 %04d", "firstName": "F", "lastName": "L", "companyName": "C"}%s\n' \
      "$c" "$i" "$i" "$c" "$i" "$([[ $i -lt $n ]] && echo ,)"
  done
  echo "]}"
}

# ---- the simulator ---------------------------------------------------------------------------

# e2e_start_sim DATAFILE [SIM FLAGS...]: starts ghl-sim on a free port, waits until it answers,
# exports GHL_API_BASE and SIM_PID. Its stdout/stderr go to $E2E_DIR/sim.log; unless the flags
# name one, its request log is $E2E_DIR/sim-requests.log ($SIM_REQUEST_LOG). A running sim of
# this test is stopped first.
e2e_start_sim() {
  [[ $# -ge 1 ]] || e2e_fail "usage: e2e_start_sim DATAFILE [flags...]"
  _e2e_need GHLB_SIM
  # shellcheck disable=SC2153  # set by ctest, checked just above
  [[ -x "$GHLB_SIM" ]] || e2e_fail "GHLB_SIM=$GHLB_SIM is not executable"
  local data=$1; shift
  [[ -r "$data" ]] || e2e_fail "e2e_start_sim: cannot read $data"
  e2e_stop_sim
  local pf="$E2E_DIR/sim.port" extra=() a port="" i
  rm -f "$pf"
  SIM_REQUEST_LOG="$E2E_DIR/sim-requests.log"
  for a in "$@"; do
    if [[ "$a" == --request-log* ]]; then SIM_REQUEST_LOG=""; fi
  done
  [[ -z "$SIM_REQUEST_LOG" ]] || extra=(--request-log "$SIM_REQUEST_LOG")
  export SIM_REQUEST_LOG
  SIM_DATA_FILES+=("$data")
  "$GHLB_SIM" --data "$data" --port 0 --port-file "$pf" "${extra[@]}" "$@" \
    >>"$E2E_DIR/sim.log" 2>&1 &
  SIM_PID=$!
  export SIM_PID
  # Poll for a state (port file, then an answer); the bound only guards against a hang.
  for ((i = 0; i < 1200; i++)); do
    kill -0 "$SIM_PID" 2>/dev/null || {
      SIM_PID=""
      e2e_fail "ghl-sim exited at start: $(tail -n 3 "$E2E_DIR/sim.log" | tr '\n' ' ')"
    }
    if [[ -s "$pf" ]]; then
      port=$(tr -d ' \r\n' <"$pf")
      if [[ "$port" =~ ^[0-9]+$ ]] &&
         curl -sf -o /dev/null "http://127.0.0.1:$port/__sim/stats"; then
        export GHL_API_BASE="http://127.0.0.1:$port"
        return 0
      fi
    fi
    sleep 0.05
  done
  e2e_fail "ghl-sim did not answer (see $E2E_DIR/sim.log)"
}

# e2e_stop_sim: stops this test's simulator, if any.
e2e_stop_sim() {
  if [[ -n "$SIM_PID" ]]; then
    kill "$SIM_PID" 2>/dev/null || true
    wait "$SIM_PID" 2>/dev/null || true
    SIM_PID=""
  fi
}

# e2e_sim_stats: prints the simulator's counters (JSON).
e2e_sim_stats() {
  [[ -n "$SIM_PID" ]] || e2e_fail "e2e_sim_stats: no simulator running"
  curl -sf "$GHL_API_BASE/__sim/stats" || e2e_fail "e2e_sim_stats: GET /__sim/stats failed"
}

# e2e_sim_counter KEY [LOCATION]: one integer counter of /__sim/stats, top level or inside
# by_location.LOCATION (assumes that object holds only scalars). Prints 0 when absent.
e2e_sim_counter() {
  local json v
  json=$(e2e_sim_stats | tr -d ' \n\t')
  if [[ $# -ge 2 ]]; then
    json=$(printf '%s' "$json" | sed -n "s/.*\"$2\":{\([^{}]*\)}.*/\1/p")
  fi
  v=$(printf '%s' "$json" | grep -o "\"$1\":[0-9]*" | head -n 1 | cut -d: -f2 || true)
  echo "${v:-0}"
}

# ---- running the tool ------------------------------------------------------------------------

_gb_run() {
  GB_N=$((GB_N + 1))
  GB_OUT="$E2E_DIR/out.$GB_N"
  GB_ERR="$E2E_DIR/err.$GB_N"
  local rc=0 start=$SECONDS
  "$GHLB_BIN/ghl-backfill" "$@" >"$GB_OUT" 2>"$GB_ERR" || rc=$?
  GB_RC=$rc
  {
    echo "### gb $GB_N: ghl-backfill ${1:-}: exit $rc after $((SECONDS - start)) s"
    echo "--- stdout"; cat "$GB_OUT"
    echo "--- stderr"; cat "$GB_ERR"
  } >>"$E2E_DIR/all-output.log"
  if [[ -n "${E2E_VERBOSE:-}" ]]; then
    { echo "--- ghl-backfill $* (exit $rc)"; cat "$GB_OUT" "$GB_ERR"; } >&2
  fi
}

# gb ARGS...: runs ghl-backfill ARGS --work-db $WORK_DB. Sets GB_RC, GB_OUT, GB_ERR (this run's
# stdout/stderr files, $E2E_DIR/out.N and err.N); appends both to $E2E_DIR/all-output.log.
gb() {
  _e2e_need GHLB_BIN
  [[ -x "$GHLB_BIN/ghl-backfill" ]] || e2e_fail "no executable $GHLB_BIN/ghl-backfill"
  _gb_run "$@" --work-db "$WORK_DB"
}

# gb_raw ARGS...: as gb, without adding --work-db (usage tests).
gb_raw() {
  _e2e_need GHLB_BIN
  [[ -x "$GHLB_BIN/ghl-backfill" ]] || e2e_fail "no executable $GHLB_BIN/ghl-backfill"
  _gb_run "$@"
}

# e2e_fetch_settled MESSAGE [FETCH ARGS...]: runs `gb fetch ARGS` up to three times while it exits 3
# (leads waiting for a retry), then asserts that the last run exited 0.
e2e_fetch_settled() {
  local message=$1 attempt
  shift
  for attempt in 1 2 3; do
    gb fetch "$@"
    [[ $GB_RC -eq 3 ]] || break
  done
  assert_rc 0 "$message"
}

# ---- assertions ------------------------------------------------------------------------------

# assert_eq EXPECTED ACTUAL [MSG]
assert_eq() {
  [[ "$1" == "$2" ]] || e2e_fail "${3:-assert_eq}: expected '$1', got '$2'"
}

# assert_rc EXPECTED [MSG]: the exit status of the last gb run.
assert_rc() {
  [[ -n "$GB_RC" ]] || e2e_fail "assert_rc: nothing has run yet"
  if [[ "$GB_RC" != "$1" ]]; then
    echo "--- stderr of run $GB_N (last 20 lines):" >&2
    tail -n 20 "$GB_ERR" >&2
    e2e_fail "${2:-run $GB_N}: exit status $GB_RC, expected $1"
  fi
}

# assert_contains FILE TEXT: FILE holds TEXT (fixed string).
assert_contains() {
  [[ -f "$1" ]] || e2e_fail "assert_contains: no file $1"
  grep -qF -- "$2" "$1" || e2e_fail "assert_contains: '$2' not in $(basename "$1")"
}

# assert_not_contains FILE TEXT
assert_not_contains() {
  [[ -f "$1" ]] || e2e_fail "assert_not_contains: no file $1"
  if grep -qF -- "$2" "$1"; then e2e_fail "assert_not_contains: '$2' found in $(basename "$1")"; fi
}

# Values of the test's data, one per line, trimmed, by kind: from the test database (current
# state) and from every data file given to e2e_start_sim.
_pii_from_sim() {  # KIND -> raw JSON string values of that kind, unescaped
  local f keys
  case "$1" in
    email) keys='email' ;;
    phone) keys='phone' ;;
    name) keys='firstName\|lastName' ;;
    token) keys='token' ;;
  esac
  for f in "${SIM_DATA_FILES[@]}"; do
    grep -o "\"\\($keys\\)\"[[:space:]]*:[[:space:]]*\"\\([^\"\\\\]\\|\\\\.\\)*\"" "$f" || true
    # Any string holding an '@' is an email too (additionalEmails, fault scripts).
    if [[ "$1" == email ]]; then grep -o '"[^"@ ]*@[^" ]*"' "$f" | sed 's/^/"email":/' || true; fi
  done | sed -e 's/^"[^"]*"[[:space:]]*:[[:space:]]*"//' -e 's/"$//' \
             -e 's/\\u[0-9a-fA-F]\{4\}/ /g' -e 's/\\[tnrfb]/ /g' -e 's/\\\(.\)/\1/g'
}

_pii_values() {  # KIND
  {
    case "$1" in
      email) e2e_psql 'SELECT email FROM "Lead" WHERE email IS NOT NULL' ;;
      phone) e2e_psql 'SELECT phone FROM "Lead" WHERE phone IS NOT NULL' ;;
      name) e2e_psql 'SELECT "firstName" FROM "Lead" WHERE "firstName" IS NOT NULL
                      UNION ALL SELECT "lastName" FROM "Lead" WHERE "lastName" IS NOT NULL' ;;
      token) e2e_psql 'SELECT "ghlPrivateKey" FROM "Client" WHERE "ghlPrivateKey" IS NOT NULL' ;;
    esac
    _pii_from_sim "$1"
  } | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' | sort -u
}

# assert_no_pii: no email, phone, person name or token of the test's data appears in the tool's
# output ($E2E_DIR/all-output.log) or the simulator's stdout/stderr. On a hit it prints only
# how many distinct values of which kind were found where, never a value.
# _pii_count GREP_FLAGS PATTERNS FILE: sets _pii_n to the number of distinct matches. grep's exit 1
# is "no match"; any other failure (killed, out of memory) fails the test: nothing was checked.
_pii_count() {
  local rc=0
  grep "$1" -f "$2" "$3" >"$E2E_DIR/pii/matches" || rc=$?
  [[ $rc -le 1 ]] || e2e_fail "assert_no_pii: grep failed on $(basename "$3") (exit $rc): nothing was checked"
  _pii_n=$(sort -u "$E2E_DIR/pii/matches" | wc -l)
}

assert_no_pii() {
  local d="$E2E_DIR/pii" kind f hits=()
  mkdir -p "$d"
  # Patterns: emails (case-insensitive), tokens (exact), names (whole words, >= 3 chars),
  # phones (as stored/raw, and as their digit run, whole words, >= 7 digits).
  for kind in email token name phone; do
    _pii_values "$kind" >"$d/$kind.all"   # a failing query fails the test, never hides values
  done
  grep '@' "$d/email.all" >"$d/email" || true
  awk 'length($0) >= 8' "$d/token.all" >"$d/token"
  awk 'length($0) >= 3' "$d/name.all" >"$d/name"
  awk 'length($0) >= 7' "$d/phone.all" >"$d/phone"
  sed 's/[^0-9]//g' "$d/phone.all" | awk 'length($0) >= 7' | sort -u >"$d/phone-digits"
  # Emails case-insensitively: both sides lower-cased (grep -i -F with thousands of patterns can
  # exhaust memory and be killed, which must never read as "nothing found").
  tr '[:upper:]' '[:lower:]' <"$d/email" >"$d/email-lc"
  for f in "$E2E_DIR/all-output.log" "$E2E_DIR/sim.log"; do
    [[ -s "$f" ]] || continue
    tr '[:upper:]' '[:lower:]' <"$f" >"$d/log-lc"
    for kind in email token name phone phone-digits; do
      [[ -s "$d/$kind" ]] || continue
      case "$kind" in
        email) _pii_count -ohF "$d/email-lc" "$d/log-lc" ;;
        name|phone-digits) _pii_count -ohwF "$d/$kind" "$f" ;;
        *) _pii_count -ohF "$d/$kind" "$f" ;;
      esac
      [[ $_pii_n -eq 0 ]] || hits+=("$_pii_n ${kind%-digits} value(s) in $(basename "$f")")
    done
  done
  [[ ${#hits[@]} -eq 0 ]] || e2e_fail "assert_no_pii: $(IFS=';'; echo "${hits[*]}")"
}

# e2e_expect_fail ERRFILE CMD [ARGS...]: runs CMD (e.g. an assertion) in a subshell and
# requires it to fail; its stderr goes to ERRFILE. For testing checks themselves.
e2e_expect_fail() {
  [[ $# -ge 2 ]] || e2e_fail "usage: e2e_expect_fail ERRFILE CMD [ARGS...]"
  local errfile=$1 had_mark=0; shift
  [[ ! -e "$E2E_DIR/.failed" ]] || had_mark=1
  if ("$@") 2>"$errfile"; then
    e2e_fail "expected to fail but passed: $1"
  fi
  [[ $had_mark -eq 1 ]] || rm -f "$E2E_DIR/.failed"
}

# e2e_pass: the last line of a passing test.
e2e_pass() {
  [[ ! -e "$E2E_DIR/.failed" ]] || e2e_fail "a check failed inside a command substitution (see above)"
  E2E_PASSED=1
  echo "e2e $E2E_NAME: ok"
}
