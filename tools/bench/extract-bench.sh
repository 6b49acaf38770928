#!/usr/bin/env bash
# The extract benchmark of issues 9 and 12 (run by tools/bench/run, i.e. `make bench`): on the
# application's real table shape (tools/bench/gen-app-db: BENCH_LEADS leads over BENCH_TENANTS
# tenants of uneven sizes), for each linked fraction in BENCH_LINKED ("0.05 0.5"):
#   - the ceiling: psql's COPY (SELECT the same columns ... ORDER BY id) TO STDOUT of the rows
#     extract reads (the eligible leads of the participating tenants, and the linked contact ids),
#     in the same invocation;
#   - extract into a fresh work DB: wall time, leads/s, ratio to the ceiling (target >= 0.7,
#     issue 9; >= 0.5, issue 12), peak RSS;
#   - extract --client-id of the tenant nearest 20,000 leads (target < 2 s), fresh work DB;
#   - extract --incremental right after (nothing changed): the cost of a nightly run's read.
# BENCH_LEADS defaults to 2,000,000 (issue 12's size); generating it takes many minutes on two
# cores, so develop with e.g. BENCH_LEADS=200000.
set -euo pipefail
: "${GHLB_SRC:?}" "${GHLB_BIN:?}" "${GHLB_PG_DIR:?}"
leads=${BENCH_LEADS:-2000000}
tenants=${BENCH_TENANTS:-200}
out=${BENCH_OUT:-/dev/null}
work=$(mktemp -d /tmp/ghlb-extract-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
say() { echo "$*"; echo "$*" >>"$out"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# timed NAME CMD...: runs CMD under /usr/bin/time; sets T (seconds) and RSS (MB).
timed() {
  local name=$1; shift
  /usr/bin/time -f '%e %M' -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err" || {
    echo "extract-bench: $name failed: $(tail -n 2 "$work/$name.err")" >&2; return 1; }
  read -r T RSS < <(awk '{ printf "%s %.0f\n", $1, $2 / 1024 }' "$work/$name.time")
}

P='^[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]*$'
m() { echo "($1 IS NULL OR $1 ~ E'$P')"; }
eligible="($(m l.phone) OR $(m l.email) OR $(m 'l."firstName"') OR $(m 'l."lastName"') OR $(m 'l."companyName"') OR ($(m 'l."ghlContactId"') AND NOT $(m l.email)))"
participating="ARRAY(SELECT id FROM \"Client\" WHERE \"ghlLocationId\" IS NOT NULL AND \"ghlLocationId\" !~ E'$P' AND \"ghlPrivateKey\" IS NOT NULL AND \"ghlPrivateKey\" !~ E'$P')"
columns='l.id, l."clientId", l."ghlContactId", l.email, l.phone, l."firstName", l."lastName", l."companyName", l."enrichmentStatus"'

for linked in ${BENCH_LINKED:-0.05 0.5}; do
  db="bench_extract_${leads}_${linked/./_}"
  if [[ -n ${BENCH_DB_URL:-} ]]; then
    url=$BENCH_DB_URL   # an existing generated database (development)
  else
    "$GHLB_SRC/tools/pg-cluster" createdb "$GHLB_PG_DIR" "$db" >/dev/null
    url=$("$GHLB_SRC/tools/pg-cluster" url "$GHLB_PG_DIR" "$db")
    "$GHLB_SRC/tools/bench/gen-app-db" "$url" --leads "$leads" --tenants "$tenants" --linked "$linked" \
      >"$work/gen.out"
  fi
  tenant=$(psql -X -q -A -t -d "$url" -c "SELECT \"clientId\" FROM \"Lead\" GROUP BY 1 ORDER BY abs(count(*) - 20000) LIMIT 1")
  tenant_leads=$(psql -X -q -A -t -d "$url" -c "SELECT count(*) FROM \"Lead\" WHERE \"clientId\" = '$tenant'")
  psql -X -q -d "$url" -c 'VACUUM ANALYZE "Lead"' >/dev/null
  # The ceiling, twice (the first warms the cache as extract's own first read would not).
  for i in 1 2; do
    t0=$(now)
    psql -X -q -v ON_ERROR_STOP=1 -d "$url" >/dev/null <<SQL
\copy (SELECT $columns FROM "Lead" l WHERE l."clientId" = ANY($participating) AND $eligible ORDER BY l.id) TO '/dev/null'
\copy (SELECT l."ghlContactId", l.id FROM "Lead" l WHERE NOT $(m 'l."ghlContactId"')) TO '/dev/null'
SQL
    copy_s=$(secs "$t0" "$(now)")
  done
  timed full "$GHLB_BIN/ghl-backfill" extract --database-url "$url" --work-db "$work/full.db"
  full_s=$T full_rss=$RSS
  n=$(sqlite3 "$work/full.db" 'SELECT count(*) FROM lead')
  timed refresh "$GHLB_BIN/ghl-backfill" extract --database-url "$url" --work-db "$work/full.db"
  refresh_s=$T refresh_rss=$RSS
  timed incremental "$GHLB_BIN/ghl-backfill" extract --incremental --database-url "$url" --work-db "$work/full.db"
  inc_s=$T
  timed pages "$GHLB_BIN/ghl-backfill" extract --snapshot pages --database-url "$url" --work-db "$work/pages.db"
  pages_s=$T
  timed tenant "$GHLB_BIN/ghl-backfill" extract --client-id "$tenant" --database-url "$url" --work-db "$work/tenant.db"
  tenant_s=$T
  say "extract bench: $leads leads, $tenants tenants, $linked linked; $n eligible leads extracted"
  say "  COPY ceiling (eligible leads + linked ids, psql): ${copy_s} s"
  say "  extract (fresh work DB): ${full_s} s, $(awk -v n="$n" -v t="$full_s" 'BEGIN { printf "%.0f", n / t }') leads/s, ratio $(awk -v c="$copy_s" -v t="$full_s" 'BEGIN { printf "%.2f", c / t }') (target >= 0.7), peak RSS ${full_rss} MB"
  say "  extract again (refresh): ${refresh_s} s, ratio $(awk -v c="$copy_s" -v t="$refresh_s" 'BEGIN { printf "%.2f", c / t }'), peak RSS ${refresh_rss} MB"
  say "  extract --snapshot pages (fresh work DB): ${pages_s} s"
  say "  extract --incremental (nothing changed): ${inc_s} s"
  say "  extract --client-id (tenant of $tenant_leads leads, fresh work DB): ${tenant_s} s (target < 2 s)"
  rm -f "$work"/*.db*
  if [[ -z ${BENCH_DB_URL:-} ]]; then
    psql -X -q -d "${url%/*}/postgres" -c "DROP DATABASE \"$db\"" >/dev/null
  else
    break
  fi
done
