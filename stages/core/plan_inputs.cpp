#include "plan_inputs.h"

#include <charconv>
#include <cstdio>

#include "work_db.h"

namespace ghlb {

void InputDigest::mix(std::string_view bytes) {
  for (const unsigned char c : bytes) {
    h_ ^= c;
    h_ *= 1099511628211ull;
  }
}

void InputDigest::add(std::optional<std::string_view> field) {
  // A tag and the length before the bytes: ("ab","c") and ("a","bc") differ, NULL differs from ''.
  if (!field) {
    mix("n:");
    return;
  }
  char head[32] = {'v'};  // "v<size>:" without an allocation per field
  const auto end = std::to_chars(head + 1, head + sizeof head - 1, field->size()).ptr;
  *end = ':';
  mix(std::string_view(head, static_cast<size_t>(end + 1 - head)));
  mix(*field);
}

std::string InputDigest::hex() const {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h_));
  return buf;
}

std::string PlanInputs::query() {
  return std::string("SELECT ") + kLeadSnapshotColumns +
         ", f.lookup, f.lookup_key, f.outcome, f.search_body, f.contact_body "
         "FROM lead l LEFT JOIN fetch_result f ON f.lead_id = l.id WHERE l.eligible = 1 AND " +
         clientScope("l.client_id") + " ORDER BY l.id";
}

void PlanInputs::digestRow(InputDigest& d, SQLite::Statement& q) {
  d.add("lead");
  const int columns = q.getColumnCount();
  for (int i = 0; i < columns; ++i) {
    const auto c = q.getColumn(i);
    if (c.isNull()) {
      d.add(std::nullopt);
      continue;
    }
    const char* text = c.getText();  // by length: a body may hold a NUL byte
    d.add(std::string_view(text, static_cast<size_t>(c.getBytes())));
  }
}

void PlanInputs::digestLinks(InputDigest& d) {
  SQLite::Statement links(db_, "SELECT contact_id, lead_id FROM linked_contact ORDER BY contact_id");
  while (links.executeStep()) {
    d.add("link");
    d.add(links.getColumn(0).getString());
    d.add(links.getColumn(1).getString());
  }
}

std::string PlanInputs::fingerprint(const std::vector<std::string>& scope) {
  InputDigest d;
  d.add(kInputDigestTag);
  SQLite::Statement leads(db_, query());
  bindClientScope(leads, scope);
  while (leads.executeStep()) digestRow(d, leads);
  digestLinks(d);
  return d.hex();
}

}  // namespace ghlb
