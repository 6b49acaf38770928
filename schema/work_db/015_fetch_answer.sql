-- ghl-backfill work database (issue 9): what plan reads of each fetch result, stored by fetch when
-- it stores the result, so that plan never parses a raw body again. One row per fetch_result row
-- written by fetch (fetch_store.cpp): the lookup, its key and outcome as in fetch_result, and for a
-- found lookup the contacts of its bodies in a compact form (contact.h, encodeAnswer; NULL for any
-- other outcome, whose bodies plan does not read). The raw bodies stay in fetch_result.
-- A lead without a row here (a work DB written before this migration, or a fetch_result row written
-- by anything but fetch) is planned from fetch_result's bodies, as before.
CREATE TABLE fetch_answer (
  lead_id     TEXT PRIMARY KEY,
  lookup      TEXT NOT NULL,
  lookup_key  TEXT,
  outcome     TEXT NOT NULL,
  form        BLOB
) WITHOUT ROWID;

-- Any other write to fetch_result drops the lead's row: it can never describe another answer than
-- the one stored (fetch writes fetch_answer after fetch_result, in the same transaction).
CREATE TRIGGER fetch_answer_insert AFTER INSERT ON fetch_result BEGIN
  DELETE FROM fetch_answer WHERE lead_id = new.lead_id;
END;
CREATE TRIGGER fetch_answer_update AFTER UPDATE ON fetch_result BEGIN
  DELETE FROM fetch_answer WHERE lead_id = old.lead_id OR lead_id = new.lead_id;
END;
CREATE TRIGGER fetch_answer_delete AFTER DELETE ON fetch_result BEGIN
  DELETE FROM fetch_answer WHERE lead_id = old.lead_id;
END;
