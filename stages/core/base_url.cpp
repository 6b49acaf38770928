#include "base_url.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "error.h"

namespace ghlb {
namespace {

const char* const kFlag = "--ghl-base-url";

[[noreturn]] void fail(std::string_view url, const std::string& what) {
  // A URL with userinfo may carry a password: never repeat it.
  const bool safe = url.find('@') == std::string_view::npos;
  throw usageError(std::string(kFlag) + (safe ? " " + std::string(url) : std::string()) + ": " + what);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool isHostChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.'; }

bool isIpv6Char(char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.'; }

bool isDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

void checkHost(std::string_view url, std::string_view host) {
  if (host.empty()) fail(url, "the host is missing: expected http(s)://host[:port][/path]");
  if (host.front() == '[') {
    if (host.size() < 4 || host.back() != ']' || !std::all_of(host.begin() + 1, host.end() - 1, isIpv6Char))
      fail(url, "malformed IPv6 host: write it as [address], e.g. http://[::1]:8080");
    return;
  }
  if (!std::all_of(host.begin(), host.end(), isHostChar) || host.front() == '.' || host.front() == '-')
    fail(url, "the host may hold only letters, digits, '-' and '.': check for typos");
}

// Checks "host[:port]" and returns the host (brackets kept for IPv6).
std::string checkAuthority(std::string_view url, std::string_view auth) {
  if (auth.find('@') != std::string_view::npos)
    fail(url, "a user name or password in the URL is not allowed: pass only scheme, host, port and path");
  const size_t host_end = !auth.empty() && auth.front() == '[' ? std::min(auth.find(']'), auth.size() - 1) + 1
                                                               : std::min(auth.find(':'), auth.size());
  const auto host = auth.substr(0, host_end);
  const auto rest = auth.substr(host_end);
  checkHost(url, host);
  if (!rest.empty()) {
    const auto port = rest.substr(1);
    if (rest.front() != ':' || !isDigits(port) || port.size() > 5 || std::stoi(std::string(port)) < 1 ||
        std::stoi(std::string(port)) > 65535)
      fail(url, "the port must be a number from 1 to 65535, e.g. https://host:8443");
  }
  return std::string(host);
}

bool isOctet(std::string_view s) { return isDigits(s) && s.size() <= 3 && std::stoi(std::string(s)) <= 255; }

}  // namespace

bool isLoopbackHost(std::string_view host) {
  const std::string h = lower(host);
  if (h == "localhost" || h == "[::1]") return true;
  if (h.rfind("127.", 0) != 0) return false;
  std::string_view rest(h);
  for (int part = 0; part < 4; ++part) {
    const size_t dot = rest.find('.');
    if ((part < 3) != (dot != std::string_view::npos)) return false;
    if (!isOctet(rest.substr(0, dot))) return false;
    rest = part < 3 ? rest.substr(dot + 1) : std::string_view();
  }
  return true;
}

std::string validateBaseUrl(std::string_view url) {
  if (url.empty()) fail(url, "is empty: pass the GHL API root, e.g. https://services.leadconnectorhq.com");
  for (const char c : url)
    if (static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) >= 0x7f)
      fail(url, "contains a space, control or non-ASCII character: pass the plain URL");
  if (url.find_first_of("?#") != std::string_view::npos)
    fail(url, "a query (?) or fragment (#) is not allowed: pass only scheme, host, port and path");
  const size_t sep = url.find("://");
  const std::string scheme = sep == std::string_view::npos ? "" : lower(url.substr(0, sep));
  if (scheme != "http" && scheme != "https")
    fail(url,
         "must start with https:// (or http:// for a loopback host), e.g. "
         "https://services.leadconnectorhq.com");
  const auto after = url.substr(sep + 3);
  const size_t slash = after.find('/');
  const std::string host = checkAuthority(url, after.substr(0, slash));
  if (scheme == "http" && !isLoopbackHost(host))
    fail(url,
         "plain http:// would send the token unencrypted: use https://, or http:// only for "
         "localhost, 127.0.0.0/8 or [::1]");
  std::string out = scheme + "://" + std::string(after);
  while (out.size() > scheme.size() + 3 && out.back() == '/') out.pop_back();
  return out;
}

}  // namespace ghlb
