-- ghl-backfill work database, version 10: extract's resumable pass and incremental watermark
-- (issues 11, 12). IF NOT EXISTS: harmless on a file that has it already.

-- The full extract under way, at most one: a stopped run records here how far it got, and the
-- next extract of the same scope and --snapshot continues after that key instead of starting over.
CREATE TABLE IF NOT EXISTS extract_pass (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  scope      TEXT NOT NULL,             -- the --client-id values, comma-joined; '' = every tenant
  snapshot   TEXT NOT NULL,             -- whole | pages
  first_run  INTEGER NOT NULL,          -- the run that began the pass: leads with extract_run >= it were seen
  since      TEXT NOT NULL,             -- server time ("updatedAt" clock, UTC) of the pass's first snapshot
  client_id  TEXT NOT NULL DEFAULT '',  -- pages: the tenant in progress ('' = none yet)
  lead_id    TEXT NOT NULL DEFAULT ''   -- the last lead id committed (of that tenant, for pages)
);

-- Per tenant: leads whose "updatedAt" is at or past `since` (less the overlap window) are what
-- extract --incremental reads. Set by each complete full or incremental read of the tenant.
CREATE TABLE IF NOT EXISTS extract_watermark (
  client_id  TEXT PRIMARY KEY,
  since      TEXT NOT NULL,   -- 'YYYY-MM-DD HH:MM:SS.ffffff', the snapshot's start, server clock, UTC
  run        INTEGER NOT NULL
) WITHOUT ROWID;
