#include "common/metrics/metrics_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/net/listen_address.h"

namespace newsfeed::metrics {
namespace {

constexpr char kContentType[] = "text/plain; version=0.0.4; charset=utf-8";
// Connections served at once (idle threads cost little).
constexpr size_t kConnectionSlots = 64;
// Longest wait for one read or write on a connection.
constexpr std::chrono::seconds kIoTimeout{2};

}  // namespace

struct MetricsServer::Impl {
  httplib::Server http;
  std::thread thread;
  // Set once listen_after_bind returned (normally only after stop()).
  std::atomic<bool> loop_ended{false};
};

MetricsServer::MetricsServer(std::unique_ptr<Impl> impl, int port,
                             std::string address)
    : impl_(std::move(impl)), port_(port), address_(std::move(address)) {}

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::string& listen_address, const Registry& registry) {
  absl::StatusOr<net::HostPort> host_port =
      net::ParseListenAddress(listen_address, "metrics listen address");
  if (!host_port.ok()) return host_port.status();

  auto impl = std::make_unique<Impl>();
  httplib::Server& http = impl->http;
  // A scraper or two, not a web site; but a few connections that send
  // their request a byte at a time must not starve the health checks: many
  // cheap idle slots, short timeouts, and few requests per connection.
  http.new_task_queue = [] {
    return new httplib::ThreadPool(kConnectionSlots);
  };
  http.set_read_timeout(kIoTimeout);
  http.set_write_timeout(kIoTimeout);
  http.set_keep_alive_timeout(2);
  http.set_keep_alive_max_count(16);
  http.set_payload_max_length(64 << 10);
  // httplib's default also sets SO_REUSEPORT, which would let a second
  // process bind the same port silently; keep only SO_REUSEADDR.
  http.set_socket_options([](socket_t fd) {
    int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  http.Get("/metrics",
           [&registry](const httplib::Request&, httplib::Response& response) {
             response.set_content(registry.Render(), kContentType);
           });
  http.Get("/healthz",
           [](const httplib::Request&, httplib::Response& response) {
             response.set_content("ok\n", "text/plain; charset=utf-8");
           });

  int port = host_port->port;
  if (port == 0) {
    port = http.bind_to_any_port(host_port->host);
  } else if (!http.bind_to_port(host_port->host, port)) {
    port = -1;
  }
  if (port <= 0) {
    return absl::UnavailableError(
        absl::StrCat("metrics: cannot listen on ", listen_address));
  }
  Impl* raw = impl.get();
  raw->thread = std::thread([raw] {
    raw->http.listen_after_bind();
    raw->loop_ended = true;
  });
  return std::unique_ptr<MetricsServer>(new MetricsServer(
      std::move(impl), port, net::JoinHostPort(host_port->host, port)));
}

MetricsServer::~MetricsServer() { Stop(); }

void MetricsServer::Stop() {
  absl::MutexLock lock(&stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  // httplib's stop() does nothing until the accept loop has started (it
  // checks is_running()), so wait for that first; it takes microseconds.
  while (!impl_->http.is_running() && !impl_->loop_ended) {
    std::this_thread::yield();
  }
  impl_->http.stop();
  impl_->thread.join();
}

}  // namespace newsfeed::metrics
