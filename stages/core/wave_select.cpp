#include "wave_select.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "error.h"
#include "fields.h"

namespace ghlb {

void validateSelection(const WaveSelection& sel) {
  for (const auto& name : sel.fields) {
    const FieldSpec* f = findField(name);
    if (!f) {
      std::vector<std::string> known;
      for (const auto& k : kFields)
        if (k.kind != FieldKind::kEnrichment) known.push_back(k.name);
      throw unknownFieldError(name, known, "a field apply writes");
    }
    if (f->kind == FieldKind::kEnrichment)
      throw usageError("--field " + name +
                       ": the enrichment fields are written with the phone; select --field " +
                       names::kFieldPhone);
  }
  if (sel.limit < 0) throw usageError("--limit must be 0 (no cap) or more leads");
  // !(x > 0) also refuses NaN.
  if (!(sel.sample > 0) || sel.sample > 1)
    throw usageError("--sample must be a fraction of leads above 0 and at most 1 (e.g. 0.1)");
}

std::set<std::string> selectedFields(const WaveSelection& sel) {
  std::set<std::string> out(sel.fields.begin(), sel.fields.end());
  if (out.count(names::kFieldPhone))
    for (const auto& f : kFields)
      if (f.kind == FieldKind::kEnrichment) out.insert(f.name);
  return out;
}

std::uint64_t sampleHash(std::string_view lead_id) {
  std::uint64_t h = 14695981039346656037ull;
  for (const unsigned char c : lead_id) {
    h ^= c;
    h *= 1099511628211ull;
  }
  h ^= h >> 33;  // fmix64
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

bool inSample(std::string_view lead_id, double fraction) {
  if (fraction >= 1) return true;
  if (!(fraction > 0)) return false;
  // fraction * 2^64 is below 2^64 here, so it fits; ldexp is exact (a power of two).
  const auto threshold = static_cast<std::uint64_t>(std::ldexp(fraction, 64));
  return sampleHash(lead_id) < threshold;
}

std::vector<PlannedLead> selectWave(std::vector<PlannedLead> planned, const WaveSelection& sel) {
  const std::set<std::string> fields = selectedFields(sel);
  std::vector<PlannedLead> out;
  for (auto& lead : planned) {
    if (sel.limit > 0 && static_cast<std::int64_t>(out.size()) >= sel.limit) break;
    if (!inSample(lead.id, sel.sample)) continue;
    if (!fields.empty()) {
      std::map<std::string, std::string> kept;
      for (const auto& [field, value] : lead.fields)
        if (fields.count(field)) kept.emplace(field, value);
      const auto link = lead.fields.find(names::kFieldContactId);
      if (!kept.empty() && link != lead.fields.end()) kept.insert(*link);
      lead.fields = std::move(kept);
    }
    if (lead.fields.empty()) continue;
    out.push_back(std::move(lead));
  }
  return out;
}

std::string describeSelection(const WaveSelection& sel) {
  std::ostringstream s;
  const char* sep = "";
  if (!sel.fields.empty()) {
    s << "fields";
    for (const auto& f : std::set<std::string>(sel.fields.begin(), sel.fields.end())) s << " " << f;
    if (std::find(sel.fields.begin(), sel.fields.end(), names::kFieldPhone) != sel.fields.end())
      s << " (with its enrichment)";
    sep = "; ";
  }
  if (sel.sample < 1) s << sep << "sample " << sel.sample, sep = "; ";
  if (sel.limit > 0) s << sep << "limit " << sel.limit, sep = "; ";
  const std::string out = s.str();
  return out.empty() ? "every planned value" : out;
}

}  // namespace ghlb
