#!/usr/bin/env bash
# Machine-readable output: `status --json` and `plan --json` print exactly one JSON document on
# stdout, with "schema_version": 1 and the shape documented in status.h and review_json.h, whose
# numbers agree with the work DB. Parsed with jq (tools/install-deps test installs it).
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init cli_json
command -v jq >/dev/null || e2e_fail "jq not found: install the Debian package jq (tools/install-deps test)"
e2e_load_sql "$GHLB_SRC/tests/e2e/data/guards.sql"
e2e_start_sim "$GHLB_SRC/tests/e2e/data/guards-sim.json"

# one_doc FILE: FILE holds exactly one JSON document (an object).
one_doc() {
  jq -e . "$1" >/dev/null 2>&1 || e2e_fail "$(basename "$1") is not JSON"
  assert_eq 1 "$(jq -s length "$1")" "one JSON document in $(basename "$1")"
  assert_eq object "$(jq -r type "$1")" "a JSON object"
}

gb extract; assert_rc 0
assert_contains "$GB_ERR" "created a new work DB"   # extract says when it starts a work DB
gb extract; assert_rc 0
assert_not_contains "$GB_ERR" "created a new work DB"
gb status --json; assert_rc 0 "status --json after extract"
one_doc "$GB_OUT"
assert_eq 1 "$(jq .schema_version "$GB_OUT")" "status schema_version"
assert_eq extract "$(jq -r '.stages | map(.stage) | join(",")' "$GB_OUT")" "stages so far"
gb fetch; [[ $GB_RC -eq 0 || $GB_RC -eq 3 ]] || assert_rc 0 "fetch"
gb plan --json; [[ $GB_RC -eq 0 || $GB_RC -eq 3 ]] || assert_rc 0 "plan --json"
plan_out=$GB_OUT
one_doc "$plan_out"
assert_eq 1 "$(jq .schema_version "$plan_out")" "plan schema_version"
assert_eq "$(e2e_sqlite 'SELECT count(*) FROM plan_lead')" "$(jq .totals.leads "$plan_out")" "plan: total leads"
assert_eq "$(e2e_sqlite 'SELECT count(*) FROM plan_item')" "$(jq '[.totals.fields[]] | add // 0' "$plan_out")" \
  "plan: planned values"
assert_eq "$(e2e_sqlite "SELECT count(*) FROM plan_lead WHERE status = 'fill'")" \
  "$(jq '.totals.by_status.fill // 0' "$plan_out")" "plan: leads to fill"
assert_eq client-g "$(jq -r '.tenants | map(.client_id) | join(",")' "$plan_out")" "plan: tenants"
assert_eq "$(jq .totals.leads "$plan_out")" "$(jq '[.tenants[].leads] | add' "$plan_out")" "tenant leads add up"
assert_not_contains "$plan_out" "Tenants"   # no text table mixed in

gb status --json; assert_rc 0 "status --json"
one_doc "$GB_OUT"
assert_eq "extract,fetch,plan" "$(jq -r '.stages | map(.stage) | join(",")' "$GB_OUT")" "stages in order"
assert_eq "$(e2e_sqlite "SELECT max(id) FROM stage_run WHERE stage = 'plan'")" \
  "$(jq '.stages[] | select(.stage == "plan") | .run' "$GB_OUT")" "plan run id"
assert_eq object "$(jq -r '.stages[0].counts | type' "$GB_OUT")" "counts is an object"
assert_eq "$(e2e_sqlite 'SELECT count(*) FROM lead WHERE eligible = 1')" \
  "$(jq '.tenants[] | select(.client_id == "client-g") | .leads' "$GB_OUT")" "status: leads of client-g"
assert_eq "$(e2e_sqlite 'SELECT count(*) FROM plan_item')" "$(jq '.tenants[0].to_write' "$GB_OUT")" "status: to_write"
tenant_name=$(e2e_sqlite "SELECT name FROM client WHERE id = 'client-g'")
[[ -n $tenant_name ]] || e2e_fail "the fixture's tenant has no name in the work DB"
assert_eq "$tenant_name" "$(jq -r '.tenants[] | select(.client_id == "client-g") | .name' "$GB_OUT")" "status: the tenant's name"
assert_eq "$(cd "$(dirname "$WORK_DB")" && pwd)/$(basename "$WORK_DB")" "$(jq -r .work_db "$GB_OUT")" "status: work_db"
gb status; assert_rc 0 "status as text"
assert_contains "$GB_OUT" "Tenants"
assert_contains "$GB_OUT" "$tenant_name"   # the tenant's name beside its id
assert_no_pii
e2e_pass
