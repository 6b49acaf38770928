-- ghl-backfill work database, version 1.
-- One file shared by the four stages. It holds lead data (PII) but never a GHL token.

-- One row per stage invocation: what ran, when, with which options (no secrets), and its counts.
CREATE TABLE stage_run (
  id          INTEGER PRIMARY KEY,
  stage       TEXT NOT NULL,               -- extract | fetch | plan | apply
  started_at  TEXT NOT NULL,               -- ISO-8601 UTC
  finished_at TEXT,
  status      TEXT NOT NULL,               -- running | done | retryable | failed
  options     TEXT NOT NULL DEFAULT '{}',  -- JSON, ids and numbers only
  counts      TEXT NOT NULL DEFAULT '{}'   -- JSON object of counters
);

-- Participating tenants as extract saw them. No name, no token.
CREATE TABLE client (
  id           TEXT PRIMARY KEY,
  location_id  TEXT NOT NULL,
  extract_run  INTEGER NOT NULL REFERENCES stage_run(id)
);

-- The snapshot: each eligible lead with its current values (NULL = NULL in PostgreSQL).
CREATE TABLE lead (
  id                TEXT PRIMARY KEY,
  client_id         TEXT NOT NULL,
  location_id       TEXT NOT NULL,
  ghl_contact_id    TEXT,
  email             TEXT,
  phone             TEXT,
  first_name        TEXT,
  last_name         TEXT,
  company_name      TEXT,
  enrichment_status TEXT,
  eligible          INTEGER NOT NULL DEFAULT 1,  -- 0: no longer eligible at the last full extract
  extract_run       INTEGER NOT NULL REFERENCES stage_run(id)
);
CREATE INDEX lead_client ON lead(client_id, id);

-- Every contact id linked to any lead of the whole "Lead" table at extract time.
CREATE TABLE linked_contact (
  contact_id TEXT PRIMARY KEY,
  lead_id    TEXT NOT NULL
) WITHOUT ROWID;

-- The raw GHL answer per lead. lookup_key is what was looked up (contact id or normalized email):
-- when the snapshot's key changes, the result no longer applies and fetch does it again.
CREATE TABLE fetch_result (
  lead_id       TEXT PRIMARY KEY,
  lookup        TEXT NOT NULL,     -- get | search | none | invalid_id
  lookup_key    TEXT,
  outcome       TEXT NOT NULL,     -- see outcome.h: found | not_found | ... | transient
  http_status   INTEGER,           -- last HTTP status, NULL when no response
  detail        TEXT,              -- failure class detail (no PII): e.g. "timeout", "malformed_json"
  search_body   TEXT,              -- raw JSON of POST /contacts/search
  contact_body  TEXT,              -- raw JSON of GET /contacts/{id}
  attempts      INTEGER NOT NULL DEFAULT 0,
  fetched_at    TEXT NOT NULL,
  fetch_run     INTEGER NOT NULL REFERENCES stage_run(id)
);
CREATE INDEX fetch_result_outcome ON fetch_result(outcome);

-- The plan: one row per lead of the snapshot, computed by plan from snapshot + fetch_result only.
CREATE TABLE plan_lead (
  lead_id     TEXT PRIMARY KEY,
  client_id   TEXT NOT NULL,
  status      TEXT NOT NULL,   -- see plan.h: fill | nothing_to_fill | not_found | conflict | ...
  contact_id  TEXT,            -- contact the lead is (or would be) linked to
  link        INTEGER NOT NULL DEFAULT 0,  -- 1 when plan sets "ghlContactId"
  ambiguous   INTEGER NOT NULL DEFAULT 0,  -- several contacts had the lead's email
  note        TEXT,            -- machine-readable reason, no PII
  plan_run    INTEGER NOT NULL REFERENCES stage_run(id)
);
CREATE INDEX plan_lead_client ON plan_lead(client_id, status);

-- One row per field to write. field is the PostgreSQL column name.
CREATE TABLE plan_item (
  lead_id    TEXT NOT NULL REFERENCES plan_lead(lead_id) ON DELETE CASCADE,
  field      TEXT NOT NULL,
  old_value  TEXT,
  new_value  TEXT NOT NULL,
  PRIMARY KEY (lead_id, field)
) WITHOUT ROWID;

-- Fields reported but not written (e.g. a phone with no storage form), for the review.
CREATE TABLE plan_report (
  lead_id  TEXT NOT NULL,
  field    TEXT NOT NULL,
  reason   TEXT NOT NULL,
  PRIMARY KEY (lead_id, field)
) WITHOUT ROWID;

-- What apply did, per lead and field. A row here is final: apply never writes that field again.
CREATE TABLE apply_log (
  lead_id    TEXT NOT NULL,
  field      TEXT NOT NULL,
  outcome    TEXT NOT NULL,   -- written | already_set | stale | conflict | gone
  new_value  TEXT,
  applied_at TEXT NOT NULL,
  apply_run  INTEGER NOT NULL REFERENCES stage_run(id),
  PRIMARY KEY (lead_id, field)
) WITHOUT ROWID;
