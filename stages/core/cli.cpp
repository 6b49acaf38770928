#include "cli.h"

#include <SQLiteCpp/Exception.h>

#include <cstdlib>
#include <iostream>
#include <pqxx/except>

#include "error.h"
#include "names.h"
#include "text.h"

namespace ghlb {

void addCommonFlags(CLI::App& app, CommonOptions& common) {
  app.add_option("--work-db", common.work_db, "work database file (SQLite)")->capture_default_str();
  app.add_option("--client-id", common.client_ids, "limit to this tenant (\"Client\".id); repeatable");
  app.add_option("--log-format", common.log_format, "diagnostics on stderr as text or json")
      ->transform(CLI::CheckedTransformer(std::map<std::string, LogFormat>{{"text", LogFormat::kText},
                                                                          {"json", LogFormat::kJson}}));
  app.add_flag("--quiet", common.quiet, "only errors on stderr");
  app.set_version_flag("--version", std::string("ghl-backfill ") + GHLB_VERSION);
}

void addDatabaseUrlFlag(CLI::App& app, std::string& url) {
  app.add_option("--database-url", url,
                 "application PostgreSQL database (libpq URL); default $DATABASE_URL")
      ->envname(names::kEnvDatabaseUrl);
}

int runStageMain(CLI::App& app, int argc, char** argv, const std::string& program,
                 const CommonOptions& common, const std::function<ExitCode(const Log&)>& body) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << program << ": usage: " << escapeControl(e.what()) << " (see --help)\n";
    return toInt(ExitCode::kUsage);
  }
  const Log log(program, common.log_format, common.quiet);
  try {
    return toInt(body(log));
  } catch (const FatalError& e) {
    // Messages may carry an id from the command line or a file: no raw control character.
    std::cerr << program << ": " << (e.code() == ExitCode::kUsage ? "usage: " : "error: ")
              << escapeControl(e.what()) << "\n";
    return toInt(e.code());
  } catch (const pqxx::broken_connection&) {
    std::cerr << program << ": error: lost the connection to the application database: check it is up, then run again\n";
  } catch (const pqxx::sql_error& e) {
    // The statement text is ours (no values: every statement is parameterized); say which state.
    std::cerr << program << ": error: application database refused a statement (SQLSTATE " << e.sqlstate()
              << "): check the database's schema and permissions\n";
  } catch (const SQLite::Exception& e) {
    std::cerr << program << ": error: work DB: " << e.getErrorStr()
              << ": check the --work-db file and the disk, then run again\n";
  } catch (const std::exception& e) {
    std::cerr << program << ": error: " << escapeControl(e.what()) << "\n";
  }
  return toInt(ExitCode::kFatal);
}

}  // namespace ghlb
