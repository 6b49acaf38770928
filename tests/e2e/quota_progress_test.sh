#!/usr/bin/env bash
# fetch's progress (issue 7): on a terminal (a pseudo-terminal from script(1)) one live line
# rewritten in place with done/total, %, req/s against the ceiling, 429s, paused locations and
# ETA; a resumed fetch first says how much was already done and its summary counts the whole
# stage; with --log-format json "progress" records; off a terminal no live line; nothing with
# --quiet.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init quota_progress
command -v script >/dev/null || e2e_fail "script(1) not found (package bsdutils)"

n=30
e2e_tenants_sql a:$n | e2e_load_sql -
echo "{\"locations\": [$(e2e_sim_location a $n)]}" >"$E2E_DIR/sim.json"
e2e_start_sim "$E2E_DIR/sim.json"
gb extract; assert_rc 0 "extract"

# A first run stopped after 10 requests, so that the next one resumes.
gb fetch --max-requests 10; assert_rc 3 "capped fetch"

# On a pseudo-terminal: the resumed fetch, 20 leads at 10 per second.
script -qec "'$GHLB_BIN/ghl-backfill' fetch --work-db '$WORK_DB' --per-location-rps 10" /dev/null \
  >"$E2E_DIR/tty.out" 2>&1 </dev/null || e2e_fail "fetch on a terminal: exit $?"
cat "$E2E_DIR/tty.out" >>"$E2E_DIR/all-output.log"
tty=$(cat "$E2E_DIR/tty.out")
assert_contains "$E2E_DIR/tty.out" "fetch_resumed already_done=10 stage_total=$n to_fetch=20"
[[ $tty == *$'\r'*"/$n ("*"%)  "*" req/s of "*"  429s 0  paused 0  ETA "* ]] || e2e_fail "no live progress line on the terminal"
[[ $(grep -c . "$E2E_DIR/tty.out") -le 4 ]] || e2e_fail "the live line was not rewritten in place"
assert_contains "$E2E_DIR/tty.out" "fetch_summary stage_done=$n stage_total=$n total=20"

# Off a terminal: no live line; JSON: progress records with the same fields.
gb fetch --refetch --per-location-rps 5 --log-format json; assert_rc 0 "fetch, JSON log"
[[ $(grep -c '"event":"progress"' "$GB_ERR") -ge 1 ]] || e2e_fail "no JSON progress record"
grep '"event":"progress"' "$GB_ERR" | head -n 1 | grep -q '"done":[0-9]*,"total":30,"requests":[0-9]*,"req_per_s":[0-9.]*,"ceiling_per_s":[0-9.]*,"rate_limited":0,"paused":0,"eta_s":' \
  || e2e_fail "a JSON progress record lacks a field"
if grep -q $'\r' "$GB_ERR"; then e2e_fail "a live line off a terminal"; fi

# --quiet: nothing at all, even on a terminal.
script -qec "'$GHLB_BIN/ghl-backfill' fetch --refetch --quiet --work-db '$WORK_DB'" /dev/null \
  >"$E2E_DIR/quiet.out" 2>&1 </dev/null || e2e_fail "quiet fetch: exit $?"
assert_eq 0 "$(wc -c <"$E2E_DIR/quiet.out")" "nothing shown with --quiet"
assert_no_pii
e2e_pass
