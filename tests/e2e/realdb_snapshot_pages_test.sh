#!/usr/bin/env bash
# extract --snapshot pages (issue 12) on the real table shape: one short transaction per tenant
# gives the same snapshot as one REPEATABLE READ snapshot, and the demo through every stage ends
# with the same final table (data/demo/expected.tsv).
source "$GHLB_SRC/tests/e2e/lib.sh"
source "$GHLB_SRC/tests/e2e/realdb_lib.sh"
e2e_init realdb_snapshot_pages
realdb_load_demo
e2e_start_sim "$GHLB_SRC/data/demo/ghl-sim.json"
snapshot='SELECT * FROM lead ORDER BY id'
WORK_DB="$E2E_DIR/whole.db" gb extract --snapshot whole --page-size 7; assert_rc 0 "extract, one snapshot"
export GHL_BACKFILL_SNAPSHOT=pages   # every extract below, realdb_run_pipeline's too
gb extract --page-size 3; assert_rc 0 "extract, a transaction per tenant"
assert_eq "$(WORK_DB="$E2E_DIR/whole.db" e2e_sqlite "SELECT * FROM linked_contact ORDER BY 1")" \
  "$(e2e_sqlite "SELECT * FROM linked_contact ORDER BY 1")" "the same linked contacts"
assert_eq "$(WORK_DB="$E2E_DIR/whole.db" e2e_sqlite "${snapshot/\*/id, client_id, location_id, ghl_contact_id, email, phone, first_name, last_name, company_name, enrichment_status, eligible}")" \
  "$(e2e_sqlite "${snapshot/\*/id, client_id, location_id, ghl_contact_id, email, phone, first_name, last_name, company_name, enrichment_status, eligible}")" \
  "pages give the snapshot one transaction gives"
assert_eq pages "$(e2e_sqlite "SELECT json_extract(options, '$.snapshot') FROM stage_run WHERE stage = 'extract' ORDER BY id DESC LIMIT 1")" "pages recorded"
realdb_run_pipeline
e2e_check_demo_result
assert_no_pii
e2e_pass
