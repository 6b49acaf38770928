#include "contact.h"

#include <rapidjson/document.h>
#include <rapidjson/encodedstream.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdio>
#include <tuple>

#include "fields.h"
#include "text.h"

namespace ghlb {
namespace {

constexpr unsigned kParseFlags = rapidjson::kParseIterativeFlag;

// Parses BODY into DOC unless it nests too deep; false on either failure.
bool parseBounded(rapidjson::Document& doc, std::string_view body) {
  if (jsonTooDeep(body)) return false;
  doc.Parse<kParseFlags>(body.data(), body.size());
  return !doc.HasParseError();
}

// The "searchAfter" array of contact V re-serialized, when it is a short array of scalars.
std::string cursorOf(const rapidjson::Value& v) {
  const auto it = v.FindMember("searchAfter");
  if (it == v.MemberEnd() || !it->value.IsArray() || it->value.Empty() || it->value.Size() > 4) return {};
  for (const auto& e : it->value.GetArray())
    if (e.IsObject() || e.IsArray()) return {};
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  it->value.Accept(w);
  return {buf.GetString(), buf.GetSize()};
}

// Reads key as a string; records whether the key was present at all (null counts as present).
std::optional<std::string> stringField(const rapidjson::Value& obj, const char* key, bool& present) {
  const auto it = obj.FindMember(key);
  present = it != obj.MemberEnd();
  if (!present || !it->value.IsString()) return std::nullopt;
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::optional<Contact> contactFromJson(const rapidjson::Value& v) {
  if (!v.IsObject()) return std::nullopt;
  const auto id = v.FindMember("id");
  if (id == v.MemberEnd() || !id->value.IsString() || id->value.GetStringLength() == 0) return std::nullopt;
  Contact c;
  c.id = std::string(id->value.GetString(), id->value.GetStringLength());
  // A locationId that is neither a string nor null is kept as "": never the lead's location.
  if (const auto loc = v.FindMember("locationId"); loc != v.MemberEnd() && !loc->value.IsNull())
    c.location_id = loc->value.IsString() ? std::string(loc->value.GetString(), loc->value.GetStringLength())
                                          : std::string();
  for (const auto& f : kFields)
    if (f.contact)
      c.*f.contact = stringField(v, f.ghl_key.data(), c.*f.has_key);  // a literal: NUL-terminated
  bool has_date = false;
  if (const auto d = stringField(v, "dateAdded", has_date)) c.date_added_ms = parseIsoMillis(*d);
  return c;
}

bool readDigits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
std::int64_t daysFromCivil(int y, int m, int d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

}  // namespace

std::optional<std::int64_t> parseIsoMillis(std::string_view s) {
  int y, mo, d, h, mi, sec;
  if (!readDigits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !readDigits(s, 5, 2, mo) || s[7] != '-' ||
      !readDigits(s, 8, 2, d) || (s[10] != 'T' && s[10] != ' ') || !readDigits(s, 11, 2, h) || s[13] != ':' ||
      !readDigits(s, 14, 2, mi) || s[16] != ':' || !readDigits(s, 17, 2, sec))
    return std::nullopt;
  size_t pos = 19;
  int ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int scale = 100;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      ms += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
  }
  std::int64_t offset_min = 0;
  if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!readDigits(s, pos + 1, 2, oh)) return std::nullopt;
    const size_t mpos = pos + 3 < s.size() && s[pos + 3] == ':' ? pos + 4 : pos + 3;
    if (!readDigits(s, mpos, 2, om)) om = 0;
    offset_min = (s[pos] == '+' ? 1 : -1) * (oh * 60 + om);
  } else if (pos < s.size() && s[pos] != 'Z') {
    return std::nullopt;
  }
  const std::int64_t secs = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_min * 60;
  return secs * 1000 + ms;
}

bool jsonTooDeep(std::string_view body, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < body.size(); ++i) {
    const char ch = body[i];
    if (in_string) {
      if (ch == '\\')
        ++i;  // the escaped character cannot end the string
      else if (ch == '"')
        in_string = false;
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == '[' || ch == '{') {
      if (++depth > max_depth) return true;
    } else if (ch == ']' || ch == '}') {
      --depth;
    }
  }
  return false;
}

std::optional<SearchPage> parseSearchBody(std::string_view body) {
  rapidjson::Document doc;
  if (!parseBounded(doc, body) || !doc.IsObject()) return std::nullopt;
  const auto contacts = doc.FindMember("contacts");
  if (contacts == doc.MemberEnd() || !contacts->value.IsArray()) return std::nullopt;
  SearchPage page;
  for (const auto& v : contacts->value.GetArray()) {
    auto c = contactFromJson(v);
    if (!c) return std::nullopt;
    page.contacts.push_back(std::move(*c));
  }
  if (!contacts->value.Empty()) page.next_cursor = cursorOf(contacts->value[contacts->value.Size() - 1]);
  const auto total = doc.FindMember("total");
  page.total_given = total != doc.MemberEnd() && total->value.IsInt64();
  page.total = page.total_given ? total->value.GetInt64() : static_cast<std::int64_t>(page.contacts.size());
  return page;
}

std::optional<Contact> parseGetBody(std::string_view body) {
  rapidjson::Document doc;
  if (!parseBounded(doc, body) || !doc.IsObject()) return std::nullopt;
  const auto contact = doc.FindMember("contact");
  if (contact == doc.MemberEnd()) return std::nullopt;
  return contactFromJson(contact->value);
}

namespace {

// The SAX side of scanSearchBody/scanGetBody. Mirrors contactFromJson over the events of one
// document: a key counts at its first occurrence only (as FindMember finds the first), a value of
// a key it does not keep (and anything nested in one) is skipped, and a shape that parse*Body would
// refuse stops the parse at once (Handler returns false: the reader reports termination).
class ContactScanner : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, ContactScanner> {
 public:
  enum class Shape { kSearch, kGet };

  ContactScanner(Shape shape, SearchPage* page, Contact* single)
      : shape_(shape), page_(page), single_(single) {}

  bool Null() { return scalar(Kind::kNull); }
  bool Bool(bool) { return scalar(Kind::kOther); }
  bool Int(int i) { return integer(i); }
  bool Uint(unsigned u) { return integer(u); }
  bool Int64(std::int64_t i) { return integer(i); }
  bool Uint64(std::uint64_t u) {
    if (u <= static_cast<std::uint64_t>(INT64_MAX)) return integer(static_cast<std::int64_t>(u));
    return scalar(Kind::kOther);
  }
  bool Double(double) { return scalar(Kind::kOther); }
  bool RawNumber(const char*, rapidjson::SizeType, bool) { return scalar(Kind::kOther); }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    if (depth_ == contact_depth_ && contact_) return contactString(std::string_view(s, n));
    return scalar(Kind::kOther);
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    key_ = std::string_view(s, n);
    if (depth_ == 1) {  // a member of the root object
      root_key_ = RootKey::kOther;
      if (shape_ == Shape::kSearch && key_ == "contacts" && !seen_contacts_) root_key_ = RootKey::kContacts;
      if (shape_ == Shape::kSearch && key_ == "total" && !seen_total_) root_key_ = RootKey::kTotal;
      if (shape_ == Shape::kGet && key_ == "contact" && !seen_contact_) root_key_ = RootKey::kContact;
    } else if (contact_ && depth_ == contact_depth_) {
      field_ = fieldOf(key_);
      if (field_ != kNone) {
        const unsigned bit = 1u << field_;
        if (seen_fields_ & bit) field_ = kNone;  // a repeated key: the first one counts
        seen_fields_ |= bit;
      }
    }
    return true;
  }
  bool StartObject() { return open(true); }
  bool EndObject(rapidjson::SizeType) {
    if (contact_ && depth_ == contact_depth_) {
      if (!id_ok_) return false;  // no "id" that is a non-empty string: the document is refused
      contact_ = nullptr;
      contact_depth_ = -1;
      if (shape_ == Shape::kSearch) ++page_size_;
    }
    --depth_;
    return true;
  }
  bool StartArray() { return open(false); }
  bool EndArray(rapidjson::SizeType) {
    if (depth_ == 2 && in_contacts_) in_contacts_ = false;
    --depth_;
    return true;
  }

  // True when the document had what parse*Body require (the root object, its "contacts" array or
  // "contact" object); the reader has already checked the syntax.
  bool complete() const { return shape_ == Shape::kSearch ? seen_contacts_ : seen_contact_ && got_contact_; }
  std::size_t pageSize() const { return page_size_; }
  bool hasTotal() const { return has_total_; }
  std::int64_t total() const { return total_; }

 private:
  enum class Kind { kNull, kOther };
  enum class RootKey { kOther, kContacts, kTotal, kContact };
  // What a contact's key holds: its id, its location, dateAdded, or (kValue + i) the contact value
  // of kFields[i]; kNone for any other key. Also the key's bit in seen_fields_.
  enum Field : unsigned { kId, kLocation, kDate, kValue, kNone = 31 };

  static unsigned fieldOf(std::string_view k) {
    if (k == "id") return kId;
    if (k == "locationId") return kLocation;
    if (k == "dateAdded") return kDate;
    for (unsigned i = 0; i < std::size(kFields); ++i)
      if (kFields[i].contact && k == kFields[i].ghl_key) return kValue + i;
    return kNone;
  }

  // The member of the current contact that value field F (kValue + i) reads into, with its "key
  // present" flag.
  std::optional<std::string>* slot(unsigned f, bool*& present) {
    const FieldSpec& spec = kFields[f - kValue];
    present = &(contact_->*spec.has_key);
    return &(contact_->*spec.contact);
  }

  // A value that is not a string (or a container, Kind::kOther) for the current key.
  bool scalar(Kind kind) {
    if (depth_ == 1) return rootValue(false);
    if (in_contacts_ && depth_ == 2) return false;  // an element of "contacts" that is not an object
    if (contact_ && depth_ == contact_depth_) return contactOther(kind);
    return true;
  }

  bool integer(std::int64_t v) {
    if (depth_ == 1 && root_key_ == RootKey::kTotal) {
      seen_total_ = true;
      has_total_ = true;
      total_ = v;
      return true;
    }
    return scalar(Kind::kOther);
  }

  // A root member's value that is not the one parse*Body looks for in the shape it needs.
  bool rootValue(bool container_is_right) {
    switch (root_key_) {
      case RootKey::kContacts:
        seen_contacts_ = true;
        return container_is_right;  // "contacts" must be an array
      case RootKey::kContact:
        seen_contact_ = true;
        return container_is_right;  // "contact" must be an object
      case RootKey::kTotal:
        seen_total_ = true;  // the first "total" is not an integer: the number of contacts counts
        return true;
      default:
        return true;
    }
  }

  bool contactString(std::string_view v) {
    switch (field_) {
      case kId:
        id_ok_ = !v.empty();
        contact_->id.assign(v);
        return true;
      case kLocation:
        contact_->location_id.emplace(v);
        return true;
      case kDate:
        contact_->date_added_ms = parseIsoMillis(v);
        return true;
      case kNone:
        return true;
      default: {
        bool* present = nullptr;
        auto* s = slot(field_, present);
        *present = true;
        if (s->has_value())
          (*s)->assign(v);
        else
          s->emplace(v);
        return true;
      }
    }
  }

  bool contactOther(Kind kind) {
    switch (field_) {
      case kId:
        return false;  // an "id" that is not a string: contactFromJson refuses the contact
      case kLocation:
        if (kind != Kind::kNull) contact_->location_id.emplace();  // neither string nor null: ""
        return true;
      case kDate:
      case kNone:
        return true;
      default: {
        bool* present = nullptr;
        slot(field_, present);
        *present = true;  // present, with no string value
        return true;
      }
    }
  }

  bool open(bool object) {
    if (depth_ == 0) {
      if (!object) return false;  // the root must be an object
      depth_ = 1;
      return true;
    }
    if (depth_ == 1) {
      const bool want_array = root_key_ == RootKey::kContacts;
      const bool want_object = root_key_ == RootKey::kContact;
      if (want_array || want_object) {
        if (!rootValue(want_array ? !object : object)) return false;
        if (want_array) {
          in_contacts_ = true;
        } else {
          beginContact(*single_);
          got_contact_ = true;
        }
      } else if (!rootValue(false)) {
        return false;
      }
      ++depth_;
      return true;
    }
    if (in_contacts_ && depth_ == 2) {
      if (!object) return false;  // an element of "contacts" that is not an object
      ++depth_;
      Contact& c =
          page_size_ < page_->contacts.size() ? page_->contacts[page_size_] : page_->contacts.emplace_back();
      beginContact(c);
      return true;
    }
    if (contact_ && depth_ == contact_depth_ && !contactOther(Kind::kOther)) return false;
    ++depth_;
    return depth_ <= kMaxJsonDepth;
  }

  void beginContact(Contact& c) {
    c.id.clear();
    c.location_id.reset();
    c.date_added_ms.reset();
    for (const auto& f : kFields)
      if (f.contact) {
        (c.*f.contact).reset();
        c.*f.has_key = false;
      }
    contact_ = &c;
    contact_depth_ = depth_ + (shape_ == Shape::kSearch ? 0 : 1);
    seen_fields_ = 0;
    id_ok_ = false;
    field_ = kNone;
  }

  Shape shape_;
  SearchPage* page_;
  Contact* single_;
  int depth_ = 0;
  std::string_view key_;
  RootKey root_key_ = RootKey::kOther;
  bool seen_contacts_ = false, seen_total_ = false, seen_contact_ = false, got_contact_ = false;
  bool in_contacts_ = false;
  bool has_total_ = false;
  std::int64_t total_ = 0;
  std::size_t page_size_ = 0;
  Contact* contact_ = nullptr;
  int contact_depth_ = -1;
  unsigned seen_fields_ = 0;
  bool id_ok_ = false;
  unsigned field_ = kNone;  // Field
};

bool scanBody(std::string_view body, ContactScanner& h) {
  thread_local rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>> reader;
  // The stream document.h's Parse(str, length) reads through: the same bytes are the same document.
  rapidjson::MemoryStream ms(body.data(), body.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> is(ms);
  return !reader.Parse<kParseFlags>(is, h).IsError() && h.complete();
}

}  // namespace

bool scanSearchBody(std::string_view body, SearchPage& out) {
  ContactScanner h(ContactScanner::Shape::kSearch, &out, nullptr);
  const bool ok = scanBody(body, h);
  out.contacts.resize(h.pageSize());  // the contacts of an earlier page were overwritten in place
  out.next_cursor.clear();
  if (!ok) return false;
  out.total = h.hasTotal() ? h.total() : static_cast<std::int64_t>(out.contacts.size());
  return true;
}

bool scanGetBody(std::string_view body, Contact& out) {
  ContactScanner h(ContactScanner::Shape::kGet, nullptr, &out);
  return scanBody(body, h);
}

void parseAnswer(std::optional<std::string_view> search_body, std::optional<std::string_view> contact_body,
                 ParsedAnswer& out) {
  using Part = ParsedAnswer::Part;
  out.search = !search_body                             ? Part::kAbsent
               : scanSearchBody(*search_body, out.page) ? Part::kParsed
                                                        : Part::kRefused;
  out.get = !contact_body                             ? Part::kAbsent
            : scanGetBody(*contact_body, out.contact) ? Part::kParsed
                                                      : Part::kRefused;
}

namespace {

// The header of a compact answer: 'A', the version, the number of contact fields and a hash of
// their GHL keys in kFields' order (a form written before kFields changed is never read).
constexpr std::uint32_t contactKeysHash() {
  std::uint32_t h = 2166136261u;
  for (const auto& f : kFields)
    if (f.contact) {
      for (const char ch : f.ghl_key) h = (h ^ static_cast<unsigned char>(ch)) * 16777619u;
      h = (h ^ 0xffu) * 16777619u;
    }
  return h;
}
constexpr unsigned contactFieldCount() {
  unsigned n = 0;
  for (const auto& f : kFields) n += f.contact ? 1 : 0;
  return n;
}
constexpr std::uint32_t kKeysHash = contactKeysHash();
constexpr char kAnswerHeader[] = {'A',
                                  static_cast<char>(kAnswerFormVersion),
                                  static_cast<char>(contactFieldCount()),
                                  static_cast<char>(kKeysHash & 0xff),
                                  static_cast<char>((kKeysHash >> 8) & 0xff),
                                  static_cast<char>((kKeysHash >> 16) & 0xff),
                                  static_cast<char>(kKeysHash >> 24)};
constexpr std::string_view kHeader(kAnswerHeader, sizeof kAnswerHeader);

// A contact field's state in the form: key absent, key present without a string, a string.
enum : std::uint8_t { kKeyAbsent, kKeyNoString, kKeyString };
// The contact's flags byte.
enum : std::uint8_t { kHasLocation = 1, kHasDate = 2 };

void putVarint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}
void putFixed64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}
void putString(std::string& out, std::string_view s) {
  putVarint(out, s.size());
  out.append(s);
}

void putContact(std::string& out, const Contact& c) {
  putString(out, c.id);
  out += static_cast<char>((c.location_id ? kHasLocation : 0) | (c.date_added_ms ? kHasDate : 0));
  if (c.location_id) putString(out, *c.location_id);
  if (c.date_added_ms) putFixed64(out, static_cast<std::uint64_t>(*c.date_added_ms));
  for (const auto& f : kFields)
    if (f.contact) {
      const auto& v = c.*f.contact;
      out += static_cast<char>(v ? kKeyString : c.*f.has_key ? kKeyNoString : kKeyAbsent);
      if (v) putString(out, *v);
    }
}

// Reads a form front to back; every read is bounds-checked (ok() false once one fails).
class FormReader {
 public:
  explicit FormReader(std::string_view s) : s_(s) {}
  bool ok() const { return ok_; }
  bool atEnd() const { return pos_ == s_.size(); }
  std::size_t left() const { return s_.size() - pos_; }
  std::uint8_t byte() {
    if (pos_ >= s_.size()) return fail();
    return static_cast<std::uint8_t>(s_[pos_++]);
  }
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const std::uint8_t b = byte();
      if (!ok_) return 0;
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    return fail();
  }
  std::uint64_t fixed64() {
    if (left() < 8) return fail();
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
      v |= static_cast<std::uint64_t>(static_cast<unsigned char>(s_[pos_ + i])) << (8 * i);
    pos_ += 8;
    return v;
  }
  std::string_view string() {
    const std::uint64_t n = varint();
    if (!ok_ || n > left()) return fail(), std::string_view();
    const std::string_view v = s_.substr(pos_, n);
    pos_ += n;
    return v;
  }

 private:
  std::uint8_t fail() {
    ok_ = false;
    pos_ = s_.size();
    return 0;
  }
  std::string_view s_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

void assignOptional(std::optional<std::string>& o, std::string_view v) {
  if (o)
    o->assign(v);
  else
    o.emplace(v);
}

bool readContact(FormReader& r, Contact& c) {
  c.id.assign(r.string());
  const std::uint8_t flags = r.byte();
  if (flags & kHasLocation)
    assignOptional(c.location_id, r.string());
  else
    c.location_id.reset();
  if (flags & kHasDate)
    c.date_added_ms = static_cast<std::int64_t>(r.fixed64());
  else
    c.date_added_ms.reset();
  for (const auto& f : kFields)
    if (f.contact) {
      const std::uint8_t state = r.byte();
      c.*f.has_key = state != kKeyAbsent;
      if (state == kKeyString)
        assignOptional(c.*f.contact, r.string());
      else
        (c.*f.contact).reset();
      if (state > kKeyString) return false;
    }
  return r.ok() && flags <= (kHasLocation | kHasDate);
}

bool readPart(FormReader& r, ParsedAnswer::Part& part) {
  const std::uint8_t p = r.byte();
  if (p > static_cast<std::uint8_t>(ParsedAnswer::Part::kParsed)) return false;
  part = static_cast<ParsedAnswer::Part>(p);
  return r.ok();
}

}  // namespace

void encodeAnswer(const ParsedAnswer& a, std::string& out) {
  using Part = ParsedAnswer::Part;
  out.assign(kHeader);
  out += static_cast<char>(a.search);
  if (a.search == Part::kParsed) {
    putFixed64(out, static_cast<std::uint64_t>(a.page.total));
    putVarint(out, a.page.contacts.size());
    for (const auto& c : a.page.contacts) putContact(out, c);
  }
  out += static_cast<char>(a.get);
  if (a.get == Part::kParsed) putContact(out, a.contact);
}

bool answerFormCurrent(std::string_view form) { return form.substr(0, kHeader.size()) == kHeader; }

bool decodeAnswer(std::string_view form, ParsedAnswer& out) {
  using Part = ParsedAnswer::Part;
  if (!answerFormCurrent(form)) return false;
  FormReader r(form.substr(kHeader.size()));
  if (!readPart(r, out.search)) return false;
  if (out.search == Part::kParsed) {
    out.page.total = static_cast<std::int64_t>(r.fixed64());
    const std::uint64_t n = r.varint();
    if (!r.ok() || n > r.left()) return false;  // each contact takes at least one byte
    out.page.contacts.resize(n);
    for (auto& c : out.page.contacts)
      if (!readContact(r, c)) return false;
  }
  out.page.next_cursor.clear();
  if (!readPart(r, out.get)) return false;
  if (out.get == Part::kParsed && !readContact(r, out.contact)) return false;
  return r.ok() && r.atEnd();
}

std::string mergeSearchBodies(const std::vector<std::string>& bodies, std::int64_t total) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("contacts");
  w.StartArray();
  for (const auto& body : bodies) {
    rapidjson::Document doc;
    if (!parseBounded(doc, body) || !doc.IsObject()) continue;
    const auto contacts = doc.FindMember("contacts");
    if (contacts == doc.MemberEnd() || !contacts->value.IsArray()) continue;
    for (const auto& v : contacts->value.GetArray()) v.Accept(w);
  }
  w.EndArray();
  w.Key("total");
  w.Int64(total);
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

std::optional<std::vector<RawContact>> splitSearchBody(std::string_view body) {
  rapidjson::Document doc;
  if (!parseBounded(doc, body) || !doc.IsObject()) return std::nullopt;
  const auto contacts = doc.FindMember("contacts");
  if (contacts == doc.MemberEnd() || !contacts->value.IsArray()) return std::nullopt;
  std::vector<RawContact> out;
  out.reserve(contacts->value.Size());
  for (const auto& v : contacts->value.GetArray()) {
    auto c = contactFromJson(v);
    if (!c) return std::nullopt;
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    v.Accept(w);
    out.push_back(RawContact{std::move(*c), std::string(buf.GetString(), buf.GetSize())});
  }
  return out;
}

std::string searchBodyOf(const std::vector<const std::string*>& objects) {
  std::string out = "{\"contacts\":[";
  for (size_t i = 0; i < objects.size(); ++i) {
    if (i > 0) out += ',';
    out += *objects[i];
  }
  out += "],\"total\":" + std::to_string(objects.size()) + "}";
  return out;
}

std::string contactBodyOf(std::string_view object) { return "{\"contact\":" + std::string(object) + "}"; }

std::optional<std::string_view> untrustedReason(const Contact& c, std::string_view location_id,
                                                std::string_view requested_id) {
  if (!isValidGhlId(c.id)) return "invalid_contact_id";
  if (c.location_id && *c.location_id != location_id) return "wrong_location";
  if (!requested_id.empty() && c.id != requested_id) return "wrong_contact_id";
  return std::nullopt;
}

namespace {

// normalizeEmail(RAW) == NORMALIZED, without building the normalized text when RAW is ASCII.
bool emailIs(std::string_view raw, std::string_view normalized) {
  const auto t = jsTrim(raw);
  bool ascii = true;
  for (const char c : t) ascii = ascii && static_cast<unsigned char>(c) < 0x80 && c != '\0';
  if (!ascii) {
    const auto email = normalizeEmail(raw);
    return email && *email == normalized;
  }
  // ASCII without NUL is clean text: normalizeEmail is then the trimmed text lower-cased (and
  // nothing for an empty one).
  if (t.empty() || t.size() != normalized.size()) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != normalized[i]) return false;
  }
  return true;
}

}  // namespace

ContactPick pickContact(const SearchPage& page, std::string_view normalized_email,
                        std::vector<const Contact*>& matches) {
  matches.clear();
  for (const auto& c : page.contacts)
    if (emailIs(c.email ? std::string_view(*c.email) : std::string_view(), normalized_email))
      matches.push_back(&c);  // primary email only
  // Oldest first; unknown dates sort after every known one, ties by smaller id. Stable: of two
  // entries for the same contact the first seen is taken.
  const auto key = [](const Contact* x) {
    return std::tuple<bool, std::int64_t, const std::string&>(!x->date_added_ms.has_value(),
                                                              x->date_added_ms.value_or(0), x->id);
  };
  if (matches.size() > 1)
    std::stable_sort(matches.begin(), matches.end(),
                     [&key](const Contact* a, const Contact* b) { return key(a) < key(b); });
  ContactPick pick;
  pick.matches = static_cast<int>(matches.size());
  // total counts matches on pages not fetched; only trust it when every contact matched.
  const bool all_matched = pick.matches == static_cast<int>(page.contacts.size());
  pick.ambiguous = pick.matches > 1 || (all_matched && pick.matches > 0 && page.total > 1);
  return pick;
}

ContactChoice chooseContact(const SearchPage& page, std::string_view normalized_email) {
  std::vector<const Contact*> matches;
  const ContactPick pick = pickContact(page, normalized_email, matches);
  ContactChoice choice;
  choice.matches = pick.matches;
  choice.ambiguous = pick.ambiguous;
  if (!matches.empty()) choice.contact = *matches.front();
  for (const Contact* c : matches) choice.ids.push_back(c->id);
  return choice;
}

bool lacksFieldLeadMisses(const Contact& c, const LeadSnapshot& lead) {
  for (const auto& f : kFields)
    if (f.kind == FieldKind::kFill && isMissing(lead.*f.lead) && !(c.*f.has_key)) return true;
  return false;
}

bool getAddsField(const Contact& from_search, const Contact& from_get, const LeadSnapshot& lead) {
  for (const auto& f : kFields)
    if (f.kind == FieldKind::kFill && isMissing(lead.*f.lead) && !(from_search.*f.has_key) &&
        !isMissing(from_get.*f.contact))
      return true;
  return false;
}

Contact mergeContact(const Contact& from_search, const Contact& from_get) {
  Contact out;
  mergeContact(from_search, from_get, out);
  return out;
}

void mergeContact(const Contact& from_search, const Contact& from_get, Contact& out) {
  out = from_search;             // copy-assigned: OUT's strings keep their storage
  for (const auto& f : kFields)  // values the search lacked are taken from the GET
    if (f.kind == FieldKind::kFill && !(out.*f.has_key) && from_get.*f.has_key) {
      out.*f.contact = from_get.*f.contact;
      out.*f.has_key = true;
    }
}

}  // namespace ghlb
