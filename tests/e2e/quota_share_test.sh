#!/usr/bin/env bash
# fetch shares each location's quota with the live application (issue 7), over real HTTP with
# short windows: with 30% of every window taken by live traffic no window ever holds more than
# GHL's 100 requests (the simulator counts every arrival, rejected ones and the live share
# included); a fetch killed with -9 and restarted at once does not burst into the window its
# predecessor filled; a 429 storm slows only the stormed location; a 401 location stops while
# the others complete.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init quota_share

# Tenants a, b, c: N email-only leads each, every one with a GHL contact; s: the stormed one
# (S leads); x: a token GHL does not know.
n=300
s=10
declare -A count=([a]=$n [b]=$n [c]=$n [s]=$s [x]=20)
e2e_tenants_sql a:$n b:$n c:$n s:$s x:20 | e2e_load_sql -
{
  echo "{\"locations\": [$(e2e_sim_location a $n), $(e2e_sim_location b $n), $(e2e_sim_location c $n),"
  echo "$(e2e_sim_location s $s), $(e2e_sim_location x 20 token-x-known-to-ghl-01)"
  echo '], "faults": ['
  for i in 1 2 3 4; do
    echo "{\"email\": \"person$i@s.example.com\", \"responses\": [\"429\", \"429\"]}$([[ $i -lt 4 ]] && echo ,)"
  done
  echo ']}'
} >"$E2E_DIR/sim.json"
gb extract; assert_rc 0 "extract"

# 1. 30% live traffic, 1-s windows: never more than 100 in a window, no 429, everything found.
e2e_start_sim "$E2E_DIR/sim.json" --burst 100 --window-ms 1000 --external-per-window 30 --threads 300
gb fetch --client-id client-a --client-id client-b --client-id client-c --concurrency 256 --max-body-bytes 1048576
assert_rc 0 "fetch beside 30% live traffic"
for c in a b c; do
  seen=$(e2e_sim_counter max_seen_in_window "$(e2e_loc $c)")
  [[ $seen -le 100 ]] || e2e_fail "location $c: $seen requests in one window (GHL allows 100)"
  # Our share (100 - 30 - 10 of headroom) is used, not wasted.
  [[ $seen -ge 85 ]] || e2e_fail "location $c: busiest window held only $seen requests"
  assert_eq 0 "$(e2e_sim_counter rate_limited "$(e2e_loc $c)")" "no 429 for location $c"
done
assert_eq $((3 * n)) "$(e2e_sqlite "SELECT count(*) FROM fetch_result WHERE outcome = 'found'")" "all found"

# 2. kill -9 once the first window is spent, restart at once: the new process must not burst
# into the window its predecessor filled (3-s windows, no live traffic, 90 of 100 ours).
e2e_start_sim "$E2E_DIR/sim.json" --burst 100 --window-ms 3000 --threads 300
"$GHLB_BIN/ghl-backfill" fetch --refetch --client-id client-a --concurrency 256 --max-body-bytes 1048576 --work-db "$WORK_DB" >"$E2E_DIR/killed.out" 2>&1 &
pid=$!
for _ in $(seq 600); do
  [[ $(e2e_sim_counter requests) -ge 60 ]] && break
  sleep 0.02
done
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
cat "$E2E_DIR/killed.out" >>"$E2E_DIR/all-output.log"
before=$(e2e_sim_counter requests)
[[ $before -ge 60 && $before -lt $n ]] || e2e_fail "fetch was not killed midway ($before requests)"
for _ in 1 2 3; do
  gb fetch --client-id client-a --concurrency 256 --max-body-bytes 1048576
  [[ $GB_RC -eq 3 ]] || break
done
assert_rc 0 "fetch restarted after kill -9"
seen=$(e2e_sim_counter max_seen_in_window "$(e2e_loc a)")
[[ $seen -le 100 ]] || e2e_fail "after the restart, $seen requests in one window (GHL allows 100)"
assert_eq 0 "$(e2e_sim_counter rate_limited "$(e2e_loc a)")" "no 429 after the restart"

# 3. A 429 storm on S and a 401 on X: only S slows down, X stops, A and B complete.
e2e_start_sim "$E2E_DIR/sim.json" --burst 100 --window-ms 1000
gb fetch --refetch --client-id client-a --client-id client-b --client-id client-s --client-id client-x
assert_rc 3 "fetch with a stopped location ends retryable"
assert_eq 20 "$(e2e_sqlite "SELECT count(*) FROM fetch_result WHERE outcome = 'auth_failed' AND lead_id LIKE 'lead-x-%'")" "X stopped: auth_failed"
x_requests=$(e2e_sim_counter requests "$(e2e_loc x)")
[[ $x_requests -le 1 ]] || e2e_fail "$x_requests requests with X's refused token (one answer is enough)"
for c in a b s; do
  assert_eq "${count[$c]}" "$(e2e_sqlite "SELECT count(*) FROM fetch_result WHERE outcome = 'found' AND lead_id LIKE 'lead-$c-%'")" "$c complete"
done
assert_eq 8 "$(e2e_sim_counter faults_injected)" "every scripted 429 sent once: no request of S's pause wasted"
assert_eq "$((s + 8))" "$(e2e_sim_counter requests "$(e2e_loc s)")" "S: one request per lead plus one per 429"
for c in a b; do
  assert_eq "$n" "$(e2e_sim_counter requests "$(e2e_loc $c)")" "$c: one request per lead"
done
# S paused at least a second after each 429 (Retry-After: 1; its first lead alone meets two in
# a row, as probes); A and B did not wait for it: their last requests came before S's last.
s_ts=$(grep "$(e2e_loc s)" "$SIM_REQUEST_LOG" | grep -o '"ts_ms":[0-9]*' | cut -d: -f2)
s_span=$(($(tail -n 1 <<<"$s_ts") - $(head -n 1 <<<"$s_ts")))
[[ $s_span -ge 2000 ]] || e2e_fail "S was not slowed by its 429s (its requests spanned $s_span ms)"
s_last=$(grep -n "$(e2e_loc s)" "$SIM_REQUEST_LOG" | tail -n 1 | cut -d: -f1)
for c in a b; do
  last=$(grep -n "$(e2e_loc $c)" "$SIM_REQUEST_LOG" | tail -n 1 | cut -d: -f1)
  [[ $last -lt $s_last ]] || e2e_fail "location $c waited for the stormed location"
done
assert_not_contains "$GB_ERR" "token-"
assert_no_pii
e2e_pass
