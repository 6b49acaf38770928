#!/usr/bin/env bash
# A first full extract reads the leads by COPY ... TO STDOUT (LeadCopy, which the server may run in
# parallel); --max-leads, --client-id and a stopped pass continued read them by a cursor. Values
# COPY escapes (tab, newline, carriage return, backslash, the text \N, control and non-ASCII
# characters, an empty string) and NULLs come back byte for byte the same either way; only the
# eligible leads of the tenants that take part are read (a value of whitespace is blank, one that
# only starts with it is not); a stop in the middle of the COPY keeps
# what was committed, and the continued pass ends with the same snapshot.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init extract_copy
e2e_load_sql "$GHLB_SRC/tests/e2e/data/guards.sql"
e2e_load_sql - <<'SQL'
INSERT INTO "Client"(id, name, "ghlLocationId", "ghlPrivateKey", "userId", "createdAt", "updatedAt") VALUES
  (E'client-\\t"x', 'Quoted Inc', 'locQuoted0000001', 'tok-quoted-secret', 'u1', now(), now()),
  ('client-off', 'Off Inc', NULL, 'tok-off-secret', 'u1', now(), now());
INSERT INTO "Lead"(id, "clientId", "ghlContactId", email, phone, "firstName", "lastName", "companyName",
                   "enrichmentStatus", "createdAt", "updatedAt") VALUES
  ('lead-copy-1', 'client-g', NULL, E'tab\there@example.com', NULL, E'Qxv\nZwy', E'Bqk\\slash', E'\\N', 'pending', now(), now()),
  ('lead-copy-2', 'client-g', E'c\\x01', 'two@example.com', '', E'cr\r', E'\u00e9t\u00e9\u3000', E'x\\ty', NULL, now(), now()),
  (E'lead-copy-\\3', E'client-\\t"x', NULL, NULL, '+15550001111', NULL, E'\x01Kqzw', 'Acme', 'pending', now(), now()),
  ('lead-copy-off', 'client-off', NULL, 'off@example.com', NULL, NULL, NULL, NULL, 'pending', now(), now()),
  ('lead-copy-full', 'client-g', 'cFullFull0000001', 'full@example.com', '+15550002222', 'Annqz', 'Leeqz', 'Full Co', 'pending', now(), now()),
  ('lead-copy-blank', 'client-g', 'cBlankBlank00001', 'blank@example.com', E' \u3000\t', 'Annqz', 'Leeqz', 'Full Co', 'pending', now(), now()),
  ('lead-copy-spaced', 'client-g', 'cSpacedSpaced001', 'spaced@example.com', E'\u3000+15550003333', 'Annqz', 'Leeqz', 'Full Co', 'pending', now(), now());
SQL
e2e_start_sim "$GHLB_SRC/tests/e2e/data/guards-sim.json"
h() { echo "iif($1 IS NULL, 'NULL', hex($1))"; }  # hex(NULL) is '' in SQLite, as is hex('')
snapshot="SELECT hex(id), hex(client_id), hex(location_id), $(h ghl_contact_id), $(h email), $(h phone), $(h first_name),
            $(h last_name), $(h company_name), $(h enrichment_status), eligible FROM lead ORDER BY id"
read_by() { grep -o 'extract_leads_read by=[a-z]*' "$GB_ERR" | sed 's/.*by=//'; }

gb extract; assert_rc 0 "first full extract"
assert_eq copy "$(read_by)" "a first full pass reads by COPY"
copied=$(e2e_sqlite "$snapshot")
WORK_DB="$E2E_DIR/cursor.db" gb extract --max-leads 100000; assert_rc 0 "extract with --max-leads"
assert_eq cursor "$(read_by)" "--max-leads reads by a cursor"
assert_eq "$(WORK_DB="$E2E_DIR/cursor.db" e2e_sqlite "$snapshot")" "$copied" "the same snapshot by COPY and by a cursor"

# The values themselves, against the database's.
in_pg() { e2e_psql "SELECT coalesce(encode(convert_to($1, 'UTF8'), 'hex'), 'NULL') FROM \"Lead\" WHERE id = '$2'" | tr a-f A-F; }
in_work() { e2e_sqlite "SELECT $(h "$1") FROM lead WHERE id = '$2'"; }
for lead in lead-copy-1 lead-copy-2 'lead-copy-\3'; do
  for pair in email:email phone:phone '"firstName":first_name' '"lastName":last_name' '"companyName":company_name' \
              '"ghlContactId":ghl_contact_id' '"enrichmentStatus":enrichment_status'; do
    assert_eq "$(in_pg "${pair%%:*}" "$lead")" "$(in_work "${pair##*:}" "$lead")" "$lead ${pair##*:} byte for byte"
  done
done
assert_eq 5C4E "$(in_work company_name lead-copy-1)" "the text \\N is not NULL"
assert_eq "" "$(in_work phone lead-copy-2)" "an empty phone is not NULL"
assert_eq 1 "$(e2e_sqlite "SELECT count(*) FROM lead WHERE id = 'lead-copy-\\3' AND client_id = 'client-\\t\"x'")" \
  "a lead of a tenant whose id needs quoting"
assert_eq 0 "$(e2e_sqlite "SELECT count(*) FROM lead WHERE id IN ('lead-copy-off', 'lead-copy-full', 'lead-copy-spaced')")" \
  "no lead of a tenant that takes no part, no lead with nothing missing (a phone led by U+3000 is not blank)"
assert_eq 1 "$(e2e_sqlite "SELECT count(*) FROM lead WHERE id = 'lead-copy-blank'")" "a phone of spaces, U+3000 and a tab is blank"

# Stopped after the first batch of the COPY (one lead a batch), then continued by a cursor.
GHLB_TEST_PAUSE_MS=120000 "$GHLB_BIN/ghl-backfill" extract --page-size 1 --work-db "$E2E_DIR/stopped.db" \
  >"$E2E_DIR/stopped.out" 2>"$E2E_DIR/stopped.err" &
pid=$!
for ((i = 0; i < 600; i++)); do
  [[ "$(sqlite3 "$E2E_DIR/stopped.db" 'SELECT count(*) FROM lead' 2>/dev/null)" == 1 ]] && break
  sleep 0.05
done
kill -TERM "$pid"; rc=0; wait "$pid" || rc=$?
cat "$E2E_DIR/stopped.out" "$E2E_DIR/stopped.err" >>"$E2E_DIR/all-output.log"
assert_eq 143 "$rc" "a stop in the middle of the COPY"
assert_contains "$E2E_DIR/stopped.err" "extract_leads_read by=copy"
assert_eq 1 "$(WORK_DB="$E2E_DIR/stopped.db" e2e_sqlite 'SELECT count(*) FROM lead')" "the first batch is kept"
WORK_DB="$E2E_DIR/stopped.db" gb extract; assert_rc 0 "the pass continues"
assert_eq cursor "$(read_by)" "a continued pass reads after its key by a cursor"
assert_eq "$copied" "$(WORK_DB="$E2E_DIR/stopped.db" e2e_sqlite "$snapshot")" "the continued pass ends with the same snapshot"

assert_no_pii
e2e_pass
