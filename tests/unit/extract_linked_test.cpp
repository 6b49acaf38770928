// extract_linked: the linked contact ids sorted in byte order, as a plain sort of the views would,
// whatever their lengths, shared prefixes (of 8 bytes and more), case and bytes above 0x7f; COPY's
// text escapes decoded; the queue between the reader and the writer; a new work DB's write of the
// ids (writeNewLinked, then storeHolders): whole with linked_sync, then its holders, or, stopped
// in the middle or after the reader failed, nothing (no linked_contact row, no linked_sync, no
// linked_new), and a second write after it right.
#include "extract_linked.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>

#include "stop_signal.h"
#include "temp_path.h"
#include "work_db.h"

using namespace ghlb;

namespace {
std::vector<std::string> sorted(const std::string& buf, const std::vector<IdSpan>& at) {
  std::vector<std::string> out;
  for (const auto& a : at) out.push_back(buf.substr(a.first, a.second));
  return out;
}
}  // namespace

TEST_CASE("linked contact ids: sorted in byte order") {
  std::mt19937 rng(12);
  const std::string alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\x7f\xc3\xa9 ";
  std::vector<std::string> ids = {"",          "a",         "ab",      "abcdefgh", "abcdefgh0",
                                  "abcdefghZ", "abcdefgha", "abcdefg", "ABCDEFGH", "\xc3\xa9t\xc3\xa9",
                                  "zz",        "Z"};
  for (int i = 0; i < 3000; ++i) {
    std::string id = i % 3 == 0 ? "ocQHyuzH" : "";  // a shared 8-byte prefix for a third
    const auto n = std::uniform_int_distribution<int>(0, 24)(rng);
    for (int k = 0; k < n; ++k)
      id += alphabet[std::uniform_int_distribution<std::size_t>(0, alphabet.size() - 1)(rng)];
    ids.push_back(id);
  }
  std::string buf;
  std::vector<IdSpan> at;
  for (const auto& id : ids) {
    at.emplace_back(static_cast<std::uint32_t>(buf.size()), static_cast<std::uint32_t>(id.size()));
    buf += id;
  }
  sortContactIds(buf, at);
  auto want = ids;
  std::sort(want.begin(), want.end());  // std::string: byte order (char_traits<char> compares as unsigned)
  CHECK(sorted(buf, at) == want);
  sortContactIds(buf, at);  // already sorted: unchanged
  CHECK(sorted(buf, at) == want);
}

TEST_CASE("linked contact ids: COPY's text escapes decoded") {
  std::string scratch;
  const std::string plain = "ocQHyuzH0123";
  CHECK(decodeCopyText(plain, scratch).data() == plain.data());  // no backslash: the line itself
  CHECK(decodeCopyText("a\\\\b", scratch) == "a\\b");
  CHECK(decodeCopyText("\\t\\n\\r\\b\\f\\v", scratch) == "\t\n\r\b\f\v");
  CHECK(decodeCopyText("x\\101y\\x42z\\7", scratch) == "xAyBz\x07");
  CHECK(decodeCopyText("\\1012", scratch) == "A2");  // at most 3 octal digits
  CHECK(decodeCopyText("\\x414", scratch) == "A4");  // at most 2 hex digits
  CHECK(decodeCopyText("\\q\\x", scratch) == "qx");  // another character stands for itself
  CHECK(decodeCopyText("end\\", scratch) == "end\\");
}

namespace {
IdBatch batchOf(int from, int n) {
  IdBatch b;
  for (int i = from; i < from + n; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "c%07d", i);
    b.add(id);
  }
  return b;
}
std::string one(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement st(db, sql);
  return st.executeStep() && !st.getColumn(0).isNull() ? st.getColumn(0).getString() : "-";
}
}  // namespace

TEST_CASE("linked contact ids: the queue keeps order, waits when full, ends, fails, cancels") {
  IdQueue q(2);
  std::thread reader([&] {
    for (int i = 0; i < 10; ++i) REQUIRE(q.push(batchOf(i * 3, 3)));
    q.finish();
  });
  std::vector<std::string> got;
  while (auto b = q.pop())
    for (const auto& a : b->at) got.emplace_back(b->view(a));
  reader.join();
  REQUIRE(got.size() == 30);
  CHECK(got.front() == "c0000000");
  CHECK(got.back() == "c0000029");
  CHECK(std::is_sorted(got.begin(), got.end()));

  IdQueue failing(4);
  REQUIRE(failing.push(batchOf(0, 1)));
  failing.finish(std::make_exception_ptr(std::runtime_error("read failed")));
  CHECK_THROWS_WITH(failing.pop(), "read failed");  // what came before the failure is not given

  IdQueue cancelled(1);
  REQUIRE(cancelled.push(batchOf(0, 1)));
  std::thread blocked([&] { CHECK_FALSE(cancelled.push(batchOf(1, 1))); });  // waits: full
  cancelled.cancel();
  blocked.join();
  CHECK_FALSE(cancelled.push(batchOf(2, 1)));
}

TEST_CASE("linked contact ids: a new work DB's write, whole, stopped in the middle, failed") {
  WorkDb work(test::freshPath("new_linked.db"));
  auto& db = work.db();
  SnapshotStore store(db, work.beginRun("extract", "{}"));
  // 12 batches of 1,000 (2 commits of 5 before the last), one id each that JSON would escape.
  const auto fill = [](IdQueue& q, int batches) {
    for (int i = 0; i < batches; ++i) {
      auto b = batchOf(i * 1000, 999);
      b.add(std::string("d\"q\\") + std::to_string(100 + i));
      REQUIRE(q.push(std::move(b)));
    }
  };
  std::int64_t between_at = 0;
  const auto noPause = [&](std::int64_t written) { between_at = between_at ? between_at : written; };
  const auto linkedNew = [&] {
    return one(db, "SELECT count(*) FROM sqlite_master WHERE name = 'linked_new'");
  };

  SUBCASE("stopped after a commit, then written again") {
    IdQueue q(16);
    fill(q, 12);
    q.finish();
    const auto out = writeNewLinked(store, q, "2026-01-01 00:00:00",
                                    [&](std::int64_t) { raiseStopForTesting(StopReason::kSignal); });
    resetStopForTesting();
    CHECK_FALSE(out.has_value());
    CHECK(one(db, "SELECT count(*) FROM linked_contact") == "0");
    CHECK(one(db, "SELECT count(*) FROM linked_sync") == "0");
    CHECK(linkedNew() == "0");
    CHECK_FALSE(q.push(batchOf(0, 1)));  // the read is cancelled
  }
  SUBCASE("the reader failed after two commits") {
    IdQueue q(16);
    fill(q, 11);
    q.finish(std::make_exception_ptr(std::runtime_error("server gone")));
    CHECK_THROWS_WITH(writeNewLinked(store, q, "2026-01-01 00:00:00", noPause), "server gone");
    CHECK(one(db, "SELECT count(*) FROM linked_contact") == "0");
    CHECK(one(db, "SELECT count(*) FROM linked_sync") == "0");
    CHECK(linkedNew() == "0");
  }
  // Whole (after either of the above, on the same work DB).
  IdQueue q(4);
  std::thread reader([&] {
    fill(q, 12);
    q.finish();
  });
  const auto out = writeNewLinked(store, q, "2026-01-01 00:00:00", noPause);
  reader.join();
  REQUIRE(out.has_value());
  CHECK(out->written == 12000);
  CHECK(between_at == 5000);  // after the first commit
  CHECK(one(db, "SELECT count(*) FROM linked_contact WHERE lead_id = ''") == "12000");
  CHECK(one(db, "SELECT linked || ' ' || not_known FROM linked_sync") == "12000 12000");
  LinkedHolders held;  // then the holders the reader looked up
  held.of.emplace("c0000000", "lead-a");
  held.of.emplace("c0000001", "lead-b");
  held.asked = 5;
  CHECK(storeHolders(store, held, "2026-01-01 00:00:00", out->written) == 11998);
  CHECK(one(db, "SELECT count(*) || ' ' || count(DISTINCT contact_id) FROM linked_contact") == "12000 12000");
  CHECK(
      one(db,
          "SELECT group_concat(contact_id || '>' || lead_id, ' ') FROM linked_contact WHERE lead_id <> ''") ==
      "c0000000>lead-a c0000001>lead-b");
  CHECK(one(db, "SELECT count(*) FROM linked_contact WHERE contact_id = 'd\"q\\105'") == "1");
  CHECK(one(db, "SELECT since || ' ' || linked || ' ' || not_known FROM linked_sync") ==
        "2026-01-01 00:00:00 12000 11998");
  CHECK(linkedNew() == "0");
  // linked_contact keeps migration 001's shape: as in a work DB where it was never replaced.
  const auto shape = [](SQLite::Database& d) {
    return one(d,
               "SELECT group_concat(name || ':' || type || ':' || \"notnull\" || ':' || pk, ' ') FROM "
               "pragma_table_info('linked_contact')") +
           one(d, "SELECT group_concat(origin || \"unique\", ' ') FROM pragma_index_list('linked_contact')") +
           one(d, "SELECT sql LIKE '%WITHOUT ROWID' FROM sqlite_master WHERE name = 'linked_contact'");
  };
  WorkDb untouched(test::freshPath("untouched.db"));
  CHECK(shape(db) == shape(untouched.db()));
  CHECK(store.linkedHolder("c0000001") == std::optional<std::string>("lead-b"));  // statements still work
}
