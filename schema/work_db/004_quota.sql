-- ghl-backfill work database, version 2: what fetch knows about each location's GHL quota.

-- GHL's daily quota per location, as its last answer said (X-RateLimit-Daily-Remaining), with
-- the UTC day it belongs to: a fetch restarted the same day starts from it instead of spending
-- what was already spent; a row of an earlier day is ignored. Ids and numbers only.
CREATE TABLE quota_daily (
  client_id        TEXT PRIMARY KEY,
  utc_day          TEXT NOT NULL,     -- YYYY-MM-DD
  daily_remaining  INTEGER NOT NULL,  -- left that day, as of updated_at
  reset_at         TEXT,              -- ISO-8601 UTC when GHL said the quota resets, if it did
  updated_at       TEXT NOT NULL      -- ISO-8601 UTC
);
