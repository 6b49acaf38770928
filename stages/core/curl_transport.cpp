#include "curl_transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <deque>
#include <string_view>

#include "error.h"

namespace ghlb {
namespace {

constexpr long kMaxConnectMs = 10000;

struct EasyDeleter {
  void operator()(CURL* e) const { curl_easy_cleanup(e); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
struct MultiDeleter {
  void operator()(CURLM* m) const { curl_multi_cleanup(m); }
};
using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;
using MultiPtr = std::unique_ptr<CURLM, MultiDeleter>;

// One pooled transfer: the easy handle (reused, so its connection is kept alive) and what
// the current request needs to stay alive while curl uses it.
struct Slot {
  EasyPtr easy;
  SlistPtr headers;
  HttpRequest request;
  HttpResponse response;
  std::size_t max_body = 0;
  bool too_large = false;  // the body passed max_body: the transfer was stopped
  bool busy = false;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

size_t onBody(char* data, size_t size, size_t n, void* user) {
  auto* slot = static_cast<Slot*>(user);
  auto& body = slot->response.body;
  if (body.size() + size * n > slot->max_body) {
    slot->too_large = true;
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  body.append(data, size * n);
  return size * n;
}

size_t onHeader(char* data, size_t size, size_t n, void* user) {
  auto& headers = static_cast<Slot*>(user)->response.headers;
  const std::string_view line(data, size * n);
  if (line.substr(0, 5) == "HTTP/") {
    headers.clear();  // a new response begins (after 100 Continue or an interim reply)
  } else if (const size_t colon = line.find(':'); colon != std::string_view::npos) {
    std::string name(trim(line.substr(0, colon)));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    headers[name] = std::string(trim(line.substr(colon + 1)));
  }
  return size * n;
}

const char* errorClass(CURLcode rc) {
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      return "timeout";
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return "dns";
    case CURLE_COULDNT_CONNECT:
      return "refused";
    case CURLE_FILESIZE_EXCEEDED:
      return "too_large";
    // The certificate was checked and refused (or the CA store cannot be read): a fatal
    // configuration problem, told as such.
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return "tls";
    // The handshake failed before any certificate was seen (no TLS server at that port, a
    // protocol or cipher mismatch, a middlebox): not a certificate problem.
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CIPHER:
      return "tls_handshake";
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
      return "reset";
    default:
      return "other";
  }
}

void initCurlOnce() {
  static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (rc != CURLE_OK) throw FatalError("cannot initialise libcurl: check the installation");
}

}  // namespace

struct CurlTransport::Impl {
  MultiPtr multi;
  std::vector<std::unique_ptr<Slot>> pool;  // grows up to max_parallel, then reused
  std::deque<HttpRequest> queue;            // submitted, not started
  std::size_t max_parallel = 1;
  std::size_t active = 0;
  std::size_t max_body = 0;
  std::string user_agent;

  ~Impl() {
    // Handles must leave the multi handle before either is cleaned up.
    for (const auto& slot : pool)
      if (slot->busy) curl_multi_remove_handle(multi.get(), slot->easy.get());
    pool.clear();
    multi.reset();
  }

  Slot& freeSlot() {
    for (const auto& slot : pool)
      if (!slot->busy) return *slot;
    auto slot = std::make_unique<Slot>();
    slot->easy.reset(curl_easy_init());
    if (!slot->easy) throw FatalError("cannot create a libcurl handle: out of memory?");
    pool.push_back(std::move(slot));
    return *pool.back();
  }

  void start(Slot& slot, HttpRequest request) {
    slot.request = std::move(request);
    slot.response = HttpResponse{};
    slot.max_body = max_body;
    slot.too_large = false;
    slot.headers.reset();
    for (const auto& h : slot.request.headers)
      slot.headers.reset(curl_slist_append(slot.headers.release(), h.c_str()));
    slot.headers.reset(curl_slist_append(slot.headers.release(), "Expect:"));
    CURL* e = slot.easy.get();
    curl_easy_reset(e);  // keeps the live connection, DNS and TLS session caches
    curl_easy_setopt(e, CURLOPT_URL, slot.request.url.c_str());
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(slot.request.timeout_ms));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, std::min<long>(kMaxConnectMs, slot.request.timeout_ms));
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, slot.headers.get());
    curl_easy_setopt(e, CURLOPT_USERAGENT, user_agent.c_str());
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(max_body));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, onBody);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &slot);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, onHeader);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &slot);
    curl_easy_setopt(e, CURLOPT_PRIVATE, &slot);
    if (slot.request.method == "POST") {
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(slot.request.body.size()));
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, slot.request.body.c_str());
    } else {
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    }
    slot.busy = true;
    ++active;
    curl_multi_add_handle(multi.get(), e);
  }

  void startQueued() {
    while (active < max_parallel && !queue.empty()) {
      HttpRequest r = std::move(queue.front());
      queue.pop_front();
      start(freeSlot(), std::move(r));
    }
  }

  HttpResponse finish(CURL* easy, CURLcode rc) {
    Slot* slot = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &slot);
    curl_multi_remove_handle(multi.get(), easy);
    HttpResponse r = std::move(slot->response);
    r.tag = slot->request.tag;
    if (rc == CURLE_OK) {
      long code = 0;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
      r.status = static_cast<int>(code);
    } else {
      r = HttpResponse{r.tag, 0, {}, {}, slot->too_large ? "too_large" : errorClass(rc)};
    }
    slot->busy = false;
    slot->request = HttpRequest{};  // drops the token-bearing headers now
    slot->headers.reset();
    --active;
    return r;
  }

  std::vector<HttpResponse> drainFinished() {
    std::vector<HttpResponse> done;
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi.get(), &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      CURL* easy = m->easy_handle;
      const CURLcode rc = m->data.result;  // read before the handle leaves the multi
      done.push_back(finish(easy, rc));
    }
    return done;
  }
};

CurlTransport::CurlTransport(int max_parallel, std::string user_agent, std::size_t max_body_bytes)
    : impl_(std::make_unique<Impl>()) {
  initCurlOnce();
  impl_->multi.reset(curl_multi_init());
  if (!impl_->multi) throw FatalError("cannot create a libcurl multi handle: out of memory?");
  impl_->max_parallel = static_cast<std::size_t>(std::max(1, max_parallel));
  impl_->user_agent = std::move(user_agent);
  impl_->max_body = max_body_bytes;
}

CurlTransport::~CurlTransport() = default;

void CurlTransport::submit(HttpRequest request) { impl_->queue.push_back(std::move(request)); }

std::size_t CurlTransport::inFlight() const { return impl_->active + impl_->queue.size(); }

std::vector<HttpResponse> CurlTransport::poll(Millis max_wait) {
  Impl& m = *impl_;
  m.startQueued();
  int running = 0;
  curl_multi_perform(m.multi.get(), &running);
  auto done = m.drainFinished();
  if (done.empty()) {
    // curl_multi_poll waits the whole timeout even with no transfer: callers may sleep with it.
    curl_multi_poll(m.multi.get(), nullptr, 0, static_cast<int>(std::max<long long>(0, max_wait.count())),
                    nullptr);
    curl_multi_perform(m.multi.get(), &running);
    done = m.drainFinished();
  }
  m.startQueued();  // refill freed slots so they run while the caller works
  return done;
}

}  // namespace ghlb
