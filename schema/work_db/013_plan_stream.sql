-- ghl-backfill work database (issue 9): plan writes its rows as it computes them and runs the
-- "ghlContactId is unique" rule in SQL over the stored rows, so it never holds every lead's plan.
-- claim_key is the key under which leads could take the same contact (plan.h, LeadPlan::claim_key:
-- location and normalized email of a search), kept only for the leads that rule reads: those
-- that would link a contact, and those still pending. NULL for every other lead.
ALTER TABLE plan_lead ADD COLUMN claim_key TEXT;
