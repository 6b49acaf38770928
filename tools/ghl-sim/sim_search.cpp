#include "sim_search.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>

#include "json_write.h"
#include "sim_text.h"

namespace ghlsim {

namespace {

using Value = rapidjson::Value;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
using ghlb::json::key;
using ghlb::json::member;
using ghlb::json::value;

constexpr int kMaxPageLimit = 500;
constexpr std::int64_t kMaxPageDepth = 10000;
constexpr std::size_t kMaxQueryChars = 75;
constexpr std::size_t kMaxSortKeys = 2;
constexpr int kMaxFilterDepth = 5;

std::string_view view(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

const Value* member(const Value& obj, const char* name) {
  const auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

std::optional<std::int64_t> integral(const Value& v) {
  if (v.IsInt64()) return v.GetInt64();
  if (v.IsDouble()) {
    const double d = v.GetDouble();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

// ASCII upper-casing, for group names.
std::string toUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::size_t codepoints(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// Parses one element of a filters list (a condition or a group) into `out`; problems go to
// `errors` as "<where>..." messages.
bool parseFilter(const Value& v, const std::string& where, int depth, Filter& out,
                 std::vector<std::string>& errors, std::vector<std::string>& eqValues);

bool parseFilterList(const Value& list, const std::string& where, int depth, Filter& group,
                     std::vector<std::string>& errors, std::vector<std::string>& eqValues) {
  bool ok = true;
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    Filter child;
    if (parseFilter(list[i], where + "." + std::to_string(i), depth, child, errors, eqValues)) {
      group.children.push_back(std::move(child));
    } else {
      ok = false;
    }
  }
  return ok;
}

bool parseFilter(const Value& v, const std::string& where, int depth, Filter& out,
                 std::vector<std::string>& errors, std::vector<std::string>& eqValues) {
  if (!v.IsObject()) {
    errors.push_back(where + " must be a filter object");
    return false;
  }
  if (const Value* group = member(v, "group")) {
    const std::string name = group->IsString() ? toUpper(view(*group)) : std::string();
    if (name != "AND" && name != "OR") {
      errors.push_back(where + ".group must be one of the following values: AND, OR");
      return false;
    }
    if (depth >= kMaxFilterDepth) {
      errors.push_back(where + " nests filter groups deeper than " + std::to_string(kMaxFilterDepth));
      return false;
    }
    const Value* list = member(v, "filters");
    if (list == nullptr || !list->IsArray() || list->Empty()) {
      errors.push_back(where + ".filters should not be empty");
      return false;
    }
    out.kind = name == "AND" ? Filter::Kind::All : Filter::Kind::Any;
    return parseFilterList(*list, where + ".filters", depth + 1, out, errors, eqValues);
  }
  const Value* field = member(v, "field");
  const Value* op = member(v, "operator");
  bool ok = true;
  if (field == nullptr || !field->IsString() || view(*field) != "email") {
    errors.push_back(where + ".field must be one of the following values: email");
    ok = false;
  }
  const std::string_view opName = op != nullptr && op->IsString() ? view(*op) : std::string_view{};
  if (opName == "eq") {
    out.kind = Filter::Kind::EmailEq;
  } else if (opName == "not_eq") {
    out.kind = Filter::Kind::EmailNotEq;
  } else if (opName == "exists") {
    out.kind = Filter::Kind::EmailExists;
  } else if (opName == "not_exists") {
    out.kind = Filter::Kind::EmailNotExists;
  } else {
    errors.push_back(where + ".operator must be one of the following values: eq, not_eq, exists, not_exists");
    return false;
  }
  if (out.kind == Filter::Kind::EmailEq || out.kind == Filter::Kind::EmailNotEq) {
    const Value* value = member(v, "value");
    if (value == nullptr || !value->IsString() || trim(view(*value)).empty()) {
      errors.push_back(where + ".value must be a non-empty string");
      return false;
    }
    out.value = toLower(trim(view(*value)));
    if (ok && out.kind == Filter::Kind::EmailEq) eqValues.push_back(out.value);
  }
  return ok;
}

struct OrderKey {
  std::int64_t ms;
  std::string_view id;
};

int compareKeys(const OrderKey& a, const OrderKey& b, const std::vector<SortKey>& sort) {
  static const std::vector<SortKey> kDefault{{SortKey::Field::DateAdded, false}, {SortKey::Field::Id, false}};
  for (const SortKey& key : sort.empty() ? kDefault : sort) {
    int c = 0;
    if (key.field == SortKey::Field::DateAdded) {
      c = a.ms < b.ms ? -1 : a.ms > b.ms ? 1 : 0;
    } else {
      const int raw = a.id.compare(b.id);
      c = raw < 0 ? -1 : raw > 0 ? 1 : 0;
    }
    if (key.descending) c = -c;
    if (c != 0) return c;
  }
  const int raw = a.id.compare(b.id);
  return raw < 0 ? -1 : raw > 0 ? 1 : 0;
}

// additionalEmails entries as plain strings (search form) or {"email": ...} objects (GET form).
void writeAdditionalEmails(Writer& w, const Value& list, bool asObjects) {
  if (!list.IsArray()) {
    list.Accept(w);
    return;
  }
  w.StartArray();
  for (const auto& e : list.GetArray()) {
    if (asObjects) {
      if (e.IsObject()) {
        e.Accept(w);
      } else {
        w.StartObject();
        key(w, "email");
        e.Accept(w);
        w.EndObject();
      }
    } else {
      const Value* inner = e.IsObject() ? member(e, "email") : &e;
      if (inner != nullptr) inner->Accept(w);
    }
  }
  w.EndArray();
}

std::string joinNames(const Contact& c) {
  std::string out = c.firstName.value_or("");
  if (c.lastName) {
    if (!out.empty()) out.push_back(' ');
    out += *c.lastName;
  }
  return out;
}

void writeSearchContact(Writer& w, const Contact& c) {
  w.StartObject();
  for (const auto& m : c.raw->GetObject()) {
    const std::string_view name = view(m.name);
    if (name == "searchOmitNames" || name == "locationId" || name == "firstNameLowerCase" ||
        name == "lastNameLowerCase" || name == "contactName" || name == "searchAfter") {
      continue;
    }
    if (c.searchOmitNames && (name == "firstName" || name == "lastName")) continue;
    key(w, name);
    if (name == "additionalEmails") {
      writeAdditionalEmails(w, m.value, false);
    } else {
      m.value.Accept(w);
    }
  }
  member(w, "locationId", c.locationId);
  if (c.firstName) member(w, "firstNameLowerCase", toLower(*c.firstName));
  if (c.lastName) member(w, "lastNameLowerCase", toLower(*c.lastName));
  if ((c.firstName || c.lastName) && !c.searchOmitNames) member(w, "contactName", toLower(joinNames(c)));
  key(w, "searchAfter");
  w.StartArray();
  w.Int64(c.dateAddedMs);
  value(w, c.id);
  w.EndArray();
  w.EndObject();
}

}  // namespace

bool matches(const Filter& filter, const Contact& contact) {
  switch (filter.kind) {
    case Filter::Kind::EmailEq:
      return !contact.emailKey.empty() && contact.emailKey == filter.value;
    case Filter::Kind::EmailNotEq:
      return contact.emailKey != filter.value;
    case Filter::Kind::EmailExists:
      return !contact.emailKey.empty();
    case Filter::Kind::EmailNotExists:
      return contact.emailKey.empty();
    case Filter::Kind::All:
      return std::all_of(filter.children.begin(), filter.children.end(),
                         [&](const Filter& f) { return matches(f, contact); });
    case Filter::Kind::Any:
      return std::any_of(filter.children.begin(), filter.children.end(),
                         [&](const Filter& f) { return matches(f, contact); });
  }
  return false;
}

std::variant<SearchRequest, RequestError> parseSearchRequest(std::string_view body) {
  rapidjson::Document doc;
  if (trim(body).empty()) {
    doc.SetObject();
  } else {
    doc.Parse(body.data(), body.size());
    if (doc.HasParseError()) {
      return RequestError{400,
                          {"Unexpected token in JSON at position " + std::to_string(doc.GetErrorOffset())}};
    }
    if (!doc.IsObject()) return RequestError{400, {"Request body must be a JSON object"}};
  }

  SearchRequest req;
  std::vector<std::string> errors;
  for (const auto& m : doc.GetObject()) {
    const std::string_view key = view(m.name);
    if (key != "locationId" && key != "pageLimit" && key != "page" && key != "searchAfter" &&
        key != "filters" && key != "sort" && key != "query") {
      errors.push_back("property " + std::string(key) + " should not exist");
    }
  }

  const Value* location = member(doc, "locationId");
  if (location == nullptr || location->IsNull()) {
    errors.push_back("locationId must be a string");
    errors.push_back("locationId should not be empty");
  } else if (!location->IsString()) {
    errors.push_back("locationId must be a string");
  } else if (location->GetStringLength() == 0) {
    errors.push_back("locationId should not be empty");
  } else {
    req.locationId = std::string(view(*location));
  }

  const Value* pageLimit = member(doc, "pageLimit");
  if (pageLimit == nullptr || pageLimit->IsNull()) {
    errors.push_back("pageLimit should not be empty");
    errors.push_back("pageLimit must be an integer number");
  } else if (const auto n = integral(*pageLimit); !n) {
    errors.push_back("pageLimit must be an integer number");
  } else if (*n < 1) {
    errors.push_back("pageLimit must not be less than 1");
  } else if (*n > kMaxPageLimit) {
    errors.push_back("pageLimit must not be greater than " + std::to_string(kMaxPageLimit));
  } else {
    req.pageLimit = static_cast<int>(*n);
  }

  const Value* page = member(doc, "page");
  if (page != nullptr && !page->IsNull()) {
    if (const auto n = integral(*page); !n) {
      errors.push_back("page must be an integer number");
    } else if (*n < 1) {
      errors.push_back("page must not be less than 1");
    } else if (req.pageLimit > 0 && *n * req.pageLimit > kMaxPageDepth) {
      errors.push_back("page * pageLimit must not be greater than " + std::to_string(kMaxPageDepth) +
                       "; use searchAfter to read further");
    } else if (*n <= kMaxPageDepth) {
      req.page = static_cast<int>(*n);
    }
  }

  const Value* after = member(doc, "searchAfter");
  if (after != nullptr && !after->IsNull()) {
    const bool shapeOk =
        after->IsArray() && after->Size() == 2 && integral((*after)[0]).has_value() && (*after)[1].IsString();
    if (!shapeOk) {
      errors.push_back("searchAfter must be an array [dateAdded epoch milliseconds, contact id]");
    } else {
      req.searchAfter = Cursor{*integral((*after)[0]), std::string(view((*after)[1]))};
    }
    if (page != nullptr && !page->IsNull()) errors.push_back("page and searchAfter cannot be used together");
  }

  const Value* filters = member(doc, "filters");
  if (filters != nullptr && !filters->IsNull()) {
    if (!filters->IsArray()) {
      errors.push_back("filters must be an array");
    } else {
      parseFilterList(*filters, "filters", 0, req.filter, errors, req.emailEqValues);
    }
  }

  const Value* sort = member(doc, "sort");
  if (sort != nullptr && !sort->IsNull()) {
    if (!sort->IsArray()) {
      errors.push_back("sort must be an array");
    } else if (sort->Size() > kMaxSortKeys) {
      errors.push_back("sort must contain no more than " + std::to_string(kMaxSortKeys) + " elements");
    } else {
      for (rapidjson::SizeType i = 0; i < sort->Size(); ++i) {
        const Value& s = (*sort)[i];
        const std::string where = "sort." + std::to_string(i);
        const Value* field = s.IsObject() ? member(s, "field") : nullptr;
        const Value* direction = s.IsObject() ? member(s, "direction") : nullptr;
        SortKey key;
        if (field != nullptr && field->IsString() && view(*field) == "dateAdded") {
          key.field = SortKey::Field::DateAdded;
        } else if (field != nullptr && field->IsString() && view(*field) == "id") {
          key.field = SortKey::Field::Id;
        } else {
          errors.push_back(where + ".field must be one of the following values: dateAdded, id");
          continue;
        }
        if (direction == nullptr || (direction->IsString() && view(*direction) == "asc")) {
          key.descending = false;
        } else if (direction->IsString() && view(*direction) == "desc") {
          key.descending = true;
        } else {
          errors.push_back(where + ".direction must be one of the following values: asc, desc");
          continue;
        }
        req.sort.push_back(key);
      }
    }
  }

  const Value* query = member(doc, "query");
  if (query != nullptr && !query->IsNull()) {
    if (!query->IsString()) {
      errors.push_back("query must be a string");
    } else if (codepoints(view(*query)) > kMaxQueryChars) {
      errors.push_back("query must be shorter than or equal to " + std::to_string(kMaxQueryChars) +
                       " characters");
    }
  }

  if (!errors.empty()) return RequestError{422, std::move(errors)};
  return req;
}

SearchPage runSearch(const SearchRequest& request, const SimData& data, const Location& location) {
  SearchPage result;
  std::vector<const Contact*> hits;
  for (const std::size_t index : location.contacts) {
    const Contact& c = data.contacts()[index];
    if (matches(request.filter, c)) hits.push_back(&c);
  }
  result.total = hits.size();
  std::sort(hits.begin(), hits.end(), [&](const Contact* a, const Contact* b) {
    return compareKeys({a->dateAddedMs, a->id}, {b->dateAddedMs, b->id}, request.sort) < 0;
  });

  auto first = hits.begin();
  if (request.searchAfter) {
    const OrderKey cursor{request.searchAfter->dateAddedMs, request.searchAfter->id};
    first = std::find_if(hits.begin(), hits.end(), [&](const Contact* c) {
      return compareKeys({c->dateAddedMs, c->id}, cursor, request.sort) > 0;
    });
  } else {
    const std::size_t offset =
        static_cast<std::size_t>(request.page.value_or(1) - 1) * static_cast<std::size_t>(request.pageLimit);
    first = hits.begin() + static_cast<std::ptrdiff_t>(std::min(offset, hits.size()));
  }
  const auto available = static_cast<std::size_t>(hits.end() - first);
  const auto count = std::min(available, static_cast<std::size_t>(std::max(request.pageLimit, 0)));
  result.contacts.assign(first, first + static_cast<std::ptrdiff_t>(count));
  return result;
}

std::string renderSearchContact(const Contact& contact) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  writeSearchContact(w, contact);
  return {buf.GetString(), buf.GetSize()};
}

std::string renderSearchBody(const SearchPage& page, std::string_view traceId) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  key(w, "contacts");
  w.StartArray();
  for (const Contact* c : page.contacts) writeSearchContact(w, *c);
  w.EndArray();
  member(w, "total", std::uint64_t{page.total});
  member(w, "traceId", traceId);
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

std::string renderContactBody(const Contact& contact) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  key(w, "contact");
  w.StartObject();
  for (const auto& m : contact.raw->GetObject()) {
    const std::string_view name = view(m.name);
    if (name == "searchOmitNames" || name == "locationId" || name == "name") continue;
    key(w, name);
    if (name == "additionalEmails") {
      writeAdditionalEmails(w, m.value, true);
    } else {
      m.value.Accept(w);
    }
  }
  member(w, "locationId", contact.locationId);
  if (contact.firstName || contact.lastName) member(w, "name", joinNames(contact));
  w.EndObject();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

}  // namespace ghlsim
