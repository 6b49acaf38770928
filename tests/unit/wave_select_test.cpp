// wave_select: the sample is a fixed function of the lead id (FNV-1a 64, never to change), the
// same flags select the same leads, and --field/--limit narrow the wave as documented.
#include "wave_select.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "error.h"
#include "names.h"

using namespace ghlb;

namespace {

std::vector<PlannedLead> manyLeads(int n) {
  std::vector<PlannedLead> out;
  for (int i = 0; i < n; ++i) {
    char id[40];
    std::snprintf(id, sizeof id, "lead-%05d", i);
    out.push_back({id, "client-a", {{names::kFieldEmail, "x@example.com"}}, std::nullopt});
  }
  return out;
}

std::vector<std::string> ids(const std::vector<PlannedLead>& leads) {
  std::vector<std::string> out;
  for (const auto& l : leads) out.push_back(l.id);
  return out;
}

std::vector<std::string> keys(const PlannedLead& l) {
  std::vector<std::string> out;
  for (const auto& [k, v] : l.fields) out.push_back(k);
  return out;
}

}  // namespace

TEST_CASE(
    "the sample hash is fmix64 of 64-bit FNV-1a of the id's bytes (fixed vectors: it must never change)") {
  // FNV-1a 64 of "", "a", "foobar" is cbf29ce484222325, af63dc4c8601ec8c, 85944171f73967e8.
  CHECK(sampleHash("") == 0xefd01f60ba992926ull);
  CHECK(sampleHash("a") == 0x82a2a958a9bece5bull);
  CHECK(sampleHash("foobar") == 0x2c22194922d1672bull);
}

TEST_CASE("the sample is stable, nested, and about the fraction asked") {
  const auto all = manyLeads(2000);
  const auto tenth = ids(selectWave(all, {{}, 0, 0.1}));
  CHECK(tenth == ids(selectWave(all, {{}, 0, 0.1})));  // the same command selects the same leads
  CHECK(tenth.size() > 150);
  CHECK(tenth.size() < 250);
  const auto fifth = ids(selectWave(all, {{}, 0, 0.2}));
  for (const auto& id : tenth) CHECK(std::find(fifth.begin(), fifth.end(), id) != fifth.end());
  CHECK(selectWave(all, {{}, 0, 1.0}).size() == all.size());
  for (const auto& id : tenth) CHECK(inSample(id, 0.1));
  CHECK(inSample("anything", 1.0));
  CHECK_FALSE(inSample("anything", 0.0));
  // A lead is in the sample exactly when its hash is below fraction * 2^64.
  CHECK(inSample("a", std::ldexp(static_cast<double>(0x82a2a958a9bece5bull), -64) + 1e-9));
  CHECK_FALSE(inSample("a", std::ldexp(static_cast<double>(0x82a2a958a9bece5bull), -64) - 1e-9));
}

TEST_CASE("--limit keeps the first N leads in lead-id order after the other filters") {
  const auto all = manyLeads(2000);
  const auto sampled = ids(selectWave(all, {{}, 0, 0.1}));
  const auto limited = ids(selectWave(all, {{}, 5, 0.1}));
  REQUIRE(limited.size() == 5);
  CHECK(limited == std::vector<std::string>(sampled.begin(), sampled.begin() + 5));
  CHECK(ids(selectWave(all, {{}, 3, 1.0})) ==
        std::vector<std::string>{"lead-00000", "lead-00001", "lead-00002"});
}

TEST_CASE("--field keeps the fields asked, phone brings enrichment, any field brings the planned link") {
  using namespace names;
  const std::vector<PlannedLead> plan = {
      {"lead-1",
       "c",
       {{kFieldContactId, "cAAAAAAAAAAAAAA1"},
        {kFieldEmail, "a@example.com"},
        {kFieldPhone, "+14155550101"},
        {kFieldEnrichmentStatus, "enriched"},
        {kFieldEnrichmentSource, "ghl"},
        {kFieldEnrichedAt, "(time of write)"}},
       "cAAAAAAAAAAAAAA1"},
      {"lead-2", "c", {{kFieldEmail, "b@example.com"}}, std::nullopt},
      {"lead-3", "c", {{kFieldFirstName, "Ann"}}, "cAAAAAAAAAAAAAA3"},  // link settled earlier
  };
  const auto phone = selectWave(plan, {{kFieldPhone}, 0, 1.0});
  REQUIRE(ids(phone) == std::vector<std::string>{"lead-1"});
  CHECK(keys(phone[0]) == std::vector<std::string>{kFieldEnrichedAt, kFieldEnrichmentSource,
                                                   kFieldEnrichmentStatus, kFieldContactId, kFieldPhone});
  CHECK(phone[0].link_contact == "cAAAAAAAAAAAAAA1");

  const auto email = selectWave(plan, {{kFieldEmail}, 0, 1.0});
  REQUIRE(ids(email) == std::vector<std::string>{"lead-1", "lead-2"});
  CHECK(keys(email[0]) == std::vector<std::string>{kFieldEmail, kFieldContactId});
  CHECK(keys(email[1]) == std::vector<std::string>{kFieldEmail});

  const auto link = selectWave(plan, {{kFieldContactId}, 0, 1.0});
  REQUIRE(ids(link) == std::vector<std::string>{"lead-1"});
  CHECK(keys(link[0]) == std::vector<std::string>{kFieldContactId});

  // lead-3's link is settled: its fill still carries the contact for the statement's re-check.
  const auto first = selectWave(plan, {{kFieldFirstName}, 0, 1.0});
  REQUIRE(ids(first) == std::vector<std::string>{"lead-3"});
  CHECK(first[0].link_contact == "cAAAAAAAAAAAAAA3");

  CHECK(selectWave(plan, {{}, 0, 1.0}).size() == 3);
  CHECK(describeSelection({}) == "every planned value");
  CHECK(describeSelection({{kFieldEmail}, 50, 0.1}) == "fields email; sample 0.1; limit 50");
  CHECK(describeSelection({{kFieldPhone, kFieldEmail}, 0, 1.0}) ==
        "fields email phone (with its enrichment)");
}

TEST_CASE("a bad selection is a usage error naming the flag") {
  const auto usage = [](const WaveSelection& s) {
    try {
      validateSelection(s);
    } catch (const FatalError& e) {
      CHECK(e.code() == ExitCode::kUsage);
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(usage({{"phnoe"}, 0, 1.0}).find("did you mean phone?") != std::string::npos);
  CHECK(usage({{"enrichmentStatus"}, 0, 1.0}).find("select --field phone") != std::string::npos);
  CHECK(usage({{}, -1, 1.0}).find("--limit") != std::string::npos);
  CHECK(usage({{}, 0, 0.0}).find("--sample") != std::string::npos);
  CHECK(usage({{}, 0, 1.5}).find("--sample") != std::string::npos);
  CHECK(usage({{}, 0, std::nan("")}).find("--sample") != std::string::npos);
  CHECK(usage({{"email", "ghlContactId"}, 10, 0.5}).empty());
}
