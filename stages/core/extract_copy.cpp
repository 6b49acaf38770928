#include "extract_copy.h"

#include <pqxx/stream_from>

#include "error.h"

namespace ghlb {

bool LeadBatch::add(std::string_view line) {
  std::array<std::uint32_t, kLeadCopyValues> at{};
  const std::size_t start = buf_.size();
  std::size_t k = 0, from = 0;
  bool fits = true;
  for (;;) {
    const std::size_t tab = line.find('\t', from);
    if (k == kLeadCopyValues) {  // one value too many
      fits = false;
      break;
    }
    const std::string_view raw =
        line.substr(from, tab == std::string_view::npos ? std::string_view::npos : tab - from);
    if (raw == "\\N") {
      at[k] = kNull;
    } else {
      at[k] = static_cast<std::uint32_t>(buf_.size());
      buf_.append(decodeCopyText(raw, scratch_));
      buf_.push_back('\0');
    }
    ++k;
    if (tab == std::string_view::npos) break;
    from = tab + 1;
  }
  if (!fits || k != kLeadCopyValues || at[0] == kNull || at[1] == kNull) {
    buf_.resize(start);
    return false;
  }
  at_.push_back(at);
  return true;
}

SnapshotRow LeadBatch::row(std::size_t i) const {
  SnapshotRow s;
  s.id = value(i, 0);
  s.client_id = value(i, 1);
  s.contact_id = value(i, 2);
  s.email = value(i, 3);
  s.phone = value(i, 4);
  s.first_name = value(i, 5);
  s.last_name = value(i, 6);
  s.company_name = value(i, 7);
  s.enrichment_status = value(i, 8);
  return s;
}

void LeadCopy::read(pqxx::transaction_base& tx, const std::string& query, std::size_t batch_rows) {
  try {
    // pqxx 6's stream_from writes "COPY <table> TO STDOUT": a parenthesized query is a table there.
    pqxx::stream_from copy(tx, "(" + query + ")");
    std::string line;
    LeadBatch batch;
    bool open = true;
    while (open && copy.get_raw_line(line)) {
      if (!line.empty() && line.back() == '\n') line.pop_back();
      if (!batch.add(line)) {
        tx.conn().cancel_query();  // the copy's end is not waited for
        throw FatalError("the database sent a lead row extract cannot read (not " +
                         std::to_string(kLeadCopyValues) +
                         " values, or no id or tenant): nothing of it was stored; report this with the "
                         "server's version");
      }
      if (batch.size() >= batch_rows || batch.bytes() >= kBatchBytes) {
        open = queue_.push(std::move(batch));
        batch = LeadBatch();
      }
    }
    if (open && batch.size() > 0) open = queue_.push(std::move(batch));
    if (!open) tx.conn().cancel_query();  // the rest is not read: the transaction ends in an error
    copy.complete();
    queue_.finish();
  } catch (...) {
    queue_.finish(std::current_exception());
  }
}

}  // namespace ghlb
