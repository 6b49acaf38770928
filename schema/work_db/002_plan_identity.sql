-- Issue 6: a plan with an identity. Every completed plan run records one row: its id (what
-- `apply --plan ID` names), the tenants it covers, and a fingerprint of the inputs it was computed
-- from (plan_store.h), so apply refuses a plan whose snapshot or fetch results changed since.
CREATE TABLE plan (
  id           INTEGER PRIMARY KEY,
  plan_run     INTEGER NOT NULL REFERENCES stage_run(id),
  created_at   TEXT NOT NULL,               -- ISO-8601 UTC
  scope        TEXT NOT NULL,               -- client ids, comma-separated; '' = every tenant
  fingerprint  TEXT NOT NULL,               -- hex digest of the inputs in scope (plan_store.cpp)
  leads        INTEGER NOT NULL DEFAULT 0,
  to_write     INTEGER NOT NULL DEFAULT 0   -- values to write when it was made
);
