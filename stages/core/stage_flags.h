// Every command's flags, declared once on a CLI11 app: the stage's own main, `ghl-backfill run`,
// the man page and the bash completion all read the same definitions, so they cannot drift.
// Every flag can also come from $GHL_BACKFILL_<FLAG> or a config file; precedence:
// flag > environment > config file > default (see configureSources()).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "options.h"

// CLI11's App by name only: a header that declares flags needs no more, and CLI11 costs about 6 s
// of compile (10 s more at -O2 once an App is built) in every translation unit that includes it.
// The files that build or read an App include <CLI/CLI.hpp> themselves.
namespace CLI {
class App;
}  // namespace CLI

namespace ghlb {

// Flags shared by every command: --work-db, --client-id, --log-format, --quiet, --version.
void addCommonFlags(CLI::App& app, CommonOptions& common);
// --time-budget DURATION (duration.h): the stage, or the whole `run`, stops cleanly once it is
// spent and exits 3; on run and every stage that works (extract, fetch, plan, apply, revert).
void addTimeBudgetFlag(CLI::App& app, CommonOptions& common);
// --database-url (also $DATABASE_URL; empty: libpq's PG* variables and ~/.pgpass).
void addDatabaseUrlFlag(CLI::App& app, std::string& url);
// Each stage's own flags (not the common ones).
void addExtractFlags(CLI::App& app, ExtractOptions& o);
void addFetchFlags(CLI::App& app, FetchOptions& o);
void addPlanFlags(CLI::App& app, PlanOptions& o);
void addApplyFlags(CLI::App& app, ApplyOptions& o);
void addWaveFlags(CLI::App& app, ApplyOptions& o);  // --field, --sample, --limit, --list-leads

// The whole command line of each command (name, description, flags, environment, config file).
void defineExtract(CLI::App& app, ExtractOptions& o);
void defineFetch(CLI::App& app, FetchOptions& o);
void definePlan(CLI::App& app, PlanOptions& o);
void defineApply(CLI::App& app, ApplyOptions& o);
void defineRevert(CLI::App& app, RevertOptions& o);
void defineRun(CLI::App& app, RunOptions& o);
void defineStatus(CLI::App& app, StatusOptions& o);
void defineReview(CLI::App& app, ReviewOptions& o);

// The commands the dispatcher knows, in help order.
const std::vector<std::string>& commandNames();

// Environment variable of a flag: GHL_BACKFILL_<FLAG> (dashes to underscores, upper case), or
// the older name it had (DATABASE_URL, GHL_API_BASE, GHL_REQUESTS_PER_10S) when only that is set.
std::string envNameFor(const std::string& flag);

// Config file used when --config is not given: ./ghl-backfill.toml if present, else
// $XDG_CONFIG_HOME/ghl-backfill/config.toml ($XDG_CONFIG_HOME defaults to ~/.config).
std::string defaultConfigPath();

// True when a libpq URL or key=value string carries a password.
bool connectionStringHasPassword(const std::string& conninfo);

// Levenshtein distance, and the candidate closest to word when it is close enough to suggest.
int editDistance(const std::string& a, const std::string& b);
std::optional<std::string> closest(const std::string& word, const std::vector<std::string>& candidates);

// "; did you mean --concurrency?" for the first unknown flag of args close to a flag of app.
std::string suggestFlag(const CLI::App& app, const std::vector<std::string>& args);

// Every flag any command knows (without dashes): the keys a config file may hold.
const std::vector<std::string>& allFlagNames();

// ghl-backfill(1) in man(7) format and a bash completion script, from the definitions above.
std::string generateManPage();
std::string generateBashCompletion();

}  // namespace ghlb
