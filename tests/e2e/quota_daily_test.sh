#!/usr/bin/env bash
# fetch keeps --daily-reserve of each location's daily quota unspent (issue 7): a location that
# reaches it is paused and reported with the time it can resume while the others go on (exit 3),
# and a fetch restarted the same UTC day spends nothing more: the work DB remembers GHL's count.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init quota_daily

e2e_tenants_sql a:50 b:10 | e2e_load_sql -
echo "{\"locations\": [$(e2e_sim_location a 50), $(e2e_sim_location b 10)]}" >"$E2E_DIR/sim.json"
gb extract; assert_rc 0 "extract"

# GHL's day holds 60 requests per location; 30 of them are the reserve.
e2e_start_sim "$E2E_DIR/sim.json" --daily 60
gb fetch --daily-reserve 30 --concurrency 8
assert_rc 3 "a location at its reserve ends the run retryable"
# Requests in flight may be counted in any order: fetch keeps a floor of what is left (GHL's
# count less the requests in flight), so it may stop up to 8 requests (--concurrency) short of
# the reserve, never past it.
spent=$(e2e_sim_counter requests "$(e2e_loc a)")
[[ $spent -le 30 && $spent -ge 22 ]] || e2e_fail "A spent $spent of its 60 with a reserve of 30"
assert_eq "$spent" "$(e2e_sqlite "SELECT count(*) FROM fetch_result WHERE outcome = 'found' AND lead_id LIKE 'lead-a-%'")" "A: one lead found per request"
assert_eq $((50 - spent)) "$(e2e_sqlite "SELECT count(*) FROM fetch_result WHERE outcome = 'daily_limit' AND lead_id LIKE 'lead-a-%'")" "A: the rest paused"
assert_eq 10 "$(e2e_sqlite "SELECT count(*) FROM fetch_result WHERE outcome = 'found' AND lead_id LIKE 'lead-b-%'")" "B went on"
assert_contains "$GB_ERR" "location_paused client_id=client-a daily_remaining="
assert_contains "$GB_ERR" "daily_reserve=30 resumes_at=20"
kept=$(e2e_sqlite "SELECT daily_remaining FROM quota_daily WHERE client_id = 'client-a'")
[[ $kept -le 30 && $kept -le $((60 - spent)) ]] || e2e_fail "the work DB kept $kept left for A (GHL: $((60 - spent)))"

# A restart the same day: not one request more for A.
gb fetch --daily-reserve 30
assert_rc 3 "restart the same day"
assert_eq "$spent" "$(e2e_sim_counter requests "$(e2e_loc a)")" "the restarted fetch spent nothing of A's reserve"
assert_contains "$GB_ERR" "location_paused client_id=client-a"

# The same with a kill -9 in the middle of the day's spending: GHL's first answer corrects what
# the work DB missed, and the reserve still holds.
e2e_start_sim "$E2E_DIR/sim.json" --daily 60
e2e_sqlite "DELETE FROM quota_daily"
"$GHLB_BIN/ghl-backfill" fetch --refetch --client-id client-a --daily-reserve 30 --per-location-rps 10 --work-db "$WORK_DB" \
  >"$E2E_DIR/killed.out" 2>&1 &
pid=$!
for _ in $(seq 600); do
  [[ $(e2e_sim_counter requests) -ge 10 ]] && break
  sleep 0.02
done
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
cat "$E2E_DIR/killed.out" >>"$E2E_DIR/all-output.log"
before=$(e2e_sim_counter requests "$(e2e_loc a)")
[[ $before -ge 10 && $before -lt 30 ]] || e2e_fail "fetch was not killed midway ($before requests)"
gb fetch --refetch --client-id client-a --daily-reserve 30
gb fetch --refetch --client-id client-a --daily-reserve 30
assert_rc 3 "the reserve reached after a kill -9"
requests=$(e2e_sim_counter requests "$(e2e_loc a)")
[[ $requests -le 30 ]] || e2e_fail "A spent $requests of its 60 after a kill -9 (reserve 30)"
assert_no_pii
e2e_pass
