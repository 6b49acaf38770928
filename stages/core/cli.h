// Command-line plumbing shared by every stage main: parsing (flags, environment, config file:
// stage_flags.h), clean stops (stop_signal.h), and the one place that turns exceptions into a
// one-line message and an exit code.
#pragma once
#include <functional>
#include <string>

#include "exit_code.h"
#include "log.h"
#include "options.h"
#include "stage_flags.h"

namespace ghlb {

// Parses argv into app, installs the stop handlers, then runs body(log); returns the process exit
// status. Usage errors exit 2 (with "did you mean ...?" for a near miss), FatalError and any other
// exception exit 1 with "PROGRAM: error: MESSAGE" on stderr, a stop on SIGINT/SIGTERM 130/143,
// and a stop at the end of common.time_budget 3 (work remains; the next run continues).
int runStageMain(CLI::App& app, int argc, char** argv, const std::string& program,
                 const CommonOptions& common, const std::function<ExitCode(const Log&)>& body);
// The same for a stage's own main: the app is built here by define (e.g. definePlan), so that
// the stage's main.cpp compiles without CLI11.
int runStageMain(const std::function<void(CLI::App&)>& define, int argc, char** argv,
                 const std::string& program, const CommonOptions& common,
                 const std::function<ExitCode(const Log&)>& body);

// The message (after "error: ") for a statement the application database did not run, by its
// SQLSTATE: a session ended or a statement cancelled (class 57: an administrator, a restart, a
// timeout such as statement_timeout) is not a schema or permission problem, and the stages keep
// what they committed.
std::string sqlErrorMessage(const std::string& sqlstate);

// For the stages after extract: FatalError naming the absolute path looked at, and how to point
// at another work DB, when there is no work DB at common.work_db.
void requireWorkDb(const CommonOptions& common);

// For extract: whether it is about to create the work DB, and the one line saying it did.
bool workDbMissing(const CommonOptions& common);
void noteNewWorkDb(const CommonOptions& common, const Log& log);

}  // namespace ghlb
