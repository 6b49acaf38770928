#!/usr/bin/env bash
# plan --report FILE.html in a real headless browser (Debian's chromium, no network): the page
# renders, its machine-readable totals equal plan --json's, a hostile tenant name shows as text,
# the masked page holds no email or phone of the data while --show-pii's does, and the file is
# 0600. Chromium missing is a failure, not a skip: 'tools/install-deps test' installs it.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init plan_report
command -v chromium >/dev/null ||
  e2e_fail "chromium not found: install it with 'tools/install-deps test' (Debian package chromium)"
command -v jq >/dev/null || e2e_fail "jq not found: install it with 'tools/install-deps test'"

# chromium ARGS...: headless, bounded in time, its own profile, and no network: in a network
# namespace of its own when this machine allows one, and every host name unresolvable anyway.
chromium_run() {
  local jail=()
  if unshare -n true 2>/dev/null; then jail=(unshare -n); fi
  timeout 120 "${jail[@]}" chromium --headless --disable-gpu --no-sandbox --disable-dev-shm-usage \
    --user-data-dir="$E2E_DIR/chromium-profile" --no-first-run --disable-extensions --disable-sync \
    --disable-background-networking --disable-component-update --host-resolver-rules='MAP * ~NOTFOUND' \
    "$@" 2>>"$E2E_DIR/chromium.err"
}

# png_size FILE: "WIDTH HEIGHT" from the PNG's IHDR chunk.
png_size() {
  [[ "$(od -An -tx1 -N8 "$1" | tr -d ' \n')" == 89504e470d0a1a0a ]] || e2e_fail "$(basename "$1") is not a PNG"
  echo "$(( 16#$(od -An -tx1 -j16 -N4 "$1" | tr -d ' \n') )) $(( 16#$(od -An -tx1 -j20 -N4 "$1" | tr -d ' \n') ))"
}

e2e_load_sql "$GHLB_SRC/data/demo/app.sql"
e2e_start_sim "$GHLB_SRC/data/demo/ghl-sim.json"
gb extract; assert_rc 0 "extract"
e2e_fetch_settled "fetch ends with nothing retryable"

# A tenant name with markup (names come from tenants' admins): the page must show it as text.
evil_client=$(e2e_sqlite "SELECT id FROM client ORDER BY id LIMIT 1")
e2e_sqlite "UPDATE client SET name = '<script>document.title=1</script><b>Evil</b> & Co' WHERE id = '$evil_client'"

# Usage errors come first and write nothing.
gb plan --report "$E2E_DIR/report.txt"; assert_rc 2 "--report with a wrong extension"
assert_contains "$GB_ERR" "must end in .html or .htm"
gb plan --report "$E2E_DIR/no/such/dir/report.html"; assert_rc 2 "--report into a missing directory"
assert_contains "$GB_ERR" "does not exist"
gb plan --show-pii; assert_rc 2 "--show-pii without --report"
assert_eq 0 "$(e2e_sqlite 'SELECT count(*) FROM plan')" "no plan stored by a usage error"

report="$E2E_DIR/report.html"
gb plan --json --report "$report"; assert_rc 0 "plan --json --report"
cp "$GB_OUT" "$E2E_DIR/plan.json"
assert_eq 600 "$(stat -c %a "$report")" "report file mode"
assert_contains "$report" "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
for external in '<script' '<link' '<img' '<iframe' 'src=' 'href=' 'url(' 'http:' 'https:'; do
  assert_not_contains "$report" "$external"
done

# ---- the page in the browser: rendered DOM and totals ----------------------------------------
chromium_run --dump-dom "file://$report" >"$E2E_DIR/dom.html" ||
  e2e_fail "chromium could not render the report (see $E2E_DIR/chromium.err)"
grep -q 'id="total-to-write"' "$E2E_DIR/dom.html" || e2e_fail "the rendered DOM has no totals"
dom_value() {  # ID -> its data-value in the rendered DOM, "missing" when absent
  local v
  v=$(grep -o "id=\"$1\" data-value=\"[0-9]*\"" "$E2E_DIR/dom.html" | head -n 1 | sed 's/.*data-value="\([0-9]*\)"/\1/')
  echo "${v:-missing}"
}
json() { jq -r "$1" "$E2E_DIR/plan.json"; }
to_write=$(json '[.totals.fields[]] | add // 0')
[[ $to_write -gt 0 ]] || e2e_fail "the demo plan has nothing to write: the test would prove little"
assert_eq "$(json .plan_id)" "$(dom_value plan-id)" "plan id"
assert_eq "$to_write" "$(dom_value total-to-write)" "values to write"
assert_eq "$(json .totals.leads)" "$(dom_value total-leads)" "leads"
assert_eq "$(json .totals.ambiguous)" "$(dom_value total-ambiguous)" "ambiguous"
assert_eq "$(json .totals.links)" "$(dom_value total-links)" "links"
assert_eq "$(json '.tenants | length')" "$(dom_value tenant-count)" "tenants"
while IFS=$'\t' read -r status n; do
  assert_eq "$n" "$(dom_value "total-status-$status")" "leads with status $status"
done < <(json '.totals.by_status | to_entries[] | "\(.key)\t\(.value)"')
assert_eq "$(json '.totals.by_status | length')" "$(grep -o 'id="total-status-[a-z_]*"' "$E2E_DIR/dom.html" | sort -u | wc -l)" \
          "one total per status, no more"
while IFS=$'\t' read -r field n; do
  assert_eq "$n" "$(dom_value "total-field-$field")" "values to write of $field"
  assert_eq "$n" "$(dom_value "chart-field-$field")" "bar of $field"
done < <(json '.totals.fields | to_entries[] | "\(.key)\t\(.value)"')
# Lead by lead: every conflict and ambiguous match of the demo (fewer than the cap of 200).
conflicts=$(json '.totals.by_status.conflict // 0')
[[ $conflicts -gt 0 && $(json .totals.ambiguous) -gt 0 ]] || e2e_fail "the demo has no conflict or no ambiguous match"
assert_eq "$conflicts" "$(sed -n '/<table id="conflicts"/,/<\/table>/p' "$E2E_DIR/dom.html" | grep -c '<tr data-lead=')" \
          "conflict rows"
assert_eq "$(json .totals.ambiguous)" "$(sed -n '/<table id="ambiguous"/,/<\/table>/p' "$E2E_DIR/dom.html" | grep -c '<tr data-lead=')" \
          "ambiguous rows"
# The hostile name is text in the DOM, and the tenant's id stands beside it.
assert_contains "$E2E_DIR/dom.html" "&lt;script&gt;document.title=1&lt;/script&gt;&lt;b&gt;Evil&lt;/b&gt; &amp; Co"
assert_not_contains "$E2E_DIR/dom.html" "<script"
assert_not_contains "$E2E_DIR/dom.html" "<b>Evil"
assert_contains "$E2E_DIR/dom.html" "<title>ghl-backfill: review of plan $(json .plan_id)</title>"

# ---- a screenshot: the page paints something substantial (compared with an empty page) -------
chromium_run --screenshot="$E2E_DIR/report.png" --window-size=1280,2400 --hide-scrollbars "file://$report" \
  >/dev/null || e2e_fail "chromium could not take a screenshot (see $E2E_DIR/chromium.err)"
printf '<!DOCTYPE html><html><body></body></html>\n' >"$E2E_DIR/blank.html"
chromium_run --screenshot="$E2E_DIR/blank.png" --window-size=1280,2400 --hide-scrollbars "file://$E2E_DIR/blank.html" \
  >/dev/null || e2e_fail "chromium could not take a screenshot of an empty page"
assert_eq "1280 2400" "$(png_size "$E2E_DIR/report.png")" "screenshot dimensions"
report_bytes=$(stat -c %s "$E2E_DIR/report.png")
blank_bytes=$(stat -c %s "$E2E_DIR/blank.png")
[[ $report_bytes -gt $((blank_bytes * 10)) && $report_bytes -gt 50000 ]] ||
  e2e_fail "the screenshot looks empty: $report_bytes bytes, an empty page $blank_bytes"
if [[ -n "${GHLB_KEEP_SCREENSHOT:-}" ]]; then cp "$E2E_DIR/report.png" "$GHLB_KEEP_SCREENSHOT"; fi

# ---- masking ------------------------------------------------------------------------------------
# Every email and phone of the data: the application's, the snapshot's and the plan's values.
{
  e2e_psql 'SELECT email FROM "Lead" WHERE email IS NOT NULL'
  e2e_sqlite "SELECT email FROM lead WHERE email IS NOT NULL"
  e2e_sqlite "SELECT new_value FROM plan_item WHERE field = 'email'"
} | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' | grep '@' | sort -u >"$E2E_DIR/emails"
{
  e2e_psql 'SELECT phone FROM "Lead" WHERE phone IS NOT NULL'
  e2e_sqlite "SELECT phone FROM lead WHERE phone IS NOT NULL"
  e2e_sqlite "SELECT new_value FROM plan_item WHERE field = 'phone'"
} | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' | awk 'length($0) >= 7' | sort -u >"$E2E_DIR/phones"
sed 's/[^0-9]//g' "$E2E_DIR/phones" | awk 'length($0) >= 7' | sort -u >"$E2E_DIR/phone-digits"
[[ -s "$E2E_DIR/emails" && -s "$E2E_DIR/phones" ]] || e2e_fail "the demo data has no email or phone to look for"
# The sample shows email and phone changes, so the checks below look at real values.
grep -q 'data-field="email"' "$E2E_DIR/dom.html" || e2e_fail "the sample shows no email change"
grep -q 'data-field="phone"' "$E2E_DIR/dom.html" || e2e_fail "the sample shows no phone change"
for page in "$report" "$E2E_DIR/dom.html"; do
  n=$({ grep -ohiF -f "$E2E_DIR/emails" "$page" || true; } | sort -fu | wc -l)
  assert_eq 0 "$n" "emails of the data in the masked $(basename "$page")"
  n=$({ grep -ohF -f "$E2E_DIR/phones" "$page" || true; } | sort -u | wc -l)
  assert_eq 0 "$n" "phones of the data in the masked $(basename "$page")"
  n=$({ grep -ohwF -f "$E2E_DIR/phone-digits" "$page" || true; } | sort -u | wc -l)
  assert_eq 0 "$n" "phone digit runs of the data in the masked $(basename "$page")"
done
grep -qE '<td class="new"><bdi>.\*\*\*@.\*\*\*' "$E2E_DIR/dom.html" || e2e_fail "no masked email in the sample"
grep -qE '<td class="new"><bdi>\+?[0-9]\*+[0-9]{4}</bdi>' "$E2E_DIR/dom.html" || e2e_fail "no masked phone in the sample"

# --show-pii: the sample's emails and phones are there, unmasked.
gb plan --report "$E2E_DIR/report-pii.html" --show-pii; assert_rc 0 "plan --report --show-pii"
assert_eq 600 "$(stat -c %a "$E2E_DIR/report-pii.html")" "report file mode (--show-pii)"
assert_contains "$GB_ERR" "unmasked"
chromium_run --dump-dom "file://$E2E_DIR/report-pii.html" >"$E2E_DIR/dom-pii.html" ||
  e2e_fail "chromium could not render the --show-pii report"
shown=0
while read -r lead field; do
  value=$(e2e_sqlite "SELECT new_value FROM plan_item WHERE lead_id = '$lead' AND field = '$field'")
  assert_contains "$E2E_DIR/dom-pii.html" "<bdi>$value</bdi>"
  shown=$((shown + 1))
done < <(grep -oE '<tr data-lead="[^"]*" data-field="(email|phone)"' "$E2E_DIR/dom-pii.html" |
         sed -E 's/<tr data-lead="([^"]*)" data-field="([a-z]*)"/\1 \2/')
[[ $shown -ge 2 ]] || e2e_fail "the --show-pii page shows fewer than 2 email or phone values"
assert_contains "$E2E_DIR/dom-pii.html" 'data-masked="0"'

assert_no_pii
e2e_pass
