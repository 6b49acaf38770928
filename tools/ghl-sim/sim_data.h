// The simulator's world as loaded from the --data JSON file: locations with their bearer tokens and
// contacts, plus the deterministic fault scripts. Everything is validated up front so that a bad
// file fails at startup with one actionable message; after loading, SimData is immutable and safe
// to share between request threads.
#pragma once
#include <rapidjson/document.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ghlsim {

// One scripted or random fault: an HTTP error status, one of the transport/body faults, or a
// hostile answer (a 200 whose contact must not be trusted, or a body no client should parse).
struct FaultAction {
  enum class Kind {
    Status,
    Reset,
    Malformed,
    NotJson,
    WrongShape,
    Slow,
    WrongId,        // GET: the contact carries another (valid) id than the one asked
    WrongLocation,  // the (first) contact carries another locationId
    BadId,          // the (first) contact's id is not a GHL id
    Deep,           // 200 with arrays nested ~120k deep
    BadUtf8,        // the (first) contact's firstName holds invalid UTF-8
    Nul,            // the (first) contact's lastName holds a NUL
    Huge,           // 200 with a body of kHugeBodyBytes
    Paged,          // search: the real answer with pageLimit 1, so a client must follow searchAfter
  };
  Kind kind = Kind::Status;
  int status = 0;  // the HTTP status, for Kind::Status only

  bool operator==(const FaultAction&) const = default;
};

// Parses a fault script element: an HTTP status "400".."599" or one of "reset", "malformed",
// "notjson", "wrongshape", "slow", "wrong_id", "wrong_location", "bad_id", "deep", "bad_utf8",
// "nul", "huge", "paged". nullopt for anything else.
std::optional<FaultAction> parseFaultAction(std::string_view text);

// The script spelling of `action` ("503", "reset", ...); safe to log.
std::string describeFaultAction(const FaultAction& action);

// A contact as stored in the data file, with the fields the simulator reasons about extracted.
struct Contact {
  std::string id;
  std::string locationId;                 // the enclosing location
  std::string emailKey;                   // trimmed, lower-cased primary email; empty when none
  std::int64_t dateAddedMs = 0;           // 0 when dateAdded is absent or null
  std::optional<std::string> firstName;   // present only for a non-empty string
  std::optional<std::string> lastName;    // present only for a non-empty string
  bool searchOmitNames = false;           // simulator-only flag, never echoed
  const rapidjson::Value* raw = nullptr;  // the stored object, owned by SimData
};

struct Location {
  std::string id;
  std::string token;
  std::vector<std::size_t> contacts;  // indices into SimData::contacts(), in file order
};

// A fault script: matches GETs of `contactId`, or searches with an email eq filter whose value
// equals `emailKey` (both trimmed and lower-cased). Exactly one of the two is non-empty.
struct FaultScript {
  std::string contactId;
  std::string emailKey;
  std::vector<FaultAction> responses;
};

// Why a data file was rejected: `what` is wrong and how to `fix` it. Neither ever contains a
// token, email, phone or name from the file (location and contact ids are fine).
struct DataError {
  std::string what;
  std::string fix;
};

class SimData {
 public:
  // Parses and validates the JSON text of a data file.
  static std::variant<SimData, DataError> parse(std::string_view json);
  // Reads `path` and parses it; a missing or unreadable file is a DataError too.
  static std::variant<SimData, DataError> load(const std::string& path);

  // The location that `token` belongs to; nullptr for an unknown token.
  const Location* locationByToken(std::string_view token) const;
  // The location with id `id`; nullptr when there is none.
  const Location* locationById(std::string_view id) const;
  // The contact with id `id` in any location; nullptr when there is none.
  const Contact* contactById(std::string_view id) const;

  const std::vector<Location>& locations() const { return locations_; }
  const std::vector<Contact>& contacts() const { return contacts_; }
  const std::vector<FaultScript>& faults() const { return faults_; }

 private:
  SimData() = default;

  std::unique_ptr<rapidjson::Document> doc_;  // owns every Contact::raw; never moves
  std::vector<Location> locations_;
  std::vector<Contact> contacts_;
  std::vector<FaultScript> faults_;
  std::map<std::string, std::size_t, std::less<>> byToken_;
  std::map<std::string, std::size_t, std::less<>> byLocationId_;
  std::map<std::string, std::size_t, std::less<>> byContactId_;
};

}  // namespace ghlsim
