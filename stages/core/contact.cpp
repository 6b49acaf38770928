#include "contact.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <cstdio>
#include <tuple>

#include "text.h"

namespace ghlb {
namespace {

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
  if (id == v.MemberEnd() || !id->value.IsString() || id->value.GetStringLength() == 0)
    return std::nullopt;
  Contact c;
  c.id.assign(id->value.GetString(), id->value.GetStringLength());  // a NUL must not truncate it
  c.email = stringField(v, "email", c.has_email);
  c.phone = stringField(v, "phone", c.has_phone);
  c.first_name = stringField(v, "firstName", c.has_first_name);
  c.last_name = stringField(v, "lastName", c.has_last_name);
  c.company_name = stringField(v, "companyName", c.has_company_name);
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
  if (!readDigits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !readDigits(s, 5, 2, mo) ||
      s[7] != '-' || !readDigits(s, 8, 2, d) || (s[10] != 'T' && s[10] != ' ') ||
      !readDigits(s, 11, 2, h) || s[13] != ':' || !readDigits(s, 14, 2, mi) || s[16] != ':' ||
      !readDigits(s, 17, 2, sec))
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

std::optional<SearchPage> parseSearchBody(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
  const auto contacts = doc.FindMember("contacts");
  if (contacts == doc.MemberEnd() || !contacts->value.IsArray()) return std::nullopt;
  SearchPage page;
  for (const auto& v : contacts->value.GetArray()) {
    auto c = contactFromJson(v);
    if (!c) return std::nullopt;
    page.contacts.push_back(std::move(*c));
  }
  const auto total = doc.FindMember("total");
  page.total = total != doc.MemberEnd() && total->value.IsInt64()
                   ? total->value.GetInt64()
                   : static_cast<std::int64_t>(page.contacts.size());
  return page;
}

std::optional<Contact> parseGetBody(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
  const auto contact = doc.FindMember("contact");
  if (contact == doc.MemberEnd()) return std::nullopt;
  return contactFromJson(contact->value);
}

ContactChoice chooseContact(const SearchPage& page, std::string_view normalized_email) {
  ContactChoice choice;
  for (const auto& c : page.contacts) {
    const auto email = normalizeEmail(c.email ? *c.email : std::string());
    if (!email || *email != normalized_email) continue;  // primary email only
    ++choice.matches;
    if (!choice.contact) {
      choice.contact = c;
      continue;
    }
    // Unknown dates sort after every known one.
    const auto key = [](const Contact& x) {
      return std::make_tuple(!x.date_added_ms.has_value(), x.date_added_ms.value_or(0), x.id);
    };
    if (key(c) < key(*choice.contact)) choice.contact = c;
  }
  // total counts matches on pages not fetched; only trust it when every contact matched.
  const bool all_matched = choice.matches == static_cast<int>(page.contacts.size());
  choice.ambiguous = choice.matches > 1 || (all_matched && choice.matches > 0 && page.total > 1);
  return choice;
}

bool lacksFieldLeadMisses(const Contact& c, const LeadSnapshot& lead) {
  return (isMissing(lead.phone) && !c.has_phone) ||
         (isMissing(lead.first_name) && !c.has_first_name) ||
         (isMissing(lead.last_name) && !c.has_last_name) ||
         (isMissing(lead.company_name) && !c.has_company_name) ||
         (isMissing(lead.email) && !c.has_email);
}

Contact mergeContact(const Contact& from_search, const Contact& from_get) {
  Contact out = from_search;
  const auto take = [](std::optional<std::string>& dst, bool& has, const std::optional<std::string>& src,
                       bool src_has) {
    if (!has && src_has) {
      dst = src;
      has = true;
    }
  };
  take(out.email, out.has_email, from_get.email, from_get.has_email);
  take(out.phone, out.has_phone, from_get.phone, from_get.has_phone);
  take(out.first_name, out.has_first_name, from_get.first_name, from_get.has_first_name);
  take(out.last_name, out.has_last_name, from_get.last_name, from_get.has_last_name);
  take(out.company_name, out.has_company_name, from_get.company_name, from_get.has_company_name);
  return out;
}

}  // namespace ghlb
