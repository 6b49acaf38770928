// tenantName(): "Client".name is written by tenants' admins, so it is validated where it enters.
#include <doctest/doctest.h>

#include <string>

#include "app_db.h"
#include "text.h"

using namespace ghlb;

TEST_CASE("a tenant name is trimmed and kept as it is when clean") {
  CHECK(*tenantName("  Northwind Dental Group \t") == "Northwind Dental Group");
  CHECK(*tenantName("Zürich Ärzte 医院") == "Zürich Ärzte 医院");
}

TEST_CASE("a tenant name that is blank, not UTF-8 or holds a NUL is no name") {
  CHECK_FALSE(tenantName("").has_value());
  CHECK_FALSE(tenantName(" \t ").has_value());
  CHECK_FALSE(tenantName("bad \xC3\x28 utf8").has_value());
  CHECK_FALSE(tenantName(std::string("nul\0inside", 10)).has_value());
}

TEST_CASE("control characters and bidi overrides in a tenant name are replaced, never kept") {
  const auto n = tenantName(
      "evil\n\x1b[31mred\x7f\xC2\x9B"
      "2J\xE2\x80\xAE"
      "cba");
  REQUIRE(n.has_value());
  CHECK(*n ==
        "evil\xEF\xBF\xBD\xEF\xBF\xBD[31mred\xEF\xBF\xBD\xEF\xBF\xBD"
        "2J\xEF\xBF\xBD"
        "cba");
  CHECK(isCleanText(*n));
}

TEST_CASE("a 10 KB tenant name is cut at a character boundary, with an ellipsis") {
  std::string raw;
  for (int i = 0; i < 5000; ++i) raw += "\xC3\xA9";  // é: 2 bytes each
  const auto n = tenantName(raw);
  REQUIRE(n.has_value());
  CHECK(n->size() <= kMaxTenantNameBytes);
  CHECK(n->size() >= kMaxTenantNameBytes - 4);
  CHECK(n->substr(n->size() - 3) == "\xE2\x80\xA6");
  CHECK(isCleanText(*n));
  // Exactly at the cap: kept whole.
  const std::string full(kMaxTenantNameBytes, 'a');
  CHECK(*tenantName(full) == full);
  CHECK(tenantName(full + "b")->size() == kMaxTenantNameBytes);
}
