#!/usr/bin/env bash
# fetch against GHL's limits over real HTTP: every location served at once without ever passing
# its burst window; a quota shared with outside traffic honored through the rate-limit headers
# and 429s; a bad token stopping only its own location; the daily limit pausing a location.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init fetch_limits

# Two participating tenants with 45 email-only leads each, every one with a GHL contact, and a
# third whose token GHL does not know.
n=45
{
  echo "INSERT INTO \"Client\"(id, name, \"ghlLocationId\", \"ghlPrivateKey\", \"userId\", \"createdAt\", \"updatedAt\") VALUES
    ('client-a', 'A', 'locAAAAAAAAAAAA01', 'token-a-secret-0001', 'u', now(), now()),
    ('client-b', 'B', 'locBBBBBBBBBBBB01', 'token-b-secret-0001', 'u', now(), now()),
    ('client-x', 'X', 'locXXXXXXXXXXXX01', 'token-x-revoked-001', 'u', now(), now());"
  for c in a b x; do
    echo "INSERT INTO \"Lead\"(id, \"clientId\", email, \"createdAt\", \"updatedAt\")
          SELECT 'lead-$c-' || lpad(i::text, 3, '0'), 'client-$c', 'person' || i || '@$c.example.com', now(), now()
          FROM generate_series(1, $n) i;"
  done
} | e2e_load_sql -
sim_data() {  # sim_data FILE [token of location x]
  {
    echo '{"locations": ['
    for c in a b x; do
      local up=${c^^}
      local token="token-$c-secret-0001"
      echo "{\"id\": \"loc${up}${up}${up}${up}${up}${up}${up}${up}${up}${up}${up}${up}01\", \"token\": \"$token\", \"contacts\": ["
      for ((i = 1; i <= n; i++)); do
        printf '{"id": "ct%s%013d", "email": "person%d@%s.example.com", "phone": "+1 415 555 %04d", "firstName": "F", "lastName": "L", "companyName": "C"}%s\n' \
          "$c" "$i" "$i" "$c" "$i" "$([[ $i -lt $n ]] && echo ,)"
      done
      echo "]}$([[ $c != x ]] && echo ,)"
    done
    echo ']}'
  } >"$1"
}
sim_data "$E2E_DIR/sim.json"

# 1. Burst window: 30 per 10 s per location, both locations at once; GHL never answers 429.
# (GHL is played with a 30-slot window here: no headroom, all of it ours.)
e2e_start_sim "$E2E_DIR/sim.json" --burst 30
gb extract; assert_rc 0 "extract"
gb fetch --client-id client-a --client-id client-b --per-location-burst-per-10s 30 --headroom 0 --concurrency 8
assert_rc 0 "fetch under the burst window"
assert_eq 0 "$(e2e_sim_counter rate_limited locAAAAAAAAAAAA01)" "no 429 for location A"
assert_eq 0 "$(e2e_sim_counter rate_limited locBBBBBBBBBBBB01)" "no 429 for location B"
max_a=$(e2e_sim_counter max_in_window locAAAAAAAAAAAA01)
[[ $max_a -le 30 && $max_a -ge 25 ]] || e2e_fail "location A used $max_a of 30 slots in its busiest window"
assert_eq $((2 * n)) "$(e2e_sqlite "SELECT count(*) FROM fetch_result WHERE outcome = 'found'")" "all found"
# Both locations were served at once: B's first request came before A's last one.
first_b=$(grep -n -m 1 'locBBBB' "$SIM_REQUEST_LOG" | cut -d: -f1)
last_a=$(grep -n 'locAAAA' "$SIM_REQUEST_LOG" | tail -n 1 | cut -d: -f1)
[[ $first_b -lt $last_a ]] || e2e_fail "locations were served one after the other"

# 2. A revoked token: its location stops at once with auth_failed; the others are unaffected.
e2e_load_sql - <<<"UPDATE \"Client\" SET \"ghlPrivateKey\" = 'token-x-wrong-0001' WHERE id = 'client-x'"
gb fetch --client-id client-x --concurrency 4
# Every location of this run failed authentication: no re-run can fix that, so exit 1.
assert_rc 1 "fetch with a revoked token, the run's only location"
assert_contains "$GB_ERR" "no location could be authenticated"
assert_eq "$n" "$(e2e_sqlite "SELECT count(*) FROM fetch_result WHERE outcome = 'auth_failed'")" "every lead of X auth_failed"
x_requests=$(grep -c '"status":401' "$SIM_REQUEST_LOG" || true)
[[ $x_requests -le 4 ]] || e2e_fail "$x_requests requests after the location's token was refused"
assert_not_contains "$GB_ERR" "token-x-wrong-0001"

# 3. A quota shared with the application's own traffic: 80 of every 100 slots are taken by
# others, 10 more are left as headroom; fetch must follow the headers and 429s and still finish
# (2-s windows: 10 of ours in each).
e2e_start_sim "$E2E_DIR/sim.json" --burst 100 --external-per-window 80 --window-ms 2000
e2e_load_sql - <<<"UPDATE \"Client\" SET \"ghlPrivateKey\" = 'token-x-secret-0001' WHERE id = 'client-x'"
gb fetch --client-id client-x --per-location-burst-per-10s 90 --max-retries 8
assert_rc 0 "fetch with a shared quota"
assert_eq "$n" "$(e2e_sqlite "SELECT count(*) FROM fetch_result WHERE outcome = 'found' AND lead_id LIKE 'lead-x-%'")" "X found once its token is fixed"
limited=$(e2e_sim_counter rate_limited locXXXXXXXXXXXX01)
[[ $limited -le 10 ]] || e2e_fail "$limited 429s: fetch did not follow X-RateLimit-Remaining"

# 4. The daily limit: the location pauses with daily_limit; a later run finishes.
e2e_start_sim "$E2E_DIR/sim.json" --daily 10
gb fetch --refetch --client-id client-a --daily-reserve 0
assert_rc 3 "fetch past the daily limit ends retryable"
assert_eq 10 "$(e2e_sqlite "SELECT count(*) FROM fetch_result WHERE lead_id LIKE 'lead-a-%' AND outcome = 'found' AND fetch_run = (SELECT max(id) FROM stage_run WHERE stage = 'fetch')")" \
  "10 leads fetched before the daily limit"
assert_eq $((n - 10)) "$(e2e_sqlite "SELECT count(*) FROM fetch_result WHERE lead_id LIKE 'lead-a-%' AND outcome = 'daily_limit'")" "the rest paused"
assert_contains "$GB_ERR" "daily"
e2e_start_sim "$E2E_DIR/sim.json"
# The next day: the daily count kept in the work DB belongs to an earlier UTC day.
e2e_sqlite "UPDATE quota_daily SET utc_day = '2000-01-01'"
gb fetch --client-id client-a; assert_rc 0 "the next day's run finishes"
assert_eq "$n" "$(e2e_sqlite "SELECT count(*) FROM fetch_result WHERE lead_id LIKE 'lead-a-%' AND outcome = 'found'")" "A complete"
assert_no_pii
e2e_pass
