// QueryServer is a running query-service: the store, the writer thread, the
// subscription hub and the gRPC server, wired together from a QueryConfig.
// main() and in-process tests both start it this way.
//
// Thread-safe: Shutdown may be called from any thread.
//
//   auto server = QueryServer::Start(config, RealClock::Instance());
//   ... (*server)->address() ...
//   (*server)->Shutdown();
#ifndef QUERY_SERVICE_SERVER_QUERY_SERVER_H_
#define QUERY_SERVICE_SERVER_QUERY_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/clock/clock.h"
#include "common/metrics/metrics.h"
#include "common/metrics/metrics_server.h"
#include "common/server/grpc_server.h"
#include "query-service/config/query_config.h"
#include "query-service/follower/commit_follower.h"
#include "query-service/http/http_api.h"
#include "query-service/hub/subscription_hub.h"
#include "query-service/service/query_service.h"
#include "query-service/store/article_store.h"
#include "query-service/writer/store_writer.h"

namespace newsfeed::query {

class QueryServer {
 public:
  // Opens the store and starts serving. Errors: the store's (e.g. INTERNAL
  // for an unreadable data directory), UNAVAILABLE when the address cannot
  // be bound. `clock` is borrowed and must outlive the server.
  static absl::StatusOr<std::unique_ptr<QueryServer>> Start(QueryConfig config,
                                                            Clock& clock);
  QueryServer(const QueryServer&) = delete;
  QueryServer& operator=(const QueryServer&) = delete;
  ~QueryServer();

  // host:port actually bound.
  const std::string& address() const { return server_->address(); }
  // host:port of the /metrics endpoint; empty when metrics_listen is.
  std::string metrics_address() const {
    return metrics_server_ ? metrics_server_->address() : "";
  }
  // host:port of the HTTP/JSON API; empty when http.listen is.
  std::string http_address() const {
    return http_api_ ? http_api_->address() : "";
  }
  ArticleStore& store() { return *store_; }
  SubscriptionHub& hub() { return *hub_; }

  // Reports NOT_SERVING, ends every subscription with UNAVAILABLE and its
  // resume position, stops accepting RPCs (cancelling those still running
  // after the configured grace), and lets the writer commit what it queued.
  // Idempotent.
  void Shutdown();

 private:
  QueryServer() = default;

  QueryConfig config_;
  // Declared first: every component below records into the registry.
  std::unique_ptr<metrics::Registry> metrics_;
  std::unique_ptr<metrics::MetricsServer> metrics_server_;
  std::unique_ptr<ArticleStore> store_;
  std::unique_ptr<SubscriptionHub> hub_;
  // PostgreSQL only: the hub learns of commits from the store itself, since
  // another replica may have made them; the writer tells no one.
  std::unique_ptr<ChangeListener> writer_listener_;
  std::unique_ptr<CommitFollower> follower_;
  std::unique_ptr<StoreWriter> writer_;
  std::unique_ptr<QueryServiceImpl> query_service_;
  std::unique_ptr<ArticleIngestImpl> ingest_service_;
  std::unique_ptr<rpc::GrpcServer> server_;
  std::unique_ptr<HttpApi> http_api_;
  bool shut_down_ = false;
};

}  // namespace newsfeed::query

#endif  // QUERY_SERVICE_SERVER_QUERY_SERVER_H_
