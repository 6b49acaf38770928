-- The application's tables in their real shape (../shared/reference/app-schema.md), for tests and
-- benchmarks: "Client" (29 columns), "Lead" (80 columns, 42 indexes with the primary key) and the
-- tables they reference by foreign key, written the way Prisma's `db push` creates them (TEXT ids,
-- TIMESTAMP(3) without time zone, FKs added after the tables). Columns the reference does not name
-- are plausible stand-ins with its mix (campaign ids, scores, timestamps, booleans, TEXT[], JSONB,
-- many NOT NULL with defaults). ghl-backfill never creates these: it reads the application's own.
-- Load into an empty UTF8 database; unqualified names: the schema is the first one in search_path.
-- Note: "Lead" has no ("clientId", "id") index, as in the application.

CREATE TABLE "User" (
  "id"        TEXT NOT NULL,
  "email"     TEXT NOT NULL,
  "name"      TEXT,
  "role"      TEXT NOT NULL DEFAULT 'member',
  "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" TIMESTAMP(3) NOT NULL,
  CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "Client" (
  "id"                      TEXT NOT NULL,
  "name"                    TEXT NOT NULL,
  "ghlLocationId"           TEXT,
  "ghlPrivateKey"           TEXT,
  "userId"                  TEXT NOT NULL,
  "createdAt"               TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updatedAt"               TIMESTAMP(3) NOT NULL,
  "timezone"                TEXT NOT NULL DEFAULT 'America/New_York',
  "industry"                TEXT,
  "website"                 TEXT,
  "logoUrl"                 TEXT,
  "isActive"                BOOLEAN NOT NULL DEFAULT true,
  "plan"                    TEXT NOT NULL DEFAULT 'standard',
  "monthlyLeadLimit"        INTEGER NOT NULL DEFAULT 1000,
  "emailBisonApiKey"        TEXT,
  "emailBisonWorkspaceId"   TEXT,
  "smartleadApiKey"         TEXT,
  "calendlyAccessToken"     TEXT,
  "calendlyOrganizationUri" TEXT,
  "slackWebhookUrl"         TEXT,
  "autoSendEnabled"         BOOLEAN NOT NULL DEFAULT false,
  "aiPersonaPrompt"         TEXT,
  "replyDelayMinutes"       INTEGER NOT NULL DEFAULT 0,
  "defaultCalendarLinkId"   TEXT,
  "settings"                JSONB NOT NULL DEFAULT '{}',
  "ghlLastSyncedAt"         TIMESTAMP(3),
  "notificationEmails"      TEXT[] DEFAULT ARRAY[]::TEXT[],
  "archivedAt"              TIMESTAMP(3),
  "brandColor"              TEXT,
  CONSTRAINT "Client_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "Campaign" (
  "id"        TEXT NOT NULL,
  "clientId"  TEXT NOT NULL,
  "name"      TEXT NOT NULL,
  "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" TIMESTAMP(3) NOT NULL,
  CONSTRAINT "Campaign_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "SmsCampaign" (
  "id"        TEXT NOT NULL,
  "clientId"  TEXT NOT NULL,
  "name"      TEXT NOT NULL,
  "isActive"  BOOLEAN NOT NULL DEFAULT true,
  "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" TIMESTAMP(3) NOT NULL,
  CONSTRAINT "SmsCampaign_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "EmailCampaign" (
  "id"                   TEXT NOT NULL,
  "clientId"             TEXT NOT NULL,
  "name"                 TEXT NOT NULL,
  "emailBisonCampaignId" TEXT,
  "createdAt"            TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updatedAt"            TIMESTAMP(3) NOT NULL,
  CONSTRAINT "EmailCampaign_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "CalendarLink" (
  "id"        TEXT NOT NULL,
  "clientId"  TEXT NOT NULL,
  "name"      TEXT NOT NULL,
  "url"       TEXT NOT NULL,
  "isDefault" BOOLEAN NOT NULL DEFAULT false,
  "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" TIMESTAMP(3) NOT NULL,
  CONSTRAINT "CalendarLink_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "Lead" (
  "id"                        TEXT NOT NULL,
  "clientId"                  TEXT NOT NULL,
  "ghlContactId"              TEXT,
  "email"                     TEXT,
  "phone"                     TEXT,
  "firstName"                 TEXT,
  "lastName"                  TEXT,
  "companyName"               TEXT,
  "enrichmentStatus"          TEXT,
  "enrichmentSource"          TEXT,
  "enrichedAt"                TIMESTAMP(3),
  "createdAt"                 TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updatedAt"                 TIMESTAMP(3) NOT NULL,
  "sentimentTag"              TEXT,
  "lastReplyAt"               TIMESTAMP(3),
  "status"                    TEXT NOT NULL DEFAULT 'new',
  "campaignId"                TEXT,
  "smsCampaignId"             TEXT,
  "emailCampaignId"           TEXT,
  "emailBisonLeadId"          TEXT,
  "emailBisonCampaignId"      TEXT,
  "linkedinUrl"               TEXT,
  "linkedinCompanyUrl"        TEXT,
  "linkedinConnectedAt"       TIMESTAMP(3),
  "alternateEmails"           TEXT[] DEFAULT ARRAY[]::TEXT[],
  "tags"                      TEXT[] DEFAULT ARRAY[]::TEXT[],
  "customFields"              JSONB NOT NULL DEFAULT '{}',
  "title"                     TEXT,
  "companyWebsite"            TEXT,
  "companyDomain"             TEXT,
  "industry"                  TEXT,
  "employeeHeadcount"         TEXT,
  "revenue"                   DECIMAL(65,30),
  "city"                      TEXT,
  "state"                     TEXT,
  "country"                   TEXT,
  "timezone"                  TEXT,
  "source"                    TEXT NOT NULL DEFAULT 'import',
  "externalId"                TEXT,
  "importBatchId"             TEXT,
  "notes"                     TEXT,
  "aiSummary"                 TEXT,
  "aiDraftStatus"             TEXT,
  "overallScore"              INTEGER,
  "intentScore"               DOUBLE PRECISION,
  "fitScore"                  DOUBLE PRECISION,
  "engagementScore"           INTEGER NOT NULL DEFAULT 0,
  "leadScoreUpdatedAt"        TIMESTAMP(3),
  "assignedToUserId"          TEXT,
  "preferredCalendarLinkId"   TEXT,
  "calendlyInviteeUri"        TEXT,
  "calendlyScheduledEventUri" TEXT,
  "appointmentStatus"         TEXT,
  "appointmentLastCheckedAt"  TIMESTAMP(3),
  "appointmentBookedAt"       TIMESTAMP(3),
  "appointmentStartAt"        TIMESTAMP(3),
  "lastInboundAt"             TIMESTAMP(3),
  "lastOutboundAt"            TIMESTAMP(3),
  "lastZrgOutboundAt"         TIMESTAMP(3),
  "lastMessageAt"             TIMESTAMP(3),
  "lastMessageDirection"      TEXT,
  "lastSyncedAt"              TIMESTAMP(3),
  "nextFollowUpAt"            TIMESTAMP(3),
  "snoozedUntil"              TIMESTAMP(3),
  "sequenceStep"              INTEGER NOT NULL DEFAULT 0,
  "emailOpens"                INTEGER NOT NULL DEFAULT 0,
  "emailClicks"               INTEGER NOT NULL DEFAULT 0,
  "emailReplies"              INTEGER NOT NULL DEFAULT 0,
  "smsSentCount"              INTEGER NOT NULL DEFAULT 0,
  "smsReplyCount"             INTEGER NOT NULL DEFAULT 0,
  "smsLastBlockedAt"          TIMESTAMP(3),
  "smsLastSuccessAt"          TIMESTAMP(3),
  "smsLastError"              TEXT,
  "smsOptOut"                 BOOLEAN NOT NULL DEFAULT false,
  "isUnsubscribed"            BOOLEAN NOT NULL DEFAULT false,
  "isBounced"                 BOOLEAN NOT NULL DEFAULT false,
  "doNotContact"              BOOLEAN NOT NULL DEFAULT false,
  "isArchived"                BOOLEAN NOT NULL DEFAULT false,
  "autoReplyEnabled"          BOOLEAN NOT NULL DEFAULT true,
  "followUpEnabled"           BOOLEAN NOT NULL DEFAULT true,
  CONSTRAINT "Lead_pkey" PRIMARY KEY ("id")
);

-- Indexes: "User", "Client" and the referenced tables.
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
CREATE UNIQUE INDEX "Client_ghlLocationId_key" ON "Client"("ghlLocationId");
CREATE INDEX "Client_userId_idx" ON "Client"("userId");
CREATE INDEX "Campaign_clientId_idx" ON "Campaign"("clientId");
CREATE INDEX "SmsCampaign_clientId_idx" ON "SmsCampaign"("clientId");
CREATE INDEX "EmailCampaign_clientId_idx" ON "EmailCampaign"("clientId");
CREATE INDEX "CalendarLink_clientId_idx" ON "CalendarLink"("clientId");

-- Indexes on "Lead": 41 besides "Lead_pkey".
CREATE UNIQUE INDEX "Lead_ghlContactId_key" ON "Lead"("ghlContactId");
CREATE UNIQUE INDEX "Lead_calendlyInviteeUri_key" ON "Lead"("calendlyInviteeUri");
CREATE UNIQUE INDEX "Lead_calendlyScheduledEventUri_key" ON "Lead"("calendlyScheduledEventUri");
CREATE INDEX "Lead_clientId_idx" ON "Lead"("clientId");
CREATE INDEX "Lead_campaignId_idx" ON "Lead"("campaignId");
CREATE INDEX "Lead_smsCampaignId_idx" ON "Lead"("smsCampaignId");
CREATE INDEX "Lead_emailCampaignId_idx" ON "Lead"("emailCampaignId");
CREATE INDEX "Lead_emailBisonLeadId_idx" ON "Lead"("emailBisonLeadId");
CREATE INDEX "Lead_sentimentTag_idx" ON "Lead"("sentimentTag");
CREATE INDEX "Lead_email_idx" ON "Lead"("email");
CREATE INDEX "Lead_phone_idx" ON "Lead"("phone");
CREATE INDEX "Lead_linkedinUrl_idx" ON "Lead"("linkedinUrl");
CREATE INDEX "Lead_linkedinCompanyUrl_idx" ON "Lead"("linkedinCompanyUrl");
CREATE INDEX "Lead_smsLastBlockedAt_idx" ON "Lead"("smsLastBlockedAt");
CREATE INDEX "Lead_smsLastSuccessAt_idx" ON "Lead"("smsLastSuccessAt");
CREATE INDEX "Lead_industry_idx" ON "Lead"("industry");
CREATE INDEX "Lead_employeeHeadcount_idx" ON "Lead"("employeeHeadcount");
CREATE INDEX "Lead_enrichmentStatus_idx" ON "Lead"("enrichmentStatus");
CREATE INDEX "Lead_preferredCalendarLinkId_idx" ON "Lead"("preferredCalendarLinkId");
CREATE INDEX "Lead_lastInboundAt_idx" ON "Lead"("lastInboundAt" DESC);
CREATE INDEX "Lead_lastOutboundAt_idx" ON "Lead"("lastOutboundAt" DESC);
CREATE INDEX "Lead_lastZrgOutboundAt_idx" ON "Lead"("lastZrgOutboundAt" DESC);
CREATE INDEX "Lead_lastMessageAt_idx" ON "Lead"("lastMessageAt" DESC);
CREATE INDEX "Lead_lastMessageDirection_idx" ON "Lead"("lastMessageDirection");
CREATE INDEX "Lead_appointmentLastCheckedAt_idx" ON "Lead"("appointmentLastCheckedAt");
CREATE INDEX "Lead_appointmentStatus_idx" ON "Lead"("appointmentStatus");
CREATE INDEX "Lead_overallScore_idx" ON "Lead"("overallScore");
CREATE INDEX "Lead_assignedToUserId_idx" ON "Lead"("assignedToUserId");
CREATE INDEX "Lead_alternateEmails_idx" ON "Lead" USING GIN ("alternateEmails");
CREATE INDEX "Lead_clientId_lastInboundAt_idx" ON "Lead"("clientId", "lastInboundAt" DESC);
CREATE INDEX "Lead_clientId_assignedToUserId_lastInboundAt_idx" ON "Lead"("clientId", "assignedToUserId", "lastInboundAt" DESC);
CREATE INDEX "Lead_clientId_status_idx" ON "Lead"("clientId", "status");
CREATE INDEX "Lead_clientId_updatedAt_idx" ON "Lead"("clientId", "updatedAt" DESC);
CREATE INDEX "Lead_clientId_status_updatedAt_idx" ON "Lead"("clientId", "status", "updatedAt" DESC);
CREATE INDEX "Lead_clientId_sentimentTag_updatedAt_idx" ON "Lead"("clientId", "sentimentTag", "updatedAt" DESC);
CREATE INDEX "Lead_clientId_firstName_idx" ON "Lead"("clientId", "firstName");
CREATE INDEX "Lead_clientId_lastName_idx" ON "Lead"("clientId", "lastName");
CREATE INDEX "Lead_clientId_appointmentLastCheckedAt_idx" ON "Lead"("clientId", "appointmentLastCheckedAt");
CREATE INDEX "Lead_clientId_overallScore_idx" ON "Lead"("clientId", "overallScore");
CREATE INDEX "Lead_clientId_overallScore_updatedAt_idx" ON "Lead"("clientId", "overallScore", "updatedAt" DESC);
CREATE INDEX "Lead_clientId_assignedToUserId_idx" ON "Lead"("clientId", "assignedToUserId");

-- Foreign keys, as `db push` adds them.
ALTER TABLE "Client" ADD CONSTRAINT "Client_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "Campaign" ADD CONSTRAINT "Campaign_clientId_fkey" FOREIGN KEY ("clientId") REFERENCES "Client"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "SmsCampaign" ADD CONSTRAINT "SmsCampaign_clientId_fkey" FOREIGN KEY ("clientId") REFERENCES "Client"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "EmailCampaign" ADD CONSTRAINT "EmailCampaign_clientId_fkey" FOREIGN KEY ("clientId") REFERENCES "Client"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "CalendarLink" ADD CONSTRAINT "CalendarLink_clientId_fkey" FOREIGN KEY ("clientId") REFERENCES "Client"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Lead" ADD CONSTRAINT "Lead_clientId_fkey" FOREIGN KEY ("clientId") REFERENCES "Client"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Lead" ADD CONSTRAINT "Lead_campaignId_fkey" FOREIGN KEY ("campaignId") REFERENCES "Campaign"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "Lead" ADD CONSTRAINT "Lead_smsCampaignId_fkey" FOREIGN KEY ("smsCampaignId") REFERENCES "SmsCampaign"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "Lead" ADD CONSTRAINT "Lead_emailCampaignId_fkey" FOREIGN KEY ("emailCampaignId") REFERENCES "EmailCampaign"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "Lead" ADD CONSTRAINT "Lead_preferredCalendarLinkId_fkey" FOREIGN KEY ("preferredCalendarLinkId") REFERENCES "CalendarLink"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "Lead" ADD CONSTRAINT "Lead_assignedToUserId_fkey" FOREIGN KEY ("assignedToUserId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
