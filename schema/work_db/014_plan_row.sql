-- ghl-backfill work database (issue 9): the plan in one row per lead. plan wrote a plan_lead row,
-- a plan_item row per value to write and a plan_report row per value reported: at a million leads
-- about five B-tree inserts per lead, which capped plan near 127,000 leads per CPU-second. Now a
-- lead's plan is one plan_row row, keyed on the lead id (leads are planned in id order: the inserts
-- append), with the written fields of fields.h (kFields) as columns: <field>_old and <field>_new,
-- the value to write (NULL: nothing to write), and <field>_reason, why the value is reported but not
-- written (plan.h: invalid_value, no_storage_form; NULL: not reported).
-- plan_lead, plan_item and plan_report stay as views of the same names and columns over plan_row
-- (plan_value: plan_item with the lead's columns),
-- so the readers' SQL, and any operator's sqlite3 query, read the plan as before; plan_item and
-- plan_report cross plan_row with plan_field, the fields in name order, which keeps plan_item's old
-- (lead_id, field) order. INSTEAD OF triggers keep the views writable row by row (tests, by hand).
-- The plan of an existing work DB is carried over, so decisions keep their changes.
CREATE TABLE plan_row (
  lead_id     TEXT PRIMARY KEY,
  client_id   TEXT NOT NULL,
  status      TEXT NOT NULL,   -- plan.h, plan_status
  contact_id  TEXT,
  link        INTEGER NOT NULL DEFAULT 0,
  ambiguous   INTEGER NOT NULL DEFAULT 0,
  note        TEXT,
  plan_run    INTEGER NOT NULL REFERENCES stage_run(id),
  other_lead  TEXT,
  candidates  TEXT,
  claim_key   TEXT,
  ghlContactId_old TEXT, ghlContactId_new TEXT, ghlContactId_reason TEXT,
  email_old TEXT, email_new TEXT, email_reason TEXT,
  phone_old TEXT, phone_new TEXT, phone_reason TEXT,
  firstName_old TEXT, firstName_new TEXT, firstName_reason TEXT,
  lastName_old TEXT, lastName_new TEXT, lastName_reason TEXT,
  companyName_old TEXT, companyName_new TEXT, companyName_reason TEXT,
  enrichmentStatus_old TEXT, enrichmentStatus_new TEXT, enrichmentStatus_reason TEXT,
  enrichmentSource_old TEXT, enrichmentSource_new TEXT, enrichmentSource_reason TEXT,
  enrichedAt_old TEXT, enrichedAt_new TEXT, enrichedAt_reason TEXT
) WITHOUT ROWID;
-- The readers' index by tenant (review, status, apply's counts); plan drops it before a plan of
-- every tenant and builds it after the load (PlanStore::buildIndexes).
CREATE INDEX plan_row_client ON plan_row(client_id, status);
-- The conflict rule's: the leads that would link a contact, by contact (PlanStore::resolveConflicts).
CREATE INDEX plan_row_link ON plan_row(contact_id, plan_run, link) WHERE link = 1;

-- The written fields (fields.h, kFields), in name order (BINARY).
CREATE TABLE plan_field (name TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT INTO plan_field(name) VALUES ('ghlContactId'), ('email'), ('phone'), ('firstName'), ('lastName'), ('companyName'), ('enrichmentStatus'), ('enrichmentSource'), ('enrichedAt');

INSERT INTO plan_row
SELECT p.lead_id, p.client_id, p.status, p.contact_id, p.link, p.ambiguous, p.note, p.plan_run, p.other_lead,
  p.candidates, p.claim_key,
  (SELECT old_value FROM plan_item i WHERE i.lead_id = p.lead_id AND i.field = 'ghlContactId'),
  (SELECT new_value FROM plan_item i WHERE i.lead_id = p.lead_id AND i.field = 'ghlContactId'),
  (SELECT reason FROM plan_report r WHERE r.lead_id = p.lead_id AND r.field = 'ghlContactId'),
  (SELECT old_value FROM plan_item i WHERE i.lead_id = p.lead_id AND i.field = 'email'),
  (SELECT new_value FROM plan_item i WHERE i.lead_id = p.lead_id AND i.field = 'email'),
  (SELECT reason FROM plan_report r WHERE r.lead_id = p.lead_id AND r.field = 'email'),
  (SELECT old_value FROM plan_item i WHERE i.lead_id = p.lead_id AND i.field = 'phone'),
  (SELECT new_value FROM plan_item i WHERE i.lead_id = p.lead_id AND i.field = 'phone'),
  (SELECT reason FROM plan_report r WHERE r.lead_id = p.lead_id AND r.field = 'phone'),
  (SELECT old_value FROM plan_item i WHERE i.lead_id = p.lead_id AND i.field = 'firstName'),
  (SELECT new_value FROM plan_item i WHERE i.lead_id = p.lead_id AND i.field = 'firstName'),
  (SELECT reason FROM plan_report r WHERE r.lead_id = p.lead_id AND r.field = 'firstName'),
  (SELECT old_value FROM plan_item i WHERE i.lead_id = p.lead_id AND i.field = 'lastName'),
  (SELECT new_value FROM plan_item i WHERE i.lead_id = p.lead_id AND i.field = 'lastName'),
  (SELECT reason FROM plan_report r WHERE r.lead_id = p.lead_id AND r.field = 'lastName'),
  (SELECT old_value FROM plan_item i WHERE i.lead_id = p.lead_id AND i.field = 'companyName'),
  (SELECT new_value FROM plan_item i WHERE i.lead_id = p.lead_id AND i.field = 'companyName'),
  (SELECT reason FROM plan_report r WHERE r.lead_id = p.lead_id AND r.field = 'companyName'),
  (SELECT old_value FROM plan_item i WHERE i.lead_id = p.lead_id AND i.field = 'enrichmentStatus'),
  (SELECT new_value FROM plan_item i WHERE i.lead_id = p.lead_id AND i.field = 'enrichmentStatus'),
  (SELECT reason FROM plan_report r WHERE r.lead_id = p.lead_id AND r.field = 'enrichmentStatus'),
  (SELECT old_value FROM plan_item i WHERE i.lead_id = p.lead_id AND i.field = 'enrichmentSource'),
  (SELECT new_value FROM plan_item i WHERE i.lead_id = p.lead_id AND i.field = 'enrichmentSource'),
  (SELECT reason FROM plan_report r WHERE r.lead_id = p.lead_id AND r.field = 'enrichmentSource'),
  (SELECT old_value FROM plan_item i WHERE i.lead_id = p.lead_id AND i.field = 'enrichedAt'),
  (SELECT new_value FROM plan_item i WHERE i.lead_id = p.lead_id AND i.field = 'enrichedAt'),
  (SELECT reason FROM plan_report r WHERE r.lead_id = p.lead_id AND r.field = 'enrichedAt')
FROM plan_lead p ORDER BY p.lead_id;
DROP TABLE plan_item;
DROP TABLE plan_report;
DROP TABLE plan_lead;

CREATE VIEW plan_lead AS
SELECT lead_id, client_id, status, contact_id, link, ambiguous, note, plan_run, other_lead, candidates, claim_key
FROM plan_row;

-- plan_item with its lead's columns from the same row, for the readers that filter or show both
-- (apply's cursor and counts): no second lookup of plan_row per value, as a join of plan_item and
-- plan_lead has (measured at 887k leads: apply's count of undecided values 4.4 s -> 2.8 s of CPU).
CREATE VIEW plan_value AS
SELECT r.lead_id AS lead_id, f.name AS field, r.client_id AS client_id, r.status AS status,
  r.link AS link, r.contact_id AS contact_id, r.ambiguous AS ambiguous, CASE f.name
    WHEN 'ghlContactId' THEN r.ghlContactId_old
    WHEN 'email' THEN r.email_old
    WHEN 'phone' THEN r.phone_old
    WHEN 'firstName' THEN r.firstName_old
    WHEN 'lastName' THEN r.lastName_old
    WHEN 'companyName' THEN r.companyName_old
    WHEN 'enrichmentStatus' THEN r.enrichmentStatus_old
    WHEN 'enrichmentSource' THEN r.enrichmentSource_old
    WHEN 'enrichedAt' THEN r.enrichedAt_old
  END AS old_value,
  CASE f.name
    WHEN 'ghlContactId' THEN r.ghlContactId_new
    WHEN 'email' THEN r.email_new
    WHEN 'phone' THEN r.phone_new
    WHEN 'firstName' THEN r.firstName_new
    WHEN 'lastName' THEN r.lastName_new
    WHEN 'companyName' THEN r.companyName_new
    WHEN 'enrichmentStatus' THEN r.enrichmentStatus_new
    WHEN 'enrichmentSource' THEN r.enrichmentSource_new
    WHEN 'enrichedAt' THEN r.enrichedAt_new
  END AS new_value
FROM plan_row r CROSS JOIN plan_field f
WHERE new_value IS NOT NULL;  -- the alias above (SQLite resolves it in WHERE)

CREATE VIEW plan_item AS
SELECT lead_id, field, old_value, new_value FROM plan_value;

CREATE VIEW plan_report AS
SELECT r.lead_id AS lead_id, f.name AS field, CASE f.name
    WHEN 'ghlContactId' THEN r.ghlContactId_reason
    WHEN 'email' THEN r.email_reason
    WHEN 'phone' THEN r.phone_reason
    WHEN 'firstName' THEN r.firstName_reason
    WHEN 'lastName' THEN r.lastName_reason
    WHEN 'companyName' THEN r.companyName_reason
    WHEN 'enrichmentStatus' THEN r.enrichmentStatus_reason
    WHEN 'enrichmentSource' THEN r.enrichmentSource_reason
    WHEN 'enrichedAt' THEN r.enrichedAt_reason
  END AS reason
FROM plan_row r CROSS JOIN plan_field f
WHERE reason IS NOT NULL;  -- the alias above (SQLite resolves it in WHERE)

-- The views' rows written one at a time, as the tables were.
CREATE TRIGGER plan_lead_insert INSTEAD OF INSERT ON plan_lead BEGIN
  INSERT INTO plan_row(lead_id, client_id, status, contact_id, link, ambiguous, note, plan_run, other_lead,
                       candidates, claim_key)
  VALUES (NEW.lead_id, NEW.client_id, NEW.status, NEW.contact_id, coalesce(NEW.link, 0),
          coalesce(NEW.ambiguous, 0), NEW.note, NEW.plan_run, NEW.other_lead, NEW.candidates, NEW.claim_key);
END;
CREATE TRIGGER plan_lead_update INSTEAD OF UPDATE ON plan_lead BEGIN
  UPDATE plan_row SET lead_id = NEW.lead_id, client_id = NEW.client_id, status = NEW.status,
    contact_id = NEW.contact_id, link = NEW.link, ambiguous = NEW.ambiguous, note = NEW.note,
    plan_run = NEW.plan_run, other_lead = NEW.other_lead, candidates = NEW.candidates, claim_key = NEW.claim_key
  WHERE lead_id = OLD.lead_id;
END;
CREATE TRIGGER plan_lead_delete INSTEAD OF DELETE ON plan_lead BEGIN
  DELETE FROM plan_row WHERE lead_id = OLD.lead_id;
END;
CREATE TRIGGER plan_item_insert INSTEAD OF INSERT ON plan_item BEGIN
  SELECT RAISE(ABORT, 'plan_item: no such field') WHERE NEW.field NOT IN (SELECT name FROM plan_field);
  SELECT RAISE(ABORT, 'plan_item: no plan_lead row for the lead') WHERE NOT EXISTS (SELECT 1 FROM plan_row WHERE lead_id = NEW.lead_id);
  UPDATE plan_row SET
    ghlContactId_old = iif(NEW.field = 'ghlContactId', NEW.old_value, ghlContactId_old), ghlContactId_new = iif(NEW.field = 'ghlContactId', NEW.new_value, ghlContactId_new),
    email_old = iif(NEW.field = 'email', NEW.old_value, email_old), email_new = iif(NEW.field = 'email', NEW.new_value, email_new),
    phone_old = iif(NEW.field = 'phone', NEW.old_value, phone_old), phone_new = iif(NEW.field = 'phone', NEW.new_value, phone_new),
    firstName_old = iif(NEW.field = 'firstName', NEW.old_value, firstName_old), firstName_new = iif(NEW.field = 'firstName', NEW.new_value, firstName_new),
    lastName_old = iif(NEW.field = 'lastName', NEW.old_value, lastName_old), lastName_new = iif(NEW.field = 'lastName', NEW.new_value, lastName_new),
    companyName_old = iif(NEW.field = 'companyName', NEW.old_value, companyName_old), companyName_new = iif(NEW.field = 'companyName', NEW.new_value, companyName_new),
    enrichmentStatus_old = iif(NEW.field = 'enrichmentStatus', NEW.old_value, enrichmentStatus_old), enrichmentStatus_new = iif(NEW.field = 'enrichmentStatus', NEW.new_value, enrichmentStatus_new),
    enrichmentSource_old = iif(NEW.field = 'enrichmentSource', NEW.old_value, enrichmentSource_old), enrichmentSource_new = iif(NEW.field = 'enrichmentSource', NEW.new_value, enrichmentSource_new),
    enrichedAt_old = iif(NEW.field = 'enrichedAt', NEW.old_value, enrichedAt_old), enrichedAt_new = iif(NEW.field = 'enrichedAt', NEW.new_value, enrichedAt_new)
  WHERE lead_id = NEW.lead_id;
END;
CREATE TRIGGER plan_item_update INSTEAD OF UPDATE ON plan_item BEGIN
  UPDATE plan_row SET
    ghlContactId_old = iif(OLD.field = 'ghlContactId', NEW.old_value, ghlContactId_old), ghlContactId_new = iif(OLD.field = 'ghlContactId', NEW.new_value, ghlContactId_new),
    email_old = iif(OLD.field = 'email', NEW.old_value, email_old), email_new = iif(OLD.field = 'email', NEW.new_value, email_new),
    phone_old = iif(OLD.field = 'phone', NEW.old_value, phone_old), phone_new = iif(OLD.field = 'phone', NEW.new_value, phone_new),
    firstName_old = iif(OLD.field = 'firstName', NEW.old_value, firstName_old), firstName_new = iif(OLD.field = 'firstName', NEW.new_value, firstName_new),
    lastName_old = iif(OLD.field = 'lastName', NEW.old_value, lastName_old), lastName_new = iif(OLD.field = 'lastName', NEW.new_value, lastName_new),
    companyName_old = iif(OLD.field = 'companyName', NEW.old_value, companyName_old), companyName_new = iif(OLD.field = 'companyName', NEW.new_value, companyName_new),
    enrichmentStatus_old = iif(OLD.field = 'enrichmentStatus', NEW.old_value, enrichmentStatus_old), enrichmentStatus_new = iif(OLD.field = 'enrichmentStatus', NEW.new_value, enrichmentStatus_new),
    enrichmentSource_old = iif(OLD.field = 'enrichmentSource', NEW.old_value, enrichmentSource_old), enrichmentSource_new = iif(OLD.field = 'enrichmentSource', NEW.new_value, enrichmentSource_new),
    enrichedAt_old = iif(OLD.field = 'enrichedAt', NEW.old_value, enrichedAt_old), enrichedAt_new = iif(OLD.field = 'enrichedAt', NEW.new_value, enrichedAt_new)
  WHERE lead_id = OLD.lead_id;
END;
CREATE TRIGGER plan_item_delete INSTEAD OF DELETE ON plan_item BEGIN
  UPDATE plan_row SET
    ghlContactId_old = iif(OLD.field = 'ghlContactId', NULL, ghlContactId_old), ghlContactId_new = iif(OLD.field = 'ghlContactId', NULL, ghlContactId_new),
    email_old = iif(OLD.field = 'email', NULL, email_old), email_new = iif(OLD.field = 'email', NULL, email_new),
    phone_old = iif(OLD.field = 'phone', NULL, phone_old), phone_new = iif(OLD.field = 'phone', NULL, phone_new),
    firstName_old = iif(OLD.field = 'firstName', NULL, firstName_old), firstName_new = iif(OLD.field = 'firstName', NULL, firstName_new),
    lastName_old = iif(OLD.field = 'lastName', NULL, lastName_old), lastName_new = iif(OLD.field = 'lastName', NULL, lastName_new),
    companyName_old = iif(OLD.field = 'companyName', NULL, companyName_old), companyName_new = iif(OLD.field = 'companyName', NULL, companyName_new),
    enrichmentStatus_old = iif(OLD.field = 'enrichmentStatus', NULL, enrichmentStatus_old), enrichmentStatus_new = iif(OLD.field = 'enrichmentStatus', NULL, enrichmentStatus_new),
    enrichmentSource_old = iif(OLD.field = 'enrichmentSource', NULL, enrichmentSource_old), enrichmentSource_new = iif(OLD.field = 'enrichmentSource', NULL, enrichmentSource_new),
    enrichedAt_old = iif(OLD.field = 'enrichedAt', NULL, enrichedAt_old), enrichedAt_new = iif(OLD.field = 'enrichedAt', NULL, enrichedAt_new)
  WHERE lead_id = OLD.lead_id;
END;
CREATE TRIGGER plan_report_insert INSTEAD OF INSERT ON plan_report BEGIN
  SELECT RAISE(ABORT, 'plan_report: no such field') WHERE NEW.field NOT IN (SELECT name FROM plan_field);
  SELECT RAISE(ABORT, 'plan_report: no plan_lead row for the lead') WHERE NOT EXISTS (SELECT 1 FROM plan_row WHERE lead_id = NEW.lead_id);
  UPDATE plan_row SET
    ghlContactId_reason = iif(NEW.field = 'ghlContactId', NEW.reason, ghlContactId_reason),
    email_reason = iif(NEW.field = 'email', NEW.reason, email_reason),
    phone_reason = iif(NEW.field = 'phone', NEW.reason, phone_reason),
    firstName_reason = iif(NEW.field = 'firstName', NEW.reason, firstName_reason),
    lastName_reason = iif(NEW.field = 'lastName', NEW.reason, lastName_reason),
    companyName_reason = iif(NEW.field = 'companyName', NEW.reason, companyName_reason),
    enrichmentStatus_reason = iif(NEW.field = 'enrichmentStatus', NEW.reason, enrichmentStatus_reason),
    enrichmentSource_reason = iif(NEW.field = 'enrichmentSource', NEW.reason, enrichmentSource_reason),
    enrichedAt_reason = iif(NEW.field = 'enrichedAt', NEW.reason, enrichedAt_reason)
  WHERE lead_id = NEW.lead_id;
END;
CREATE TRIGGER plan_report_delete INSTEAD OF DELETE ON plan_report BEGIN
  UPDATE plan_row SET
    ghlContactId_reason = iif(OLD.field = 'ghlContactId', NULL, ghlContactId_reason),
    email_reason = iif(OLD.field = 'email', NULL, email_reason),
    phone_reason = iif(OLD.field = 'phone', NULL, phone_reason),
    firstName_reason = iif(OLD.field = 'firstName', NULL, firstName_reason),
    lastName_reason = iif(OLD.field = 'lastName', NULL, lastName_reason),
    companyName_reason = iif(OLD.field = 'companyName', NULL, companyName_reason),
    enrichmentStatus_reason = iif(OLD.field = 'enrichmentStatus', NULL, enrichmentStatus_reason),
    enrichmentSource_reason = iif(OLD.field = 'enrichmentSource', NULL, enrichmentSource_reason),
    enrichedAt_reason = iif(OLD.field = 'enrichedAt', NULL, enrichedAt_reason)
  WHERE lead_id = OLD.lead_id;
END;
