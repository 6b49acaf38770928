-- ghl-backfill work database, version 7: waves and the apply journal (issue 6, waves and undo).
-- Every apply that writes is a wave (numbered 1, 2, 3, ... in each work DB) with its selection;
-- every value a wave wrote is journaled with the value it replaced, so that `revert WAVE` can put
-- back exactly what this tool changed and nothing the application wrote since. Ids and the values
-- of "Lead" only (the journal holds PII, as the snapshot does); never a token.
CREATE TABLE wave (
  id           INTEGER PRIMARY KEY,          -- 1, 2, 3 ...: what `revert WAVE` names
  plan_id      INTEGER NOT NULL,             -- plan.id the wave applied
  apply_run    INTEGER NOT NULL REFERENCES stage_run(id),
  selection    TEXT NOT NULL,                -- JSON: client_ids, fields, limit, sample, leads
  started_at   TEXT NOT NULL,                -- ISO-8601 UTC
  finished_at  TEXT,
  status       TEXT NOT NULL,                -- running | done | interrupted | retryable
  counts       TEXT NOT NULL DEFAULT '{}'    -- JSON object of counters ("field:outcome": n)
);

-- One row per value a wave wrote. before: the value the field held at write time (NULL, '' or
-- blank: what the statement replaced); after: the value actually written (for "enrichedAt" the
-- timestamp PostgreSQL stored, as text). revert restores before only where the field still holds
-- after; it records what it did in reverted_at and revert_outcome.
CREATE TABLE journal (
  wave            INTEGER NOT NULL REFERENCES wave(id),
  lead_id         TEXT NOT NULL,
  field           TEXT NOT NULL,            -- fields.h: plan_item.field
  before          TEXT,
  after           TEXT NOT NULL,
  written_at      TEXT NOT NULL,            -- ISO-8601 UTC
  reverted_at     TEXT,                     -- NULL: not reverted (yet)
  revert_outcome  TEXT,                     -- restored | left_changed
  PRIMARY KEY (wave, lead_id, field)
) WITHOUT ROWID;
CREATE INDEX journal_lead ON journal(lead_id, field);
