#!/usr/bin/env bash
# extract reads leads in byte order of id (COLLATE "C"), whatever the database's collation (the
# test databases' default is ICU en-US, where 'a1' < 'B2'), and a stopped pass continues after its
# last id in that same order: a capped extract takes the first leads in byte order, and the one
# after it reads exactly the rest, in both --snapshot kinds; lead_client is there after each, and a
# lead moved to another tenant is refreshed with it.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init extract_key_order
e2e_load_sql - <<'SQL'
INSERT INTO "Client"(id, name, "ghlLocationId", "ghlPrivateKey", "userId", "createdAt", "updatedAt") VALUES
  ('client-k', 'Key Order Inc', 'locKeyOrder000001', 'tok-key-order-secret', 'u1', now(), now());
INSERT INTO "Lead"(id, "clientId", email, "createdAt", "updatedAt") VALUES
  ('a1', 'client-k', 'a1@example.com', now(), now()), ('B2', 'client-k', 'b2@example.com', now(), now()),
  ('c3', 'client-k', 'c3@example.com', now(), now()), ('D4', 'client-k', 'd4@example.com', now(), now()),
  ('e5', 'client-k', 'e5@example.com', now(), now()), ('F6', 'client-k', 'f6@example.com', now(), now());
SQL
snapshot='SELECT id, eligible FROM lead ORDER BY id'
gb extract; assert_rc 0 "full extract"
assert_contains "$GB_OUT" "6 eligible leads (6 new"
full=$(e2e_sqlite "$snapshot")
main_db=$WORK_DB
index_q="SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'lead_client'"

for kind in whole pages; do
  export WORK_DB="$E2E_DIR/resume-$kind.db"
  gb extract --snapshot "$kind" --max-leads 2 --page-size 1; assert_rc 0 "capped $kind extract"
  assert_eq "B2 D4" "$(e2e_sqlite 'SELECT id FROM lead ORDER BY id' | tr '\n' ' ' | sed 's/ $//')" \
    "$kind: the first two leads in byte order"
  # whole: a first extract loads without lead_client from its second batch on; capped, it is built again.
  assert_eq 1 "$(e2e_sqlite "$index_q")" "$kind: lead_client there after the capped extract"
  gb extract --snapshot "$kind" --page-size 1; assert_rc 0 "$kind extract continues"
  assert_contains "$GB_OUT" "4 eligible leads (4 new, 0 refreshed"
  assert_eq "$full" "$(e2e_sqlite "$snapshot")" "$kind: the continued snapshot is the full one"
  assert_eq 1 "$(e2e_sqlite "$index_q")" "$kind: lead_client there after the continued extract"
done

# A lead moved to another tenant is refreshed with its new tenant and location, and lead_client
# finds it there (a refresh leaves client_id alone only while it is the same).
export WORK_DB=$main_db
e2e_load_sql - <<'SQL'
INSERT INTO "Client"(id, name, "ghlLocationId", "ghlPrivateKey", "userId", "createdAt", "updatedAt") VALUES
  ('client-m', 'Moved Inc', 'locMoved00000001', 'tok-moved-secret', 'u1', now(), now());
UPDATE "Lead" SET "clientId" = 'client-m', "updatedAt" = now() WHERE id = 'c3';
SQL
gb extract; assert_rc 0 "extract after the move"
assert_contains "$GB_OUT" "6 refreshed"
assert_eq "client-m|locMoved00000001" "$(e2e_sqlite "SELECT client_id || '|' || location_id FROM lead WHERE id = 'c3'")" \
  "the moved lead's tenant and location"
assert_eq "c3" "$(e2e_sqlite "SELECT group_concat(id) FROM lead INDEXED BY lead_client WHERE client_id = 'client-m'")" \
  "lead_client finds the moved lead under its new tenant"
assert_no_pii
e2e_pass
