#!/usr/bin/env bash
# extract --client-id refreshes the linked contact ids rather than reading the whole table again
# (refreshLinked): between two extracts of one tenant, another tenant's leads link, move and unlink
# contacts, and each time the plan sees the contact ids as the table holds them:
#   - a contact linked since the last extract by another tenant's lead is a conflict;
#   - a contact our tenant's lead held, moved to another tenant's lead, is a conflict for our lead
#     (its stored holder was our own lead, which would have let it take the contact back);
#   - a contact unlinked since is free again;
#   - past the 5,000 holder look-ups of a run, a new link is stored with its holder not known, still
#     a conflict, and the next run looks the holder up.
# Application writes move "updatedAt" (app_sql): the next run reads only the leads changed since
# the last one (read=changes), as long as the number of linked ids matches; writes that leave
# "updatedAt" alone (raw_sql) and change that number, and deleted leads, make it compare every id
# (read=all); so do --full, a full extract in between, and more changed leads than a fifth of the
# linked ids and 1,000. Blank contact ids (a space, U+3000) are
# no links, in the count as in the ids. A new work DB writes the ids while it reads them: stopped
# in the middle it leaves nothing, and the next run (and one with --snapshot pages, on one
# connection) writes every id byte for byte.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init extract_client_linked
e2e_load_sql "$GHLB_SRC/tests/e2e/data/guards.sql"
old="'2020-01-01 00:00:00'"
e2e_psql "INSERT INTO \"Client\"(id, name, \"ghlLocationId\", \"ghlPrivateKey\", \"userId\", \"createdAt\", \"updatedAt\")
          VALUES ('client-h', 'Other Inc', 'locOther00000001', 'tok-other-secret-1', 'u1', now(), now());
          INSERT INTO \"Lead\"(id, \"clientId\", \"ghlContactId\", email, \"createdAt\", \"updatedAt\") VALUES
            ('lead-h1', 'client-h', NULL, 'h1@example.com', now(), $old),
            ('lead-h2', 'client-h', NULL, 'h2@example.com', now(), $old),
            ('lead-h3', 'client-h', ' ', 'h3@example.com', now(), $old),
            ('lead-h4', 'client-h', E'\\u3000', 'h4@example.com', now(), $old);
          UPDATE \"Lead\" SET \"ghlContactId\" = 'cStaleStale00001' WHERE id = 'lead-stale'" >/dev/null
e2e_start_sim "$GHLB_SRC/tests/e2e/data/guards-sim.json"
linked='SELECT contact_id || ">" || lead_id FROM linked_contact ORDER BY contact_id'
plan_of() { e2e_sqlite "SELECT status || ' ' || coalesce(other_lead, '-') FROM plan_lead WHERE lead_id = '$1'"; }
# extract_g ARGS: extract --client-id client-g; XERR is its stderr. read_by: how it refreshed the
# linked ids (all or changes).
extract_g() { gb extract --client-id client-g "$@"; XERR=$GB_ERR; }
read_by() { grep -o 'extract_linked_refreshed read=[a-z]*' "$XERR" | sed 's/.*read=//'; }
# An application write sets "updatedAt"; a raw one leaves it in the past.
app_sql() { e2e_psql "$1" >/dev/null; }
raw_sql() { e2e_psql "$1" >/dev/null; }
round() {
  extract_g "${@:2}"; assert_rc 0 "extract --client-id ($1)"
  assert_contains "$XERR" "extract_linked_refreshed"
  gb fetch --client-id client-g; assert_rc 0 "fetch ($1)"
  gb plan --client-id client-g; assert_rc 0 "plan ($1)"
}

round "first"
assert_eq "all" "$(read_by)" "a new work DB reads every id"
assert_eq "cStaleStale00001>lead-stale" "$(e2e_sqlite "$linked")" "lead-stale holds its contact"
assert_eq "fill -" "$(plan_of lead-ok)" "lead-ok takes its contact"

# Another tenant's lead links lead-ok's contact; lead-stale's contact moves to another tenant's lead.
app_sql "UPDATE \"Lead\" SET \"ghlContactId\" = 'cOkOkOkOkOk000001', \"updatedAt\" = now() WHERE id = 'lead-h1';
         UPDATE \"Lead\" SET \"ghlContactId\" = NULL, \"updatedAt\" = now() WHERE id = 'lead-stale';
         UPDATE \"Lead\" SET \"ghlContactId\" = 'cStaleStale00001', \"updatedAt\" = now() WHERE id = 'lead-h2'"
round "after the links changed"
assert_eq "changes" "$(read_by)" "application writes: the changed leads only"
assert_contains "$XERR" "changed_leads=3 linked_contacts=2 added=1 removed=0 moved=1 holders_looked_up=0"
assert_eq "cOkOkOkOkOk000001>lead-h1 cStaleStale00001>lead-h2" "$(e2e_sqlite "$linked" | tr '\n' ' ' | sed 's/ $//')" \
  "the new link and the moved one, each with its holder"
assert_eq "conflict lead-h1" "$(plan_of lead-ok)" "a contact linked since by another tenant is a conflict"
assert_eq "conflict lead-h2" "$(plan_of lead-stale)" "a contact moved away from our lead is a conflict for it"

# Both unlinked: free again. The changes alone cannot say which stored ids went: every id is compared.
app_sql "UPDATE \"Lead\" SET \"ghlContactId\" = NULL, \"updatedAt\" = now() WHERE id IN ('lead-h1', 'lead-h2')"
round "after the unlinks"
assert_eq "all" "$(read_by)" "fewer linked ids than stored: every id compared"
assert_eq "" "$(e2e_sqlite "$linked")" "no linked contact left"
assert_eq "fill -" "$(plan_of lead-ok)" "lead-ok takes its contact again"
assert_eq "fill -" "$(plan_of lead-stale)" "lead-stale takes its contact again"

# More new links than one run looks up (5,000 holders), by writes that left "updatedAt" alone: the
# count differs, every id is compared; the rest are stored with no holder, which is still a
# conflict; the next run (from the changes: the count matches) looks up 1,000 holders not known at
# most. The 5,500 cFill ids sort before lead-ok's.
raw_sql "INSERT INTO \"Lead\"(id, \"clientId\", \"ghlContactId\", \"createdAt\", \"updatedAt\")
           SELECT 'lead-x' || i, 'client-h', 'cFill' || lpad(i::text, 11, '0'), now(), $old
           FROM generate_series(1, 5500) i;
         UPDATE \"Lead\" SET \"ghlContactId\" = 'cOkOkOkOkOk000001', \"updatedAt\" = $old WHERE id = 'lead-h1'"
extract_g; assert_rc 0 "extract --client-id (5,501 new links)"
assert_eq "all" "$(read_by)" "links made by raw writes change the count: every id compared"
assert_contains "$XERR" "added=5501 removed=0 moved=0 holders_looked_up=5000 holders_not_known=501"
gb plan --client-id client-g; assert_rc 0 "plan (holder not known)"
assert_eq "conflict " "$(plan_of lead-ok)" "a contact whose holder is not known yet is still a conflict"
extract_g; assert_rc 0 "extract --client-id (the holders not known)"
assert_eq "changes" "$(read_by)" "nothing changed: the changed leads only"
assert_contains "$XERR" "added=0 removed=0 moved=0 holders_looked_up=501 holders_not_known=0"
gb plan --client-id client-g; assert_rc 0 "plan (holder known)"
assert_eq "conflict lead-h1" "$(plan_of lead-ok)" "the next run found the holder"

# A deleted lead moves no "updatedAt": the count says its contact is linked no more.
app_sql "DELETE FROM \"Lead\" WHERE id = 'lead-h1'"
round "after a delete"
assert_eq "all" "$(read_by)" "a linked lead deleted: every id compared"
assert_contains "$XERR" "linked_contacts=5500 added=0 removed=1"
assert_eq "fill -" "$(plan_of lead-ok)" "the deleted lead's contact is free again"

# A raw write that keeps the count (lead-x1 gives its contact up for lead-ok's) is not seen from
# the changes; --full compares every id.
raw_sql "UPDATE \"Lead\" SET \"ghlContactId\" = 'cOkOkOkOkOk000001' WHERE id = 'lead-x1'"
extract_g; assert_rc 0 "extract --client-id (a raw write, same count)"
assert_eq "changes" "$(read_by)" "the same count: the changed leads only"
round "--full" --full
assert_eq "all" "$(read_by)" "--full compares every id"
assert_contains "$XERR" "linked_contacts=5500 added=1 removed=1"
assert_eq "conflict lead-x1" "$(plan_of lead-ok)" "--full sees the raw write"

# The application touched many leads (5,500, more than a fifth of the linked ids and 1,000):
# reading every id costs less than the changes.
app_sql "UPDATE \"Lead\" SET \"updatedAt\" = now() WHERE id LIKE 'lead-x%'"
extract_g; assert_rc 0 "extract --client-id (5,500 changed leads)"
assert_eq "all" "$(read_by)" "many changed leads: every id compared"
assert_contains "$XERR" "linked_contacts=5500 added=0 removed=0 moved=0 holders_looked_up=0 holders_not_known=0"

# A full extract rewrites linked_contact and forgets linked_sync: the next one compares every id.
gb extract; assert_rc 0 "full extract"
assert_eq "0" "$(e2e_sqlite 'SELECT count(*) FROM linked_sync')" "a full extract forgets linked_sync"
extract_g; assert_rc 0 "extract --client-id (after a full extract)"
assert_eq "all" "$(read_by)" "after a full extract: every id compared"
assert_contains "$XERR" "linked_contacts=5500 added=0 removed=0 moved=0"
# A new work DB: the ids are written while they are read (COPY), into linked_new, 5 batches of
# --page-size to a transaction, which replaces linked_contact at the end. SIGTERM after the first
# commit (the test hook pauses there) leaves nothing: no linked_contact row, no linked_sync, no
# linked_new. The next run writes every id, the same as the server's; one that COPY escapes (a
# backslash, a tab) comes back as it is.
raw_sql "UPDATE \"Lead\" SET \"ghlContactId\" = 'cEsc' || chr(92) || 'b' || chr(9) || '02' WHERE id = 'lead-x2'"
main_db=$WORK_DB
WORK_DB="$E2E_DIR/fresh.db"
GHLB_TEST_LINKED_PAUSE_MS=120000 "$GHLB_BIN/ghl-backfill" extract --client-id client-g --page-size 1000 \
  --work-db "$WORK_DB" >"$E2E_DIR/paused.out" 2>"$E2E_DIR/paused.err" &
pid=$!
for ((i = 0; i < 1200; i++)); do
  grep -q extract_linked_paused "$E2E_DIR/paused.err" && break
  kill -0 "$pid" 2>/dev/null || e2e_fail "extract ended before its pause: $(tail -n 2 "$E2E_DIR/paused.err")"
  sleep 0.05
done
assert_contains "$E2E_DIR/paused.err" "extract_linked_paused ids_written=5000"
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
cat "$E2E_DIR/paused.out" "$E2E_DIR/paused.err" >>"$E2E_DIR/all-output.log"
assert_eq "143" "$rc" "SIGTERM in the middle of the write"
assert_contains "$E2E_DIR/paused.err" "stopped on request"
assert_eq "0 0 0 interrupted" "$(e2e_sqlite "SELECT (SELECT count(*) FROM linked_contact),
  (SELECT count(*) FROM linked_sync), (SELECT count(*) FROM sqlite_master WHERE name = 'linked_new'),
  (SELECT status FROM stage_run ORDER BY id DESC LIMIT 1)" | tr '|' ' ')" "a stopped write leaves nothing"
extract_g --page-size 1000; assert_rc 0 "extract --client-id (after the stop)"
assert_eq "all" "$(read_by)" "still a new work DB: every id"
assert_contains "$XERR" \
  "linked_contacts=5500 added=5500 removed=0 moved=0 holders_looked_up=5000 holders_not_known=500"
server_ids=$(e2e_psql "SELECT encode(convert_to(\"ghlContactId\", 'UTF8'), 'hex') FROM \"Lead\"
  WHERE btrim(\"ghlContactId\", ' ' || chr(12288)) <> '' ORDER BY 1" | md5sum)
assert_eq "$server_ids" "$(e2e_sqlite "SELECT lower(hex(contact_id)) FROM linked_contact ORDER BY 1" | md5sum)" \
  "every linked id, byte for byte"
assert_eq "1 1" "$(e2e_sqlite "SELECT count(*), (SELECT not_known = 500 AND linked = 5500 FROM linked_sync)
  FROM linked_contact WHERE contact_id = 'cEsc' || char(92) || 'b' || char(9) || '02'" | tr '|' ' ')" \
  "the escaped id as it is; linked_sync"
# The same with --snapshot pages: one connection, the ids read on a thread over the transaction
# the leads were read in, written meanwhile.
WORK_DB="$E2E_DIR/fresh-pages.db"
extract_g --snapshot pages; assert_rc 0 "extract --client-id --snapshot pages (a new work DB)"
assert_contains "$XERR" \
  "read=all changed_leads=0 linked_contacts=5500 added=5500 removed=0 moved=0 holders_looked_up=5000 holders_not_known=500"
assert_eq "$server_ids" "$(e2e_sqlite "SELECT lower(hex(contact_id)) FROM linked_contact ORDER BY 1" | md5sum)" \
  "every linked id, byte for byte (pages)"
assert_eq "5500 500 5000" "$(e2e_sqlite "SELECT linked, not_known, (SELECT count(*) FROM linked_contact WHERE lead_id LIKE 'lead-x%')
  FROM linked_sync" | tr '|' ' ')" "linked_sync and the holders looked up (pages)"
WORK_DB=$main_db

assert_no_pii
e2e_pass
