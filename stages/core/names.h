// Every name with a rule, in one place: the application's tables and columns (Prisma names,
// double-quoted in SQL), GHL paths and headers, environment variables and default file names.
#pragma once

namespace ghlb::names {

// Application database (PostgreSQL). Quoted identifiers, ready to paste into SQL.
inline constexpr const char* kClientTable = "\"Client\"";
inline constexpr const char* kLeadTable = "\"Lead\"";
inline constexpr const char* kClientLocation = "\"ghlLocationId\"";
inline constexpr const char* kClientToken = "\"ghlPrivateKey\"";
inline constexpr const char* kClientName = "name";  // optional: read only when the table has it
inline constexpr const char* kLeadClientId = "\"clientId\"";
inline constexpr const char* kLeadContactId = "\"ghlContactId\"";
inline constexpr const char* kLeadEmail = "email";
inline constexpr const char* kLeadPhone = "phone";
inline constexpr const char* kLeadFirstName = "\"firstName\"";
inline constexpr const char* kLeadLastName = "\"lastName\"";
inline constexpr const char* kLeadCompany = "\"companyName\"";
inline constexpr const char* kLeadEnrichmentStatus = "\"enrichmentStatus\"";
inline constexpr const char* kLeadEnrichmentSource = "\"enrichmentSource\"";
inline constexpr const char* kLeadEnrichedAt = "\"enrichedAt\"";
inline constexpr const char* kUpdatedAt = "\"updatedAt\"";

// Field names as stored in the work DB's plan_item.field and shown to reviewers: the
// application's column names, unquoted.
inline constexpr const char* kFieldContactId = "ghlContactId";
inline constexpr const char* kFieldEmail = "email";
inline constexpr const char* kFieldPhone = "phone";
inline constexpr const char* kFieldFirstName = "firstName";
inline constexpr const char* kFieldLastName = "lastName";
inline constexpr const char* kFieldCompany = "companyName";
inline constexpr const char* kFieldEnrichmentStatus = "enrichmentStatus";
inline constexpr const char* kFieldEnrichmentSource = "enrichmentSource";
inline constexpr const char* kFieldEnrichedAt = "enrichedAt";

inline constexpr const char* kEnrichedStatus = "enriched";
inline constexpr const char* kNotNeededStatus = "not_needed";
inline constexpr const char* kEnrichmentSourceGhl = "ghl";

// GHL API.
inline constexpr const char* kGhlDefaultBaseUrl = "https://services.leadconnectorhq.com";
inline constexpr const char* kGhlSearchPath = "/contacts/search";
inline constexpr const char* kGhlContactPath = "/contacts/";  // + contact id
inline constexpr const char* kGhlVersionHeader = "Version";
inline constexpr const char* kGhlVersion = "2021-07-28";
inline constexpr const char* kHdrRateMax = "x-ratelimit-max";
inline constexpr const char* kHdrRateRemaining = "x-ratelimit-remaining";
inline constexpr const char* kHdrRateInterval = "x-ratelimit-interval-milliseconds";
inline constexpr const char* kHdrDailyLimit = "x-ratelimit-limit-daily";
inline constexpr const char* kHdrDailyRemaining = "x-ratelimit-daily-remaining";
inline constexpr const char* kHdrDailyReset = "x-ratelimit-daily-reset";
inline constexpr const char* kHdrRetryAfter = "retry-after";

// Environment variables.
inline constexpr const char* kEnvDatabaseUrl = "DATABASE_URL";
inline constexpr const char* kEnvGhlBase = "GHL_API_BASE";
inline constexpr const char* kEnvBurst = "GHL_REQUESTS_PER_10S";
// The replaced script's retry cap on 429s: --max-retries caps the same retries (and those of 5xx
// and network errors).
inline constexpr const char* kEnvMax429Retries = "GHL_MAX_429_RETRIES";
inline constexpr const char* kEnvExecPath = "GHL_BACKFILL_EXEC_PATH";  // dispatcher's stage dir

// Files.
inline constexpr const char* kDefaultWorkDb = "./ghl-backfill.db";
inline constexpr const char* kLockSuffix = ".lock";
inline constexpr const char* kLibexecSubdir = "../libexec/ghl-backfill";  // from bin/

}  // namespace ghlb::names
