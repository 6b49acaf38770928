// Validation of --ghl-base-url: the GHL API root fetch sends tokens to. Only an https:// URL may
// leave the machine; plain http:// is accepted for a loopback host alone (the simulator in tests
// and demos), so a typo can never send a Bearer token in clear text over the network.
#pragma once
#include <string>
#include <string_view>

namespace ghlb {

// Returns URL without its trailing '/' when it is `http(s)://host[:port][/path]` with no
// userinfo, query or fragment, and http:// only for localhost, 127.0.0.0/8 or [::1].
// Throws usageError("--ghl-base-url ...: what is wrong and how to fix it") otherwise; the message
// never repeats a URL that carries userinfo (it may hold a password).
std::string validateBaseUrl(std::string_view url);

// True for "localhost", a dotted IPv4 address in 127.0.0.0/8, and "[::1]" (host as in a URL).
bool isLoopbackHost(std::string_view host);

}  // namespace ghlb
