#!/usr/bin/env bash
# A hostile or broken GHL must never cause a wrong write. A tenant token holding CR/LF and a
# smuggled request line is never sent (its location is auth_failed, nothing reaches the server
# beyond the two API routes); answers about another contact, another location, a bad id, a body
# nested 120k deep or larger than --max-body-bytes leave their lead unchanged while the control
# leads beside them are filled; a search split over pages is followed with searchAfter to the
# oldest contact on page 2. Then, with GHL gone, fetch stops at once with exit 1 and one line.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init hostile_ghl
e2e_load_sql "$GHLB_SRC/tests/e2e/data/hostile.sql"
e2e_start_sim "$GHLB_SRC/tests/e2e/data/hostile-sim.json"

row_hash() { e2e_psql "SELECT md5(ROW(l.*)::text) FROM \"Lead\" l WHERE id = '$1'"; }
bad_leads=(lead-evil-1 lead-evil-2 lead-wrongid lead-wrongloc lead-badid lead-deep lead-huge)
declare -A before
for l in "${bad_leads[@]}"; do before[$l]=$(row_hash "$l"); done

gb extract; assert_rc 0 "extract"
gb fetch; assert_rc 3 "fetch (bad answers are retryable, nothing crashed)"

# Nothing was smuggled: only GET/POST on the two API routes, every Authorization value clean.
assert_eq 0 "$(e2e_sim_counter unexpected_requests)" "requests beyond the two API routes"
assert_eq 0 "$(e2e_sim_counter bad_auth_header)" "Authorization values with bytes outside 0x21-0x7E"
assert_eq 0 "$(e2e_sim_counter write_attempts)" "write attempts"
assert_eq 0 "$(e2e_sim_counter requests locEvil000000001)" "requests with the evil tenant's token"
assert_contains "$GB_ERR" "location_stopped client_id=client-evil reason=invalid_token"

outcome() { e2e_sqlite "SELECT outcome || '/' || IFNULL(detail, '') FROM fetch_result WHERE lead_id = '$1'"; }
assert_eq "auth_failed/invalid_token" "$(outcome lead-evil-1)" "evil lead 1"
assert_eq "auth_failed/invalid_token" "$(outcome lead-evil-2)" "evil lead 2"
assert_eq "bad_response/wrong_contact_id" "$(outcome lead-wrongid)" "GET answered about another contact"
assert_eq "bad_response/wrong_location" "$(outcome lead-wrongloc)" "contact of another location"
assert_eq "bad_response/invalid_contact_id" "$(outcome lead-badid)" "contact id that is not a GHL id"
assert_eq "bad_response/too_deep" "$(outcome lead-deep)" "body nested 120k deep"
assert_eq "failed_permanent/body_too_large" "$(outcome lead-huge)" "body over --max-body-bytes"
assert_eq "1" "$(e2e_sqlite "SELECT attempts FROM fetch_result WHERE lead_id = 'lead-huge'")" "too large: not retried"
assert_eq "found/ambiguous" "$(outcome lead-paged)" "paged search"
assert_eq 3 "$(e2e_sqlite "SELECT json_array_length(search_body, '\$.contacts') FROM fetch_result WHERE lead_id = 'lead-paged'")" \
  "every page's contacts stored"

gb plan; assert_rc 3 "plan (the bad-answer leads stay pending)"
gb apply --yes --client-id client-h --client-id client-evil
assert_rc 3 "apply (writes the final leads; exit 3: the bad-answer leads stay pending)"
assert_contains "$GB_ERR" "no final plan yet"
# ... and it names the tenant whose token blocks its leads, with the fix.
assert_contains "$GB_ERR" "tenant has leads not final yet client_id=client-evil"
grep "client_id=client-evil" "$GB_ERR" | grep -q "most_because=auth_failed fix=check the tenant's" \
  || e2e_fail "the blocked tenant's reason and fix are not named"

# The bad-answer leads are untouched and unlinked; the controls beside them are filled.
for l in "${bad_leads[@]}"; do assert_eq "${before[$l]}" "$(row_hash "$l")" "$l unchanged"; done
assert_eq "cCtl000000000001|+14155550109|Cole|Trent" \
  "$(e2e_psql "SELECT \"ghlContactId\", phone, \"firstName\", \"lastName\" FROM \"Lead\" WHERE id = 'lead-ctl-1'")" "control 1"
assert_eq "cCtl000000000002|+14155550110|Cora|Tull" \
  "$(e2e_psql "SELECT \"ghlContactId\", phone, \"firstName\", \"lastName\" FROM \"Lead\" WHERE id = 'lead-ctl-2'")" "control 2"
# The oldest contact was on page 2 (page 1 holds one without dateAdded).
assert_eq "cPagedB000000001|+14155550107|Pat|Oldest" \
  "$(e2e_psql "SELECT \"ghlContactId\", phone, \"firstName\", \"lastName\" FROM \"Lead\" WHERE id = 'lead-paged'")" "paged lead"

# Part 2: GHL cannot be reached. fetch stops at once, exit 1, one line naming the error class;
# what was fetched before is kept. (A copy of the work DB, so the plan above stays current.)
cp "$WORK_DB" "$E2E_DIR/work-down.db"
WORK_DB_KEPT=$WORK_DB
export WORK_DB="$E2E_DIR/work-down.db"
found_before=$(e2e_sqlite "SELECT count(*) FROM fetch_result WHERE outcome = 'found'")
e2e_stop_sim
gb fetch --refetch --max-retries 20; assert_rc 1 "fetch with GHL down"
assert_contains "$GB_ERR" "ghl-backfill fetch: error: cannot reach GHL (connection refused) for every location"
assert_contains "$GB_ERR" "--ghl-base-url"
requests=$(e2e_sqlite "SELECT json_extract(counts, '\$.requests') FROM stage_run WHERE stage = 'fetch' ORDER BY id DESC LIMIT 1")
leads=$(e2e_sqlite "SELECT count(*) FROM lead WHERE client_id <> 'client-evil'")
[[ $requests -ge 5 && $requests -le 42 ]] || e2e_fail "fetch with GHL down sent $requests requests (retry budget $((leads * 21)))"
assert_eq "failed" "$(e2e_sqlite "SELECT status FROM stage_run WHERE stage = 'fetch' ORDER BY id DESC LIMIT 1")" "stage_run"
assert_eq "$found_before" "$(e2e_sqlite "SELECT count(*) FROM fetch_result WHERE outcome = 'found'")" "fetched results kept"
export WORK_DB=$WORK_DB_KEPT

# needs the plan-side invalid_value rule (merged from h5-rules)
# A value that is not valid UTF-8 or holds a NUL is not written; the lead's other fields are.
gb apply --yes --client-id client-enc; assert_rc 0 "apply of the encoding tenant"
assert_eq "cUtf8Utf8Utf8001|+14155550111||Ute" \
  "$(e2e_psql "SELECT \"ghlContactId\", phone, \"firstName\", \"lastName\" FROM \"Lead\" WHERE id = 'lead-utf8'")" "bad UTF-8 firstName not written"
assert_eq "cNulNulNulNul001|+14155550112|Nia|" \
  "$(e2e_psql "SELECT \"ghlContactId\", phone, \"firstName\", \"lastName\" FROM \"Lead\" WHERE id = 'lead-nul'")" "NUL lastName not written"
assert_eq "cCtl000000000003|+14155550113|Cyd|Tao" \
  "$(e2e_psql "SELECT \"ghlContactId\", phone, \"firstName\", \"lastName\" FROM \"Lead\" WHERE id = 'lead-ctl-3'")" "control 3"
assert_no_pii
e2e_pass
