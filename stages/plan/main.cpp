// ghl-backfill plan: compute the field diffs from the work DB, print the review, export the diff.
#include "cli.h"
#include "plan.h"

int main(int argc, char** argv) {
  ghlb::PlanOptions opts;
  const auto define = [&](CLI::App& app) { ghlb::definePlan(app, opts); };
  return ghlb::runStageMain(define, argc, argv, "ghl-backfill plan", opts.common, [&](const ghlb::Log& log) {
    ghlb::requireWorkDb(opts.common);
    return ghlb::runPlan(opts, log);
  });
}
