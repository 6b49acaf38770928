#include "cli.h"

#include <SQLiteCpp/Exception.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <pqxx/except>

#include "error.h"
#include "metrics.h"
#include "names.h"
#include "stop_signal.h"
#include "text.h"

namespace ghlb {
namespace {

std::string absolutePath(const std::string& p) {
  std::error_code ec;
  const auto a = std::filesystem::absolute(p, ec);
  return ec ? p : a.lexically_normal().string();
}

// " (set by environment variable NAME)" or " (set in the config file)" when the first --flag that
// MESSAGE names took its value from there rather than from the command line ARGS; else "". An
// operator who never typed the flag then knows where to look.
std::string flagOrigin(const CLI::App& app, const std::vector<std::string>& args,
                       const std::string& message) {
  const auto at = message.find("--");
  if (at == std::string::npos) return "";
  auto end = at + 2;
  while (end < message.size() &&
         (std::isalnum(static_cast<unsigned char>(message[end])) || message[end] == '-'))
    ++end;
  const std::string flag = message.substr(at, end - at);
  const CLI::Option* opt = nullptr;
  try {
    opt = app.get_option(flag);
  } catch (const CLI::OptionNotFound&) {
    return "";
  }
  for (const auto& a : args)
    if (a == flag || a.rfind(flag + "=", 0) == 0) return "";  // typed on the command line
  const std::string env = opt->get_envname();
  if (!env.empty()) {
    const char* v = std::getenv(env.c_str());
    if (v && *v) return " (set by environment variable " + env + ")";
  }
  return opt->count() > 0 ? " (set in the config file)" : "";
}

// CLI11's "Could not convert: --flag = VALUE" in the project's wording.
std::string usageText(const CLI::ParseError& e) {
  std::string what = e.what();
  constexpr std::string_view kConvert = "Could not convert: ";
  if (dynamic_cast<const CLI::ConversionError*>(&e) && what.rfind(kConvert, 0) == 0) {
    what.erase(0, kConvert.size());
    const auto eq = what.find(" = ");
    if (eq != std::string::npos)
      what = what.substr(0, eq) + " " + what.substr(eq + 3) + ": not a valid value";
  }
  return what;
}

}  // namespace

bool workDbMissing(const CommonOptions& common) {
  std::error_code ec;
  return !std::filesystem::exists(common.work_db, ec);
}

void requireWorkDb(const CommonOptions& common) {
  if (!workDbMissing(common)) return;
  throw FatalError("work DB " + absolutePath(common.work_db) + " does not exist" +
                   ": run 'ghl-backfill extract' first, or point at your work DB with --work-db FILE, "
                   "GHL_BACKFILL_WORK_DB or 'work-db' in the config file");
}

void noteNewWorkDb(const CommonOptions& common, const Log& log) {
  log.info("created a new work DB", {{"path", absolutePath(common.work_db)}});
}

std::string sqlErrorMessage(const std::string& sqlstate) {
  // SQLSTATEs are five characters of [0-9A-Z]; anything else is not echoed.
  const bool plain = sqlstate.size() == 5 && std::all_of(sqlstate.begin(), sqlstate.end(), [](char c) {
                       return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
                     });
  const std::string state = plain ? sqlstate : std::string("unknown");
  if (plain && sqlstate.compare(0, 2, "57") == 0)
    return "the application database stopped a statement (SQLSTATE " + state +
           ": the session was ended or the statement cancelled, by an administrator, a restart or a timeout "
           "such as statement_timeout): what was committed is kept; run the same command again";
  return "application database refused a statement (SQLSTATE " + state +
         "): check the database's schema and permissions";
}

namespace {

// Runs BODY and turns every exception into one line on stderr and an exit status.
int runBody(const std::string& program, const Log& log, const std::function<ExitCode(const Log&)>& body,
            const std::function<std::string(const std::string&)>& origin) {
  try {
    return toInt(body(log));
  } catch (const StopRequested& stop) {
    if (stopReason() == StopReason::kTimeBudget) {
      // Not a failure: the unattended unit of work ends here; the scheduler runs it again.
      log.warn(std::string("time budget spent: stopped cleanly; ") + stop.kept(),
               {{"exit", static_cast<std::int64_t>(toInt(ExitCode::kRetryable))}});
      return toInt(ExitCode::kRetryable);
    }
    log.warn(std::string("stopped on request; ") + stop.kept() + ": run the same command again",
             {{"exit", static_cast<std::int64_t>(signalExitCode())}});
    return signalExitCode() ? signalExitCode() : 130;
  } catch (const FatalError& e) {
    // Messages may carry an id from the command line or a file: no raw control character.
    const std::string where = e.code() == ExitCode::kUsage ? origin(e.what()) : std::string();
    std::cerr << program << ": " << (e.code() == ExitCode::kUsage ? "usage: " : "error: ")
              << escapeControl(e.what()) << escapeControl(where) << "\n";
    return toInt(e.code());
  } catch (const pqxx::broken_connection&) {
    std::cerr << program
              << ": error: lost the connection to the application database: check it is up, then run again\n";
  } catch (const pqxx::sql_error& e) {
    // The statement text is ours (no values: every statement is parameterized); say which state.
    std::cerr << program << ": error: " << sqlErrorMessage(e.sqlstate()) << "\n";
  } catch (const SQLite::Exception& e) {
    std::cerr << program << ": error: work DB: " << e.getErrorStr()
              << ": check the --work-db file and the disk, then run again\n";
  } catch (const std::exception& e) {
    std::cerr << program << ": error: " << escapeControl(e.what()) << "\n";
  }
  return toInt(ExitCode::kFatal);
}

}  // namespace

int runStageMain(CLI::App& app, int argc, char** argv, const std::string& program,
                 const CommonOptions& common, const std::function<ExitCode(const Log&)>& body) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    std::string hint;
    if (dynamic_cast<const CLI::ExtrasError*>(&e)) hint = suggestFlag(app, args);
    const std::string what = usageText(e);
    std::cerr << program << ": usage: " << escapeControl(what) << escapeControl(flagOrigin(app, args, what))
              << escapeControl(hint) << " (see --help)\n";
    return toInt(ExitCode::kUsage);
  }
  installStopHandlers();
  const Log log(program, common.log_format, common.quiet);
  CommandOutcome outcome;
  outcome.command = program.substr(program.rfind(' ') + 1);
  outcome.started = std::chrono::system_clock::now();
  const std::vector<std::string> args(argv + 1, argv + argc);
  startTimeBudget(common.time_budget);  // one deadline for the whole command, `run` included
  outcome.exit_code =
      runBody(program, log, body, [&](const std::string& message) { return flagOrigin(app, args, message); });
  endTimeBudget();
  outcome.finished = std::chrono::system_clock::now();
  if (!common.metrics_file.empty()) {
    try {
      writeMetricsFile(common.metrics_file, outcome, common.work_db);
    } catch (const std::exception& e) {  // monitoring must not change the run's outcome
      log.warn("cannot write the metrics file: check --metrics-file", {{"reason", std::string(e.what())}});
    }
  }
  return outcome.exit_code;
}

int runStageMain(const std::function<void(CLI::App&)>& define, int argc, char** argv,
                 const std::string& program, const CommonOptions& common,
                 const std::function<ExitCode(const Log&)>& body) {
  CLI::App app;
  define(app);
  return runStageMain(app, argc, argv, program, common, body);
}

}  // namespace ghlb
