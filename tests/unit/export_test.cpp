#include <doctest/doctest.h>

#include "apply.h"
#include "error.h"
#include "export.h"

using namespace ghlb;

TEST_CASE("CSV fields are quoted only when needed") {
  CHECK(csvField("plain") == "plain");
  CHECK(csvField("a,b") == "\"a,b\"");
  CHECK(csvField("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(csvField("two\nlines") == "\"two\nlines\"");
}

TEST_CASE("export format comes from the file name") {
  CHECK(*exportFormatFor("x.csv") == ExportFormat::kCsv);
  CHECK(*exportFormatFor("dir/x.json") == ExportFormat::kJson);
  CHECK_FALSE(exportFormatFor("").has_value());
  CHECK_THROWS_AS(exportFormatFor("x.xlsx"), FatalError);
}

TEST_CASE("apply field outcomes") {
  CHECK(std::string(fieldOutcome(true, std::nullopt, "v")) == apply_outcome::kWritten);
  CHECK(std::string(fieldOutcome(false, std::string("v"), "v")) == apply_outcome::kAlreadySet);
  CHECK(std::string(fieldOutcome(false, std::string("other"), "v")) == apply_outcome::kStale);
}
