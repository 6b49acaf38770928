#!/usr/bin/env bash
# The per-lead review on the demo data: `plan --export` lists every eligible lead with its outcome
# (fills, conflicts with the lead holding or taking the contact, ambiguous matches with their
# candidates, not found, reports), the CSV starts with its header row, the JSON has its warning
# key, both are 0600; --lead/--field/--outcome narrow the printed review; tenant names appear
# beside ids, and a hostile tenant name (control characters, 10 KB) is neutralized.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init plan_export
e2e_load_sql "$GHLB_SRC/data/demo/app.sql"
e2e_start_sim "$GHLB_SRC/data/demo/ghl-sim.json"
expected="$GHLB_SRC/data/demo/expected.tsv"
northwind=aed09b82-4ca8-4fc2-bfb6-37dd5bae2d26
summit=6a42ed19-aa5b-4365-9867-7db75c80f9be
# A tenant admin's hostile name: escape sequences, a newline, a bidi override, 10 KB.
e2e_psql "UPDATE \"Client\" SET name = E'Summit\\n\\x1b[2J\\u202eEvil ' || repeat('x', 10240) WHERE id = '$summit'" >/dev/null

gb extract; assert_rc 0 "extract"
e2e_fetch_settled "fetch ends with nothing retryable"

# ---- the hostile name is neutralized where it enters ----
assert_eq "1|0|0|0|1" "$(e2e_sqlite "SELECT length(CAST(name AS BLOB)) <= 200, instr(name, char(10)), instr(name, char(27)),
                                      instr(name, char(8238)), name LIKE 'Summit%' FROM client WHERE id = '$summit'")" \
  "the work DB holds the tenant name cut to 200 bytes, without control characters"
assert_eq "Northwind Dental Group" "$(e2e_sqlite "SELECT name FROM client WHERE id = '$northwind'")" "a plain name is kept"

# ---- the CSV export ----
csv="$E2E_DIR/plan.csv"
gb plan --export "$csv"; assert_rc 0 "plan --export csv"
assert_contains "$GB_ERR" "personal data (PII)"
assert_eq 600 "$(stat -c %a "$csv")" "CSV file mode"
assert_eq "lead_id,client_id,client_name,status,field,old_value,new_value,reason,applied,contact_id,ambiguous,candidates,other_lead" \
  "$(head -n 1 "$csv")" "the CSV's first line is its header row"
# Read it with a real CSV parser (sqlite3's .import honours RFC 4180 quoting).
x="$E2E_DIR/csv.db"
sqlite3 -batch -bail "$x" ".import --csv $csv x" || e2e_fail "the CSV does not import"
xq() { sqlite3 -batch -bail "$x" "$1"; }
want_leads=$(awk -F'\t' 'NR > 1 && $4 == 1 {print $1}' "$expected" | LC_ALL=C sort)
n_eligible=$(wc -l <<<"$want_leads")
assert_eq "$want_leads" "$(xq "SELECT DISTINCT lead_id FROM x ORDER BY lead_id")" "every eligible lead appears"
assert_eq "$(e2e_sqlite "SELECT count(*) FROM plan_item")" \
  "$(xq "SELECT count(*) FROM x WHERE field <> '' AND new_value <> '' AND applied = ''")" "one row per value to write"
assert_eq "$(awk -F'\t' 'NR > 1 && $4 == 1 {print $1 "|" $15}' "$expected" | LC_ALL=C sort)" \
  "$(xq "SELECT DISTINCT lead_id || '|' || status FROM x ORDER BY 1")" "each lead's outcome"
# A conflict on a contact another tenant's lead holds names that lead.
linked=B5A4C9EF-8B98-422C-88DC-F7E31E0A28E3
holder=$(e2e_psql "SELECT id FROM \"Lead\" WHERE \"ghlContactId\" = 'wF6sD9HOwXlmnwI5T0VH'")
[[ -n "$holder" ]] || e2e_fail "the demo lost its linked contact"
assert_eq "conflict|contact_already_linked|$holder" \
  "$(xq "SELECT status || '|' || reason || '|' || other_lead FROM x WHERE lead_id = '$linked'")" "the holder is named"
# Two leads with one email: the larger names the smaller that takes the contact.
loser=161e7b36-f98e-4ab1-be5b-f6abd66c32ed
winner=$(xq "SELECT other_lead FROM x WHERE lead_id = '$loser'")
assert_eq "contact_taken_by_smaller_lead_id" "$(xq "SELECT reason FROM x WHERE lead_id = '$loser'")" "taken by a smaller lead"
assert_eq "1|fill|VnLA3686F0YSZBsFXL71" \
  "$(xq "SELECT DISTINCT '$winner' < '$loser', status, contact_id FROM x WHERE lead_id = '$winner'")" \
  "the winner is smaller, fills and takes the same contact"
# An ambiguous match lists its candidates, the taken one first, each a contact of the simulator.
amb=92E7A0F8-4D48-4937-805B-EC0090FB11AA
candidates=$(xq "SELECT DISTINCT candidates FROM x WHERE lead_id = '$amb' AND ambiguous = '1'")
[[ "$candidates" == zOtYe0itBlqsuefMvgVu\;* ]] || e2e_fail "ambiguous candidates do not start with the taken contact: '$candidates'"
for c in ${candidates//;/ }; do
  grep -q "\"$c\"" "$GHLB_SRC/data/demo/ghl-sim.json" || e2e_fail "candidate $c is no contact of the simulator"
done
[[ $(tr ';' '\n' <<<"$candidates" | sort -u | wc -l) -ge 2 ]] || e2e_fail "fewer than two candidates"
# Not found and reported values have their rows.
assert_eq "$(awk -F'\t' 'NR > 1 && $15 == "not_found"' "$expected" | wc -l)" \
  "$(xq "SELECT count(DISTINCT lead_id) FROM x WHERE status = 'not_found' AND field = ''")" "not-found leads"
assert_eq "$(awk -F'\t' 'NR > 1 && $14 != "" {print $1 "|" $14}' "$expected" | LC_ALL=C sort)" \
  "$(xq "SELECT lead_id || '|' || field FROM x WHERE reason IN ('no_storage_form', 'invalid_value') ORDER BY 1")" \
  "reported values"
assert_eq "Northwind Dental Group" "$(xq "SELECT DISTINCT client_name FROM x WHERE client_id = '$northwind'")" \
  "tenant names in the export"
assert_eq "$(e2e_sqlite "SELECT name FROM client WHERE id = '$summit'")" \
  "$(xq "SELECT DISTINCT client_name FROM x WHERE client_id = '$summit'")" "the neutralized name in the export"

# ---- the JSON export ----
json="$E2E_DIR/plan.json"
gb plan --export "$json"; assert_rc 0 "plan --export json"
assert_eq 600 "$(stat -c %a "$json")" "JSON file mode"
assert_eq "1|1|$(xq "SELECT count(*) FROM x")|$holder" \
  "$(sqlite3 :memory: "SELECT json_valid(d), json_extract(d, '\$.warning') LIKE '%personal data%',
                              json_array_length(d, '\$.rows'),
                              (SELECT json_extract(value, '\$.other_lead') FROM json_each(d, '\$.rows')
                               WHERE json_extract(value, '\$.lead_id') = '$linked')
                       FROM (SELECT CAST(readfile('$json') AS TEXT) AS d)" | tr -d '\n')" \
  "the JSON export: valid, a warning key, the CSV's rows"

# ---- the printed review: names beside ids, within 100 columns, nothing raw ----
gb plan; assert_rc 0 "plan"
review="$E2E_DIR/review.txt"
sed '/^Plan [0-9]* saved/,$d' "$GB_OUT" >"$review"
assert_contains "$review" "$northwind  Northwind Dental Group"
# extract replaced each control character with U+FFFD; the review cuts the name with an ellipsis.
fffd=$'\xef\xbf\xbd'
assert_contains "$review" "$summit  Summit$fffd$fffd[2J${fffd}Evil xxx"
assert_contains "$review" "T1 Summit$fffd$fffd[2J${fffd}Evil xxxx"$'\xe2\x80\xa6'
[[ $(LC_ALL=C.UTF-8 wc -L <"$review") -le 100 ]] || e2e_fail "the review is wider than 100 columns"
assert_eq 0 "$(LC_ALL=C grep -c $'\x1b' "$GB_OUT" || true)" "no escape byte on stdout"

# ---- filters narrow the printed review ----
n_conflict=$(awk -F'\t' 'NR > 1 && $15 == "conflict"' "$expected" | wc -l)
gb plan --outcome conflict; assert_rc 0 "plan --outcome conflict"
assert_contains "$GB_OUT" "Filtered: --outcome conflict ($n_conflict of $n_eligible leads"
assert_eq "$n_conflict" "$(grep -c '^  [0-9A-Fa-f-]\{36\}  conflict (' "$GB_OUT" || true)" "one line per conflict"
# A line longer than 100 columns goes on below its lead id, indented.
assert_eq "  $linked  conflict (contact_already_linked)|       other=$holder" \
  "$(grep -A1 "^  $linked  " "$GB_OUT" | paste -sd'|')" "the conflict's line names the holder"
gb plan --outcome ambiguous --client-id "$northwind"; assert_rc 0 "plan --outcome ambiguous"
assert_contains "$GB_OUT" "  $amb  fill (ambiguous_email)  candidates=3"
assert_not_contains "$GB_OUT" "DB37468D-52DC-4EE5-8252-DA84DC106B1A"  # the other tenant's ambiguous lead
gb plan --field phone --outcome no_storage_form; assert_rc 0 "plan --field phone --outcome no_storage_form"
assert_eq "$(awk -F'\t' 'NR > 1 && $14 == "phone" {print $1}' "$expected" | LC_ALL=C sort)" \
  "$(sed -n 's/^  \([0-9A-Fa-f-]\{36\}\)  .*phone:no_storage_form.*/\1/p' "$GB_OUT" | LC_ALL=C sort)" \
  "--field phone --outcome no_storage_form lists the phones with no storage form"
gb plan --outcome conflicts; assert_rc 2 "unknown outcome"
assert_contains "$GB_ERR" "--outcome conflicts: unknown outcome; valid: fill, nothing_to_fill"
gb plan --field phones; assert_rc 2 "unknown field"
assert_contains "$GB_ERR" "--field phones is not a field; did you mean phone? (fields: ghlContactId, email, phone"
# --lead shows the lead in detail, values included: that is the reviewer's terminal (stdout),
# so this one run's stdout is kept out of the checked output; its stderr is checked.
detail="$E2E_DIR/detail.txt"
"$GHLB_BIN/ghl-backfill" plan --work-db "$WORK_DB" --lead "$amb" --lead "$loser" >"$detail" 2>>"$E2E_DIR/all-output.log" \
  || e2e_fail "plan --lead failed"
assert_contains "$detail" "Lead $amb"
assert_contains "$detail" "  candidates: ${candidates//;/ } (the first is taken)"
grep -q '^  to write:   ghlContactId: .* -> "zOtYe0itBlqsuefMvgVu"$' "$detail" || e2e_fail "the link to write is not shown"
assert_contains "$detail" "  other lead: $winner (holds or takes the contact)"
assert_eq 2 "$(grep -c '^Lead ' "$detail")" "two leads in detail"
rm -f "$detail"

# ---- a deployment whose "Client" has no name column ----
e2e_psql 'ALTER TABLE "Client" DROP COLUMN name' >/dev/null
gb extract; assert_rc 0 "extract without \"Client\".name"
assert_eq 0 "$(e2e_sqlite "SELECT count(*) FROM client WHERE name IS NOT NULL")" "no name: NULL"

rm -f "$csv" "$json" "$x"
assert_no_pii
e2e_pass
