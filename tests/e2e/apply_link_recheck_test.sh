#!/usr/bin/env bash
# Regression: apply's link re-check. A lead planned to be linked whose "ghlContactId" the
# application set meanwhile (to another contact) keeps that id, and nothing of the planned
# contact is written into it (fill only; no field from a contact it cannot be linked to). The
# mutation `apply-link-no-recheck` of tests/mutants/mutations.txt let every other test pass.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init apply_link_recheck
e2e_load_sql "$GHLB_SRC/tests/e2e/data/guards.sql"
e2e_start_sim "$GHLB_SRC/tests/e2e/data/guards-sim.json"

gb extract; assert_rc 0 "extract"
gb fetch; assert_rc 0 "fetch"
gb plan; assert_rc 0 "plan"
assert_eq "cOkOkOkOkOk000001" "$(e2e_sqlite "SELECT new_value FROM plan_item WHERE lead_id = 'lead-ok' AND field = 'ghlContactId'")" \
  "planned link"

# The application links lead-ok to another contact after the plan was made.
e2e_psql "UPDATE \"Lead\" SET \"ghlContactId\" = 'cMeanwhile000001' WHERE id = 'lead-ok'" >/dev/null
before=$(e2e_psql "SELECT md5(ROW(l.*)::text) FROM \"Lead\" l WHERE id = 'lead-ok'")

gb apply --yes; assert_rc 0 "apply"
assert_eq "cMeanwhile000001" "$(e2e_psql "SELECT \"ghlContactId\" FROM \"Lead\" WHERE id = 'lead-ok'")" "the new link is kept"
assert_eq "$before" "$(e2e_psql "SELECT md5(ROW(l.*)::text) FROM \"Lead\" l WHERE id = 'lead-ok'")" "lead-ok untouched"
assert_eq "0" "$(e2e_sqlite "SELECT count(*) FROM apply_log WHERE lead_id = 'lead-ok' AND outcome = 'written'")" \
  "nothing of lead-ok recorded written"
assert_eq "conflict" "$(e2e_sqlite "SELECT CASE WHEN outcome IN ('conflict', 'stale') THEN 'conflict' ELSE outcome END
                                    FROM apply_log WHERE lead_id = 'lead-ok' AND field = 'ghlContactId'")" \
  "the link is reported (conflict or stale), not written"
# The other leads are unaffected: lead-stale still gets its link.
assert_eq "cStaleStale00001" "$(e2e_psql "SELECT \"ghlContactId\" FROM \"Lead\" WHERE id = 'lead-stale'")" "lead-stale linked"
assert_no_pii
e2e_pass
