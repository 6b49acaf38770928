// GHL contact payloads: parsing the bodies of POST /contacts/search and GET /contacts/{id},
// choosing the contact of an email search (oldest dateAdded, then smaller id; several = ambiguous),
// and the rule "GET only when the search payload lacks a field the lead is missing". Bodies come
// from GHL and are hostile until checked: nesting is capped before parsing (kMaxJsonDepth), and
// untrustedReason() says whether a parsed contact may be used for a lead at all.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lead.h"

namespace ghlb {

// Deepest nesting of arrays and objects accepted in a GHL body; real answers nest about 4 deep.
inline constexpr int kMaxJsonDepth = 64;

struct Contact {
  std::string id;
  std::optional<std::string> location_id;  // "locationId" when the payload has one
  // Values as GHL sent them (not normalized); nullopt when the key is absent or null.
  std::optional<std::string> email;
  std::optional<std::string> phone;
  std::optional<std::string> first_name;
  std::optional<std::string> last_name;
  std::optional<std::string> company_name;
  std::optional<std::int64_t> date_added_ms;
  // Keys present in the payload (even when null or blank): "lacks a field" means the key is absent.
  bool has_email = false, has_phone = false, has_first_name = false, has_last_name = false,
       has_company_name = false;
};

struct SearchPage {
  std::vector<Contact> contacts;
  std::int64_t total = 0;
  bool total_given = false;  // the body's own "total", an integer (else total is the page's count)
  // The last contact's "searchAfter" array, re-serialized (so it is valid JSON of scalars only):
  // the cursor of the next page. Empty when that contact has none (or it is not such an array).
  std::string next_cursor;
};

// True when BODY nests arrays/objects deeper than MAX_DEPTH. One linear pass that skips strings
// (escapes included) and never recurses: safe on any input, run before any parse.
bool jsonTooDeep(std::string_view body, int max_depth = kMaxJsonDepth);

// nullopt when the body is not JSON, nests deeper than kMaxJsonDepth or is not the documented shape.
std::optional<SearchPage> parseSearchBody(std::string_view body);
std::optional<Contact> parseGetBody(std::string_view body);

// The same contacts as parseSearchBody/parseGetBody, for plan, which reads every stored body on
// each run: one SAX pass (RapidJSON's reader, so the same documents are accepted) that keeps only
// the fields a contact holds, skips every other value without building a DOM, and reuses OUT's
// storage. False exactly when parseSearchBody/parseGetBody give nullopt. scanSearchBody leaves
// out.next_cursor empty (plan never pages).
bool scanSearchBody(std::string_view body, SearchPage& out);
bool scanGetBody(std::string_view body, Contact& out);

// What plan reads of a lookup's answer: the contacts of its search body and of its GET body, as
// scanSearchBody and scanGetBody leave them. fetch stores it in a compact form (encodeAnswer)
// beside the raw bodies, so that plan decodes a few hundred bytes per lead instead of parsing
// bodies of a kilobyte or more on each run; a work DB without it is planned from the bodies.
struct ParsedAnswer {
  // A body: absent, refused by scan*Body (not JSON, too deep, not the documented shape), parsed.
  enum class Part : std::uint8_t { kAbsent, kRefused, kParsed };
  Part search = Part::kAbsent;
  SearchPage page;  // kParsed: the page's contacts and total (next_cursor empty)
  Part get = Part::kAbsent;
  Contact contact;  // kParsed: the GET body's contact
};

// Scans each body that is present into OUT (its storage reused): exactly scanSearchBody and
// scanGetBody.
void parseAnswer(std::optional<std::string_view> search_body, std::optional<std::string_view> contact_body,
                 ParsedAnswer& out);

// The compact form of A into OUT (replaced): a versioned binary string (kAnswerFormVersion, and
// the number of contact fields of kFields), a pure function of A. decodeAnswer reads it back into
// OUT (its storage reused): false when FORM is not this version's form or is damaged (OUT is then
// unspecified: parse the bodies instead). answerFormCurrent: FORM has this version's header.
inline constexpr std::uint8_t kAnswerFormVersion = 1;
void encodeAnswer(const ParsedAnswer& a, std::string& out);
bool decodeAnswer(std::string_view form, ParsedAnswer& out);
bool answerFormCurrent(std::string_view form);

// One search body {"contacts":[...],"total":TOTAL} holding every contact object of BODIES (search
// pages, each already accepted by parseSearchBody) in order, as GHL sent them.
std::string mergeSearchBodies(const std::vector<std::string>& bodies, std::int64_t total);

// One contact of a search body: parsed, and its JSON object as GHL sent it (re-serialized).
struct RawContact {
  Contact contact;
  std::string json;
};

// The contacts of BODY, in order, each with its object's JSON; nullopt exactly when
// parseSearchBody(BODY) is. Lets fetch cut a batch answer or a scan page into per-lead answers.
std::optional<std::vector<RawContact>> splitSearchBody(std::string_view body);

// {"contacts":[OBJECTS...],"total":N}, N the number of objects: the body of a search that answered
// exactly these contacts, as parseSearchBody reads it.
std::string searchBodyOf(const std::vector<const std::string*>& objects);

// {"contact":OBJECT}: a contact object as a GET body, as parseGetBody reads it.
std::string contactBodyOf(std::string_view object);

// Why contact C cannot be used for a lead of LOCATION_ID, or nullopt when it can (backfill-rules,
// "What GHL answers are trusted with"): "invalid_contact_id" (id not 15-64 ASCII letters or
// digits), "wrong_location" (a locationId other than LOCATION_ID), "wrong_contact_id" (a GET
// answer, REQUESTED_ID non-empty, about another contact). REQUESTED_ID is empty for a search.
std::optional<std::string_view> untrustedReason(const Contact& c, std::string_view location_id,
                                                std::string_view requested_id);

struct ContactChoice {
  std::optional<Contact> contact;  // nullopt: no contact has that primary email
  int matches = 0;                 // contacts whose primary email matches
  bool ambiguous = false;          // more than one match (total counts unseen pages too)
  std::vector<std::string> ids;    // every matching contact's id, the taken one first, then oldest
                                   // first (as GHL sent them: check with isValidGhlId before use)
};

// Keeps contacts whose primary email equals normalized_email (case-insensitive, additionalEmails
// never count), then takes the oldest by dateAdded, ties and unknown dates broken by smaller id.
ContactChoice chooseContact(const SearchPage& page, std::string_view normalized_email);

// chooseContact without copies: MATCHES (storage reused) gets the matching contacts of PAGE in
// ContactChoice::ids' order (the taken one first); the counts as chooseContact has them.
struct ContactPick {
  int matches = 0;
  bool ambiguous = false;
};
ContactPick pickContact(const SearchPage& page, std::string_view normalized_email,
                        std::vector<const Contact*>& matches);

// True when the payload lacks (key absent) a field that the lead is missing.
bool lacksFieldLeadMisses(const Contact& c, const LeadSnapshot& lead);

// True when the GET payload FROM_GET has a value for a field the lead misses that the search
// payload FROM_SEARCH lacked (key absent): the follow-up GET added something.
bool getAddsField(const Contact& from_search, const Contact& from_get, const LeadSnapshot& lead);

// Merges a GET payload into a search payload: values the search lacked are taken from the GET.
Contact mergeContact(const Contact& from_search, const Contact& from_get);
void mergeContact(const Contact& from_search, const Contact& from_get, Contact& out);  // into OUT

// "2024-01-02T03:04:05.678Z" (or with +hh:mm offset) to epoch milliseconds.
std::optional<std::int64_t> parseIsoMillis(std::string_view s);

}  // namespace ghlb
