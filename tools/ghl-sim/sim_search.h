// The contacts part of the imitation: validating a POST /contacts/search body the way GHL does
// (400 for a body that is not JSON, 422 with a list of messages otherwise), matching email
// filters, ordering and paging (page or searchAfter cursor), and shaping contacts into the search
// form and the GET /contacts/{id} form. All functions are pure and thread-safe.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sim_data.h"

namespace ghlsim {

// A node of the filter tree. The request's top-level `filters` list is an All node.
struct Filter {
  enum class Kind { EmailEq, EmailNotEq, EmailExists, EmailNotExists, All, Any };
  Kind kind = Kind::All;
  std::string value;             // trimmed, lower-cased email for EmailEq / EmailNotEq
  std::vector<Filter> children;  // for All (AND group) and Any (OR group)
};

// Whether `contact` satisfies `filter`. Email filters look at the primary email only (trimmed,
// case-insensitive); additionalEmails never match. EmailNotEq matches contacts without an email;
// EmailExists means a non-empty primary email. An empty All matches everything, an empty Any
// nothing.
bool matches(const Filter& filter, const Contact& contact);

struct SortKey {
  enum class Field { DateAdded, Id };
  Field field = Field::DateAdded;
  bool descending = false;
};

// A searchAfter cursor: [dateAdded epoch ms, contact id].
struct Cursor {
  std::int64_t dateAddedMs = 0;
  std::string id;
};

struct SearchRequest {
  std::string locationId;
  int pageLimit = 0;
  std::optional<int> page;                 // 1-based
  std::optional<Cursor> searchAfter;       // never together with page
  Filter filter;                           // All of the request's filters
  std::vector<SortKey> sort;               // as requested; empty = dateAdded asc, id asc
  std::vector<std::string> emailEqValues;  // every email eq value in the tree (trimmed, lower-cased)
};

// A rejected request body: status 400 (not JSON; `messages` has one entry) or 422 (validation;
// `messages` lists every problem). Messages name properties but never quote a value from the body.
struct RequestError {
  int status = 422;
  std::vector<std::string> messages;
};

// Parses and validates a search body. An empty body counts as {}. Rules: locationId (string) and
// pageLimit (integer 1..500) required; page integer >= 1 with page*pageLimit <= 10000; searchAfter
// a [number, string] array and never with page; filters as described in Filter (fields: email;
// operators eq, not_eq, exists, not_exists; groups AND/OR with non-empty filters); sort up to two
// {field: dateAdded|id, direction: asc|desc}; query a string of at most 75 characters; any other
// property is rejected ("property X should not exist").
std::variant<SearchRequest, RequestError> parseSearchRequest(std::string_view body);

struct SearchPage {
  std::vector<const Contact*> contacts;  // the requested page, in order
  std::size_t total = 0;                 // every match, regardless of paging or cursor
};

// Runs `request` over the contacts of `location`. Order: the requested sort keys, then id asc as a
// tie-break (default dateAdded asc, id asc). With searchAfter, the page starts strictly after the
// cursor in that order; otherwise at (page-1)*pageLimit.
SearchPage runSearch(const SearchRequest& request, const SimData& data, const Location& location);

// {"contacts":[search-form contacts],"total":N,"traceId":"..."}.
std::string renderSearchBody(const SearchPage& page, std::string_view traceId);

// {"contact":{GET-form contact}}.
std::string renderContactBody(const Contact& contact);

// The search form of one contact as a JSON object: stored fields except searchOmitNames,
// additionalEmails as strings, locationId, firstNameLowerCase/lastNameLowerCase/contactName when
// names exist, searchAfter [ms, id]; with searchOmitNames no firstName/lastName/contactName.
std::string renderSearchContact(const Contact& contact);

}  // namespace ghlsim
