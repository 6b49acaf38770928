#!/usr/bin/env bash
# Any interleaving of fetch, plan and apply rounds ends like one uninterrupted run: with ~30% of
# GHL requests failing (no retries inside fetch), leads finish their lookups in any order, and
# apply runs every round. Leads that share an email in a location must still be linked by the
# smallest lead id (a larger one waits while a smaller one has no final lookup), so the final
# "Lead" table equals the one of a second database that got one run without faults.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init rounds
bash "$GHLB_SRC/tests/e2e/data/rounds-gen.sh" "$E2E_DIR"
e2e_load_sql "$E2E_DIR/app.sql"

# The backfill's columns per lead, timestamps reduced to "set or not".
state() {
  e2e_psql "SELECT string_agg(id || ':' || md5(ROW(\"ghlContactId\", email, phone, \"firstName\", \"lastName\",
              \"companyName\", \"enrichmentStatus\", \"enrichmentSource\", \"enrichedAt\" IS NULL)::text), ',' ORDER BY id)
            FROM \"Lead\""
}

# Reference: a second database, one uninterrupted run against a sim without faults.
ref_db="${E2E_DB}_ref"
ref_url=$("$GHLB_SRC/tools/pg-cluster" createdb "$GHLB_PG_DIR" "$ref_db" "$GHLB_SRC/schema/app_db.sql" \
            "$E2E_DIR/app.sql")
e2e_start_sim "$E2E_DIR/sim.json" --burst 10000
gb_raw run --apply --yes --work-db "$E2E_DIR/ref.db" --database-url "$ref_url"; assert_rc 0 "uninterrupted run"
reference=$(DATABASE_URL=$ref_url state)
linked_ref=$(DATABASE_URL=$ref_url e2e_psql "SELECT count(*) FROM \"Lead\" WHERE \"ghlContactId\" IS NOT NULL")
psql -X -q -d "${DATABASE_URL%/*}/postgres" -c "DROP DATABASE \"$ref_db\" WITH (FORCE)" >/dev/null
[[ $linked_ref -ge 30 ]] || e2e_fail "reference run linked only $linked_ref leads: the data proves nothing"

# Rounds with faults: fetch (no retries), plan, apply, until fetch and apply both exit 0.
e2e_start_sim "$E2E_DIR/sim.json" --burst 10000 --fail-rate 0.3 --seed 7
gb extract; assert_rc 0 "extract"
waited=0 done=0
for round in $(seq 30); do
  gb fetch --max-retries 0; fetch_rc=$GB_RC
  [[ $fetch_rc -eq 0 || $fetch_rc -eq 3 ]] || assert_rc 3 "fetch round $round"
  gb plan; [[ $GB_RC -eq 0 || $GB_RC -eq 3 ]] || assert_rc 3 "plan round $round"
  waited=$((waited + $(e2e_sqlite "SELECT count(*) FROM plan_lead WHERE status = 'waiting'")))
  unfinished=$(e2e_sqlite "SELECT count(*) FROM plan_lead WHERE status IN ('pending', 'waiting')")
  gb apply --yes; apply_rc=$GB_RC
  [[ $apply_rc -eq 0 || $apply_rc -eq 3 ]] || assert_rc 3 "apply round $round"
  [[ $unfinished -eq 0 || $apply_rc -eq 3 ]] || e2e_fail "apply exited $apply_rc with $unfinished leads pending or waiting"
  assert_eq 0 "$(e2e_sqlite "SELECT count(*) FROM apply_log a JOIN plan_lead p USING (lead_id) WHERE p.status = 'waiting'")" \
    "nothing applied of a waiting lead (round $round)"
  if [[ $fetch_rc -eq 0 && $apply_rc -eq 0 ]]; then done=1; break; fi
done
[[ $done -eq 1 ]] || e2e_fail "still not done after $round rounds"
final=$(state)
if [[ "$final" != "$reference" ]]; then
  differ=$(comm -3 <(tr ',' '\n' <<<"$reference" | sort) <(tr ',' '\n' <<<"$final" | sort) | cut -d: -f1 | tr -d '\t' \
           | sort -u)
  e2e_fail "final Lead table differs from the uninterrupted run's in $(wc -l <<<"$differ") leads: $(echo $differ)"
fi
[[ $round -ge 2 && $waited -ge 1 ]] || e2e_fail "no lead ever waited ($round rounds): the faults prove nothing"
echo "rounds: $round, waiting lead-rounds: $waited" >&2
assert_no_pii
e2e_pass
