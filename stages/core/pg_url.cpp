#include "pg_url.h"

#include <libpq-fe.h>

#include <algorithm>
#include <set>

#include "error.h"

namespace ghlb {
namespace {

// Prisma's connection-string parameters this tool has no use for: each is dropped with a note.
// "schema" and "pgbouncer" are acted on as well (search_path; no named prepared statements).
constexpr const char* kPrismaDropped[] = {
    "pgbouncer", "connection_limit", "pool_timeout", "statement_cache_size", "sslaccept", "socket_timeout"};

// The keywords the linked libpq knows (host, sslmode, options, ...), asked from libpq itself.
const std::set<std::string>& libpqKeywords() {
  static const std::set<std::string> keywords = [] {
    std::set<std::string> out;
    if (PQconninfoOption* opts = PQconndefaults()) {
      for (const PQconninfoOption* o = opts; o->keyword; ++o) out.insert(o->keyword);
      PQconninfoFree(opts);
    }
    return out;
  }();
  return keywords;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes (and '+' as itself, as libpq does). False on a malformed escape.
bool percentDecode(const std::string& in, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = hexValue(in[i + 1]), lo = hexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

// A parameter name fit to print: short, plain characters; anything else is not echoed.
std::string printableName(const std::string& name) {
  const bool plain = !name.empty() && name.size() <= 40 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
  return plain ? "\"" + name + "\"" : "with an unprintable name";
}

// Schema names Prisma users write: letters, digits, '_', '$', '-'; 1-63 bytes.
bool plausibleSchema(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$' || c == '-';
  });
}

const char* const kWhere = " in --database-url / DATABASE_URL";

// A port list as libpq takes it: comma-separated, each empty (the default) or 1-65535.
bool validPortList(const std::string& ports) {
  size_t start = 0;
  while (true) {
    const size_t end = std::min(ports.find(',', start), ports.size());
    const std::string p = ports.substr(start, end - start);
    if (!p.empty()) {
      if (p.size() > 5 || !std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return false;
      const int n = std::stoi(p);
      if (n < 1 || n > 65535) return false;
    }
    if (end == ports.size()) return true;
    start = end + 1;
  }
}

}  // namespace

std::string quoteIdent(const std::string& name) {
  std::string out = "\"";
  for (const char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// A usage error when libpq cannot parse CONNINFO at all (a broken URL or key=value string): the
// fault is the operator's input, not the server. libpq's message may echo the URL and its
// password, so it is never repeated.
void checkSyntax(const std::string& conninfo) {
  if (conninfo.empty()) return;  // libpq's defaults
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (err) PQfreemem(err);
  if (opts) {
    // libpq parses any port text and fails only when connecting ("invalid integer value"): a
    // port is the operator's input too. Several hosts may carry a list of ports, "a,b".
    bool ports_ok = true;
    for (const PQconninfoOption* o = opts; o->keyword; ++o)
      if (std::string(o->keyword) == "port" && o->val) ports_ok = validPortList(o->val);
    PQconninfoFree(opts);
    if (!ports_ok)
      throw usageError(
          std::string("the port") + kWhere +
          " is not a port number: write 1-65535 after the host (postgresql://USER@HOST:5432/DBNAME)");
    return;
  }
  throw usageError(std::string("the database URL") + kWhere +
                   " cannot be parsed: write postgresql://USER@HOST:PORT/DBNAME (percent-encode special "
                   "characters in the password) or a 'host=... dbname=...' string");
}

// The query string rewritten: Prisma-only parameters out, unknown ones refused.
PgUrl rewriteQuery(const std::string& url) {
  PgUrl out;
  out.conninfo = url;
  const bool is_url = url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
  const auto q = url.find('?');
  if (!is_url || q == std::string::npos) return out;

  std::vector<std::string> kept;
  size_t start = q + 1;
  while (start <= url.size()) {
    size_t end = url.find('&', start);
    if (end == std::string::npos) end = url.size();
    const std::string raw = url.substr(start, end - start);
    start = end + 1;
    if (raw.empty()) continue;
    const auto eq = raw.find('=');
    std::string key, value;
    if (!percentDecode(raw.substr(0, eq), key))
      throw usageError(std::string("malformed percent escape in a parameter name") + kWhere +
                       ": write %XX with two hex digits");
    if (eq != std::string::npos && !percentDecode(raw.substr(eq + 1), value))
      throw usageError("malformed percent escape in the value of parameter " + printableName(key) + kWhere +
                       ": write %XX with two hex digits");
    if (key == "schema") {
      if (!plausibleSchema(value))
        throw usageError(std::string("parameter \"schema\"") + kWhere +
                         " is not a schema name: use 1-63 letters, digits, '_', '$' or '-'");
      out.schema = value;
      continue;
    }
    if (std::find_if(std::begin(kPrismaDropped), std::end(kPrismaDropped),
                     [&](const char* p) { return key == p; }) != std::end(kPrismaDropped)) {
      if (key == "pgbouncer") {
        if (value != "true" && value != "false")
          throw usageError(std::string("parameter \"pgbouncer\"") + kWhere + " must be true or false");
        out.pooler = value == "true";
      }
      out.notes.push_back(key);
      continue;
    }
    if (!libpqKeywords().count(key))
      throw usageError("unknown parameter " + printableName(key) + kWhere +
                       ": it is neither a libpq nor a Prisma connection parameter; remove it");
    kept.push_back(raw);
  }
  out.conninfo = url.substr(0, q);
  for (size_t i = 0; i < kept.size(); ++i) out.conninfo += (i ? "&" : "?") + kept[i];
  return out;
}

PgUrl rewritePgUrl(const std::string& url) {
  PgUrl out = rewriteQuery(url);
  checkSyntax(out.conninfo);
  return out;
}

}  // namespace ghlb
