// A started gRPC server with the standard extras every newsfeed service
// answers: grpc.health.v1 (per service and overall "") and server reflection.
//
// Thread-safe: SetServing and Shutdown may be called from any thread.
//
//   ServerOptions options;
//   options.listen_address = "127.0.0.1:0";
//   options.services = {&query_service};
//   absl::StatusOr<std::unique_ptr<GrpcServer>> server =
//   GrpcServer::Start(options);
//   ... (*server)->port() ...
//   (*server)->Shutdown(absl::Seconds(5));
#ifndef COMMON_SERVER_GRPC_SERVER_H_
#define COMMON_SERVER_GRPC_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace newsfeed::rpc {

struct ServerOptions {
  // host:port to listen on; port 0 picks a free port (see GrpcServer::port).
  std::string listen_address = "127.0.0.1:0";
  // Services to register; borrowed, must outlive the server.
  std::vector<grpc::Service*> services;
  // Their full names (e.g. "newsfeed.v1.QueryService"), reported by the
  // health service next to the overall "" entry.
  std::vector<std::string> service_names;
  // Largest request message accepted, in bytes. Default 16 MiB.
  int max_receive_message_bytes = 16 << 20;
  // Concurrent calls (HTTP/2 streams) one client connection may hold open;
  // more wait for one to end. Default 100.
  int max_concurrent_streams = 100;
  // Interval of server keepalive pings on idle connections. Default 30 s.
  absl::Duration keepalive_time = absl::Seconds(30);
  // TLS: when both are set the port serves TLS with these PEM files.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Mutual TLS: when set (with the two above), every client must present a
  // certificate signed by this PEM CA.
  std::string tls_client_ca_file;
};

class GrpcServer {
 public:
  // Builds, registers health and reflection, and starts listening. Returns
  // UNAVAILABLE when the address cannot be bound, INVALID_ARGUMENT naming
  // the option for an unreadable TLS file. Health starts as SERVING.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(
      const ServerOptions& options);

  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;
  ~GrpcServer();  // Shuts down with a zero grace period if still running.

  // The port actually bound (useful with port 0).
  int port() const { return port_; }
  // host:port actually bound, e.g. "127.0.0.1:41234".
  const std::string& address() const { return address_; }

  // Sets the health status reported for every service and for "".
  void SetServing(bool serving);

  // Reports NOT_SERVING, stops accepting RPCs and cancels those still running
  // after `grace`. Idempotent.
  void Shutdown(absl::Duration grace);

 private:
  GrpcServer(std::unique_ptr<grpc::Server> server, int port,
             std::string address)
      : server_(std::move(server)), port_(port), address_(std::move(address)) {}

  std::unique_ptr<grpc::Server> server_;
  int port_;
  std::string address_;
  bool shut_down_ = false;
};

// Blocks SIGTERM and SIGINT in the calling thread and in every thread it
// starts afterwards. Call first thing in main().
void BlockTerminationSignals();

// Waits until SIGTERM or SIGINT arrives; returns its number.
int WaitForTerminationSignal();

}  // namespace newsfeed::rpc

#endif  // COMMON_SERVER_GRPC_SERVER_H_
