#include "sim_data.h"

#include <rapidjson/error/en.h>

#include <fstream>
#include <sstream>

#include "sim_text.h"

namespace ghlsim {

namespace {

using Value = rapidjson::Value;

const Value* member(const Value& obj, const char* name) {
  const auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

std::string at(std::string_view prefix, std::size_t index) {
  return std::string(prefix) + "[" + std::to_string(index) + "]";
}

std::optional<DataError> checkOptionalString(const Value& obj, const char* name, const std::string& where) {
  const Value* v = member(obj, name);
  if (v != nullptr && !v->IsString() && !v->IsNull()) {
    return DataError{where + "." + name + " must be a string or null",
                     "store it as a JSON string, or null / leave it out when unknown"};
  }
  return std::nullopt;
}

std::optional<std::string> nonEmptyString(const Value* v) {
  if (v == nullptr || !v->IsString() || v->GetStringLength() == 0) return std::nullopt;
  return std::string(v->GetString(), v->GetStringLength());
}

}  // namespace

std::optional<FaultAction> parseFaultAction(std::string_view text) {
  if (text == "reset") return FaultAction{FaultAction::Kind::Reset, 0};
  if (text == "malformed") return FaultAction{FaultAction::Kind::Malformed, 0};
  if (text == "notjson") return FaultAction{FaultAction::Kind::NotJson, 0};
  if (text == "wrongshape") return FaultAction{FaultAction::Kind::WrongShape, 0};
  if (text == "slow") return FaultAction{FaultAction::Kind::Slow, 0};
  if (text == "wrong_id") return FaultAction{FaultAction::Kind::WrongId, 0};
  if (text == "wrong_location") return FaultAction{FaultAction::Kind::WrongLocation, 0};
  if (text == "bad_id") return FaultAction{FaultAction::Kind::BadId, 0};
  if (text == "deep") return FaultAction{FaultAction::Kind::Deep, 0};
  if (text == "bad_utf8") return FaultAction{FaultAction::Kind::BadUtf8, 0};
  if (text == "nul") return FaultAction{FaultAction::Kind::Nul, 0};
  if (text == "huge") return FaultAction{FaultAction::Kind::Huge, 0};
  if (text == "paged") return FaultAction{FaultAction::Kind::Paged, 0};
  if (text.size() != 3) return std::nullopt;
  int status = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    status = status * 10 + (c - '0');
  }
  if (status < 400 || status > 599) return std::nullopt;
  return FaultAction{FaultAction::Kind::Status, status};
}

std::string describeFaultAction(const FaultAction& action) {
  switch (action.kind) {
    case FaultAction::Kind::Status:
      return std::to_string(action.status);
    case FaultAction::Kind::Reset:
      return "reset";
    case FaultAction::Kind::Malformed:
      return "malformed";
    case FaultAction::Kind::NotJson:
      return "notjson";
    case FaultAction::Kind::WrongShape:
      return "wrongshape";
    case FaultAction::Kind::Slow:
      return "slow";
    case FaultAction::Kind::WrongId:
      return "wrong_id";
    case FaultAction::Kind::WrongLocation:
      return "wrong_location";
    case FaultAction::Kind::BadId:
      return "bad_id";
    case FaultAction::Kind::Deep:
      return "deep";
    case FaultAction::Kind::BadUtf8:
      return "bad_utf8";
    case FaultAction::Kind::Nul:
      return "nul";
    case FaultAction::Kind::Huge:
      return "huge";
    case FaultAction::Kind::Paged:
      return "paged";
  }
  return "unknown";
}

std::variant<SimData, DataError> SimData::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return DataError{"cannot read data file '" + path + "'",
                     "check the --data path and that the file is readable"};
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return DataError{"cannot read data file '" + path + "'",
                     "check the --data path and that the file is readable"};
  }
  return parse(text.str());
}

std::variant<SimData, DataError> SimData::parse(std::string_view json) {
  SimData data;
  data.doc_ = std::make_unique<rapidjson::Document>();
  rapidjson::Document& doc = *data.doc_;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) {
    return DataError{"data file is not valid JSON (" +
                         std::string(rapidjson::GetParseError_En(doc.GetParseError())) + " at byte " +
                         std::to_string(doc.GetErrorOffset()) + ")",
                     "fix the JSON syntax (python3 -m json.tool FILE shows where)"};
  }
  if (!doc.IsObject()) {
    return DataError{"data file is not a JSON object",
                     "put {\"locations\": [...], \"faults\": [...]} at the top level"};
  }
  for (const auto& m : doc.GetObject()) {
    const std::string_view key(m.name.GetString(), m.name.GetStringLength());
    if (key != "locations" && key != "faults") {
      return DataError{"data file has unknown top-level key '" + std::string(key) + "'",
                       "use only \"locations\" and \"faults\""};
    }
  }

  const Value* locations = member(doc, "locations");
  if (locations == nullptr || !locations->IsArray() || locations->Empty()) {
    return DataError{"data file has no \"locations\" array (or it is empty)",
                     "add \"locations\": [{\"id\": ..., \"token\": ..., \"contacts\": [...]}]"};
  }

  for (std::size_t li = 0; li < locations->Size(); ++li) {
    const Value& loc = (*locations)[static_cast<rapidjson::SizeType>(li)];
    const std::string where = at("locations", li);
    if (!loc.IsObject()) {
      return DataError{where + " is not an object",
                       "write each location as {\"id\", \"token\", \"contacts\"}"};
    }
    const auto id = nonEmptyString(member(loc, "id"));
    if (!id) {
      return DataError{where + ".id is missing or not a non-empty string",
                       "give every location its GHL location id as a string"};
    }
    const auto token = nonEmptyString(member(loc, "token"));
    if (!token) {
      return DataError{where + ".token is missing or not a non-empty string",
                       "give every location a bearer token string"};
    }
    if (const auto dup = data.byLocationId_.find(*id); dup != data.byLocationId_.end()) {
      return DataError{
          "location id '" + *id + "' appears twice (" + at("locations", dup->second) + " and " + where + ")",
          "give each location a unique id"};
    }
    if (const auto dup = data.byToken_.find(*token); dup != data.byToken_.end()) {
      return DataError{where + " uses the same token as " + at("locations", dup->second),
                       "give each location its own token"};
    }
    data.byLocationId_.emplace(*id, li);
    data.byToken_.emplace(*token, li);
    Location location{*id, *token, {}};

    const Value* contacts = member(loc, "contacts");
    if (contacts != nullptr && !contacts->IsArray()) {
      return DataError{where + ".contacts is not an array", "write contacts as a JSON array of objects"};
    }
    const rapidjson::SizeType contactCount = contacts == nullptr ? 0 : contacts->Size();
    for (rapidjson::SizeType ci = 0; ci < contactCount; ++ci) {
      const Value& c = (*contacts)[ci];
      const std::string cwhere = where + at(".contacts", ci);
      if (!c.IsObject()) {
        return DataError{cwhere + " is not an object", "write each contact as a JSON object"};
      }
      Contact contact;
      const auto cid = nonEmptyString(member(c, "id"));
      if (!cid) {
        return DataError{cwhere + ".id is missing or not a non-empty string",
                         "give every contact a string id"};
      }
      if (const auto dup = data.byContactId_.find(*cid); dup != data.byContactId_.end()) {
        return DataError{"contact id '" + *cid + "' appears twice (" + cwhere + " repeats it)",
                         "give each contact a unique id across all locations"};
      }
      contact.id = *cid;
      contact.locationId = *id;
      for (const char* field : {"email", "firstName", "lastName", "dateAdded"}) {
        if (auto err = checkOptionalString(c, field, cwhere)) return *err;
      }
      if (const Value* v = member(c, "locationId"); v != nullptr && !v->IsNull()) {
        if (!v->IsString() || std::string_view(v->GetString(), v->GetStringLength()) != *id) {
          return DataError{cwhere + ".locationId differs from the enclosing location id '" + *id + "'",
                           "leave locationId out (it is implied by the location) or make it match"};
        }
      }
      if (const Value* v = member(c, "email"); v != nullptr && v->IsString()) {
        contact.emailKey = toLower(trim(std::string_view(v->GetString(), v->GetStringLength())));
      }
      contact.firstName = nonEmptyString(member(c, "firstName"));
      contact.lastName = nonEmptyString(member(c, "lastName"));
      if (const Value* v = member(c, "dateAdded"); v != nullptr && v->IsString()) {
        const auto ms = parseIsoMillis(std::string_view(v->GetString(), v->GetStringLength()));
        if (!ms) {
          return DataError{cwhere + ".dateAdded is not an ISO-8601 timestamp",
                           "write it like \"2024-01-02T03:04:05.000Z\""};
        }
        contact.dateAddedMs = *ms;
      }
      if (const Value* v = member(c, "additionalEmails"); v != nullptr && !v->IsNull()) {
        bool ok = v->IsArray();
        if (ok) {
          for (const auto& e : v->GetArray()) {
            const Value* inner = e.IsObject() ? member(e, "email") : nullptr;
            ok = ok && (e.IsString() || (inner != nullptr && inner->IsString()));
          }
        }
        if (!ok) {
          return DataError{cwhere + ".additionalEmails is not a list of emails",
                           "write it as [\"a@example.com\", ...] or [{\"email\": \"a@example.com\"}, ...]"};
        }
      }
      if (const Value* v = member(c, "searchOmitNames"); v != nullptr && !v->IsBool()) {
        return DataError{cwhere + ".searchOmitNames is not true or false",
                         "set it to true, false, or leave it out"};
      } else if (v != nullptr) {
        contact.searchOmitNames = v->GetBool();
      }
      contact.raw = &c;
      data.byContactId_.emplace(contact.id, data.contacts_.size());
      location.contacts.push_back(data.contacts_.size());
      data.contacts_.push_back(std::move(contact));
    }
    data.locations_.push_back(std::move(location));
  }

  if (const Value* faults = member(doc, "faults"); faults != nullptr) {
    if (!faults->IsArray()) {
      return DataError{"\"faults\" is not an array",
                       "write faults as [{\"contactId\" or \"email\", \"responses\": [...]}]"};
    }
    for (std::size_t fi = 0; fi < faults->Size(); ++fi) {
      const Value& f = (*faults)[static_cast<rapidjson::SizeType>(fi)];
      const std::string where = at("faults", fi);
      if (!f.IsObject()) {
        return DataError{where + " is not an object",
                         "write each fault as {\"contactId\" or \"email\", \"responses\": [...]}"};
      }
      FaultScript script;
      const auto contactId = nonEmptyString(member(f, "contactId"));
      const auto email = nonEmptyString(member(f, "email"));
      if (contactId.has_value() == email.has_value()) {
        return DataError{where + " must have exactly one of \"contactId\" and \"email\" (non-empty strings)",
                         "target a fault at one contact id or one email"};
      }
      if (contactId) script.contactId = *contactId;
      if (email) script.emailKey = toLower(trim(*email));
      const Value* responses = member(f, "responses");
      if (responses == nullptr || !responses->IsArray() || responses->Empty()) {
        return DataError{where + ".responses is missing or empty",
                         "list the responses to inject, e.g. [\"500\", \"reset\"]"};
      }
      for (rapidjson::SizeType ri = 0; ri < responses->Size(); ++ri) {
        const Value& r = (*responses)[ri];
        std::optional<FaultAction> action;
        if (r.IsString()) action = parseFaultAction(std::string_view(r.GetString(), r.GetStringLength()));
        if (!action) {
          return DataError{where + at(".responses", ri) + " is not a known fault",
                           "use an HTTP status string \"400\"..\"599\" or one of reset, malformed, "
                           "notjson, wrongshape, slow"};
        }
        script.responses.push_back(*action);
      }
      data.faults_.push_back(std::move(script));
    }
  }
  return data;
}

const Location* SimData::locationByToken(std::string_view token) const {
  const auto it = byToken_.find(token);
  return it == byToken_.end() ? nullptr : &locations_[it->second];
}

const Location* SimData::locationById(std::string_view id) const {
  const auto it = byLocationId_.find(id);
  return it == byLocationId_.end() ? nullptr : &locations_[it->second];
}

const Contact* SimData::contactById(std::string_view id) const {
  const auto it = byContactId_.find(id);
  return it == byContactId_.end() ? nullptr : &contacts_[it->second];
}

}  // namespace ghlsim
