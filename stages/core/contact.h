// GHL contact payloads: parsing the bodies of POST /contacts/search and GET /contacts/{id},
// choosing the contact of an email search (oldest dateAdded, then smaller id; several = ambiguous),
// and the rule "GET only when the search payload lacks a field the lead is missing".
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lead.h"

namespace ghlb {

struct Contact {
  std::string id;
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
};

// nullopt when the body is not JSON or not the documented shape.
std::optional<SearchPage> parseSearchBody(std::string_view body);
std::optional<Contact> parseGetBody(std::string_view body);

struct ContactChoice {
  std::optional<Contact> contact;  // nullopt: no contact has that primary email
  int matches = 0;                 // contacts whose primary email matches
  bool ambiguous = false;          // more than one match (total counts unseen pages too)
};

// Keeps contacts whose primary email equals normalized_email (case-insensitive, additionalEmails
// never count), then takes the oldest by dateAdded, ties and unknown dates broken by smaller id.
ContactChoice chooseContact(const SearchPage& page, std::string_view normalized_email);

// True when the payload lacks (key absent) a field that the lead is missing.
bool lacksFieldLeadMisses(const Contact& c, const LeadSnapshot& lead);

// Merges a GET payload into a search payload: values the search lacked are taken from the GET.
Contact mergeContact(const Contact& from_search, const Contact& from_get);

// "2024-01-02T03:04:05.678Z" (or with +hh:mm offset) to epoch milliseconds.
std::optional<std::int64_t> parseIsoMillis(std::string_view s);

}  // namespace ghlb
