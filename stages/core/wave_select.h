// wave_select: which planned values one apply writes (a *wave*). `apply --field F --limit N
// --sample FRACTION` narrows the plan to some fields, a deterministic sample of leads and at most
// N leads; the same flags on the same plan always select the same leads, so a dry run shows
// exactly what the real run will write. Pure functions of the plan: no database, no clock.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace ghlb {

// One lead of the plan with the values apply has not settled yet (no apply_log row).
struct PlannedLead {
  std::string id;
  std::string client_id;
  std::map<std::string, std::string> fields;  // field (fields.h name) -> new value
  // The contact of the lead's planned link (plan_lead.link = 1), even when the link itself is
  // settled or not in this wave: the guarded statement still refuses fills once another lead
  // holds that contact.
  std::optional<std::string> link_contact;
};

struct WaveSelection {
  std::vector<std::string> fields;  // --field: names of fields.h (link or fill); empty = every field
  std::int64_t limit = 0;           // --limit: the first N selected leads in lead-id order; 0 = all
  double sample = 1.0;              // --sample: the fraction of leads, 0 < f <= 1 (sampleHash)
};

// Usage error (exit 2), one line, for an unknown or unselectable field name, a limit below 0 or
// a sample outside (0, 1].
void validateSelection(const WaveSelection& sel);

// The fields a wave may write: the names given plus, with phone, the enrichment trio that goes
// with a written phone. Empty when sel.fields is empty (every field).
std::set<std::string> selectedFields(const WaveSelection& sel);

// The sample's hash of a lead id: 64-bit FNV-1a over the id's bytes (offset basis
// 14695981039346656037, prime 1099511628211), then MurmurHash3's 64-bit finalizer (fmix64), since
// FNV-1a's high bits barely differ between ids that differ only in their last bytes. It must
// never change: a wave's selection is reproduced from it (unit-tested against fixed values).
std::uint64_t sampleHash(std::string_view lead_id);

// True when the lead is in a sample of FRACTION: sampleHash(id) < fraction * 2^64 (every lead
// when fraction >= 1). Samples nest: a lead of the 0.1 sample is in the 0.2 sample too.
bool inSample(std::string_view lead_id, double fraction);

// The wave of planned (in lead-id order): each lead keeps only the selected fields (a lead with a
// pending planned link that keeps any field keeps the link too: a value is never written from a
// contact without writing the link planned with it); leads left with nothing, or out of the
// sample, drop out; then the first sel.limit leads remain.
std::vector<PlannedLead> selectWave(std::vector<PlannedLead> planned, const WaveSelection& sel);

// One line for the operator and the wave's record, e.g. "fields phone; sample 0.1; limit 50".
// "every planned value" when nothing narrows it.
std::string describeSelection(const WaveSelection& sel);

}  // namespace ghlb
