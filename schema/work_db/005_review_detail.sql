-- ghl-backfill work database, version 5: what a reviewer needs to see lead by lead (issue 6).

-- The tenant's name ("Client"."name"), shown beside its id in the review, the export and the
-- report. NULL when the application table has no such column or the tenant has none.
ALTER TABLE client ADD COLUMN name TEXT;

-- For a conflict: the lead that holds the contact in the application table
-- (contact_already_linked) or the smaller lead that takes it (contact_taken_by_smaller_lead_id);
-- for a waiting lead, the smaller lead it waits for. NULL otherwise.
ALTER TABLE plan_lead ADD COLUMN other_lead TEXT;

-- For an ambiguous email: every contact id whose primary email matched, comma-separated, the
-- one taken first. NULL otherwise.
ALTER TABLE plan_lead ADD COLUMN candidates TEXT;
