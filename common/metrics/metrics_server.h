// MetricsServer serves a metrics::Registry over HTTP for Prometheus:
//   GET /metrics  the registry in the text exposition format 0.0.4
//                 (Content-Type: text/plain; version=0.0.4; charset=utf-8),
//                 gzip-compressed when the scraper accepts it;
//   GET /healthz  200 "ok" while the process runs.
// Anything else is 404. Plain HTTP, no authentication: bind it to an address
// only the scraper can reach.
//
// Owns one thread (the accept loop) and a pool of 64 connection threads
// (cpp-httplib). Each read or write on a connection waits at most 2 s and a
// connection serves at most 16 requests, so slow or idle clients cannot
// hold every slot and starve the health checks.
//
// Thread-safe: every method may be called from any thread.
//
//   metrics::Registry registry;
//   auto server = metrics::MetricsServer::Start("127.0.0.1:0", registry);
//   ... curl http://(*server)->address()/metrics ...
//   (*server)->Stop();
#ifndef COMMON_METRICS_METRICS_SERVER_H_
#define COMMON_METRICS_METRICS_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/metrics/metrics.h"

namespace newsfeed::metrics {

class MetricsServer {
 public:
  // Binds `listen_address` ("host:port", "[ipv6]:port" or ":port" for every
  // interface; port 0 picks a free port, see port()) and starts serving
  // `registry`, which is borrowed and must outlive the server. The socket
  // accepts connections as soon as this returns. INVALID_ARGUMENT for a
  // malformed address, UNAVAILABLE when it cannot be bound (e.g. in use).
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& listen_address, const Registry& registry);

  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;
  ~MetricsServer();  // Stops.

  // The port actually bound (useful with port 0).
  int port() const { return port_; }
  // host:port actually bound, e.g. "127.0.0.1:41234".
  const std::string& address() const { return address_; }

  // Closes the listening socket, finishes the requests in progress and
  // joins the threads. Idempotent.
  void Stop();

 private:
  struct Impl;
  MetricsServer(std::unique_ptr<Impl> impl, int port, std::string address);

  const std::unique_ptr<Impl> impl_;
  const int port_;
  const std::string address_;
  absl::Mutex stop_mu_;
  bool stopped_ ABSL_GUARDED_BY(stop_mu_) = false;
};

}  // namespace newsfeed::metrics

#endif  // COMMON_METRICS_METRICS_SERVER_H_
