// ghl-backfill plan: compute the field diffs from the work DB, print the review, export the diff.
#include "cli.h"
#include "plan.h"

int main(int argc, char** argv) {
  ghlb::PlanOptions opts;
  CLI::App app{"Compute what apply would write, from the snapshot and the GHL results only, and print the review summary."};
  app.name("ghl-backfill plan");
  ghlb::addCommonFlags(app, opts.common);
  app.add_option("--export", opts.export_path, "write the diff to FILE.csv or FILE.json (holds PII)");
  return ghlb::runStageMain(app, argc, argv, "ghl-backfill plan", opts.common,
                            [&](const ghlb::Log& log) { return ghlb::runPlan(opts, log); });
}
