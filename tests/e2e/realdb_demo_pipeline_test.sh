#!/usr/bin/env bash
# The demo through every stage on the application's real table shape (schema/app_db_real.sql: 80
# columns, 42 indexes, foreign keys): the same final values as on the small schema
# (data/demo/expected.tsv), and no other row touched.
source "$GHLB_SRC/tests/e2e/lib.sh"
source "$GHLB_SRC/tests/e2e/realdb_lib.sh"
e2e_init realdb_demo_pipeline
realdb_load_demo
e2e_start_sim "$GHLB_SRC/data/demo/ghl-sim.json"
realdb_run_pipeline
e2e_check_demo_result
gb apply --yes; assert_rc 0 "apply again"
assert_contains "$GB_OUT" "nothing to write"
assert_no_pii
e2e_pass
