#!/usr/bin/env bash
# extract is keyset-paged, capped by --max-leads, and re-runnable: a re-run refreshes leads not yet
# applied, adds new ones, marks the ones no longer eligible, keeps applied ones as they were, and
# never duplicates a lead; fetch then looks up only what changed.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init extract_refresh
e2e_load_sql "$GHLB_SRC/tests/e2e/data/guards.sql"
e2e_start_sim "$GHLB_SRC/tests/e2e/data/guards-sim.json"
snapshot='SELECT id, coalesce(email, "-"), coalesce(phone, "-"), eligible FROM lead ORDER BY id'

# Keyset pages of 2 and of 1000 give the same snapshot.
gb extract --page-size 2; assert_rc 0 "extract in pages of 2"
small=$(e2e_sqlite "$snapshot")
WORK_DB="$E2E_DIR/big.db" gb extract --page-size 1000; assert_rc 0 "extract in one page"
assert_eq "$small" "$(WORK_DB="$E2E_DIR/big.db" e2e_sqlite "$snapshot")" "page size does not change the snapshot"
assert_eq 6 "$(e2e_sqlite 'SELECT count(*) FROM lead')" "six eligible leads"

# --max-leads caps the snapshot (the first leads by id).
WORK_DB="$E2E_DIR/capped.db" gb extract --max-leads 3 --page-size 2; assert_rc 0 "capped extract"
assert_contains "$GB_OUT" "stopped at --max-leads"
assert_eq "lead-gone lead-nn lead-ok" "$(WORK_DB="$E2E_DIR/capped.db" e2e_sqlite 'SELECT id FROM lead ORDER BY id' | tr '\n' ' ' | sed 's/ $//')" "the first three leads"

gb fetch; assert_rc 0 "fetch"
requests=$(e2e_sim_counter requests)

# The application changes: lead-ok's email, a new lead, lead-nn completed and linked elsewhere.
e2e_psql "UPDATE \"Lead\" SET email = 'changed@example.com' WHERE id = 'lead-ok'" >/dev/null
e2e_psql "INSERT INTO \"Lead\"(id, \"clientId\", email, \"createdAt\", \"updatedAt\") VALUES ('lead-new', 'client-g', 'race@example.com', now(), now())" >/dev/null
e2e_psql "UPDATE \"Lead\" SET phone = '+15550000002', \"ghlContactId\" = 'cNotNeeded000001' WHERE id = 'lead-nn'" >/dev/null
gb extract; assert_rc 0 "re-extract"
assert_contains "$GB_OUT" "1 new, 5 refreshed"
assert_contains "$GB_OUT" "1 no longer eligible"
assert_eq "changed@example.com" "$(e2e_sqlite "SELECT email FROM lead WHERE id = 'lead-ok'")" "refreshed value"
assert_eq 0 "$(e2e_sqlite "SELECT eligible FROM lead WHERE id = 'lead-nn'")" "lead-nn no longer eligible"
assert_eq 7 "$(e2e_sqlite 'SELECT count(*) FROM lead')" "no duplicate"

# fetch looks up only the changed lead and the new one: a search each, and a GET each since
# their contacts' search payloads lack a field the lead is missing.
gb fetch; assert_rc 0 "fetch after re-extract"
assert_eq $((requests + 4)) "$(e2e_sim_counter requests)" "only the changed and the new lead are fetched"
gb plan; assert_rc 0 "plan"
assert_eq "cNewEmail0000001" "$(e2e_sqlite "SELECT contact_id FROM plan_lead WHERE lead_id = 'lead-ok'")" "lead-ok found by its new email"
assert_eq "" "$(e2e_sqlite "SELECT lead_id FROM plan_lead WHERE lead_id = 'lead-nn'")" "a lead no longer eligible is not planned"
# lead-new and lead-race want the same contact: the smaller id wins.
assert_eq "lead-new|fill lead-race|conflict" \
  "$(e2e_sqlite "SELECT lead_id || '|' || status FROM plan_lead WHERE lead_id IN ('lead-new','lead-race') ORDER BY lead_id" | tr '\n' ' ' | sed 's/ $//')" \
  "same contact: smallest id wins"

# Applied leads keep their snapshot on a re-extract.
gb apply --yes; assert_rc 0 "apply"
before=$(e2e_sqlite "SELECT coalesce(phone, '-') FROM lead WHERE id = 'lead-ok'")
gb extract; assert_rc 0 "re-extract after apply"
assert_contains "$GB_OUT" "already applied, kept"
assert_eq "$before" "$(e2e_sqlite "SELECT coalesce(phone, '-') FROM lead WHERE id = 'lead-ok'")" "applied lead's snapshot kept"
# The re-extract saw our own links: the plan is older than its inputs, apply refuses it.
gb apply --yes; assert_rc 1 "apply of a plan older than the re-extract"
assert_contains "$GB_ERR" "the plan is older than its inputs: run plan again"
gb plan; assert_rc 0 "plan after the re-extract"
assert_eq "applied" "$(e2e_sqlite "SELECT status FROM plan_lead WHERE lead_id = 'lead-new'")" \
  "a lead linked by our apply is not a conflict with itself"
gb apply --yes; assert_rc 0 "apply again"
assert_contains "$GB_OUT" "nothing to write"
assert_no_pii
e2e_pass
