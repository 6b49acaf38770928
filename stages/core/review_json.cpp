#include "review_json.h"

#include <rapidjson/ostreamwrapper.h>
#include <rapidjson/writer.h>

#include <ostream>

namespace ghlb {
namespace {

using Writer = rapidjson::Writer<rapidjson::OStreamWrapper>;

void writeCounts(Writer& w, const char* key, const std::map<std::string, std::int64_t>& m) {
  w.Key(key);
  w.StartObject();
  for (const auto& [k, n] : m) {
    w.Key(k.c_str(), static_cast<rapidjson::SizeType>(k.size()));
    w.Int64(n);
  }
  w.EndObject();
}

void add(std::map<std::string, std::int64_t>& into, const std::map<std::string, std::int64_t>& from) {
  for (const auto& [k, n] : from) into[k] += n;
}

void writeTenantFields(Writer& w, const TenantReview& t) {
  w.Key("leads");
  w.Int64(t.leads);
  writeCounts(w, "by_status", t.by_status);
  w.Key("ambiguous");
  w.Int64(t.ambiguous);
  w.Key("links");
  w.Int64(t.links);
  writeCounts(w, "fields", t.fields);
  writeCounts(w, "rejected", t.rejected);
  writeCounts(w, "reported", t.reported);
  writeCounts(w, "applied", t.applied);
}

}  // namespace

void printReviewJson(const ReviewSummary& s, std::ostream& out) {
  TenantReview total;
  for (const auto& [id, t] : s.tenants) {
    total.leads += t.leads;
    total.ambiguous += t.ambiguous;
    total.links += t.links;
    add(total.by_status, t.by_status);
    add(total.fields, t.fields);
    add(total.rejected, t.rejected);
    add(total.reported, t.reported);
    add(total.applied, t.applied);
  }
  rapidjson::OStreamWrapper os(out);
  Writer w(os);
  w.StartObject();
  w.Key("schema_version");
  w.Int(kReviewJsonSchemaVersion);
  if (s.plan_id) {
    w.Key("plan_id");
    w.Int64(s.plan_id);
    w.Key("fingerprint");
    w.String(s.fingerprint.c_str(), static_cast<rapidjson::SizeType>(s.fingerprint.size()));
  }
  w.Key("totals");
  w.StartObject();
  writeTenantFields(w, total);
  w.EndObject();
  w.Key("tenants");
  w.StartArray();
  for (const auto& [id, t] : s.tenants) {
    w.StartObject();
    w.Key("client_id");
    w.String(id.c_str(), static_cast<rapidjson::SizeType>(id.size()));
    if (t.name) {
      w.Key("client_name");
      w.String(t.name->c_str(), static_cast<rapidjson::SizeType>(t.name->size()));
    }
    writeTenantFields(w, t);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  os.Flush();
  out << "\n";
}

}  // namespace ghlb
