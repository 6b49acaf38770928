-- ghl-backfill work database, version 3: which application database the work DB belongs to.
-- extract records it on first use; every stage that connects to PostgreSQL compares, so a plan
-- made from one database is never applied to another (or refreshed from another).
CREATE TABLE app_database (
  id          INTEGER PRIMARY KEY CHECK (id = 1),  -- one row
  identity    TEXT NOT NULL,   -- see app_identity.h: server system id, database oid, "Lead" oid
  recorded_at TEXT NOT NULL
);
