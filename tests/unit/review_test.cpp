#include "review.h"

#include <doctest/doctest.h>

#include <sstream>

using namespace ghlb;

TEST_CASE("review tables print a tenant id with control characters escaped, never raw") {
  ReviewSummary s;
  TenantReview t;
  t.leads = 1;
  t.by_status["planned"] = 1;
  t.fields["email"] = 1;
  t.applied["written"] = 1;
  s.tenants["evil\n\x1b[31mred"] = t;
  std::ostringstream out;
  printReview(s, out);
  const std::string text = out.str();
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(text.find("evil\n") == std::string::npos);
  CHECK(text.find("evil\\n\\x1b[31mred") != std::string::npos);
}
