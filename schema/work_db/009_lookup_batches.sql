-- Issue 8 "Resumable and raw": the answers of OR-batched searches, stored raw page by page with
-- their cursor (as lookup_page keeps a scan's), so a killed batch resumes from its last stored
-- page and each member lead's fetch_result is derived from what is stored. batch_key names the
-- group: a hash of its normalized emails in order (the emails themselves are in the snapshot).
CREATE TABLE lookup_batch_page (
  client_id    TEXT NOT NULL,
  batch_key    TEXT NOT NULL,
  seq          INTEGER NOT NULL,     -- 0-based page number within the group's answer
  cursor       TEXT,                 -- searchAfter sent for this page (NULL: the first page)
  next_cursor  TEXT,                 -- searchAfter of its last contact (NULL: none)
  total        INTEGER NOT NULL,     -- GHL's total on this page
  body         TEXT NOT NULL,        -- the page as GHL sent it (personal data: the work DB is 0600)
  complete     INTEGER NOT NULL DEFAULT 0,  -- 1 once the group's results are recorded
  fetched_at   TEXT NOT NULL,
  fetch_run    INTEGER NOT NULL,
  PRIMARY KEY (client_id, batch_key, seq)
);
