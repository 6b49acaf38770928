-- ghl-backfill work database, version 16: what `extract --client-id` knows about linked_contact,
-- so that the next one reads only the leads changed since instead of every linked contact id
-- (issue 12). A row exists only while linked_contact holds exactly the contact ids linked in
-- "Lead" as of `since`; a full extract's rewrite of linked_contact deletes it.
CREATE TABLE linked_sync (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  since     TEXT NOT NULL,     -- start of the snapshot it matches, server clock, UTC
  linked    INTEGER NOT NULL,  -- rows of linked_contact
  not_known INTEGER NOT NULL   -- of which stored with the holder not known (lead_id = '')
);
