#!/usr/bin/env bash
# The fetch benchmark of issue 7 (run by tools/bench/run, i.e. `make bench`): fetch against the
# simulator with many locations, each with its own quota window, over loopback HTTP.
#
# It prints and appends to $BENCH_OUT:
#   - alone:   achieved requests per location per full window / the configured ceiling, and the
#              429s fetch caused (GHL counts every request of ours past the limit);
#   - live:    the same data with the live application taking 30% of every window: the most
#              requests any location saw in one window (live share included) and the share of
#              our requests answered 429;
#   - cpu:     fetch's user+system CPU seconds per 1,000 requests (alone run);
#   - baseline: the replaced script's pacing (one request per location every 111 ms, 3 locations
#              at a time, as a curl loop) on the first BASELINE_LOCATIONS locations, scaled to all
#              of them (that pacing is strictly serial per location and 3-way parallel, so its
#              wall time is linear in the number of locations), against fetch's wall time.
#
# Sizing (environment): BENCH_LOCATIONS (500), BENCH_WINDOW_MS (10000: GHL's), BENCH_MAX (the
# simulator's X-RateLimit-Max per window, 100: GHL's), BENCH_WINDOWS (full windows of work per
# location, 5). Two cores serve about 1,500-3,000 requests per second through the simulator, so
# `make bench` scales the ceiling, not the number of locations: see tools/bench/run.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init fetch_bench

locations=${BENCH_LOCATIONS:-500}
window_ms=${BENCH_WINDOW_MS:-10000}
max=${BENCH_MAX:-100}
windows=${BENCH_WINDOWS:-5}
headroom=${BENCH_HEADROOM:-$((max / 10))}
baseline_locations=${BASELINE_LOCATIONS:-6}
ceiling=$((max - headroom))  # what fetch may use of each window with no live traffic
live=$((max * 3 / 10))
# One more lead than the full windows hold, so that the last full window is busy to its end.
leads=$((ceiling * windows + ceiling / 2))
out=${BENCH_OUT:-/dev/null}

say() { echo "$*"; echo "$*" >>"$out"; }

"$GHLB_SRC/tools/bench/gen-locations.sh" "$locations" "$leads" "$E2E_DIR/app.sql" "$E2E_DIR/sim.json"
e2e_load_sql "$E2E_DIR/app.sql"
gb extract --page-size 20000; assert_rc 0 "extract"
total=$((locations * leads))
assert_eq "$total" "$(e2e_sqlite "SELECT count(*) FROM lead WHERE eligible = 1")" "leads extracted"

# The burst flag bounds each window the server announces (X-RateLimit-Interval-Milliseconds);
# within it, the server's X-RateLimit-Max minus --headroom decides.
burst=$ceiling
threads=272  # more than fetch's 256 connections
# Per lead: this benchmark measures the pacing of one request per lead (strategy-bench.sh measures
# how many requests the other strategies save).
fetch_flags=(--strategy per-lead --concurrency 256 --headroom "$headroom"
             --per-location-burst-per-10s "$burst" --max-body-bytes 65536 --log-format json)

# per_window LOG: for each location, requests answered 200 per full window from its first
# request (the last, partial window left out), averaged; prints "min median mean" over locations.
per_window() {
  grep '"status":200' "$1" | sed -n 's/.*"ts_ms":\([0-9]*\).*"location":"\([^"]*\)".*/\2 \1/p' |
    awk -v W="$window_ms" '
      { if (!($1 in t0)) t0[$1] = $2; k = int(($2 - t0[$1]) / W); n[$1 " " k]++; if (k > last[$1]) last[$1] = k }
      END {
        for (loc in t0) {
          s = 0; c = 0
          for (k = 0; k < last[loc]; k++) { s += n[loc " " k]; c++ }
          if (c) print s / c
        }
      }' | sort -n |
    awk '{ r[NR] = $1; sum += $1 } END { printf "%.2f %.2f %.2f\n", r[1], r[int((NR + 1) / 2)], sum / NR }'
}

# 1. Alone.
e2e_start_sim "$E2E_DIR/sim.json" --burst "$max" --window-ms "$window_ms" --threads "$threads"
TIMEFORMAT='%3R %3U %3S'
{ time gb fetch "${fetch_flags[@]}" ; } 2>"$E2E_DIR/time.alone"
assert_rc 0 "fetch alone"
read -r wall user sys <"$E2E_DIR/time.alone"
requests=$(e2e_sim_counter requests)
limited=$(e2e_sim_counter 429 | head -n 1)
limited=$(e2e_sim_stats | tr -d ' \n' | sed -n 's/.*"status_counts":{[^}]*"429":\([0-9]*\).*/\1/p')
read -r wmin wmed wmean < <(per_window "$SIM_REQUEST_LOG")
say "fetch bench: $locations locations, window ${window_ms} ms, X-RateLimit-Max $max, headroom $headroom (ceiling $ceiling per window), $leads leads each ($total)"
say "  alone: $requests requests in $wall s; per location per full window: mean $wmean, median $wmed, min $wmin of $ceiling -> ratio $(awk -v a="$wmean" -v c="$ceiling" 'BEGIN{printf "%.3f", a/c}') (min $(awk -v a="$wmin" -v c="$ceiling" 'BEGIN{printf "%.3f", a/c}')); 429s caused: ${limited:-0}"
ratio=$(awk -v a="$wmean" -v c="$ceiling" 'BEGIN{printf "%.3f", a/c}')
say "  target (issue 7): ratio >= 0.97 and no 429: $(awk -v r="$ratio" -v l="${limited:-0}" 'BEGIN{print (r >= 0.97 && l == 0) ? "met" : "MISSED"}')"
say "  cpu: fetch used $(awk -v u="$user" -v s="$sys" -v r="$requests" 'BEGIN{printf "%.3f", (u + s) * 1000 / r}') CPU s per 1,000 requests (user $user s, system $sys s)"
alone_wall=$wall

# 2. With the live application taking 30% of every window.
e2e_start_sim "$E2E_DIR/sim.json" --burst "$max" --window-ms "$window_ms" --threads "$threads" \
  --external-per-window "$live"
{ time gb fetch --refetch "${fetch_flags[@]}" ; } 2>"$E2E_DIR/time.live"
assert_rc 0 "fetch beside live traffic"
read -r lwall _ _ <"$E2E_DIR/time.live"
stats=$(e2e_sim_stats | tr -d ' \n')
lrequests=$(sed -n 's/^{"requests":\([0-9]*\).*/\1/p' <<<"$stats")
llimited=$(sed -n 's/.*"status_counts":{[^}]*"429":\([0-9]*\).*/\1/p' <<<"$stats")
worst=$(grep -o '"max_seen_in_window":[0-9]*' <<<"$stats" | cut -d: -f2 | sort -n | tail -n 1)
over=$(grep -o '"max_seen_in_window":[0-9]*' <<<"$stats" | cut -d: -f2 | awk -v m="$max" '$1 > m' | wc -l)
say "  live 30%: $lrequests requests in $lwall s; busiest window of any location $worst of $max (live share included); locations over $max: $over; 429s: ${llimited:-0} ($(awk -v a="${llimited:-0}" -v r="$lrequests" 'BEGIN{printf "%.3f", 100*a/r}')%)"

# 3. Baseline: the replaced script's pacing on the first locations, scaled (BASELINE_LOCATIONS=0:
# none).
if [[ $baseline_locations -eq 0 ]]; then
  assert_no_pii
  e2e_pass
  exit 0
fi
share=$(awk -v a="${llimited:-0}" -v r="$lrequests" 'BEGIN{printf "%.3f", 100*a/r}')
say "  target (issue 7): no location over $max in a window and under 0.5% answered 429: $(awk -v o="$over" -v s="$share" 'BEGIN{print (o == 0 && s < 0.5) ? "met" : "MISSED"}')"

e2e_start_sim "$E2E_DIR/sim.json" --burst "$max" --window-ms "$window_ms" --threads 16
worker() {  # worker I: locations I, I+3, ... of the first $baseline_locations, one lead at a time
  local l i
  for ((l = $1; l <= baseline_locations; l += 3)); do
    for ((i = 1; i <= leads; i++)); do
      curl -s -o /dev/null -X POST "$GHL_API_BASE/contacts/search" \
        -H "Authorization: Bearer bench-token-$(printf %04d "$l")-0001" -H "Version: 2021-07-28" \
        -H "Content-Type: application/json" \
        -d "{\"locationId\":\"benchloc$(printf %012d "$l")\",\"filters\":[{\"field\":\"email\",\"operator\":\"eq\",\"value\":\"p$i@c$l.example.com\"}]}"
      sleep 0.111
    done
  done
}
start=$(date +%s.%N)
workers=()
for w in 1 2 3; do
  worker "$w" &
  workers+=($!)
done
wait "${workers[@]}"  # not a bare wait: the simulator runs in the background too
bwall=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e - s}')
scaled=$(awk -v b="$bwall" -v n="$baseline_locations" -v L="$locations" 'BEGIN{printf "%.0f", b * L / n}')
assert_no_pii
say "  baseline (111 ms between requests, 3 locations at a time): $bwall s for $baseline_locations locations -> $scaled s for $locations; fetch took $alone_wall s: $(awk -v s="$scaled" -v w="$alone_wall" 'BEGIN{printf "%.1f", s / w}')x faster"
e2e_pass
