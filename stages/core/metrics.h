// --metrics-file: what an unattended run leaves for monitoring, in the Prometheus textfile
// collector's format (node_exporter --collector.textfile.directory), written at the end of every
// command atomically (a new file renamed over the old, mode 0644: counts and ids only, no PII).
// Everything but the command's own exit code and duration is read back from the work DB, so a
// chained `run` and a single stage report the same way.
#pragma once
#include <chrono>
#include <string>

namespace ghlb {

struct CommandOutcome {
  std::string command;  // "extract", "fetch", "plan", "apply", "run", ...
  int exit_code = 0;
  std::chrono::system_clock::time_point started;
  std::chrono::system_clock::time_point finished;
};

// The metrics text for OUTCOME and the work DB at WORK_DB (which may not exist: then only the
// command's own metrics). Metric and label names are stable: dashboards depend on them.
std::string metricsText(const CommandOutcome& outcome, const std::string& work_db);

// Writes metricsText() to PATH atomically.
void writeMetricsFile(const std::string& path, const CommandOutcome& outcome, const std::string& work_db);

}  // namespace ghlb
