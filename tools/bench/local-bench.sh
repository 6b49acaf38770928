#!/usr/bin/env bash
# The local-stage benchmark of issue 9 (tools/bench/run BUILD local; also part of `all`):
# extract, plan and apply on the real table shape (tools/bench/gen-app-db), with fetch results
# written straight into the work DB (tools/bench/gen-fetch-results: no GHL, no quota wait).
#
# Prints and appends to $BENCH_OUT, per stage: wall time, leads (or rows) per second, peak RSS
# (/usr/bin/time -v), and the ratio against the ceilings measured in the same invocation:
#   - plan:  >= 200,000 leads/s (including JSON parsing and writing the plan rows);
#   - apply: >= 0.8 of one set-based UPDATE ... FROM of the same changes run in psql on a copy of the
#            table (CREATE DATABASE ... TEMPLATE, before apply), and >= 30x the row-at-a-time baseline
#            (one autocommit UPDATE per lead, as the replaced script did) measured on BASELINE_ROWS
#            leads of that copy;
#   - revert: of the last apply's wave, >= 0.8 of one set-based UPDATE ... FROM in psql putting the
#             same journaled values back on the copy (REVERT_FLAGS: revert's flags, e.g. "--batch-size 1000");
#   - memory: peak RSS < 150 MB per stage (compare a 100k and a 1M run for "flat").
# The apply part runs with default durability: fsync, synchronous_commit and full_page_writes on,
# shared_buffers 128MB (ALTER SYSTEM on the bench's throwaway cluster, restarted; reset at the end).
#
# Sizing (environment): BENCH_LEADS (1,000,000), BENCH_TENANTS (1,000), BENCH_LINKED (0.05),
# BASELINE_ROWS (3,000), APPLY_SWEEP (batch sizes tried first, "100 1000 5000"; empty: none) on
# APPLY_SWEEP_LEADS leads each (10,000), APPLY_FLAGS (flags of the final apply of the other leads,
# e.g. "--batch-size 1000"), APPLY_LEADS (the apply part on the first N planned leads only, ceiling
# included: at 1M leads a full apply with fsync and 42 indexes takes a quarter of an hour),
# BENCH_KEEP=1 keeps the work directory.
set -euo pipefail
: "${GHLB_SRC:?}" "${GHLB_BIN:?}" "${GHLB_PG_DIR:?}"
leads=${BENCH_LEADS:-1000000}
tenants=${BENCH_TENANTS:-1000}
linked=${BENCH_LINKED:-0.05}
baseline_rows=${BASELINE_ROWS:-3000}
read -r -a apply_flags <<<"${APPLY_FLAGS:-}"
out=${BENCH_OUT:-/dev/null}
gen_app_db=${GEN_APP_DB:-$GHLB_SRC/tools/bench/gen-app-db}

say() { echo "$*"; echo "$*" >>"$out"; }
die() { echo "local-bench: $*" >&2; exit 1; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/ghlb-local-bench.XXXXXX")
work="$dir/work.db"
pgc="$GHLB_SRC/tools/pg-cluster"
db=bench_local_$$
copy=bench_local_copy_$$
url=$("$pgc" createdb "$GHLB_PG_DIR" "$db")
copy_url=${url%/*}/$copy
admin_url=${url%/*}/postgres
durable=0
cleanup() {
  local rc=$?
  psql -X -q -d "$admin_url" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" \
    -c "DROP DATABASE IF EXISTS $copy WITH (FORCE)" >/dev/null 2>&1 || true
  if ((durable)); then
    psql -X -q -d "$admin_url" -c "ALTER SYSTEM RESET ALL" >/dev/null 2>&1 || true
    "$pgc" stop "$GHLB_PG_DIR" >/dev/null 2>&1 && "$pgc" start "$GHLB_PG_DIR" >/dev/null 2>&1 || true
  fi
  if ((rc == 0)) && [[ -z ${BENCH_KEEP:-} ]]; then rm -rf "$dir"; else echo "local-bench: kept $dir" >&2; fi
}
trap cleanup EXIT
export DATABASE_URL=$url

# timed NAME CMD...: runs CMD under /usr/bin/time -v; sets WALL (s), CPU (user + system s) and RSS
# (MB). On a shared machine, CPU is the steadier figure of what a stage costs itself.
timed() {
  local name=$1
  shift
  local rc=0
  /usr/bin/time -v -o "$dir/$name.time" "$@" >"$dir/$name.out" 2>"$dir/$name.err" || rc=$?
  # plan exits 3 while leads are pending; anything else but 0 is a failure of the bench
  ((rc == 0 || rc == 3)) || { tail -n 5 "$dir/$name.err" >&2; die "$name failed (exit $rc)"; }
  WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$dir/$name.time")
  RSS=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$dir/$name.time")
  CPU=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$dir/$name.time")
}
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }
gb=("$GHLB_BIN/ghl-backfill")  # then the stage, its flags and --work-db "$work"
wq() { sqlite3 -batch -bail "$work" "$1"; }

start=$SECONDS
"$gen_app_db" "$url" --leads "$leads" --tenants "$tenants" --linked "$linked" >"$dir/gen.out"
say "local bench: $leads leads over $tenants tenants, $linked linked (real shape, gen-app-db in $((SECONDS - start)) s)"
# The copy for the psql ceilings, made before anything writes.
psql -X -q -v ON_ERROR_STOP=1 -d "$admin_url" -c "CREATE DATABASE $copy TEMPLATE $db STRATEGY FILE_COPY"

# --- extract
timed extract "${gb[@]}" extract --work-db "$work"
eligible=$(wq "SELECT count(*) FROM lead WHERE eligible = 1")
say "  extract: $eligible eligible leads in $WALL s: $(rate "$eligible" "$WALL") leads/s, cpu $CPU s, peak RSS $RSS MB"

# --- fetch results, generated
"$GHLB_SRC/tools/bench/gen-fetch-results" "$work" >"$dir/genfetch.out"

# --- plan (twice: the second run sees the same inputs again, as an operator's re-run does)
for pass in 1 2; do
  timed plan$pass "${gb[@]}" plan --work-db "$work"
  say "  plan (run $pass): $eligible leads in $WALL s: $(rate "$eligible" "$WALL") leads/s (target 200000: ratio $(ratio "$(rate "$eligible" "$WALL")" 200000)), cpu $CPU s, peak RSS $RSS MB"
done
to_write=$(wq "SELECT count(*) FROM plan_lead WHERE status = 'fill'")
values=$(wq "SELECT count(*) FROM plan_item i JOIN plan_lead p USING (lead_id) WHERE p.status = 'fill'")

# --- the changes as one row per lead, for psql
cols='"ghlContactId", email, phone, "firstName", "lastName", "companyName", "enrichmentStatus", "enrichmentSource"'
pivot="SELECT lead_id,
  max(CASE field WHEN 'ghlContactId' THEN new_value END), max(CASE field WHEN 'email' THEN new_value END),
  max(CASE field WHEN 'phone' THEN new_value END), max(CASE field WHEN 'firstName' THEN new_value END),
  max(CASE field WHEN 'lastName' THEN new_value END), max(CASE field WHEN 'companyName' THEN new_value END),
  max(CASE field WHEN 'enrichmentStatus' THEN new_value END), max(CASE field WHEN 'enrichmentSource' THEN new_value END)
  FROM plan_item i JOIN plan_lead p USING (lead_id) WHERE p.status = 'fill' GROUP BY lead_id ORDER BY lead_id"
sqlite3 -batch -bail -csv "$work" "$pivot" >"$dir/changes.all.csv"
# APPLY_LEADS: the apply part (ceiling and apply alike) on the first leads only, in lead id order,
# which is the order apply's --limit takes them in.
apply_leads=${APPLY_LEADS:-$to_write}
head -n "$apply_leads" "$dir/changes.all.csv" >"$dir/changes.csv"
apply_leads=$(wc -l <"$dir/changes.csv")

# --- default durability for everything that writes from here on
psql -X -q -v ON_ERROR_STOP=1 -d "$admin_url" -c "ALTER SYSTEM SET fsync = on" \
  -c "ALTER SYSTEM SET synchronous_commit = on" -c "ALTER SYSTEM SET full_page_writes = on" \
  -c "ALTER SYSTEM SET shared_buffers = '128MB'" >/dev/null
durable=1
"$pgc" stop "$GHLB_PG_DIR" >/dev/null && "$pgc" start "$GHLB_PG_DIR" >/dev/null
[[ $(psql -X -A -t -d "$admin_url" -c "SHOW fsync") == on ]] || die "fsync did not turn on"

# --- the row-at-a-time baseline: one autocommit UPDATE per lead (BASELINE_ROWS leads, on the copy)
head -n "$baseline_rows" "$dir/changes.csv" >"$dir/baseline.csv"
base_n=$(wc -l <"$dir/baseline.csv")
sqlite3 -batch -bail "$dir/base.db" "CREATE TABLE c(c1, c2, c3, c4, c5, c6, c7, c8, c9)" ".mode csv" \
  ".import $dir/baseline.csv c" ".mode list" \
  "SELECT 'UPDATE \"Lead\" SET \"ghlContactId\" = coalesce(' || quote(c2) || ', \"ghlContactId\"), email = coalesce(' ||
     quote(c3) || ', email), phone = coalesce(' || quote(c4) || ', phone), \"firstName\" = coalesce(' || quote(c5) ||
     ', \"firstName\"), \"lastName\" = coalesce(' || quote(c6) || ', \"lastName\"), \"companyName\" = coalesce(' ||
     quote(c7) || ', \"companyName\"), \"updatedAt\" = now() WHERE id = ' || quote(c1) || ';' FROM c" \
  | sed "s/coalesce('',/coalesce(NULL,/g" >"$dir/baseline.sql"
[[ -s $dir/baseline.sql ]] || die "no baseline statements"
t0=$(date +%s.%N)
psql -X -q -v ON_ERROR_STOP=1 -d "$copy_url" -f "$dir/baseline.sql" >/dev/null
t1=$(date +%s.%N)
base_rate=$(awk -v n="$base_n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
say "  row-at-a-time baseline (autocommit UPDATE per lead, fsync on): $base_n leads: $base_rate leads/s"

# --- the set-based ceiling: one UPDATE ... FROM of every change, on the copy
ceil_ms=$(psql -X -q -v ON_ERROR_STOP=1 -d "$copy_url" <<SQL | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 1
CREATE TEMP TABLE c (id text PRIMARY KEY, gid text, em text, ph text, fn text, ln text, co text, es text, src text);
\copy c FROM '$dir/changes.csv' WITH (FORMAT csv)
UPDATE c SET gid = nullif(gid, ''), em = nullif(em, ''), ph = nullif(ph, ''), fn = nullif(fn, ''), ln = nullif(ln, ''),
  co = nullif(co, ''), es = nullif(es, ''), src = nullif(src, '');
ANALYZE c;
\timing on
UPDATE "Lead" l SET "ghlContactId" = coalesce(c.gid, l."ghlContactId"), email = coalesce(c.em, l.email),
  phone = coalesce(c.ph, l.phone), "firstName" = coalesce(c.fn, l."firstName"), "lastName" = coalesce(c.ln, l."lastName"),
  "companyName" = coalesce(c.co, l."companyName"), "enrichmentStatus" = coalesce(c.es, l."enrichmentStatus"),
  "enrichmentSource" = coalesce(c.src, l."enrichmentSource"),
  "enrichedAt" = CASE WHEN c.es IS NOT NULL THEN now() ELSE l."enrichedAt" END, "updatedAt" = now()
FROM c WHERE l.id = c.id;
SQL
)
ceil_rate=$(awk -v n="$apply_leads" -v ms="$ceil_ms" 'BEGIN { printf "%.0f", n / (ms / 1000) }')
say "  set-based ceiling (one UPDATE ... FROM in psql, fsync on): $apply_leads leads in $(awk -v ms="$ceil_ms" 'BEGIN{printf "%.2f", ms/1000}') s: $ceil_rate leads/s"

# --- apply. First the batch-size sweep: APPLY_SWEEP_LEADS leads per batch size of APPLY_SWEEP, each
# a wave of its own (--limit: the next leads in id order), then the rest with APPLY_FLAGS.
# batch_ms RUN: median and 90th percentile of the time between two batches of apply run RUN, from
# apply_log's per-batch applied_at: what one guarded batch costs, its SQLite record included.
batch_ms() {
  wq "WITH b AS (SELECT DISTINCT applied_at AS t FROM apply_log WHERE apply_run = $1),
      g AS (SELECT (julianday(t) - julianday(lag(t) OVER (ORDER BY t))) * 86400000 AS ms FROM b),
      s AS (SELECT ms, row_number() OVER (ORDER BY ms) AS k, count(*) OVER () AS n FROM g WHERE ms IS NOT NULL)
      SELECT printf('%.0f ms median, %.0f ms p90', (SELECT ms FROM s WHERE k = (n + 1) / 2),
                    (SELECT ms FROM s WHERE k = (n * 9 + 9) / 10))"
}
sweep_leads=${APPLY_SWEEP_LEADS:-10000}
swept=0
for b in ${APPLY_SWEEP-100 1000 5000}; do
  swept=$((swept + sweep_leads))
  timed apply-b$b "${gb[@]}" apply --yes --limit "$sweep_leads" --batch-size "$b" --work-db "$work"
  run=$(wq "SELECT max(id) FROM stage_run WHERE stage = 'apply'")
  n=$(wq "SELECT count(DISTINCT lead_id) FROM apply_log WHERE apply_run = $run")
  say "  apply --batch-size $b: $n leads in $WALL s: $(rate "$n" "$WALL") leads/s, cpu $CPU s; one guarded batch of $b leads (42 indexes): $(batch_ms "$run")"
done
rest=$((apply_leads - swept))
timed apply "${gb[@]}" apply --yes --limit "$rest" "${apply_flags[@]}" --work-db "$work"
run=$(wq "SELECT max(id) FROM stage_run WHERE stage = 'apply'")
apply_rate=$(rate "$rest" "$WALL")
say "  apply ${apply_flags[*]:-(default batch size)}: the other $rest leads (of $apply_leads; the plan has $to_write leads, $values values) in $WALL s: $apply_rate leads/s, cpu $CPU s, peak RSS $RSS MB; one batch: $(batch_ms "$run")"
say "    ratio to the set-based ceiling: $(ratio "$apply_rate" "$ceil_rate") (target 0.8); to the row-at-a-time baseline: $(ratio "$apply_rate" "$base_rate")x (target 30)"
left=$(wq "SELECT count(*) FROM plan_item i JOIN plan_lead p USING (lead_id) WHERE p.status = 'fill' AND NOT EXISTS (SELECT 1 FROM apply_log a WHERE a.lead_id = i.lead_id AND a.field = i.field)")
((apply_leads < to_write)) || [[ $left == 0 ]] || die "$left planned values were not settled by apply"

# --- revert of the last apply's wave, against one set-based UPDATE ... FROM in psql that puts the
# same journaled values back on the copy (which the set-based ceiling above wrote), in the same run.
wave=$(wq "SELECT max(id) FROM wave")
wave_leads=$(wq "SELECT count(DISTINCT lead_id) FROM journal WHERE wave = $wave")
jcols=(ghlContactId email phone firstName lastName companyName enrichmentStatus enrichmentSource enrichedAt)
jpivot="SELECT lead_id"
for f in "${jcols[@]}"; do
  jpivot+=", max(field = '$f'), max(CASE field WHEN '$f' THEN before END)"
done
sqlite3 -batch -bail -csv "$work" "$jpivot FROM journal WHERE wave = $wave GROUP BY lead_id ORDER BY lead_id" >"$dir/journal.csv"
rdef="id text PRIMARY KEY" rset=""
for i in "${!jcols[@]}"; do
  f=${jcols[$i]}
  rdef+=", h$i int, b$i text"
  val="nullif(c.b$i, '')"
  [[ $f == enrichedAt ]] && val="$val::timestamp(3)"
  rset+="\"$f\" = CASE WHEN c.h$i = 1 THEN $val ELSE l.\"$f\" END, "
done
rceil_ms=$(psql -X -q -v ON_ERROR_STOP=1 -d "$copy_url" <<SQL | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 1
CREATE TEMP TABLE c ($rdef);
\copy c FROM '$dir/journal.csv' WITH (FORMAT csv)
ANALYZE c;
\timing on
UPDATE "Lead" l SET $rset "updatedAt" = now() FROM c WHERE l.id = c.id;
SQL
)
rceil_rate=$(awk -v n="$wave_leads" -v ms="$rceil_ms" 'BEGIN { printf "%.0f", n / (ms / 1000) }')
say "  revert set-based ceiling (one UPDATE ... FROM in psql, fsync on): $wave_leads leads in $(awk -v ms="$rceil_ms" 'BEGIN{printf "%.2f", ms/1000}') s: $rceil_rate leads/s"
timed revert "${gb[@]}" revert "$wave" --yes ${REVERT_FLAGS:-} --work-db "$work"
revert_rate=$(rate "$wave_leads" "$WALL")
restored=$(wq "SELECT count(*) FROM journal WHERE wave = $wave AND revert_outcome = 'restored'")
say "  revert ${REVERT_FLAGS:-(default batch size)} of wave $wave: $wave_leads leads ($restored values restored) in $WALL s: $revert_rate leads/s, cpu $CPU s, peak RSS $RSS MB"
say "    ratio to the set-based ceiling: $(ratio "$revert_rate" "$rceil_rate") (target 0.8)"
[[ $(wq "SELECT count(*) FROM journal WHERE wave = $wave AND reverted_at IS NULL") == 0 ]] || die "revert left journal rows"
