// GHL answers on the edge, and a contact as one string, shared by the tests that read one answer two ways and
// compare the readings: contact_scan_test (the SAX scanner against the DOM parser) and answer_form_test (the
// stored form against the raw bodies).
#pragma once
#include <string>
#include <vector>

#include "contact.h"

namespace ghlb::test {

// Every member of a contact, as one comparable string.
inline std::string showContact(const Contact& c) {
  const auto opt = [](const std::optional<std::string>& v) { return v ? "[" + *v + "]" : std::string("-"); };
  return c.id + "|" + opt(c.location_id) + "|" + opt(c.email) + "|" + opt(c.phone) + "|" + opt(c.first_name) +
         "|" + opt(c.last_name) + "|" + opt(c.company_name) + "|" +
         (c.date_added_ms ? std::to_string(*c.date_added_ms) : "-") + "|" + std::to_string(c.has_email) +
         std::to_string(c.has_phone) + std::to_string(c.has_first_name) + std::to_string(c.has_last_name) +
         std::to_string(c.has_company_name);
}

// OBJ: a real-shaped contact object, spliced into the first few.
inline std::vector<std::string> edgeCaseBodies(const std::string& obj) {
  return {
      "{\"contacts\":[" + obj + "],\"total\":1}",
      "{\"contacts\":[" + obj + "," + obj + "],\"total\":2}",
      "{\"total\":7,\"contacts\":[" + obj + "]}",
      "{\"contacts\":[],\"total\":0}",
      "{\"contacts\":[]}",
      "{\"contact\":" + obj + "}",
      "{\"contact\":" + obj + ",\"contact\":{\"id\":\"other00000000001\"}}",  // the first key counts
      "{\"contacts\":[" + obj + "],\"contacts\":5}",
      "{\"contacts\":5,\"contacts\":[" + obj + "]}",
      "{\"contacts\":{},\"total\":1}",
      "{\"contacts\":null}",
      "{\"contact\":[]}",
      "{\"contact\":null}",
      "{\"contact\":\"x\"}",
      "[{\"contacts\":[]}]",
      "\"contacts\"",
      "{\"contacts\":[1]}",
      "{\"contacts\":[[]]}",
      "{\"contacts\":[\"x\"]}",
      "{\"contacts\":[{\"id\":\"\"}]}",
      "{\"contacts\":[{\"id\":5}]}",
      "{\"contacts\":[{\"id\":null}]}",
      "{\"contacts\":[{\"id\":{\"a\":1}}]}",
      "{\"contacts\":[{\"email\":\"a@b.c\"}]}",
      R"({"contacts":[{"id":"a","id":5}]})",
      R"({"contacts":[{"id":5,"id":"a"}]})",
      R"({"contacts":[{"id":"abc","email":null,"phone":5,"firstName":{},"lastName":[],"companyName":true}]})",
      R"({"contacts":[{"id":"abc","email":"x@y.z","email":"other@y.z","phone":null,"phone":"+1"}]})",
      R"({"contacts":[{"id":"abc","locationId":null}],"total":"3"})",
      R"({"contacts":[{"id":"abc","locationId":5}],"total":2.0})",
      R"({"contacts":[{"id":"abc","locationId":{"x":[1,2]}}],"total":-4})",
      R"({"contacts":[{"id":"abc","locationId":"L1","locationId":"L2"}],"total":18446744073709551615})",
      R"({"contacts":[{"id":"abc"}],"total":9223372036854775807})",
      R"({"contacts":[{"id":"abc"}],"total":-9223372036854775808})",
      R"({"contacts":[{"id":"abc"}],"total":9223372036854775808})",
      R"({"contacts":[{"id":"abc"}],"total":null,"total":4})",
      R"({"contacts":[{"id":"abc","dateAdded":"2024-01-02T03:04:05.678+02:00"}]})",
      R"({"contacts":[{"id":"abc","dateAdded":"yesterday"}]})",
      R"({"contacts":[{"id":"abc","dateAdded":12345}]})",
      R"({"contacts":[{"id":"a\u0000b","email":"x\"y\\z\u00e9@ex.com","firstName":"\ud83d\ude00"}]})",
      R"({"contacts":[{"id":"abc","firstName":"\udc00"}]})",
      R"({"contacts":[{"id":"abc","firstName":"\ud800"}]})",
      "{\"contacts\":[{\"id\":\"abc\",\"firstName\":\"\xff\xfe\"}]}",
      "\xEF\xBB\xBF{\"contacts\":[{\"id\":\"abc\"}]}",
      R"({"contacts":[{"id":"abc"}]} )",
      R"({"contacts":[{"id":"abc"}]} x)",
      R"({"contacts":[{"id":"abc"}]}{})",
      R"({"contacts":[{"id":"abc",}]})",
      R"({"contacts":[{"id":"abc"} {"id":"def"}]})",
      R"({"contacts":[{"id":"abc","nested":{"id":5,"contacts":3,"email":"no@no.no"}}]})",
      R"({"other":{"contacts":[1],"contact":5},"contacts":[{"id":"abc"}],"contact":{"id":"def"}})",
      R"({"contacts":[{"id":"abc","x":1e400}]})",
      std::string("{\"contacts\":[{\"id\":\"a\0b\"}]}", 25),
      std::string(70, '[') + std::string(70, ']'),
      "{\"contacts\":[{\"id\":\"abc\",\"deep\":" + std::string(60, '[') + std::string(60, ']') + "}]}",
      "{\"contacts\":[{\"id\":\"abc\",\"deep\":" + std::string(61, '[') + std::string(61, ']') + "}]}",
      "{\"contacts\":[{\"id\":\"abc\",\"deep\":" + std::string(62, '[') + std::string(62, ']') + "}]}",
      "",
      "{",
      "null",
  };
}

}  // namespace ghlb::test
