#!/usr/bin/env bash
# fetch --estimate (issue 7): without calling GHL, the requests, time and days the remaining work
# needs, per location and in total; the fetch that follows spends what it said, within 1%, on a
# fixture whose lookups cost one request each (GETs by contact id, and email searches whose
# payload carries every field the lead misses). `ghl-backfill run` prints it before fetching.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init quota_estimate

# a: 150 leads known by contact id; b: 120 email-only leads; c: 30 leads with nothing to look up.
{
  e2e_tenants_sql a:0 b:120 c:0
  echo "INSERT INTO \"Lead\"(id, \"clientId\", \"ghlContactId\", \"createdAt\", \"updatedAt\")
        SELECT 'lead-a-' || lpad(i::text, 3, '0'), 'client-a', 'cta' || lpad(i::text, 13, '0'), now(), now()
        FROM generate_series(1, 150) i;"
  echo "INSERT INTO \"Lead\"(id, \"clientId\", \"createdAt\", \"updatedAt\")
        SELECT 'lead-c-' || lpad(i::text, 3, '0'), 'client-c', now(), now() FROM generate_series(1, 30) i;"
} | e2e_load_sql -
echo "{\"locations\": [$(e2e_sim_location a 150), $(e2e_sim_location b 120), $(e2e_sim_location c 0)]}" >"$E2E_DIR/sim.json"
e2e_start_sim "$E2E_DIR/sim.json" --window-ms 1000

gb extract; assert_rc 0 "extract"
gb fetch --estimate
assert_rc 0 "fetch --estimate"
assert_eq 0 "$(e2e_sim_counter requests)" "--estimate calls nothing"
assert_contains "$GB_OUT" "Fetch estimate"
total=$(awk '$1 == "TOTAL" {print $3}' "$GB_OUT")
a_req=$(awk '$1 == "client-a" {print $3}' "$GB_OUT")
c_req=$(awk '$1 == "client-c" {print $3}' "$GB_OUT")
a_secs=$(awk '$1 == "client-a" {print $5}' "$GB_OUT")
days=$(awk '$1 == "TOTAL" {print $6}' "$GB_OUT")
assert_eq 150 "$a_req" "A: one GET per lead"
assert_eq 0 "$c_req" "C: nothing to look up"
assert_eq 17 "$a_secs" "A: 150 requests at 90 per 10 s (min(burst 90, 100 - headroom 10))"
assert_eq 1 "$days" "one day"
assert_eq 0 "$(e2e_sqlite "SELECT count(*) FROM stage_run WHERE stage = 'fetch'")" "--estimate records no run"

gb fetch; assert_rc 0 "fetch"
spent=$(e2e_sim_counter requests)
diff=$((spent > total ? spent - total : total - spent))
[[ $((diff * 100)) -le $total ]] || e2e_fail "estimate $total requests, the run spent $spent (over 1% apart)"

# A daily budget that forces more days: with 60,000 of GHL's 200,000 kept, and today's count
# in the work DB at 60,100, A's 150 requests need today's 100 and one more day.
e2e_sqlite "UPDATE quota_daily SET daily_remaining = 60100 WHERE client_id = 'client-a'"
gb fetch --estimate --refetch --daily-reserve 60000
assert_eq 2 "$(awk '$1 == "client-a" {print $6}' "$GB_OUT")" "A: two days"

# run prints the estimate before fetching.
gb run --refetch
assert_contains "$GB_OUT" "Fetch estimate"
assert_no_pii
e2e_pass
