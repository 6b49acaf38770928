-- The application's tables, as backfill-rules.md describes them, for the demo and the tests only.
-- ghl-backfill never creates these in a real database: it reads and writes the application's own.
-- Prisma naming: identifiers are case-sensitive and double-quoted; DateTime is timestamp(3)
-- without time zone. "Lead" carries two extra columns the backfill must never read or write
-- ("sentimentTag", "lastReplyAt"), so a `SELECT *` or a positional read shows up in tests.
-- Load into an empty UTF8 database: tools/pg-cluster createdb DIR NAME schema/app_db.sql

CREATE TABLE "Client" (
  "id"            text         NOT NULL,
  "name"          text         NOT NULL,
  "ghlLocationId" text,
  "ghlPrivateKey" text,
  "userId"        text         NOT NULL,
  "createdAt"     timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updatedAt"     timestamp(3) NOT NULL,
  CONSTRAINT "Client_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "Client_ghlLocationId_key" ON "Client"("ghlLocationId");

CREATE TABLE "Lead" (
  "id"               text         NOT NULL,
  "clientId"         text         NOT NULL,
  "sentimentTag"     text,
  "ghlContactId"     text,
  "email"            text,
  "phone"            text,
  "firstName"        text,
  "lastName"         text,
  "companyName"      text,
  "enrichmentStatus" text,
  "enrichmentSource" text,
  "enrichedAt"       timestamp(3),
  "lastReplyAt"      timestamp(3),
  "createdAt"        timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updatedAt"        timestamp(3) NOT NULL,
  CONSTRAINT "Lead_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "Lead_clientId_fkey" FOREIGN KEY ("clientId") REFERENCES "Client"("id")
    ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "Lead_ghlContactId_key" ON "Lead"("ghlContactId");
CREATE INDEX "Lead_clientId_idx" ON "Lead"("clientId");
CREATE INDEX "Lead_email_idx" ON "Lead"("email");
CREATE INDEX "Lead_phone_idx" ON "Lead"("phone");
