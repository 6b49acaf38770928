// Fakes for fetch's seams (ninja's VirtualFileSystem idea): a clock the test advances by hand, and
// a Transport that records every request with the simulated time it was sent and answers from a
// script the test gives (status, headers, body or network error, latency). Polling the fake
// moves the fake clock forward, so a whole rate-limited run takes no real time.
// Everything lives in ghlb::fetch_test so it never clashes with other test helpers.
#pragma once
#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "clock.h"
#include "transport.h"

namespace ghlb::fetch_test {

class FakeClock : public Clock {
 public:
  SteadyTime now() const override { return now_; }
  // Wall time moves with now(); a test may also jump it (a new UTC day) with shiftWall.
  std::chrono::system_clock::time_point wallNow() const override {
    return wall_start_ + std::chrono::duration_cast<std::chrono::system_clock::duration>(now_ - start_);
  }
  void advance(Millis d) { now_ += d; }
  void shiftWall(std::chrono::system_clock::duration d) { wall_start_ += d; }

 private:
  SteadyTime start_ = SteadyTime{} + std::chrono::hours(1);
  SteadyTime now_ = start_;
  // 2026-11-28T10:00:00Z: fixed, so a test knows which UTC day it is in.
  std::chrono::system_clock::time_point wall_start_ =
      std::chrono::system_clock::time_point{} + std::chrono::seconds(1795860000);
};

struct FakeReply {
  int status = 200;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string error;                           // with status 0: "timeout", "connect", ...
  Millis latency{20};
};

struct SentRequest {
  HttpRequest request;
  SteadyTime at;                            // when submitted
  SteadyTime answered = SteadyTime::max();  // when poll() returned its response
};

class FakeTransport : public Transport {
 public:
  explicit FakeTransport(FakeClock& clock) : clock_(clock) {}

  // Requests whose URL contains URL_PART and whose body contains BODY_PART get REPLIES in turn;
  // the last reply repeats. The first matching rule (in the order given) answers.
  void on(std::string url_part, std::string body_part, std::vector<FakeReply> replies) {
    rules_.push_back({std::move(url_part), std::move(body_part), std::move(replies), 0});
  }

  void submit(HttpRequest r) override {
    sent.push_back({r, clock_.now()});
    const std::size_t index = sent.size() - 1;
    if (on_submit) on_submit(r);
    const FakeReply reply = answer(r);
    HttpResponse resp{r.tag, reply.status, reply.body, reply.headers, reply.error};
    pending_.push_back({clock_.now() + reply.latency, index, std::move(resp)});
    max_in_flight = std::max(max_in_flight, pending_.size());
  }

  // Returns the responses due within MAX_WAIT, moving the clock to the first of them; with none
  // due, moves the clock by MAX_WAIT (the engine's sleep).
  std::vector<HttpResponse> poll(Millis max_wait) override {
    const SteadyTime limit = clock_.now() + max_wait;
    SteadyTime first = limit;
    for (const auto& p : pending_) first = std::min(first, p.due);
    if (first > clock_.now()) clock_.advance(std::chrono::duration_cast<Millis>(first - clock_.now()));
    std::vector<HttpResponse> out;
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->due <= clock_.now()) {
        sent[it->sent_index].answered = clock_.now();
        out.push_back(std::move(it->response));
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
    return out;
  }

  std::size_t inFlight() const override { return pending_.size(); }

  // Requests sent whose URL contains URL_PART and body contains BODY_PART.
  std::size_t count(std::string_view url_part, std::string_view body_part = "") const {
    return static_cast<std::size_t>(std::count_if(sent.begin(), sent.end(), [&](const SentRequest& s) {
      return s.request.url.find(url_part) != std::string::npos &&
             s.request.body.find(body_part) != std::string::npos;
    }));
  }

  std::vector<SentRequest> sent;
  std::size_t max_in_flight = 0;
  int unmatched = 0;  // requests no rule answered (they get a 418)
  std::function<void(const HttpRequest&)> on_submit;

 private:
  struct Rule {
    std::string url_part, body_part;
    std::vector<FakeReply> replies;
    std::size_t next;
  };
  struct Pending {
    SteadyTime due;
    std::size_t sent_index;
    HttpResponse response;
  };

  FakeReply answer(const HttpRequest& r) {
    for (auto& rule : rules_) {
      if (r.url.find(rule.url_part) == std::string::npos ||
          r.body.find(rule.body_part) == std::string::npos || rule.replies.empty())
        continue;
      const std::size_t i = std::min(rule.next++, rule.replies.size() - 1);
      return rule.replies[i];
    }
    ++unmatched;
    return FakeReply{418, "{}", {}, "", Millis(1)};
  }

  FakeClock& clock_;
  std::vector<Rule> rules_;
  std::vector<Pending> pending_;
};

}  // namespace ghlb::fetch_test
