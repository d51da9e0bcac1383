// Test-only: a Server-Sent Events client for query-service's /v1/stream,
// on cpp-httplib, shared by the HTTP API tests and the end-to-end tests.
#ifndef COMMON_TESTING_SSE_CLIENT_H_
#define COMMON_TESTING_SSE_CLIENT_H_

#include <httplib.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace newsfeed::testing {

struct SseEvent {
  std::string id;
  std::string type;
  std::string data;
};

// A /v1/stream client on its own thread, collecting events as they come.
// Each wait is bounded by `patience`, reached only when the server under
// test is broken.
class SseClient {
 public:
  SseClient(const std::string& address, const std::string& target,
            httplib::Headers headers = {},
            absl::Duration patience = absl::Seconds(20))
      : client_(absl::StrCat("http://", address)), patience_(patience) {
    thread_ = std::thread([this, target, headers] {
      httplib::Result result = client_.Get(
          target, headers,
          [this](const httplib::Response& response) {
            absl::MutexLock lock(&mu_);
            status_ = response.status;
            return true;
          },
          [this](const char* data, size_t length) {
            absl::MutexLock lock(&mu_);
            if (status_ != 200) {  // a JSON error, not events
              body_.append(data, length);
              return true;
            }
            buffer_.append(data, length);
            ParseLocked();
            return true;
          });
      absl::MutexLock lock(&mu_);
      if (result) status_ = result->status;
      closed_ = true;
    });
  }
  ~SseClient() { Stop(); }

  // The first `n` events, once they arrived; fewer if the stream closed.
  std::vector<SseEvent> WaitForEvents(size_t n) {
    absl::MutexLock lock(&mu_);
    auto ready = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return events_.size() >= n || closed_;
    };
    mu_.AwaitWithTimeout(absl::Condition(&ready), patience_);
    return std::vector<SseEvent>(events_.begin(),
                                 events_.begin() + std::min(n, events_.size()));
  }
  // Article events only, waiting for `n` of them.
  std::vector<SseEvent> WaitForArticles(size_t n) {
    absl::MutexLock lock(&mu_);
    auto ready = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return ArticlesLocked().size() >= n || closed_;
    };
    mu_.AwaitWithTimeout(absl::Condition(&ready), patience_);
    return ArticlesLocked();
  }
  // Every event so far.
  std::vector<SseEvent> events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  // Every event, once the server closed the stream.
  std::vector<SseEvent> WaitForClose() {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&closed_), patience_);
    EXPECT_TRUE(closed_);
    return events_;
  }
  int status() {
    absl::MutexLock lock(&mu_);
    auto known = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return status_ != 0 || closed_;
    };
    mu_.AwaitWithTimeout(absl::Condition(&known), patience_);
    return status_;
  }
  std::string error_body() {
    WaitForClose();
    absl::MutexLock lock(&mu_);
    return body_;
  }
  void Stop() {
    client_.stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void ParseLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    size_t end;
    while ((end = buffer_.find("\n\n")) != std::string::npos) {
      const std::string block = buffer_.substr(0, end);
      buffer_.erase(0, end + 2);
      SseEvent event;
      for (absl::string_view line : absl::StrSplit(block, '\n')) {
        if (line.empty() || line[0] == ':') continue;
        const size_t colon = line.find(": ");
        if (colon == absl::string_view::npos) continue;
        const std::string value(line.substr(colon + 2));
        if (line.substr(0, colon) == "id") event.id = value;
        if (line.substr(0, colon) == "event") event.type = value;
        if (line.substr(0, colon) == "data") event.data += value;
      }
      if (!event.type.empty()) events_.push_back(event);
    }
  }
  std::vector<SseEvent> ArticlesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::vector<SseEvent> articles;
    for (const SseEvent& e : events_) {
      if (e.type == "article") articles.push_back(e);
    }
    return articles;
  }

  httplib::Client client_;
  const absl::Duration patience_;
  std::thread thread_;
  absl::Mutex mu_;
  std::string buffer_ ABSL_GUARDED_BY(mu_);
  std::vector<SseEvent> events_ ABSL_GUARDED_BY(mu_);
  int status_ ABSL_GUARDED_BY(mu_) = 0;
  std::string body_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace newsfeed::testing

#endif  // COMMON_TESTING_SSE_CLIENT_H_
