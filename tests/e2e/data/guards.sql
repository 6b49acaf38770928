-- Small fixture for apply_guards_test.sh and extract_refresh_test.sh: one tenant, a handful of leads.
INSERT INTO "Client"(id, name, "ghlLocationId", "ghlPrivateKey", "userId", "createdAt", "updatedAt") VALUES
  ('client-g', 'Guards Inc', 'locGuards0000001', 'tok-guards-secret-1', 'u1', now(), now());
INSERT INTO "Lead"(id, "clientId", "ghlContactId", email, phone, "firstName", "lastName", "companyName",
                   "enrichmentStatus", "createdAt", "updatedAt") VALUES
  ('lead-ok',    'client-g', NULL, 'ok@example.com',    NULL, NULL, NULL, 'Present Co', 'pending', now(), '2020-01-01 00:00:00'),
  ('lead-stale', 'client-g', NULL, 'stale@example.com', NULL, NULL, NULL, 'Present Co', 'pending', now(), '2020-01-01 00:00:00'),
  ('lead-race',  'client-g', NULL, 'race@example.com',  NULL, NULL, NULL, 'Present Co', 'pending', now(), '2020-01-01 00:00:00'),
  ('lead-nn',    'client-g', NULL, 'nn@example.com',    NULL, 'Nia', 'Noor', 'Present Co', 'pending', now(), '2020-01-01 00:00:00'),
  ('lead-gone',  'client-g', NULL, 'gone@example.com',  NULL, NULL, NULL, 'Present Co', NULL, now(), '2020-01-01 00:00:00'),
  ('lead-other', 'client-g', NULL, 'other@example.com', '+15550000001', 'Oli', 'Other', 'Other Co', NULL, now(), '2020-01-01 00:00:00');
