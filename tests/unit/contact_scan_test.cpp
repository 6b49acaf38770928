// scanSearchBody/scanGetBody (plan's SAX pass) against parseSearchBody/parseGetBody (the DOM
// parse fetch uses): the same answer, field by field, on hand-written edge cases and on thousands
// of mutations of real-shaped bodies (cut, bytes changed, keys repeated), so that the faster path
// can never accept, refuse or read a body differently.
#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "contact.h"
#include "contact_bodies.h"

using namespace ghlb;

namespace {

std::string showSearch(const std::optional<SearchPage>& p) {
  if (!p) return "refused";
  std::string out = "total=" + std::to_string(p->total);
  for (const auto& c : p->contacts) out += "\n" + test::showContact(c);
  return out;
}

// One reused page and contact, as plan reuses them: a stale value must never leak into the next.
SearchPage g_page;
Contact g_contact;

void checkSame(const std::string& body) {
  CAPTURE(body);
  const bool search_ok = scanSearchBody(body, g_page);
  CHECK(showSearch(search_ok ? std::optional<SearchPage>(g_page) : std::nullopt) ==
        showSearch(parseSearchBody(body)));
  const auto get = parseGetBody(body);
  const bool get_ok = scanGetBody(body, g_contact);
  CHECK(get_ok == get.has_value());
  if (get_ok && get) CHECK(test::showContact(g_contact) == test::showContact(*get));
}

const char* kObject =
    R"({"id":"gc000000000000000042","locationId":"benchLoc000003x0000000000","contactName":"first42 last42",)"
    R"("firstName":"First42","lastName":"Last42","companyName":"Company42","email":"lead42@bench.example",)"
    R"("phone":"+15550000042","dnd":false,"dndSettings":{},"tags":["bench","imported","tier-0"],)"
    R"("dateAdded":"2024-01-15T10:00:00.000Z","customFields":[{"id":"cfA9","value":"value 42"},{"id":"cfB3","value":42}],)"
    R"("additionalEmails":[],"attributions":[{"utmSessionSource":"Direct traffic","isFirst":true}],)"
    R"("searchAfter":[1704103200042,"gc000000000000000042"]})";

}  // namespace

TEST_CASE("scan*Body read what parse*Body read, on edge cases") {
  const std::string obj = kObject;
  const std::vector<std::string> cases = test::edgeCaseBodies(kObject);
  for (const auto& body : cases) checkSame(body);
}

TEST_CASE("scan*Body read what parse*Body read, on mutated real-shaped bodies") {
  const std::string obj = kObject;
  const std::vector<std::string> seeds = {
      "{\"contacts\":[" + obj + "],\"total\":1}",
      "{\"contacts\":[" + obj + "," + obj + "],\"total\":2}",
      "{\"contact\":" + obj + "}",
      R"({"contacts":[{"id":"abc","email":"a@b.c","email":null,"locationId":7}],"total":1})",
  };
  const std::string alphabet = "{}[]\",:\\u0 1aeI-.tfn";
  std::mt19937 rng(20261129);
  int refused = 0, accepted = 0;
  for (const auto& seed : seeds) {
    for (int i = 0; i < 1500; ++i) {
      std::string body = seed;
      const int edits = 1 + static_cast<int>(rng() % 3);
      for (int e = 0; e < edits && !body.empty(); ++e) {
        const size_t at = rng() % body.size();
        switch (rng() % 4) {
          case 0:  // change a byte
            body[at] = alphabet[rng() % alphabet.size()];
            break;
          case 1:  // cut
            body.resize(at);
            break;
          case 2:  // drop a byte
            body.erase(at, 1);
            break;
          default:  // repeat a stretch (keys and values twice)
            body.insert(at, body.substr(at, 1 + rng() % 40));
        }
      }
      checkSame(body);
      (parseSearchBody(body) || parseGetBody(body) ? accepted : refused)++;
    }
  }
  // Both kinds occur, or the comparison would only ever see one side.
  CHECK(accepted > 100);
  CHECK(refused > 100);
}
