// Client adapters for the remote services the CLI talks to: one small class
// per service, each returning absl::Status / absl::StatusOr. grpc:: types do
// not leave these classes except for the channel they share.
//
// Errors keep the gRPC code (converted by rpc::FromGrpcStatus) and get a
// message that says what failed:
//   UNAVAILABLE        "cannot reach query-service at 127.0.0.1:50051: ..."
//   DEADLINE_EXCEEDED  "query-service at ...: Search timed out after 10s: ..."
//   anything else      "Search: <the server's message>"
//
// Thread-safety: a client may be used from one thread at a time; Subscribe's
// stop token may be triggered from any thread.
//
//   absl::StatusOr<QueryClient> query = QueryClient::Create(options);
//   absl::StatusOr<v1::SearchResponse> page = query->Search(request);
#ifndef CLI_CLIENTS_H_
#define CLI_CLIENTS_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <stop_token>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "newsfeed/v1/feeds.grpc.pb.h"
#include "newsfeed/v1/query.grpc.pb.h"

namespace newsfeed::cli {

struct ConnectionOptions {
  // host:port of the service. Required.
  std::string address;
  // Deadline of each unary call, and of establishing a stream. Default 10 s.
  absl::Duration timeout = absl::Seconds(10);
  // PEM file of the root CA; non-empty: connect with TLS. Default: plaintext.
  std::string tls_ca_file;
  // --tls-cert/--tls-key: client certificate for mutual TLS.
  std::string tls_cert_file;
  std::string tls_key_file;
  // --tls-server-name: the name the server's certificate must carry, when
  // the address does not say it (an "ipv4:a,b" list). Empty: the host.
  std::string tls_server_name;
  // Non-empty: sent on every call as "authorization: Bearer <token>".
  std::string token;
  // Requesting a stop cancels the call in flight (it then fails with
  // CANCELLED "interrupted"). Default: never.
  std::stop_token stop;
};

// A channel to one service plus the per-call settings. Movable, not copyable.
class Connection {
 public:
  // `service_name` labels errors, e.g. "query-service". INVALID_ARGUMENT when
  // the address is empty or the CA file cannot be read.
  static absl::StatusOr<Connection> Open(std::string service_name,
                                         const ConnectionOptions& options);

  Connection(Connection&&) = default;
  Connection& operator=(Connection&&) = default;

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

  // Applies the token and, when `with_deadline`, the timeout to `context`.
  void Prepare(grpc::ClientContext* context, bool with_deadline) const;

  const std::stop_token& stop() const { return options_.stop; }

  // Converts the outcome of `rpc` to absl::Status with a message that says
  // what failed (see the file comment).
  absl::Status Convert(const grpc::Status& status, absl::string_view rpc) const;

 private:
  Connection(std::string service_name, ConnectionOptions options,
             std::shared_ptr<grpc::Channel> channel)
      : service_name_(std::move(service_name)),
        options_(std::move(options)),
        channel_(std::move(channel)) {}

  std::string service_name_;
  ConnectionOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
};

// newsfeed.v1.QueryService.
class QueryClient {
 public:
  // Called with each stream event in order, on the thread that called
  // Subscribe. Return true to keep reading, false to end the stream (Subscribe
  // then returns OK), or an error to end it with that error.
  using EventHandler =
      std::function<absl::StatusOr<bool>(const v1::SubscribeResponse&)>;

  static absl::StatusOr<QueryClient> Create(const ConnectionOptions& options);

  absl::StatusOr<v1::SearchResponse> Search(const v1::SearchRequest& request);
  // NOT_FOUND when no article has this id.
  absl::StatusOr<v1::Article> GetArticle(const std::string& id);
  absl::StatusOr<v1::FacetsResponse> Facets(const v1::FacetsRequest& request);

  // Runs the stream until the server ends it, `on_event` returns false or an
  // error, or the connection's stop token is requested (returns OK). Blocks
  // the calling thread.
  absl::Status Subscribe(const v1::SubscribeRequest& request,
                         const EventHandler& on_event);

 private:
  explicit QueryClient(Connection connection)
      : connection_(std::move(connection)),
        stub_(v1::QueryService::NewStub(connection_.channel())) {}

  Connection connection_;
  std::unique_ptr<v1::QueryService::Stub> stub_;
};

// newsfeed.v1.FeedAdmin (served by ingest-service).
class FeedAdminClient {
 public:
  static absl::StatusOr<FeedAdminClient> Create(
      const ConnectionOptions& options);

  absl::StatusOr<v1::ListFeedsResponse> ListFeeds();
  // ALREADY_EXISTS for a known URL, INVALID_ARGUMENT for a bad one.
  absl::StatusOr<v1::FeedStatus> AddFeed(const std::string& url);
  // NOT_FOUND for an unknown feed.
  absl::Status RemoveFeed(const std::string& id);
  // FeedAdmin.ImportFeeds of an OPML document.
  absl::StatusOr<v1::ImportFeedsResponse> ImportFeeds(std::string opml,
                                                      bool dry_run);
  // FeedAdmin.ExportFeeds: the feed list as OPML.
  absl::StatusOr<std::string> ExportFeeds();
  // Empty id polls every feed. Returns the number of feeds queued.
  absl::StatusOr<int> PollNow(const std::string& id);
  // FeedAdmin.ListDeadLetters: every dead letter, newest first (pages
  // followed).
  absl::StatusOr<v1::ListDeadLettersResponse> ListDeadLetters();
  // FeedAdmin.ReplayDeadLetters; returns how many went back to the outbox.
  absl::StatusOr<int> ReplayDeadLetters(const std::vector<int64_t>& ids);

 private:
  explicit FeedAdminClient(Connection connection)
      : connection_(std::move(connection)),
        stub_(v1::FeedAdmin::NewStub(connection_.channel())) {}

  Connection connection_;
  std::unique_ptr<v1::FeedAdmin::Stub> stub_;
};

// grpc.health.v1.Health, against any service.
class HealthClient {
 public:
  // `service_label` names the server in errors, e.g. "query-service".
  static absl::StatusOr<HealthClient> Create(const ConnectionOptions& options,
                                             std::string service_label);

  // The serving status of `service` ("" for the server as a whole). NOT_FOUND
  // when the server does not know that service.
  absl::StatusOr<grpc::health::v1::HealthCheckResponse::ServingStatus> Check(
      const std::string& service);

 private:
  explicit HealthClient(Connection connection)
      : connection_(std::move(connection)),
        stub_(grpc::health::v1::Health::NewStub(connection_.channel())) {}

  Connection connection_;
  std::unique_ptr<grpc::health::v1::Health::Stub> stub_;
};

}  // namespace newsfeed::cli

#endif  // CLI_CLIENTS_H_
