#!/usr/bin/env bash
# run --apply takes apply's wave selection (--field, --sample, --limit, --list-leads), as apply
# does, and refuses a bad one before extract starts, not after fetch has spent quota.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init run_wave
e2e_load_sql "$GHLB_SRC/data/demo/app.sql"
e2e_start_sim "$GHLB_SRC/data/demo/ghl-sim.json"

# 1. A typo in the selection: one line naming the fix, exit 2, and nothing ran.
gb run --apply --yes --field phne
assert_rc 2 "run --apply with an unknown field"
assert_contains "$GB_ERR" "did you mean phone"
assert_eq 1 "$(grep -c . "$GB_ERR")" "one line on stderr"
assert_eq 0 "$(e2e_sim_counter requests)" "no GHL request before the usage error"
[[ ! -e "$WORK_DB" ]] || e2e_fail "the usage error created the work DB"
gb run --apply --yes --sample 0
assert_rc 2 "run --apply --sample 0"
assert_contains "$GB_ERR" "--sample must be"

# 2. Up to the plan (the demo scripts a fault: fetch may need a second run).
for _ in 1 2 3; do
  gb run
  [[ $GB_RC -eq 3 ]] || break
done
assert_rc 0 "run up to the plan"
before=$(e2e_psql "SELECT count(*) FROM \"Lead\" WHERE \"phone\" IS NOT NULL")

# 3. One small wave of first names through run: at most 2 leads, only firstName (and the link).
gb run --apply --yes --field firstName --limit 2 --list-leads
assert_rc 0 "run --apply --field firstName --limit 2"
assert_eq 1 "$(e2e_sqlite 'SELECT count(*) FROM wave')" "one wave"
leads=$(e2e_sqlite "SELECT count(DISTINCT lead_id) FROM apply_log WHERE outcome = 'written'")
[[ $leads -ge 1 && $leads -le 2 ]] || e2e_fail "the wave wrote $leads leads, expected 1 or 2"
assert_eq 0 "$(e2e_sqlite "SELECT count(*) FROM apply_log WHERE field NOT IN ('firstName', 'ghlContactId')")" \
  "only firstName and the link were written"
assert_eq "$before" "$(e2e_psql "SELECT count(*) FROM \"Lead\" WHERE \"phone\" IS NOT NULL")" "no phone written"
# --list-leads printed exactly the leads of the wave.
listed=$(grep -cE '^  [0-9a-zA-Z_-]{8,}$' "$GB_OUT" || true)
assert_eq "$leads" "$listed" "--list-leads printed the wave's leads"

assert_no_pii
e2e_pass
