#!/usr/bin/env bash
# Issue 11: leads recorded not_found are looked up again only once their result is older than
# --recheck-not-found-after (their contact may have been created in GHL since), never on every
# run. The demo is fetched; then the contact of one not-found lead is created in the simulator;
# a fetch before the age (and one with 0 = never) sends no request; a fetch after the age looks
# up exactly the not-found leads again and finds that one.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init fetch_recheck_not_found
e2e_load_sql "$GHLB_SRC/data/demo/app.sql"
e2e_start_sim "$GHLB_SRC/data/demo/ghl-sim.json"
WORK_DB="$E2E_DIR/work.db"
lead=1a4e0b43-1008-4e53-a8f3-76cc73428e0d  # search_not_found in data/demo/expected.tsv

gb extract; assert_rc 0 "extract"
e2e_fetch_settled "fetch ends with nothing retryable"
assert_eq not_found "$(e2e_sqlite "SELECT outcome FROM fetch_result WHERE lead_id = '$lead'")" "the lead is not found"
not_found=$(e2e_sqlite "SELECT lead_id FROM fetch_result WHERE outcome = 'not_found' ORDER BY lead_id")
[[ -n "$not_found" ]] || e2e_fail "no not_found lead: the test proves nothing"

# The lead's contact is created in GHL (a simulator whose data holds it; no faults this time).
location=$(e2e_psql "SELECT c.\"ghlLocationId\" FROM \"Client\" c JOIN \"Lead\" l ON l.\"clientId\" = c.id WHERE l.id = '$lead'")
email=$(e2e_psql "SELECT email FROM \"Lead\" WHERE id = '$lead'")
jq --arg loc "$location" --arg email "$email" '.faults = [] | (.locations[] | select(.id == $loc) | .contacts) +=
    [{"id": "RecheckCreated000001", "email": $email, "phone": "+12125550177", "firstName": "Zofia",
      "lastName": "Nakamura", "dateAdded": "2026-11-29T09:00:00.000Z"}]' \
  "$GHLB_SRC/data/demo/ghl-sim.json" >"$E2E_DIR/sim-created.json"
e2e_start_sim "$E2E_DIR/sim-created.json"

# Before the age (the default, 7d): nothing to do, no request.
gb fetch; assert_rc 0 "fetch before the age"
assert_eq 0 "$(e2e_sim_counter requests)" "no request before the age"
gb fetch --recheck-not-found-after 1h; assert_rc 0 "fetch with an age of 1h"
assert_eq 0 "$(e2e_sim_counter requests)" "no request before an age of 1h"
gb fetch --recheck-not-found-after 0; assert_rc 0 "fetch with 0 (never)"
assert_eq 0 "$(e2e_sim_counter requests)" "no request with --recheck-not-found-after 0"
assert_eq not_found "$(e2e_sqlite "SELECT outcome FROM fetch_result WHERE lead_id = '$lead'")" "still not_found"

# After the age: the not-found leads, and only they, are looked up again; the created one is found.
sleep 2
gb fetch --recheck-not-found-after 1s; assert_rc 0 "fetch after the age"
[[ $(e2e_sim_counter requests) -gt 0 ]] || e2e_fail "no request after the age"
assert_eq found "$(e2e_sqlite "SELECT outcome FROM fetch_result WHERE lead_id = '$lead'")" "the created contact is found"
assert_eq RecheckCreated000001 \
  "$(e2e_sqlite "SELECT json_extract(search_body, '\$.contacts[0].id') FROM fetch_result WHERE lead_id = '$lead'")" \
  "its search answer holds the created contact"
last=$(e2e_sqlite "SELECT max(fetch_run) FROM fetch_result")
assert_eq "$not_found" "$(e2e_sqlite "SELECT lead_id FROM fetch_result WHERE fetch_run = $last ORDER BY lead_id")" \
  "exactly the not_found leads were looked up again"
# Bad input: one clear line, non-zero exit.
gb fetch --recheck-not-found-after 7x
[[ $GB_RC -ne 0 ]] || e2e_fail "--recheck-not-found-after 7x was accepted"
assert_contains "$GB_ERR" "recheck-not-found-after"
assert_no_pii
e2e_pass
