-- ghl-backfill work database, version 6: the reviewer's decision on each planned change (issue 6).

-- One row per decided change (a plan_item row), with the value it was taken on: a decision
-- applies only while plan_item holds the same (lead_id, field, new_value); plan drops the others
-- when it re-plans (decision_store.h). No row: the change is proposed. Ids and values the plan
-- already holds, never a token.
CREATE TABLE decision (
  lead_id     TEXT NOT NULL,
  field       TEXT NOT NULL,   -- plan_item.field
  new_value   TEXT NOT NULL,   -- plan_item.new_value when decided
  decision    TEXT NOT NULL,   -- approved | rejected (decisions.h)
  decided_at  TEXT NOT NULL,   -- ISO-8601 UTC
  PRIMARY KEY (lead_id, field)
) WITHOUT ROWID;
