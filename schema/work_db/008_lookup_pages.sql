-- Issue 8: how fetch looks each location up (per-lead, batched, scan), and the raw pages of a
-- location scan with their cursor, so a killed scan resumes from its last page. fetch derives each
-- lead's fetch_result from these pages; plan reads fetch_result only, as before.
CREATE TABLE lookup_location (
  client_id      TEXT PRIMARY KEY,
  location_id    TEXT NOT NULL,
  contacts_total INTEGER,            -- the probe's (or first scan page's) total: contacts of the location
  strategy       TEXT,               -- per-lead | batched | scan: the last choice
  reason         TEXT,               -- why, no PII: forced | cheapest | batch_rejected | scan_failed ...
  scan_complete  INTEGER NOT NULL DEFAULT 0,  -- 1 once every page of the current scan is read
  follow_ups     TEXT,               -- why follow-up GETs stopped for this location, no PII (NULL: they did not)
  updated_at     TEXT NOT NULL
);

CREATE TABLE lookup_page (
  client_id    TEXT NOT NULL,
  seq          INTEGER NOT NULL,     -- 0-based page number within the scan
  cursor       TEXT,                 -- searchAfter sent for this page (NULL: the first page)
  next_cursor  TEXT,                 -- searchAfter of its last contact (NULL: none)
  total        INTEGER NOT NULL,     -- GHL's total on this page
  body         TEXT NOT NULL,        -- the page as GHL sent it (personal data: the work DB is 0600)
  fetched_at   TEXT NOT NULL,
  fetch_run    INTEGER NOT NULL,
  PRIMARY KEY (client_id, seq)
);
