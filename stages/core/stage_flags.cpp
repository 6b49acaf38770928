#include "stage_flags.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "duration.h"
#include "names.h"

namespace ghlb {
namespace {

constexpr const char* kEnvPrefix = "GHL_BACKFILL_";

// Flags whose environment variable predates GHL_BACKFILL_<FLAG>; both names work.
const std::map<std::string, std::string>& legacyEnv() {
  static const std::map<std::string, std::string> m{{"database-url", names::kEnvDatabaseUrl},
                                                    {"ghl-base-url", names::kEnvGhlBase},
                                                    {"per-location-burst-per-10s", names::kEnvBurst},
                                                    {"max-retries", names::kEnvMax429Retries}};
  return m;
}

bool envSet(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  return v && *v;
}

std::string modernEnvName(const std::string& flag) {
  std::string out = kEnvPrefix;
  for (const char c : flag)
    out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

constexpr const char* kSourcesFooter =
    "Every flag can also come from the environment, as GHL_BACKFILL_<FLAG> (e.g. GHL_BACKFILL_WORK_DB,\n"
    "GHL_BACKFILL_CONCURRENCY), or from a config file of 'flag = value' lines (TOML; a [STAGE] section\n"
    "applies to that stage only): --config FILE, else ./ghl-backfill.toml if present, else\n"
    "$XDG_CONFIG_HOME/ghl-backfill/config.toml (default ~/.config/...).\n"
    "Precedence: flag > environment > config file > default. The config file may not hold a database\n"
    "password: use ~/.pgpass or PGPASSWORD.\n";

// The config file reader: CLI11's TOML reader, keeping the top level and the sections of this
// command, refusing passwords, and dropping keys set in the environment (environment > file).
class StageConfig : public CLI::ConfigTOML {
 public:
  explicit StageConfig(std::set<std::string> sections) : sections_(std::move(sections)) {}

  std::vector<CLI::ConfigItem> from_config(std::istream& in) const override {
    std::vector<CLI::ConfigItem> out;
    for (auto item : CLI::ConfigTOML::from_config(in)) {
      if (item.name == "++" || item.name == "--") continue;  // section markers
      std::replace(item.name.begin(), item.name.end(), '_', '-');
      const bool has_password =
          item.name.find("password") != std::string::npos ||
          (item.name == "database-url" &&
           std::any_of(item.inputs.begin(), item.inputs.end(), connectionStringHasPassword));
      if (has_password)
        throw CLI::ConfigError("the config file holds a database password (key '" + item.name +
                                   "'): remove it and put the password in ~/.pgpass or PGPASSWORD",
                               CLI::ExitCodes::ConfigError);
      const auto& known = allFlagNames();
      if (std::find(known.begin(), known.end(), item.name) == known.end() || item.name == "help" ||
          item.name == "version") {
        std::vector<std::string> keys(known.begin(), known.end());
        const auto near = closest(item.name, keys);
        throw CLI::ConfigError("the config file has an unknown key '" + item.name + "'" +
                                   (near ? "; did you mean '" + *near + "'?" : std::string()) +
                                   ": keys are flag names without the dashes",
                               CLI::ExitCodes::ConfigError);
      }
      if (!item.parents.empty() && !(item.parents.size() == 1 && sections_.count(item.parents[0]))) continue;
      item.parents.clear();
      if (envSet(modernEnvName(item.name))) continue;
      if (const auto it = legacyEnv().find(item.name); it != legacyEnv().end() && envSet(it->second))
        continue;
      out.push_back(std::move(item));
    }
    return out;
  }

 private:
  std::set<std::string> sections_;
};

// Environment names on every flag, the config file, and the help footer saying so.
void configureSources(CLI::App& app, std::set<std::string> sections) {
  for (CLI::Option* opt : app.get_options()) {
    const auto& l = opt->get_lnames();
    if (l.empty() || l[0] == "help" || l[0] == "version") continue;
    opt->envname(envNameFor(l[0]));
  }
  app.set_config("--config", defaultConfigPath(),
                 "read flags from this TOML file (default ./ghl-backfill.toml if present, else "
                 "$XDG_CONFIG_HOME/ghl-backfill/config.toml)")
      ->type_name("FILE");
  app.config_formatter(std::make_shared<StageConfig>(std::move(sections)));
  app.footer(kSourcesFooter);
}

// Options added to app from index `from` on go to help group `group` (for `run`).
void groupFrom(CLI::App& app, size_t from, const std::string& group) {
  auto opts = app.get_options();
  for (size_t i = from; i < opts.size(); ++i) opts[i]->group(group);
}

}  // namespace

std::string envNameFor(const std::string& flag) {
  const std::string modern = modernEnvName(flag);
  if (const auto it = legacyEnv().find(flag);
      it != legacyEnv().end() && !envSet(modern) && envSet(it->second))
    return it->second;
  return modern;
}

std::string defaultConfigPath() {
  if (std::filesystem::exists("ghl-backfill.toml")) return "./ghl-backfill.toml";
  std::string base;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x == '/')
    base = x;
  else if (const char* h = std::getenv("HOME"); h && *h)
    base = std::string(h) + "/.config";
  else
    return "";
  return base + "/ghl-backfill/config.toml";
}

bool connectionStringHasPassword(const std::string& s) {
  std::string low(s);
  std::transform(low.begin(), low.end(), low.begin(), [](unsigned char c) { return std::tolower(c); });
  if (low.rfind("postgresql://", 0) == 0 || low.rfind("postgres://", 0) == 0) {
    const size_t start = low.find("://") + 3;
    const size_t end = low.find_first_of("/?", start);
    const std::string authority =
        low.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const size_t at = authority.rfind('@');
    if (at != std::string::npos && authority.substr(0, at).find(':') != std::string::npos) return true;
    const size_t q = low.find('?');
    return q != std::string::npos &&
           (low.find("?password=", q) != std::string::npos || low.find("&password=", q) != std::string::npos);
  }
  // key=value form: a password key, spaces allowed around '='.
  for (size_t p = low.find("password"); p != std::string::npos; p = low.find("password", p + 1)) {
    if (p > 0 && !std::isspace(static_cast<unsigned char>(low[p - 1]))) continue;
    size_t e = p + 8;
    while (e < low.size() && std::isspace(static_cast<unsigned char>(low[e]))) ++e;
    if (e < low.size() && low[e] == '=') return true;
  }
  return false;
}

int editDistance(const std::string& a, const std::string& b) {
  // Optimal string alignment: a swap of two neighbours ("fecth") counts as one edit.
  std::vector<std::vector<int>> d(a.size() + 1, std::vector<int>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = static_cast<int>(i);
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i)
    for (size_t j = 1; j <= b.size(); ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

std::optional<std::string> closest(const std::string& word, const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  int best_d = 0;
  for (const auto& c : candidates) {
    const int d = editDistance(word, c);
    if (!best || d < best_d) best = c, best_d = d;
  }
  const int limit = std::min(3, std::max(1, static_cast<int>(word.size()) / 3));
  if (best && best_d > 0 && best_d <= limit) return best;
  return std::nullopt;
}

std::string suggestFlag(const CLI::App& app, const std::vector<std::string>& args) {
  std::vector<std::string> known;
  for (const CLI::Option* opt : app.get_options())
    for (const auto& l : opt->get_lnames()) known.push_back("--" + l);
  for (const auto& a : args) {
    if (a.rfind("--", 0) != 0 || a.size() == 2) continue;
    const std::string name = a.substr(0, a.find('='));
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    if (const auto c = closest(name, known)) return "; did you mean " + *c + "?";
  }
  return "";
}

const std::vector<std::string>& commandNames() {
  static const std::vector<std::string> v{"extract", "fetch", "plan",   "apply",
                                          "revert",  "run",   "status", "review"};
  return v;
}

void addCommonFlags(CLI::App& app, CommonOptions& common) {
  app.add_option("--work-db", common.work_db, "work database file (SQLite), shared by the stages")
      ->type_name("FILE")
      ->capture_default_str();
  app.add_option("--client-id", common.client_ids, "limit to this tenant (\"Client\".id); repeatable")
      ->type_name("ID")
      ->delimiter(',');
  app.add_option("--log-format", common.log_format, "diagnostics on stderr as text or json lines")
      ->transform(CLI::CheckedTransformer(std::map<std::string, LogFormat>{{"text", LogFormat::kText},
                                                                           {"json", LogFormat::kJson}})
                      .description(""))
      ->type_name("text|json")
      ->default_str("text");
  app.add_flag("--quiet", common.quiet, "only errors on stderr");
  app.add_option(
         "--metrics-file", common.metrics_file,
         "write Prometheus textfile metrics (leads by state, requests, 429s, fields written, duration, "
         "exit code) to FILE at the end")
      ->type_name("FILE");
  app.set_version_flag("--version", std::string("ghl-backfill ") + GHLB_VERSION);
}

void addTimeBudgetFlag(CLI::App& app, CommonOptions& common) {
  app.add_option_function<std::string>(
         "--time-budget",
         [&common](const std::string& text) {
           const auto d = parseDuration(text);
           if (!d) throw CLI::ValidationError("--time-budget", "'" + text + "' is not " + kDurationForm);
           common.time_budget = *d;
         },
         "stop cleanly once this much time has passed (e.g. 10m, 1h30m) and exit 3 while work remains; "
         "the next run continues (0: no budget)")
      ->type_name("DURATION")
      ->default_str("0");
}

void addDatabaseUrlFlag(CLI::App& app, std::string& url) {
  app.add_option("--database-url", url,
                 "application PostgreSQL database (libpq URL or key=value string; also $DATABASE_URL); "
                 "when absent, libpq's PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD and ~/.pgpass, as psql")
      ->type_name("URL");
}

void addExtractFlags(CLI::App& app, ExtractOptions& o) {
  app.add_option("--page-size", o.page_size,
                 "rows read at a time from the server: a cursor's FETCH, or a batch of a first full pass's "
                 "COPY (at most 5000) (1-100000)")
      ->type_name("N")
      ->capture_default_str();
  app.add_option("--max-leads", o.max_leads,
                 "snapshot at most N leads (0: no cap); the next extract continues after them")
      ->type_name("N")
      ->capture_default_str();
  app.add_option("--snapshot", o.snapshot,
                 "whole: one consistent REPEATABLE READ snapshot for the run (holds back vacuum on \"Lead\" "
                 "while it runs); pages: one short transaction per tenant, each consistent, a lead changed "
                 "between pages is caught by the next extract")
      ->type_name("whole|pages")
      ->check(CLI::IsMember({"whole", "pages"}))
      ->capture_default_str();
  auto* inc = app.add_flag("--incremental", o.incremental,
                           "read only leads whose \"updatedAt\" is past the tenant's watermark (less a "
                           "10-minute overlap), set by the last full or incremental extract; a tenant never "
                           "read in full is read in full");
  auto* full = app.add_flag("--full", o.full,
                            "read every lead of the scope (the default); run it now and then "
                            "beside --incremental, which cannot see deleted leads; with --client-id, also "
                            "compare every linked contact id rather than the changed leads'");
  inc->excludes(full);
}

void addFetchFlags(CLI::App& app, FetchOptions& o) {
  app.add_option("--ghl-base-url", o.base_url,
                 "GHL API base URL (also $GHL_API_BASE); https, or http on loopback")
      ->type_name("URL")
      ->capture_default_str();
  app.add_option(
         "--per-location-burst-per-10s", o.burst_per_10s,
         "requests per location per 10 s (GHL allows 100, shared with the app; also $GHL_REQUESTS_PER_10S)")
      ->type_name("N")
      ->capture_default_str();
  app.add_option("--per-location-rps", o.per_location_rps,
                 "steady requests per second per location (0: burst only)")
      ->type_name("RATE")
      ->capture_default_str();
  app.add_option("--concurrency", o.concurrency, "requests in flight overall")
      ->type_name("N")
      ->capture_default_str();
  app.add_option("--max-retries", o.max_retries,
                 "retries per request on 5xx, 429 and network errors (also $GHL_MAX_429_RETRIES)")
      ->type_name("N")
      ->capture_default_str();
  app.add_option("--timeout-ms", o.timeout_ms, "timeout per request, in milliseconds")
      ->type_name("MS")
      ->capture_default_str();
  app.add_option("--max-requests", o.max_requests, "stop after N requests (0: no cap)")
      ->type_name("N")
      ->capture_default_str();
  app.add_option(
         "--headroom", o.headroom,
         "slots of each location's 10-s window left to the live application (of GHL's X-RateLimit-Max)")
      ->type_name("N")
      ->capture_default_str();
  app.add_option("--daily-reserve", o.daily_reserve,
                 "requests of each location's daily quota never spent (left to the live application)")
      ->type_name("N")
      ->capture_default_str();
  app.add_option("--max-body-bytes", o.max_body_bytes,
                 "longest GHL answer read, in bytes; a longer one fails its lead for good (64 KiB to 64 MiB)")
      ->type_name("BYTES")
      ->capture_default_str();
  app.add_flag("--refetch", o.refetch, "fetch every lead again, even those with a final result");
  app.add_option_function<std::string>(
         "--strategy",
         [&o](const std::string& name) {
           static const std::map<std::string, FetchStrategy> kByName{{"auto", FetchStrategy::kAuto},
                                                                     {"per-lead", FetchStrategy::kPerLead},
                                                                     {"batched", FetchStrategy::kBatched},
                                                                     {"scan", FetchStrategy::kScan}};
           const auto it = kByName.find(name);
           if (it == kByName.end())
             throw CLI::ValidationError("--strategy",
                                        "'" + name + "' is not one of auto, per-lead, batched, scan");
           o.strategy = it->second;
         },
         "per location: per-lead, batched (OR groups of emails), scan (walk every contact), or auto (the "
         "fewest requests, after one probe)")
      ->type_name("NAME")
      ->default_str("auto");
  app.add_option("--search-batch", o.search_batch,
                 "emails OR-ed in one search of the batched strategy (1-500)")
      ->type_name("N")
      ->capture_default_str();
  app.add_option_function<std::string>(
         "--recheck-not-found-after",
         [&o](const std::string& text) {
           const auto age = parseDuration(text);
           if (!age)
             throw CLI::ValidationError("--recheck-not-found-after",
                                        "'" + text + "' is not " + kDurationForm);
           o.recheck_not_found_after_s = age->count();
         },
         "look a lead recorded not_found up again once its result is older than this (7d, 12h, 30m, 45s; 0: "
         "never), since its contact may have been created in GHL since")
      ->type_name("AGE")
      ->default_str("7d");
}

void addPlanFlags(CLI::App& app, PlanOptions& o) {
  app.add_option(
         "--export", o.export_path,
         "write every lead's outcome and values to FILE.csv or FILE.json (holds PII: keep it private)")
      ->type_name("FILE");
  // The HTML report.
  auto* report = app.add_option("--report", o.report_path,
                                "write the review as one self-contained HTML page, FILE.html (0600; emails "
                                "and phones masked)")
                     ->type_name("FILE");
  app.add_flag("--show-pii", o.show_pii, "show emails and phones unmasked in the --report page")
      ->needs(report);
}

void addApplyFlags(CLI::App& app, ApplyOptions& o) {
  app.add_option("--batch-size", o.batch_size, "leads per PostgreSQL transaction (1-10000)")
      ->type_name("N")
      ->capture_default_str();
  app.add_option("--max-rows-per-second", o.max_rows_per_second,
                 "pace the writes: at most N leads per second on average, sleeping between batches (0: no "
                 "pace; each batch is still one burst of --batch-size leads)")
      ->type_name("N")
      ->capture_default_str();
  app.add_flag("--dry-run", o.dry_run, "report what would be written; write nothing (never asks)");
  app.add_flag("--yes", o.yes,
               "write without asking for confirmation (without a terminal, apply refuses unless given)");
  app.add_flag(
      "--only-approved", o.only_approved,
      "write only the changes approved with 'ghl-backfill review' (rejected ones are never written)");
}

// The wave's selection (wave_select.h), shared by apply and run --apply.
void addWaveFlags(CLI::App& app, ApplyOptions& o) {
  app.add_option("--field", o.fields,
                 "write only this field (repeatable; phone brings its enrichment, any field of a lead "
                 "brings its planned ghlContactId link)")
      ->type_name("FIELD")
      ->delimiter(',');
  app.add_option("--sample", o.sample,
                 "write a deterministic fraction of the leads (0 < F <= 1; the same leads on every run)")
      ->type_name("FRACTION")
      ->capture_default_str();
  app.add_option("--limit", o.limit, "write at most the first N selected leads, in lead-id order (0: no cap)")
      ->type_name("N")
      ->capture_default_str();
  app.add_flag("--list-leads", o.list_leads,
               "print the id of every selected lead (with --dry-run: the wave)");
}

void defineExtract(CLI::App& app, ExtractOptions& o) {
  app.name("ghl-backfill extract");
  app.description(
      "Snapshot every eligible lead (ids and current values) from the application database into the work "
      "DB. Reads in one streaming pass (a full pass over every tenant by COPY ... TO STDOUT, which the "
      "server may run with parallel workers; otherwise a server-side cursor): the eligible leads of the "
      "tenants in scope, "
      "sorted by id in byte order, and the contact ids linked anywhere in \"Lead\" (on a second "
      "connection in the same snapshot while the server sorts the leads, when --snapshot whole and no "
      "pooler). Needs SELECT on the columns it reads and no row-level security in the way; uses the indexes "
      "the application has "
      "(\"clientId\" for --client-id, (\"clientId\", \"updatedAt\") for --incremental) and never "
      "changes the schema. With --client-id the linked contact ids are refreshed, not read again with their "
      "rows: from the leads whose \"updatedAt\" moved since the last --client-id extract (less 10 minutes; "
      "the (\"clientId\", \"updatedAt\") index) and an index-only count of the unique index on "
      "\"ghlContactId\", relying on the application setting \"updatedAt\" on every write; when the count "
      "says more changed (a lead deleted, a contact unlinked, a write that left \"updatedAt\" alone), on a "
      "new work DB, after a full extract, and with --full: every id by an index-only scan of that index (in "
      "proportion to the linked ids, not to the table), merged with those the work DB holds; the lead "
      "holding "
      "an id is looked up by that index only for new ids and moved ones, at most 5,000 a run (past that it "
      "is "
      "stored as not known, still a conflict; a full extract fills it in). A stopped run (signal, "
      "--max-leads, time budget) continues after its last lead "
      "on the next run of the same scope and --snapshot, in a new snapshot.");
  addCommonFlags(app, o.common);
  addTimeBudgetFlag(app, o.common);
  addDatabaseUrlFlag(app, o.database_url);
  addExtractFlags(app, o);
  configureSources(app, {"extract"});
}

void defineFetch(CLI::App& app, FetchOptions& o) {
  app.name("ghl-backfill fetch");
  app.description(
      "Look each snapshotted lead up in GHL (GET or email search) and store the raw results in the work DB.");
  addCommonFlags(app, o.common);
  addTimeBudgetFlag(app, o.common);
  addDatabaseUrlFlag(app, o.database_url);
  addFetchFlags(app, o);
  app.add_flag("--estimate", o.estimate,
               "print the requests, time and days the remaining work needs, per location; call nothing");
  configureSources(app, {"fetch"});
}

void definePlan(CLI::App& app, PlanOptions& o) {
  app.name("ghl-backfill plan");
  app.description(
      "Compute what apply would write, from the snapshot and the GHL results only, and print the review "
      "summary.");
  addCommonFlags(app, o.common);
  addTimeBudgetFlag(app, o.common);
  addPlanFlags(app, o);
  app.add_flag("--json", o.json,
               "print the review as one JSON document (schema_version 1) instead of tables");
  app.add_flag("--detailed-exitcode", o.detailed_exitcode,
               "exit 0 when there is nothing to write, 2 when there are values to write or leads still "
               "pending or waiting, 1 on error");
  // The per-lead review: filters of the printed review (not of the plan, the export or the exit status).
  app.add_option("--lead", o.leads,
                 "show only this lead, in detail with its values (personal data, on stdout); repeatable")
      ->type_name("ID");
  app.add_option("--field", o.fields,
                 "show only leads with a value to write, reported or applied in this field; repeatable")
      ->type_name("FIELD");
  app.add_option("--outcome", o.outcomes,
                 "show only leads with this plan status, 'ambiguous', or this report reason "
                 "(no_storage_form, invalid_value); repeatable")
      ->type_name("OUTCOME");
  configureSources(app, {"plan"});
}

void defineApply(CLI::App& app, ApplyOptions& o) {
  app.name("ghl-backfill apply");
  app.description(
      "Write the planned values to the application database; each write fills only a field that is still "
      "missing.");
  addCommonFlags(app, o.common);
  addTimeBudgetFlag(app, o.common);
  addDatabaseUrlFlag(app, o.database_url);
  addApplyFlags(app, o);
  app.add_option("--plan", o.plan_id,
                 "apply this plan id (printed by plan) instead of the latest plan covering the tenants")
      ->type_name("ID");
  addWaveFlags(app, o);
  configureSources(app, {"apply"});
}

void defineRevert(CLI::App& app, RevertOptions& o) {
  app.name("ghl-backfill revert");
  app.description(
      "Restore what one apply wave wrote, field by field, where the field still holds the value the wave "
      "wrote; fields the application changed since are left and reported.");
  addCommonFlags(app, o.common);
  addTimeBudgetFlag(app, o.common);
  addDatabaseUrlFlag(app, o.database_url);
  app.add_option("wave", o.wave, "the wave number apply printed ('ghl-backfill status' lists the waves)")
      ->type_name("WAVE")
      ->required();
  app.add_option("--batch-size", o.batch_size, "leads per PostgreSQL transaction (1-10000)")
      ->type_name("N")
      ->capture_default_str();
  app.add_flag("--dry-run", o.dry_run, "report what would be restored; write nothing (never asks)");
  app.add_flag("--yes", o.yes,
               "restore without asking for confirmation (without a terminal, revert refuses unless given)");
  app.add_flag("--json", o.json,
               "print one JSON document (counts per field, ids of the leads left) instead of text");
  configureSources(app, {"revert"});
}

void defineRun(CLI::App& app, RunOptions& o) {
  app.name("ghl-backfill run");
  app.description("Run extract, fetch and plan, then print the review summary. Applies only with --apply.");
  addCommonFlags(app, o.common);
  addTimeBudgetFlag(app, o.common);
  addDatabaseUrlFlag(app, o.extract.database_url);
  size_t n = app.get_options().size();
  addExtractFlags(app, o.extract);
  groupFrom(app, n, "extract");
  n = app.get_options().size();
  addFetchFlags(app, o.fetch);
  groupFrom(app, n, "fetch");
  n = app.get_options().size();
  addPlanFlags(app, o.plan);
  groupFrom(app, n, "plan");
  n = app.get_options().size();
  app.add_flag("--apply", o.do_apply, "apply the plan after the review");
  addApplyFlags(app, o.apply);
  addWaveFlags(app, o.apply);
  groupFrom(app, n, "apply");
  configureSources(app, {"run", "extract", "fetch", "plan", "apply"});
}

void defineStatus(CLI::App& app, StatusOptions& o) {
  app.name("ghl-backfill status");
  app.description("Progress per stage and per tenant, read from the work DB.");
  addCommonFlags(app, o.common);
  app.add_flag("--json", o.json, "print one JSON document (schema_version 1) instead of tables");
  configureSources(app, {"status"});
}

void defineReview(CLI::App& app, ReviewOptions& o) {
  app.name("ghl-backfill review");
  app.description(
      "Approve, reject or reset planned changes in bulk, then show the changes by state. The selectors "
      "combine with AND; apply never writes a rejected change, and with --only-approved only approved ones.");
  addCommonFlags(app, o.common);
  auto* approve = app.add_flag("--approve", o.approve, "approve the selected changes");
  auto* reject = app.add_flag(
      "--reject", o.reject,
      "reject the selected changes (rejecting ghlContactId rejects the whole lead; phone, its enrichment)");
  auto* reset =
      app.add_flag("--reset", o.reset, "drop the decision: the selected changes are proposed again");
  approve->excludes(reject)->excludes(reset);
  reject->excludes(reset);
  app.add_option("--field", o.fields, "only changes of this field (e.g. phone, ghlContactId); repeatable")
      ->type_name("FIELD");
  app.add_option("--lead", o.lead_ids, "only changes of this lead (\"Lead\".id); repeatable")
      ->type_name("ID");
  app.add_option("--leads-file", o.leads_file,
                 "only changes of the lead ids in FILE (one per line; # comments and blank lines ignored)")
      ->type_name("FILE");
  app.add_flag("--ambiguous", o.ambiguous, "only leads whose email matched several GHL contacts");
  app.add_option("--state", o.states,
                 "only changes now in this state (proposed, approved, rejected, waiting); repeatable")
      ->type_name("STATE");
  app.add_flag("--all", o.all, "every change of the tenants (--client-id), when no other selector is given");
  app.add_flag("--dry-run", o.dry_run, "show what would change; store nothing");
  app.add_flag("--json", o.json, "print the summary as one JSON document (schema_version 1)");
  configureSources(app, {"review"});
}

}  // namespace ghlb
