#include "query-service/server/query_server.h"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "query-service/store/pg_store.h"
#include "query-service/store/sqlite_store.h"

namespace newsfeed::query {
namespace {

// The StoreWriter's listener when a CommitFollower feeds the hub instead.
class IgnoreCommits final : public ChangeListener {
 public:
  void OnStored(uint64_t, std::vector<newsfeed::v1::Article>) override {}
};

}  // namespace

absl::StatusOr<std::unique_ptr<QueryServer>> QueryServer::Start(
    QueryConfig config, Clock& clock) {
  auto server = std::unique_ptr<QueryServer>(new QueryServer());
  server->config_ = std::move(config);
  QueryConfig& c = server->config_;

  const bool postgres = c.store_engine == "postgres";
  std::error_code error;
  if (!postgres) std::filesystem::create_directories(c.store.data_dir, error);
  if (error) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data_dir: cannot create ", c.store.data_dir, ": ", error.message()));
  }
  if (!c.metrics_listen.empty()) {
    server->metrics_ = std::make_unique<metrics::Registry>();
    auto metrics_server =
        metrics::MetricsServer::Start(c.metrics_listen, *server->metrics_);
    if (!metrics_server.ok()) return metrics_server.status();
    server->metrics_server_ = std::move(*metrics_server);
    c.hub.metrics = c.writer.metrics = server->metrics_.get();
  }
  PgStore* pg_store = nullptr;
  if (postgres) {
    auto store = PgStore::Open(c.store);
    if (!store.ok()) return store.status();
    pg_store = store->get();
    server->store_ = std::move(*store);
  } else {
    auto store = SqliteStore::Open(c.store);
    if (!store.ok()) return store.status();
    server->store_ = std::move(*store);
  }
  // Read before the hub exists, so the follower starts where the hub does
  // or earlier (the hub ignores what it already has).
  c.hub.refuse_positions_past_latest = !postgres;
  absl::StatusOr<uint64_t> follow_from = server->store_->LatestSequence();
  if (!follow_from.ok()) return follow_from.status();
  auto hub = SubscriptionHub::Create(*server->store_, clock, c.hub);
  if (!hub.ok()) return hub.status();
  server->hub_ = std::move(*hub);
  ChangeListener* writer_listener = server->hub_.get();
  if (pg_store != nullptr) {
    server->writer_listener_ = std::make_unique<IgnoreCommits>();
    writer_listener = server->writer_listener_.get();
    server->follower_ = std::make_unique<CommitFollower>(
        *server->store_, *server->hub_, *follow_from,
        [pg_store](uint64_t known, absl::Duration timeout) {
          return pg_store->AwaitCommit(known, timeout);
        },
        CommitFollowerOptions{});
  }
  server->writer_ = std::make_unique<StoreWriter>(
      *server->store_, *writer_listener, clock, c.writer);
  server->query_service_ = std::make_unique<QueryServiceImpl>(
      *server->store_, *server->hub_,
      QueryServiceOptions{
          .metrics = server->metrics_.get(),
          .read_token = c.read_token,
          // By default as many readers as the store reads at once, with
          // PostgreSQL its connection pool.
          .reader_threads = c.reader_threads > 0
                                ? c.reader_threads
                                : std::max(4, c.store.postgres_pool_size),
          .max_waiting_reads = c.max_waiting_reads});
  server->ingest_service_ =
      std::make_unique<ArticleIngestImpl>(*server->writer_, c.ingest);
  c.server.services = {server->query_service_.get(),
                       server->ingest_service_.get()};
  c.server.service_names = {newsfeed::v1::QueryService::service_full_name(),
                            newsfeed::v1::ArticleIngest::service_full_name()};
  if ((!c.ingest.publish_token.empty() || !c.read_token.empty()) &&
      c.server.tls_cert_file.empty()) {
    log::Warning(
        "auth tokens are configured but %s serves plaintext: tokens can be "
        "read on the network (set tls.cert_file and tls.key_file)",
        c.server.listen_address);
  }
  auto grpc_server = rpc::GrpcServer::Start(c.server);
  if (!grpc_server.ok()) return grpc_server.status();
  server->server_ = std::move(*grpc_server);
  if (!c.http.listen_address.empty()) {
    c.http.metrics = server->metrics_.get();
    auto http_api = HttpApi::Start(c.http, *server->store_, *server->hub_);
    if (!http_api.ok()) return http_api.status();
    server->http_api_ = std::move(*http_api);
  }
  return server;
}

QueryServer::~QueryServer() { Shutdown(); }

void QueryServer::Shutdown() {
  if (shut_down_ || server_ == nullptr) return;
  shut_down_ = true;
  server_->SetServing(false);
  hub_->Shutdown();
  if (http_api_) http_api_->Stop(config_.shutdown_grace);
  if (follower_) follower_->Stop();
  server_->Shutdown(config_.shutdown_grace);
  writer_.reset();  // commits what it queued, then joins
  if (metrics_server_) metrics_server_->Stop();
}

}  // namespace newsfeed::query
