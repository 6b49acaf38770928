#include "plan_inputs.h"

#include <charconv>
#include <cstdio>
#include <cstring>

#include "contact.h"
#include "fetch_store.h"
#include "work_db.h"

namespace ghlb {
namespace {

// Copies column C into V (kept storage: no allocation once it is large enough).
void assignText(std::string& v, const SQLite::Column& c) {
  v.assign(c.getText(), static_cast<size_t>(c.getBytes()));
}
void assignOptional(std::optional<std::string>& v, const SQLite::Column& c) {
  if (c.isNull()) {
    v.reset();
    return;
  }
  if (!v) v.emplace();
  assignText(*v, c);
}
std::optional<std::string_view> view(const std::optional<std::string>& v) {
  if (!v) return std::nullopt;
  return std::string_view(*v);
}

__extension__ typedef unsigned __int128 U128;  // GCC's and Clang's: the multiply's high half

std::string hex16(std::uint64_t h) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace

void InputDigest::mix(std::string_view bytes) {
  for (const unsigned char c : bytes) {
    h_ ^= c;
    h_ *= 1099511628211ull;
  }
}

void InputDigest::add(std::optional<std::string_view> field) {
  // A tag and the length before the bytes: ("ab","c") and ("a","bc") differ, NULL differs from ''.
  if (!field) {
    mix("n:");
    return;
  }
  char head[32] = {'v'};  // "v<size>:" without an allocation per field
  const auto end = std::to_chars(head + 1, head + sizeof head - 1, field->size()).ptr;
  *end = ':';
  mix(std::string_view(head, static_cast<size_t>(end + 1 - head)));
  mix(*field);
}

std::string InputDigest::hex() const { return hex16(h_); }

void InputHash::word(std::uint64_t w) {
  const U128 m = static_cast<U128>(h_ ^ w ^ 0xa0761d6478bd642full) * (w ^ 0xe7037ed1a0b428dbull);
  h_ = static_cast<std::uint64_t>(m) ^ static_cast<std::uint64_t>(m >> 64);
}

void InputHash::add(std::optional<std::string_view> field) {
  // The length before the bytes: ("ab","c") and ("a","bc") differ; NULL is a length no field has.
  if (!field) {
    word(~0ull);
    return;
  }
  word(field->size());
  const char* p = field->data();
  std::size_t n = field->size();
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    word(w);
  }
  if (n) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, n);
    word(w);
  }
}

std::string InputHash::hex() const { return hex16(h_); }

namespace {

constexpr const char* kAnswerColumns = "a.lookup, a.lookup_key, a.outcome, a.form";

std::string leadsQuery(bool join_answers) {
  return std::string("SELECT ") + kLeadSnapshotColumns +
         (join_answers ? std::string(", ") + kAnswerColumns +
                             " FROM lead l LEFT JOIN fetch_answer a ON a.lead_id = l.id"
                       : std::string(" FROM lead l")) +
         " WHERE l.eligible = 1 AND " + clientScope("l.client_id") + " ORDER BY l.id";
}

std::string_view textOf(const SQLite::Column& c) { return {c.getText(), static_cast<size_t>(c.getBytes())}; }

}  // namespace

PlanInputs::Reader::Reader(SQLite::Database& db, const std::vector<std::string>& scope)
    : merge_(scope.empty()),
      q_(db, leadsQuery(!merge_)),
      answers_(db, merge_ ? std::string("SELECT a.lead_id, ") + kAnswerColumns +
                                " FROM fetch_answer a ORDER BY a.lead_id"
                          : std::string("SELECT 1")),
      result_(db,
              "SELECT lookup, lookup_key, outcome, search_body, contact_body FROM fetch_result "
              "WHERE lead_id = ?") {
  bindClientScope(q_, scope);
  if (merge_) answers_more_ = answers_.executeStep();
}

bool PlanInputs::Reader::next() {
  if (!q_.executeStep()) return false;
  assignText(lead_.id, q_.getColumn(0));
  assignText(lead_.client_id, q_.getColumn(1));
  assignText(lead_.location_id, q_.getColumn(2));
  assignOptional(lead_.ghl_contact_id, q_.getColumn(3));
  assignOptional(lead_.email, q_.getColumn(4));
  assignOptional(lead_.phone, q_.getColumn(5));
  assignOptional(lead_.first_name, q_.getColumn(6));
  assignOptional(lead_.last_name, q_.getColumn(7));
  assignOptional(lead_.company_name, q_.getColumn(8));
  assignOptional(lead_.enrichment_status, q_.getColumn(9));
  if (!merge_) {
    readAnswer(q_.getColumn(kLeadSnapshotColumnCount).isNull() ? nullptr : &q_, kLeadSnapshotColumnCount);
    return true;
  }
  // Both in lead id order (BINARY: byte order, as string_view compares): skip the answers of
  // leads that are not eligible, take the lead's own.
  const std::string_view id = lead_.id;
  while (answers_more_ && textOf(answers_.getColumn(0)) < id) answers_more_ = answers_.executeStep();
  readAnswer(answers_more_ && textOf(answers_.getColumn(0)) == id ? &answers_ : nullptr, 1);
  return true;
}

void PlanInputs::Reader::readAnswer(SQLite::Statement* q, int at) {
  if (!q) {
    readResult();
    return;
  }
  const auto outcome = q->getColumn(at + 2);
  const auto form = q->getColumn(at + 3);
  const auto found = fetchOutcomeFromString(textOf(outcome));
  // A found lookup whose form this build cannot read (another version) or lacks: the bodies.
  if (found == FetchOutcome::kFound &&
      (form.isNull() || !answerFormCurrent(std::string_view(static_cast<const char*>(form.getBlob()),
                                                            static_cast<size_t>(form.getBytes()))))) {
    readResult();
    return;
  }
  if (!fetch_) fetch_.emplace();
  FetchRecord& f = *fetch_;
  assignText(f.lookup, q->getColumn(at));
  assignText(f.lookup_key, q->getColumn(at + 1));
  f.outcome = found.value_or(FetchOutcome::kTransient);
  f.search_body.reset();
  f.contact_body.reset();
  if (form.isNull()) {
    f.answer.reset();
  } else {
    if (!f.answer) f.answer.emplace();
    f.answer->assign(static_cast<const char*>(form.getBlob()), static_cast<size_t>(form.getBytes()));
  }
}

void PlanInputs::Reader::readResult() {
  result_.reset();
  result_.bindNoCopy(1, lead_.id);
  if (!result_.executeStep()) {
    fetch_.reset();
    return;
  }
  if (!fetch_) fetch_.emplace();
  FetchRecord& f = *fetch_;
  assignText(f.lookup, result_.getColumn(0));
  assignText(f.lookup_key, result_.getColumn(1));
  const auto outcome = result_.getColumn(2);
  f.outcome =
      fetchOutcomeFromString(std::string_view(outcome.getText(), static_cast<size_t>(outcome.getBytes())))
          .value_or(FetchOutcome::kTransient);
  assignOptional(f.search_body, result_.getColumn(3));
  assignOptional(f.contact_body, result_.getColumn(4));
  if (!f.answer) f.answer.emplace();
  if (!answerFormOf(f.outcome, view(f.search_body), view(f.contact_body), *f.answer)) f.answer.reset();
}

void PlanInputs::Reader::digest(InputHash& h) const {
  h.add("lead");
  h.add(lead_.id);
  h.add(lead_.client_id);
  h.add(lead_.location_id);
  h.add(view(lead_.ghl_contact_id));
  h.add(view(lead_.email));
  h.add(view(lead_.phone));
  h.add(view(lead_.first_name));
  h.add(view(lead_.last_name));
  h.add(view(lead_.company_name));
  h.add(view(lead_.enrichment_status));
  if (!fetch_) {
    h.add(std::nullopt);
    return;
  }
  h.add(fetch_->lookup);
  h.add(fetch_->lookup_key);
  h.add(toString(fetch_->outcome));
  h.add(view(fetch_->answer));  // what plan reads of the bodies: the compact form of a found one
}

void PlanInputs::digestLinks(InputHash& h) {
  SQLite::Statement links(db_, "SELECT contact_id, lead_id FROM linked_contact ORDER BY contact_id");
  while (links.executeStep()) {
    h.add("link");
    h.add(std::string_view(links.getColumn(0).getText(), static_cast<size_t>(links.getColumn(0).getBytes())));
    h.add(std::string_view(links.getColumn(1).getText(), static_cast<size_t>(links.getColumn(1).getBytes())));
  }
}

std::string PlanInputs::fingerprint(const std::vector<std::string>& scope) {
  InputHash h;
  h.add(kInputDigestTag);
  Reader leads(db_, scope);
  while (leads.next()) leads.digest(h);
  digestLinks(h);
  return h.hex();
}

}  // namespace ghlb
