#include "extract_linked.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "stop_signal.h"

namespace ghlb {

void sortContactIds(std::string_view buf, std::vector<IdSpan>& at) {
  const auto view = [&](const IdSpan& a) { return buf.substr(a.first, a.second); };
  if (std::is_sorted(at.begin(), at.end(),
                     [&](const IdSpan& a, const IdSpan& b) { return view(a) < view(b); }))
    return;  // the index's collation order was byte order
  struct Key {
    std::uint64_t prefix;
    IdSpan at;
  };
  std::vector<Key> keys;
  keys.reserve(at.size());
  for (const auto& a : at) {
    std::uint64_t prefix = 0;
    const auto id = view(a);
    for (std::size_t i = 0; i < 8; ++i)
      prefix = (prefix << 8) | (i < id.size() ? static_cast<unsigned char>(id[i]) : 0U);
    keys.push_back({prefix, a});
  }
  std::sort(keys.begin(), keys.end(), [&](const Key& a, const Key& b) {
    return a.prefix != b.prefix ? a.prefix < b.prefix : view(a.at) < view(b.at);
  });
  for (std::size_t i = 0; i < keys.size(); ++i) at[i] = keys[i].at;
}

std::string_view decodeCopyText(std::string_view line, std::string& scratch) {
  if (line.find('\\') == std::string_view::npos) return line;
  scratch.clear();
  const auto digit = [](char ch, int base) {
    if (ch >= '0' && ch <= '9' && ch - '0' < base) return ch - '0';
    if (base == 16 && ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (base == 16 && ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] != '\\' || i + 1 == line.size()) {
      scratch += line[i];
      continue;
    }
    const char ch = line[++i];
    const int base = ch == 'x' ? 16 : digit(ch, 8) >= 0 ? 8 : 0;
    if (base != 0) {  // up to 3 octal digits, or x and up to 2 hex digits
      std::size_t k = base == 16 ? i + 1 : i;
      const std::size_t most = base == 16 ? 2 : 3;
      int v = 0;
      std::size_t n = 0;
      for (; n < most && k < line.size() && digit(line[k], base) >= 0; ++n, ++k)
        v = v * base + digit(line[k], base);
      if (n > 0) {
        scratch += static_cast<char>(v & 0xff);
        i = k - 1;
        continue;
      }
    }
    switch (ch) {
      case 'b':
        scratch += '\b';
        break;
      case 'f':
        scratch += '\f';
        break;
      case 'n':
        scratch += '\n';
        break;
      case 'r':
        scratch += '\r';
        break;
      case 't':
        scratch += '\t';
        break;
      case 'v':
        scratch += '\v';
        break;
      default:
        scratch += ch;  // \\ and any other character stand for themselves
    }
  }
  return scratch;
}

namespace {
using Steady = std::chrono::steady_clock;
std::int64_t ms(Steady::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}
}  // namespace

std::optional<NewLinked> writeNewLinked(SnapshotStore& store, IdQueue& queue, const std::string& since,
                                        const std::function<void(std::int64_t)>& between) {
  NewLinked out;
  Steady::duration waited{};
  std::optional<SQLite::Transaction> wtx;
  int in_tx = 0;  // batches in WTX
  const auto stopped = [&] {
    if (!stopRequested()) return false;
    queue.cancel();
    wtx.reset();  // rolled back, then the committed part goes
    store.dropNewLinked();
    return true;
  };
  store.beginNewLinked();
  try {
    for (;;) {
      const auto began = Steady::now();
      auto batch = queue.pop();
      waited += Steady::now() - began;
      if (!batch) break;
      if (!wtx) wtx.emplace(store.db());
      for (const auto& a : batch->at) store.addNewLinked(batch->view(a));
      store.flushNewLinked();
      out.written += static_cast<std::int64_t>(batch->at.size());
      if (++in_tx == kNewLinkedBatchesPerCommit) {
        wtx->commit();
        wtx.reset();
        in_tx = 0;
        if (stopped()) return std::nullopt;
        between(out.written);
      }
      if (stopped()) return std::nullopt;
    }
    if (!wtx) wtx.emplace(store.db());
    out.wait_ms = ms(waited);
    store.swapNewLinked({since, out.written, out.written});
    wtx->commit();
  } catch (...) {  // what was committed goes too
    queue.cancel();
    wtx.reset();
    try {
      store.dropNewLinked();
    } catch (const std::exception&) {  // the next new work DB's write drops it first
    }
    throw;
  }
  return out;
}

std::int64_t storeHolders(SnapshotStore& store, const LinkedHolders& held, const std::string& since,
                          std::int64_t written) {
  SQLite::Transaction wtx(store.db());
  for (const auto& [contact, lead] : held.of) store.setLinked(contact, lead);
  const std::int64_t not_known = written - static_cast<std::int64_t>(held.of.size());
  store.setLinkedSync({since, written, not_known});
  wtx.commit();
  return not_known;
}

void linkedTestPause(const std::function<void()>& announce) {
  const char* env = std::getenv("GHLB_TEST_LINKED_PAUSE_MS");
  if (!env || !*env) return;
  announce();
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::atoi(env));
  while (!stopRequested() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

}  // namespace ghlb
