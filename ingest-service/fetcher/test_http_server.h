// Test support: a cpp-httplib server on an ephemeral loopback port, for the
// fetcher's tests and benchmark. Not part of the fetcher library.
//
//   TestHttpServer server;
//   server.http().Get("/rss", [](const httplib::Request&, httplib::Response& r)
//   {
//     r.set_content("<rss/>", "application/rss+xml");
//   });
//   server.Start();
//   fetch(server.Url("/rss"));
#ifndef INGEST_SERVICE_FETCHER_TEST_HTTP_SERVER_H_
#define INGEST_SERVICE_FETCHER_TEST_HTTP_SERVER_H_

#include <httplib.h>
#include <sys/socket.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace newsfeed::ingest::testing {

// A loopback HTTP server. Register handlers on http() before Start().
class TestHttpServer {
 public:
  // `threads` bounds the connections served at once (httplib holds a thread
  // per connection while it is kept alive).
  // With `cert_file` and `key_file` (PEM) it serves HTTPS.
  explicit TestHttpServer(std::string host = "127.0.0.1", int threads = 32,
                          const std::string& cert_file = "",
                          const std::string& key_file = "")
      : host_(std::move(host)),
        tls_(!cert_file.empty()),
        owned_(tls_ ? std::make_unique<httplib::SSLServer>(cert_file.c_str(),
                                                           key_file.c_str())
                    : std::make_unique<httplib::Server>()),
        server_(*owned_) {
    server_.new_task_queue = [threads] {
      return new httplib::ThreadPool(static_cast<size_t>(threads));
    };
    server_.set_socket_options([this](socket_t fd) {
      httplib::default_socket_options(fd);
      listen_fd_ = fd;
    });
  }
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  ~TestHttpServer() {
    if (!thread_.joinable()) return;
    // stop() is a no-op until the accept loop runs; wait for it.
    while (!server_.is_running()) std::this_thread::yield();
    server_.stop();
    thread_.join();
  }

  httplib::Server& http() { return server_; }

  // Binds an ephemeral port; the socket accepts (into its backlog) as soon
  // as this returns, so no further wait is needed. Returns false on failure.
  bool Start() {
    port_ = server_.bind_to_any_port(host_);
    if (port_ <= 0) return false;
    // httplib listens with a backlog of 5; with many clients connecting at
    // once the accept queue overflows and connections stall. Linux lets a
    // second listen() raise it.
    if (listen_fd_ >= 0 && ::listen(listen_fd_, SOMAXCONN) != 0) return false;
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    return true;
  }

  int port() const { return port_; }

  // True when the server could load its certificate (always for HTTP).
  bool is_valid() const { return server_.is_valid(); }

  // "http(s)://<host>:<port><path>"; `host` defaults to the bound address.
  std::string Url(absl::string_view path, absl::string_view host = {}) const {
    return absl::StrCat(tls_ ? "https://" : "http://",
                        host.empty() ? host_ : host, ":", port_, path);
  }

 private:
  std::string host_;
  bool tls_;
  std::unique_ptr<httplib::Server> owned_;
  httplib::Server& server_;
  int port_ = -1;
  socket_t listen_fd_ = -1;
  std::thread thread_;
};

// A one-shot latch that server handlers can block on until a test opens it.
class Gate {
 public:
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

}  // namespace newsfeed::ingest::testing

#endif  // INGEST_SERVICE_FETCHER_TEST_HTTP_SERVER_H_
