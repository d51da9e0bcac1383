// The ingest-service configuration: one YAML file, every option overridable
// by an environment variable NEWSFEED_INGEST_<OPTION> (dots become
// underscores: fetcher.user_agent -> NEWSFEED_INGEST_FETCHER_USER_AGENT).
// deploy/ingest-service.yaml documents every option with its default.
#ifndef INGEST_SERVICE_CONFIG_INGEST_CONFIG_H_
#define INGEST_SERVICE_CONFIG_INGEST_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/server/grpc_server.h"
#include "ingest-service/admin/feed_admin_service.h"
#include "ingest-service/feeds/pg_feed_registry.h"
#include "ingest-service/fetcher/curl_fetcher.h"
#include "ingest-service/publisher/publisher.h"
#include "ingest-service/scheduler/poller.h"
#include "ingest-service/state/ingest_state.h"
#include "ingest-service/tagger/tagger.h"
#include "ingest-service/websub/websub_subscriber.h"

namespace newsfeed::ingest {

struct IngestConfig {
  rpc::ServerOptions server;  // listen, tls.*, max_message_bytes
  IngestStateOptions state;   // data_dir, outbox.max_bytes
  // state.engine: where the feed list, fetch state and seen items live.
  // "sqlite" (default): in data_dir/ingest.db, for one instance. "postgres":
  // in PostgreSQL, shared by every instance (see pg_feed_registry.h); the
  // outbox stays in data_dir either way.
  std::string state_engine = "sqlite";
  // state.postgres_url, state.instance_id (default hostname:pid),
  // state.lease_duration (default 2m; must exceed fetcher.total_timeout).
  PgFeedRegistryOptions postgres;
  std::vector<std::string> feeds;  // feeds: polled from start; kept in state
  // feeds_opml: an OPML file whose feeds are added at start like `feeds`.
  std::string feeds_opml;
  PollerOptions poller;  // polling.*
  // websub.*: on when websub.public_base_url is set; db_path is
  // data_dir/websub.db, allow_private_networks follows the fetcher's.
  WebSubOptions websub;
  FetcherOptions fetcher;      // fetcher.*
  PublisherOptions publisher;  // query_address, query_tls_*, query_token
  std::string admin_token;     // auth.admin_token: FeedAdmin writes
  std::string read_token;      // auth.read_token: FeedAdmin.ListFeeds
  // insecure: lets the service listen beyond loopback with FeedAdmin open
  // to anyone (no token, no client certificates); refused otherwise.
  bool insecure = false;
  FeedAdminOptions admin;  // admin.*
  TaggerOptions tagger;    // tagger.extra_data_files
  std::string log_format = "text";
  absl::Duration shutdown_grace = absl::Seconds(5);
  // host:port of the Prometheus /metrics endpoint; empty: no metrics.
  std::string metrics_listen;
};

// Reads `path` (empty: defaults and environment only). INVALID_ARGUMENT
// naming every bad or unknown option; NOT_FOUND for a missing file.
absl::StatusOr<IngestConfig> LoadIngestConfig(const std::string& path);

}  // namespace newsfeed::ingest

#endif  // INGEST_SERVICE_CONFIG_INGEST_CONFIG_H_
