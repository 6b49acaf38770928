// Command-line plumbing shared by every stage main: the common flags, environment defaults, and
// the one place that turns exceptions into a one-line message and an exit code.
#pragma once
#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "exit_code.h"
#include "log.h"
#include "options.h"

namespace ghlb {

// --work-db, --client-id, --log-format, --quiet and --version on app.
void addCommonFlags(CLI::App& app, CommonOptions& common);

// --database-url with its $DATABASE_URL default.
void addDatabaseUrlFlag(CLI::App& app, std::string& url);

// Parses argv into app, then runs body(log); returns the process exit status. Usage errors exit
// 2, FatalError and any other exception exit 1 with "PROGRAM: error: MESSAGE" on stderr.
int runStageMain(CLI::App& app, int argc, char** argv, const std::string& program,
                 const CommonOptions& common, const std::function<ExitCode(const Log&)>& body);

}  // namespace ghlb
