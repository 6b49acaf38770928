-- Fixture for hostile_ghl_test.sh: a tenant whose token smuggles a request, a location whose GHL
-- answers are hostile (with control leads beside them), and one whose contacts hold values that
-- cannot be written (invalid UTF-8, NUL).
INSERT INTO "Client"(id, name, "ghlLocationId", "ghlPrivateKey", "userId", "createdAt", "updatedAt") VALUES
  ('client-evil', 'Evil Inc', 'locEvil000000001',
   E'tok-evil-secret-9\r\n\r\nDELETE /contacts/cCtl000000000002 HTTP/1.1\r\nHost: a\r\n\r\n', 'u1', now(), now()),
  ('client-h', 'Hostile Inc', 'locHostile000001', 'tok-hostile-secret-1', 'u1', now(), now()),
  ('client-enc', 'Encoding Inc', 'locEncoding00001', 'tok-enc-secret-3', 'u1', now(), now());
INSERT INTO "Lead"(id, "clientId", "ghlContactId", email, phone, "firstName", "lastName", "companyName",
                   "enrichmentStatus", "createdAt", "updatedAt") VALUES
  ('lead-evil-1',   'client-evil', NULL, 'evil@example.com', NULL, NULL, NULL, NULL, 'pending', now(), '2020-01-01 00:00:00'),
  ('lead-evil-2',   'client-evil', 'cEvilEvilEvil001', NULL, NULL, NULL, NULL, NULL, 'pending', now(), '2020-01-01 00:00:00'),
  ('lead-wrongid',  'client-h', 'cWrongIdTarget01', NULL, NULL, NULL, NULL, NULL, 'pending', now(), '2020-01-01 00:00:00'),
  ('lead-wrongloc', 'client-h', NULL, 'wrongloc@example.com', NULL, NULL, NULL, NULL, 'pending', now(), '2020-01-01 00:00:00'),
  ('lead-badid',    'client-h', NULL, 'badid@example.com', NULL, NULL, NULL, NULL, 'pending', now(), '2020-01-01 00:00:00'),
  ('lead-deep',     'client-h', 'cDeepDeepDeep001', NULL, NULL, NULL, NULL, NULL, 'pending', now(), '2020-01-01 00:00:00'),
  ('lead-huge',     'client-h', NULL, 'huge@example.com', NULL, NULL, NULL, NULL, 'pending', now(), '2020-01-01 00:00:00'),
  ('lead-paged',    'client-h', NULL, 'paged@example.com', NULL, NULL, NULL, NULL, 'pending', now(), '2020-01-01 00:00:00'),
  ('lead-ctl-1',    'client-h', NULL, 'ctl1@example.com', NULL, NULL, NULL, NULL, 'pending', now(), '2020-01-01 00:00:00'),
  ('lead-ctl-2',    'client-h', 'cCtl000000000002', NULL, NULL, NULL, NULL, NULL, 'pending', now(), '2020-01-01 00:00:00'),
  ('lead-utf8',     'client-enc', NULL, 'utf8@example.com', NULL, NULL, NULL, NULL, 'pending', now(), '2020-01-01 00:00:00'),
  ('lead-nul',      'client-enc', NULL, 'nul@example.com', NULL, NULL, NULL, NULL, 'pending', now(), '2020-01-01 00:00:00'),
  ('lead-ctl-3',    'client-enc', NULL, 'ctl3@example.com', NULL, NULL, NULL, NULL, 'pending', now(), '2020-01-01 00:00:00');
