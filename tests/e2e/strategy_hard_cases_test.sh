#!/usr/bin/env bash
# Issue 8: a generated fixture with the hard cases, fetched with every strategy from a fresh
# simulator and work DB, gives one set of fetch outcomes and one final application table:
# location A has 1,100 contacts (a scan reads 3 pages of 500), primary emails differing from the
# leads' only in case and whitespace, one email on two contacts on different pages (the older
# wins, flagged ambiguous), leads by contact id (one gone, some whose search form lacks names),
# and emails that exist only in location B or in both (matched within the lead's own location
# only). Also: a scan stopped mid-walk resumes from its last stored page, a scan hit by the
# search backend's point-in-time 429s, and a server that rejects OR groups (batched falls back
# to per-lead and says so).
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init strategy_hard_cases

loc_a=locAAAAAAAAAAAAAAAAA01
loc_b=locBBBBBBBBBBBBBBBBB01
{
  echo "INSERT INTO \"Client\"(id, name, \"ghlLocationId\", \"ghlPrivateKey\", \"userId\", \"createdAt\", \"updatedAt\") VALUES
    ('client-a', 'A', '$loc_a', 'token-a-secret-0001', 'u', now(), now()),
    ('client-b', 'B', '$loc_b', 'token-b-secret-0001', 'u', now(), now());"
  echo "INSERT INTO \"Lead\"(id, \"clientId\", email, \"createdAt\", \"updatedAt\")
        SELECT 'lead-a-' || lpad(i::text, 4, '0'), 'client-a', 'p' || i || '@a.example.com', now(), now()
        FROM generate_series(1, 300) i;"
  echo "INSERT INTO \"Lead\"(id, \"clientId\", \"ghlContactId\", email, \"createdAt\", \"updatedAt\")
        SELECT 'lead-a-id-' || i, 'client-a', 'cta' || lpad(i::text, 13, '0'), 'x' || i || '@a.example.com', now(), now()
        FROM generate_series(500, 519) i;"
  echo "INSERT INTO \"Lead\"(id, \"clientId\", \"ghlContactId\", \"createdAt\", \"updatedAt\") VALUES
    ('lead-a-gone', 'client-a', 'ctagone000000000', now(), now());"
  echo "INSERT INTO \"Lead\"(id, \"clientId\", email, \"createdAt\", \"updatedAt\") VALUES
    ('lead-a-shared', 'client-a', 'shared@x.example.com', now(), now()),
    ('lead-a-onlyb', 'client-a', 'onlyb@b.example.com', now(), now()),
    ('lead-b-shared', 'client-b', 'shared@x.example.com', now(), now());"
  echo "INSERT INTO \"Lead\"(id, \"clientId\", email, \"createdAt\", \"updatedAt\")
        SELECT 'lead-b-' || lpad(i::text, 4, '0'), 'client-b', 'q' || i || '@b.example.com', now(), now()
        FROM generate_series(1, 30) i;"
} | e2e_load_sql -
e2e_psql 'CREATE TABLE lead_backup AS SELECT * FROM "Lead"' >/dev/null

# Contact I of A: added I minutes after 2023-01-01 (so scan pages follow I); every 7th primary
# email in upper case with spaces; every 50th without names in the search form.
awk -v la="$loc_a" -v lb="$loc_b" 'BEGIN {
  printf "{\"locations\": [{\"id\": \"%s\", \"token\": \"token-a-secret-0001\", \"contacts\": [\n", la
  for (i = 1; i <= 1100; i++) {
    email = "p" i "@a.example.com"
    if (i % 7 == 0) email = "  P" i "@A.Example.COM "
    if (i >= 500 && i < 520) email = "x" i "@a.example.com"
    if (i == 1099) email = "p3@a.example.com"
    if (i == 1100) email = "shared@x.example.com"
    date = sprintf("2023-01-%02dT%02d:%02d:00.000Z", 1 + int(i / 1440), int(i % 1440 / 60), i % 60)
    printf "{\"id\": \"cta%013d\", \"email\": \"%s\", \"phone\": \"+1 415 555 %04d\", \"firstName\": \"F%d\", \"lastName\": \"L%d\", \"companyName\": \"Co%d\", \"dateAdded\": \"%s\"%s}%s\n",
      i, email, i, i, i, i, date, (i % 50 == 0 ? ", \"searchOmitNames\": true" : ""), (i < 1100 ? "," : "")
  }
  printf "]}, {\"id\": \"%s\", \"token\": \"token-b-secret-0001\", \"contacts\": [\n", lb
  for (i = 1; i <= 30; i++)
    printf "{\"id\": \"ctb%013d\", \"email\": \"q%d@b.example.com\", \"phone\": \"+1 212 555 %04d\", \"firstName\": \"G\", \"lastName\": \"H\", \"companyName\": \"B\", \"dateAdded\": \"2023-02-01T00:00:00.000Z\"},\n", i, i, i
  printf "{\"id\": \"ctb9999999999998\", \"email\": \"onlyb@b.example.com\", \"phone\": \"+1 212 555 9998\"},\n"
  printf "{\"id\": \"ctb9999999999999\", \"email\": \"shared@x.example.com\", \"phone\": \"+1 212 555 9999\"}\n"
  printf "]}]}\n"
}' >"$E2E_DIR/sim.json"

final='SELECT id || '"'|'"' || concat_ws('"'|'"', "ghlContactId", email, phone, "firstName", "lastName",
       "companyName", "enrichmentStatus") FROM "Lead" ORDER BY id COLLATE "C"'
outcomes='SELECT lead_id || "|" || outcome || "|" || IFNULL(detail, "") FROM fetch_result ORDER BY lead_id'
before=$(e2e_psql "$final")
declare -A table result requests

# run NAME [FETCH FLAGS...]: fetch (until nothing is retryable), plan, apply; keeps the outcomes,
# the final table and the requests; restores the application table.
run() {
  local name=$1
  shift
  WORK_DB="$E2E_DIR/work-$name.db"
  [[ -e "$WORK_DB" ]] || { gb extract; assert_rc 0 "extract ($name)"; }
  e2e_fetch_settled "fetch $name ends with nothing retryable" "$@"
  requests[$name]=$(e2e_sim_counter requests)
  result[$name]=$(e2e_sqlite "$outcomes")
  gb plan; assert_rc 0 "plan ($name)"
  gb apply --yes; assert_rc 0 "apply ($name)"
  table[$name]=$(e2e_psql "$final")
  e2e_psql 'DELETE FROM "Lead"; INSERT INTO "Lead" SELECT * FROM lead_backup' >/dev/null
  echo "$name: ${requests[$name]} requests" >>"$E2E_DIR/figures"
}

for s in per-lead batched scan auto; do
  e2e_start_sim "$E2E_DIR/sim.json" --window-ms 1000
  run "$s" --strategy "$s"
done

# A scan stopped after its first pages (the cap), then resumed: page 0 of A is not read again.
e2e_start_sim "$E2E_DIR/sim.json" --window-ms 1000
WORK_DB="$E2E_DIR/work-resumed.db"
gb extract; assert_rc 0 "extract (resumed)"
gb fetch --strategy scan --max-requests 2
assert_rc 3 "the capped scan leaves work"
first_run=$(e2e_sqlite "SELECT max(id) FROM stage_run WHERE stage = 'fetch'")
assert_eq 1 "$(e2e_sqlite "SELECT count(*) FROM lookup_page WHERE client_id = 'client-a'")" "one page of A stored"
run resumed --strategy scan
assert_eq "0|$first_run 1|$((first_run + 1)) 2|$((first_run + 1))" \
          "$(e2e_sqlite "SELECT group_concat(seq || '|' || fetch_run, ' ') FROM
                         (SELECT * FROM lookup_page WHERE client_id = 'client-a' ORDER BY seq)")" \
          "A's scan: page 0 from the stopped run, pages 1 and 2 from the resumed one"

# The search backend's point-in-time 429 on every 2nd cursor page.
e2e_start_sim "$E2E_DIR/sim.json" --window-ms 1000 --pit-429-every 2
run pit --strategy scan
[[ $(e2e_sim_counter rate_limited) -ge 1 ]] || e2e_fail "no point-in-time 429 was sent: the case proves nothing"

# A server that rejects OR groups: batched goes on per lead, and says so.
e2e_start_sim "$E2E_DIR/sim.json" --window-ms 1000 --reject-or
run rejected --strategy batched
assert_contains "$E2E_DIR/all-output.log" "strategy_fallback"

cat "$E2E_DIR/figures"
[[ "${table[per-lead]}" != "$before" ]] || e2e_fail "per-lead wrote nothing: the comparison proves nothing"
grep -qxF "lead-a-0003|found|ambiguous" <<<"${result[per-lead]}" || e2e_fail "lead-a-0003 is not found ambiguous"
grep -qxF "lead-a-gone|contact_gone|http_404" <<<"${result[per-lead]}" || e2e_fail "lead-a-gone is not contact_gone"
for s in batched scan auto resumed pit rejected; do
  assert_eq "${result[per-lead]}" "${result[$s]}" "fetch outcomes of $s are per-lead's"
  assert_eq "${table[per-lead]}" "${table[$s]}" "the application table after $s is the one after per-lead"
done
[[ $((requests[per-lead] / requests[scan])) -ge 20 ]] || e2e_fail "scan: ${requests[scan]} requests, per-lead ${requests[per-lead]}"
assert_no_pii
e2e_pass
