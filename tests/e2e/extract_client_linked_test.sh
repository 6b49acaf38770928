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
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init extract_client_linked
e2e_load_sql "$GHLB_SRC/tests/e2e/data/guards.sql"
e2e_psql "INSERT INTO \"Client\"(id, name, \"ghlLocationId\", \"ghlPrivateKey\", \"userId\", \"createdAt\", \"updatedAt\")
          VALUES ('client-h', 'Other Inc', 'locOther00000001', 'tok-other-secret-1', 'u1', now(), now());
          INSERT INTO \"Lead\"(id, \"clientId\", \"ghlContactId\", email, \"createdAt\", \"updatedAt\") VALUES
            ('lead-h1', 'client-h', NULL, 'h1@example.com', now(), now()),
            ('lead-h2', 'client-h', NULL, 'h2@example.com', now(), now());
          UPDATE \"Lead\" SET \"ghlContactId\" = 'cStaleStale00001' WHERE id = 'lead-stale'" >/dev/null
e2e_start_sim "$GHLB_SRC/tests/e2e/data/guards-sim.json"
linked='SELECT contact_id || ">" || lead_id FROM linked_contact ORDER BY contact_id'
plan_of() { e2e_sqlite "SELECT status || ' ' || coalesce(other_lead, '-') FROM plan_lead WHERE lead_id = '$1'"; }
round() {
  gb extract --client-id client-g; assert_rc 0 "extract --client-id ($1)"
  assert_contains "$GB_ERR" "extract_linked_refreshed"
  gb fetch --client-id client-g; assert_rc 0 "fetch ($1)"
  gb plan --client-id client-g; assert_rc 0 "plan ($1)"
}

round "first"
assert_eq "cStaleStale00001>lead-stale" "$(e2e_sqlite "$linked")" "lead-stale holds its contact"
assert_eq "fill -" "$(plan_of lead-ok)" "lead-ok takes its contact"

# Another tenant's lead links lead-ok's contact; lead-stale's contact moves to another tenant's lead.
e2e_psql "UPDATE \"Lead\" SET \"ghlContactId\" = 'cOkOkOkOkOk000001' WHERE id = 'lead-h1';
          UPDATE \"Lead\" SET \"ghlContactId\" = NULL WHERE id = 'lead-stale';
          UPDATE \"Lead\" SET \"ghlContactId\" = 'cStaleStale00001' WHERE id = 'lead-h2'" >/dev/null
round "after the links changed"
assert_eq "cOkOkOkOkOk000001>lead-h1 cStaleStale00001>lead-h2" "$(e2e_sqlite "$linked" | tr '\n' ' ' | sed 's/ $//')" \
  "the new link and the moved one, each with its holder"
assert_eq "conflict lead-h1" "$(plan_of lead-ok)" "a contact linked since by another tenant is a conflict"
assert_eq "conflict lead-h2" "$(plan_of lead-stale)" "a contact moved away from our lead is a conflict for it"

# Both unlinked: free again.
e2e_psql "UPDATE \"Lead\" SET \"ghlContactId\" = NULL WHERE id IN ('lead-h1', 'lead-h2')" >/dev/null
round "after the unlinks"
assert_eq "" "$(e2e_sqlite "$linked")" "no linked contact left"
assert_eq "fill -" "$(plan_of lead-ok)" "lead-ok takes its contact again"
assert_eq "fill -" "$(plan_of lead-stale)" "lead-stale takes its contact again"

# More new links than one run looks up (5,000 holders): the rest are stored with no holder, which
# is still a conflict; the next run looks them up. The 5,500 cFill ids sort before lead-ok's; the next run looks
# up 1,000 holders not known at most.
e2e_psql "INSERT INTO \"Lead\"(id, \"clientId\", \"ghlContactId\", \"createdAt\", \"updatedAt\")
            SELECT 'lead-x' || i, 'client-h', 'cFill' || lpad(i::text, 11, '0'), now(), now()
            FROM generate_series(1, 5500) i;
          UPDATE \"Lead\" SET \"ghlContactId\" = 'cOkOkOkOkOk000001' WHERE id = 'lead-h1'" >/dev/null
gb extract --client-id client-g; assert_rc 0 "extract --client-id (5,501 new links)"
assert_contains "$GB_ERR" "added=5501 removed=0 moved=0 holders_looked_up=5000 holders_not_known=501"
gb plan --client-id client-g; assert_rc 0 "plan (holder not known)"
assert_eq "conflict " "$(plan_of lead-ok)" "a contact whose holder is not known yet is still a conflict"
gb extract --client-id client-g; assert_rc 0 "extract --client-id (the holders not known)"
assert_contains "$GB_ERR" "added=0 removed=0 moved=0 holders_looked_up=501 holders_not_known=0"
gb plan --client-id client-g; assert_rc 0 "plan (holder known)"
assert_eq "conflict lead-h1" "$(plan_of lead-ok)" "the next run found the holder"
assert_no_pii
e2e_pass
