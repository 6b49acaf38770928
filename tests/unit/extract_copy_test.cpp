#include "extract_copy.h"

#include <doctest/doctest.h>

#include <string>

using namespace ghlb;

namespace {
std::string text(const char* v) { return v ? std::string(v) : std::string("<NULL>"); }
}  // namespace

TEST_CASE("a lead's COPY line: nine values, \\N for NULL, escapes decoded, NUL-terminated each") {
  LeadBatch b;
  REQUIRE(
      b.add("lead-1\tclient-a\t\\N\ttab\\there@example.com\t\tnew\\nline\tback\\\\slash\t\\\\N\tpending"));
  REQUIRE(b.add("lead-2\tclient-b\tc1\t\\N\t+1555\t\\N\t\\N\t\\N\t\\N"));
  REQUIRE(b.size() == 2);
  const auto r = b.row(0);
  CHECK(text(r.id) == "lead-1");
  CHECK(text(r.client_id) == "client-a");
  CHECK(text(r.contact_id) == "<NULL>");
  CHECK(text(r.email) == "tab\there@example.com");
  CHECK(text(r.phone).empty());  // an empty string is not NULL
  CHECK(text(r.first_name) == "new\nline");
  CHECK(text(r.last_name) == "back\\slash");
  CHECK(text(r.company_name) == "\\N");  // the text \N, not NULL
  CHECK(text(r.enrichment_status) == "pending");
  const auto s = b.row(1);
  CHECK(text(s.id) == "lead-2");
  CHECK(text(b.id(1)) == "lead-2");
  CHECK(text(s.phone) == "+1555");
  CHECK(text(s.email) == "<NULL>");
  CHECK(text(s.enrichment_status) == "<NULL>");
  // The first row's values are still where they were after the buffer grew.
  CHECK(text(b.row(0).email) == "tab\there@example.com");
  CHECK(b.bytes() > 0);
}

TEST_CASE("a COPY line of another shape is refused and adds nothing") {
  LeadBatch b;
  REQUIRE(b.add("lead-1\tclient-a\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N"));
  const auto bytes = b.bytes();
  CHECK_FALSE(b.add("lead-2\tclient-a\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N"));              // eight values
  CHECK_FALSE(b.add("lead-2\tclient-a\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\textra"));  // ten
  CHECK_FALSE(b.add("\\N\tclient-a\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N"));            // no id
  CHECK_FALSE(b.add("lead-2\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N"));              // no tenant
  CHECK_FALSE(b.add(""));
  CHECK(b.size() == 1);
  CHECK(b.bytes() == bytes);
  CHECK(text(b.row(0).id) == "lead-1");
}

TEST_CASE("the reader's failure reaches the writer before the leads read ahead of it") {
  LeadQueue q(2);
  LeadBatch one;
  REQUIRE(one.add("lead-1\tclient-a\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N"));
  CHECK(q.push(std::move(one)));
  q.finish(std::make_exception_ptr(std::runtime_error("copy failed")));
  CHECK_THROWS_WITH(q.pop(), "copy failed");
}
