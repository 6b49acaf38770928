#!/usr/bin/env bash
# Issue 6, decisions per change, on the demo data: `review` rejects the ambiguous leads and one
# tenant's phones (enrichment follows the phone) and approves one lead (from a --leads-file);
# `apply --only-approved` writes only that lead; `apply` then writes everything else but never a
# rejected change; a re-plan keeps the decisions of unchanged changes, and a change whose new value
# changed (the contact's phone changed in GHL) loses its decision and is written by the next apply.
# Plus the review's usage errors, --dry-run, and skipped (already applied) changes.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init review_decisions
e2e_load_sql "$GHLB_SRC/data/demo/app.sql"
sim_data="$GHLB_SRC/data/demo/ghl-sim.json"
e2e_start_sim "$sim_data"

rowhash=$E2E_ROWHASH
e2e_psql "CREATE TABLE before_backfill AS SELECT l.id, $rowhash AS h FROM \"Lead\" l" >/dev/null
changed_leads() {  # the leads whose row differs from before the backfill, one per line
  e2e_psql "SELECT l.id FROM \"Lead\" l JOIN before_backfill b USING (id) WHERE $rowhash <> b.h
            ORDER BY l.id COLLATE \"C\""
}
review_total() {  # STATE: changes in STATE, from review --json (summary only)
  gb review --json; assert_rc 0 "review summary"
  jq ".totals.$1" "$GB_OUT"
}

gb extract; assert_rc 0 "extract"
e2e_fetch_settled "fetch ends with nothing retryable"

# No plan yet: one line, exit 1.
gb review; assert_rc 1 "review without a plan"
assert_contains "$GB_ERR" "there is no plan for these tenants"
assert_eq 1 "$(grep -c . "$GB_ERR")" "one line"
gb plan; assert_rc 0 "plan"
total=$(e2e_sqlite "SELECT count(*) FROM plan_item")
[[ $total -gt 20 ]] || e2e_fail "the demo plans too few changes ($total)"
assert_eq "$total" "$(review_total proposed)" "every change is proposed at first"

# Usage errors: exit 2, one line, nothing stored.
gb review --approve; assert_rc 2 "a decision without a selector"
assert_contains "$GB_ERR" "name what to decide: --client-id, --field, --lead, --leads-file"
assert_contains "$GB_ERR" "--all to decide everything"
gb review --reject --field phon; assert_rc 2 "unknown field"
assert_contains "$GB_ERR" "--field phon is not a field; did you mean phone? (fields: ghlContactId, email, phone"
gb review --reject --leads-file "$E2E_DIR/no-such-file"; assert_rc 2 "missing --leads-file"
assert_contains "$GB_ERR" "cannot read --leads-file"
assert_eq 1 "$(grep -c . "$GB_ERR")" "one line"
gb review --approve --reject --all; assert_rc 2 "two decisions at once"
gb review --field phone; assert_rc 2 "a selector without a decision"
assert_contains "$GB_ERR" "name the decision: --approve, --reject or --reset"
gb review --reject --state done --all; assert_rc 2 "unknown state"
assert_eq 0 "$(e2e_sqlite "SELECT count(*) FROM decision")" "usage errors store nothing"

# --dry-run shows what would change and stores nothing.
gb review --reject --all --dry-run --json; assert_rc 0 "review --dry-run"
assert_eq "$total" "$(jq .changed "$GB_OUT")" "dry run: every change would change"
assert_eq '1|"reject"|true' "$(jq -r '[.schema_version, (.action | tojson), .dry_run] | join("|")' "$GB_OUT")" \
          "review --json: schema_version, action, dry_run"
assert_eq "$total" "$(jq .totals.rejected "$GB_OUT")" "dry run shows the summary it would leave"
assert_eq 0 "$(e2e_sqlite "SELECT count(*) FROM decision")" "dry run stores nothing"

# The decisions: reject the ambiguous leads, one tenant's phones; approve one lead from a file.
ambiguous=$(e2e_sqlite "SELECT count(*) FROM plan_item i JOIN plan_lead p USING (lead_id) WHERE p.ambiguous = 1")
[[ $ambiguous -gt 0 ]] || e2e_fail "the demo has no ambiguous lead with changes"
gb review --reject --ambiguous --json; assert_rc 0 "reject the ambiguous leads"
assert_eq "$ambiguous" "$(jq .changed "$GB_OUT")" "every change of the ambiguous leads rejected"
tenant=$(e2e_sqlite "SELECT p.client_id FROM plan_item i JOIN plan_lead p USING (lead_id)
                     WHERE i.field = 'phone' AND p.ambiguous = 0 GROUP BY p.client_id ORDER BY count(*) DESC LIMIT 1")
# The tenant's phones, with the enrichment that follows them (leads not ambiguous: counted above).
tenant_phones=$(e2e_sqlite "SELECT count(*) FROM plan_item i JOIN plan_lead p USING (lead_id)
                            WHERE p.client_id = '$tenant' AND p.ambiguous = 0
                            AND (i.field = 'phone' OR i.field LIKE 'enrich%')")
gb review --reject --client-id "$tenant" --field phone; assert_rc 0 "reject one tenant's phones"
assert_contains "$GB_OUT" "review: reject"
assert_contains "$GB_OUT" "$tenant_phones changes changed state"
lead=$(e2e_sqlite "SELECT p.lead_id FROM plan_item i JOIN plan_lead p USING (lead_id)
                   WHERE p.client_id <> '$tenant' AND p.ambiguous = 0 AND p.link = 1
                   GROUP BY p.lead_id ORDER BY count(*) DESC, p.lead_id LIMIT 1")
lead_changes=$(e2e_sqlite "SELECT count(*) FROM plan_item WHERE lead_id = '$lead'")
printf '# the lead to roll out first\n\n  %s  # approved\nno-such-lead\n' "$lead" >"$E2E_DIR/leads.txt"
gb review --approve --leads-file "$E2E_DIR/leads.txt" --json; assert_rc 0 "approve one lead"
assert_eq "$lead_changes" "$(jq .changed "$GB_OUT")" "every change of the approved lead"
assert_eq 1 "$(jq .unmatched_lead_ids "$GB_OUT")" "an id with no change is counted"
rejected=$((ambiguous + tenant_phones))
assert_eq "$rejected" "$(jq .totals.rejected "$GB_OUT")" "rejected changes"
assert_eq "$lead_changes" "$(jq .totals.approved "$GB_OUT")" "approved changes"
assert_eq "$((total - rejected - lead_changes))" "$(jq .totals.proposed "$GB_OUT")" "proposed changes"
[[ $(jq "[.tenants[].states.rejected] | add" "$GB_OUT") -eq $rejected ]] || e2e_fail "per tenant: rejected"
[[ $(jq '.fields[] | select(.field == "phone") | .states.rejected' "$GB_OUT") -gt 0 ]] || e2e_fail "per field"
gb review; assert_rc 0 "review (text summary)"
assert_contains "$GB_OUT" "Changes of plan"
assert_contains "$GB_OUT" "By tenant"
assert_contains "$GB_OUT" "By field"

# apply --only-approved writes exactly the approved lead.
gb apply --yes --only-approved; assert_rc 0 "apply --only-approved"
assert_contains "$GB_OUT" "Held back by review decisions: $((total - lead_changes)) changes"
assert_eq "$lead" "$(changed_leads)" "only the approved lead changed"
assert_eq "$lead|$lead_changes" "$(e2e_sqlite "SELECT group_concat(DISTINCT lead_id) || '|' || count(*) FROM apply_log WHERE outcome = 'written'")" \
          "apply_log: the approved lead's changes only"

# apply writes every other change but never a rejected one.
gb apply --yes; assert_rc 0 "apply"
assert_contains "$GB_OUT" "Held back by review decisions: $rejected changes"
assert_eq "$((total - rejected))" "$(e2e_sqlite "SELECT count(*) FROM apply_log WHERE outcome = 'written'")" \
          "every change but the rejected ones written"
assert_eq 0 "$(e2e_sqlite "SELECT count(*) FROM apply_log a JOIN plan_lead p USING (lead_id) WHERE p.ambiguous = 1")" \
          "no change of an ambiguous lead logged"
e2e_sqlite "SELECT lead_id FROM plan_lead WHERE ambiguous = 1" >"$E2E_DIR/ambiguous.ids"
assert_eq 0 "$(changed_leads | grep -cxF -f "$E2E_DIR/ambiguous.ids" || true)" "no ambiguous lead changed in PostgreSQL"
e2e_sqlite "SELECT DISTINCT i.lead_id FROM plan_item i JOIN plan_lead p USING (lead_id)
            WHERE p.client_id = '$tenant' AND i.field = 'phone'" >"$E2E_DIR/phones.ids"
{ echo "CREATE TEMP TABLE ids(id text);"; sed "s/.*/INSERT INTO ids VALUES ('&');/" "$E2E_DIR/phones.ids"
  echo "SELECT count(*) FROM \"Lead\" l JOIN ids USING (id) JOIN before_backfill b USING (id)
        WHERE l.phone IS NOT NULL AND btrim(l.phone) <> '' OR l.\"enrichmentSource\" = 'ghl';"
} >"$E2E_DIR/phones.sql"
assert_eq 0 "$(psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$DATABASE_URL" -f "$E2E_DIR/phones.sql")" \
          "the tenant's rejected phones (and their enrichment) are not written"
gb review --json; assert_rc 0 "review after apply"
assert_eq "$rejected" "$(jq .totals.rejected "$GB_OUT")" "rejected after apply"
assert_eq "$((total - rejected))" "$(jq .totals.applied "$GB_OUT")" "applied after apply"
gb review --reject --all --json --dry-run; assert_rc 0 "applied changes are not decidable"
assert_eq "$((total - rejected))" "$(jq .skipped "$GB_OUT")" "applied changes skipped"

# A re-plan keeps the decisions.
gb plan; assert_rc 0 "re-plan"
assert_eq "$rejected" "$(review_total rejected)" "the decisions survive a re-plan"
# The plan's review is truthful about them: rejected values are not "to write", they are counted
# apart, and with everything else applied there is nothing to write (Terraform's exit 0).
gb plan --json --detailed-exitcode; assert_rc 0 "only rejected changes left: nothing to write"
assert_eq 0 "$(jq '[.totals.fields[]] | add // 0' "$GB_OUT")" "no value to write"
assert_eq "$rejected" "$(jq '[.totals.rejected[]] | add' "$GB_OUT")" "rejected values counted apart"
gb plan --report "$E2E_DIR/review.html"; assert_rc 0 "plan, text and report"
assert_contains "$GB_OUT" "Rejected in review, never written: $rejected values"
assert_eq "$rejected" "$(sed -n 's/.*id="total-rejected" data-value="\([0-9]*\)".*/\1/p' "$E2E_DIR/review.html")" \
  "the report counts the rejected values apart"
gb status --json; assert_rc 0 "status"
assert_eq 0 "$(jq '[.tenants[].to_write] | add' "$GB_OUT")" "status: a rejected change is not to_write"

# One rejected phone gets a new value in GHL: after fetch and plan its decision is gone (the
# phone and its enrichment are proposed again) and the next apply writes it.
moved=$(e2e_sqlite "SELECT p.lead_id || '|' || p.contact_id FROM plan_item i JOIN plan_lead p USING (lead_id)
                    WHERE p.client_id = '$tenant' AND p.ambiguous = 0 AND i.field = 'phone'
                    ORDER BY p.lead_id LIMIT 1")
moved_lead=${moved%|*} moved_contact=${moved#*|}
moved_changes=$(e2e_sqlite "SELECT count(*) FROM plan_item WHERE lead_id = '$moved_lead'
                            AND (field = 'phone' OR field LIKE 'enrich%')")
jq --arg c "$moved_contact" '(.locations[].contacts[] | select(.id == $c) | .phone) = "+1 212 555 0199"' \
  "$sim_data" >"$E2E_DIR/sim-changed.json"
e2e_start_sim "$E2E_DIR/sim-changed.json"
gb fetch --refetch --client-id "$tenant"; assert_rc 0 "refetch the tenant"
gb plan; assert_rc 0 "plan after the phone changed in GHL"
assert_eq "+12125550199" "$(e2e_sqlite "SELECT new_value FROM plan_item WHERE lead_id = '$moved_lead' AND field = 'phone'")" \
          "the new phone is planned"
assert_eq 0 "$(e2e_sqlite "SELECT count(*) FROM decision WHERE lead_id = '$moved_lead'")" "its decision is gone"
assert_eq "$((rejected - moved_changes))" "$(review_total rejected)" "the other decisions stay"
gb apply --yes; assert_rc 0 "apply after the re-plan"
assert_eq "+12125550199" "$(e2e_psql "SELECT phone FROM \"Lead\" WHERE id = '$moved_lead'")" "the new phone is written"
assert_eq 1 "$(e2e_sqlite "SELECT count(*) FROM apply_log WHERE lead_id = '$moved_lead' AND field = 'phone'")" \
          "only the undecided phone was written"
assert_eq "$((rejected - moved_changes))" "$(review_total rejected)" "still rejected: never written"

# --reset: back to proposed.
gb review --reset --ambiguous --json; assert_rc 0 "reset"
assert_eq "$((rejected - moved_changes - ambiguous))" "$(jq .totals.rejected "$GB_OUT")" "reset ambiguous"
assert_eq "$ambiguous" "$(jq .totals.proposed "$GB_OUT")" "the ambiguous leads' changes are proposed again"

gb_raw help review; assert_rc 0 "help review"
assert_contains "$GB_OUT" "--leads-file"
gb_raw help apply; assert_rc 0 "help apply"
assert_contains "$GB_OUT" "--only-approved"
assert_no_pii
e2e_pass
