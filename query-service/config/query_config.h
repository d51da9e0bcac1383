// The query-service configuration: one YAML file, every option overridable
// by an environment variable NEWSFEED_QUERY_<OPTION> (dots become
// underscores: retention.max_age -> NEWSFEED_QUERY_RETENTION_MAX_AGE).
// deploy/query-service.yaml documents every option with its default.
#ifndef QUERY_SERVICE_CONFIG_QUERY_CONFIG_H_
#define QUERY_SERVICE_CONFIG_QUERY_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/server/grpc_server.h"
#include "query-service/http/http_api.h"
#include "query-service/hub/subscription_hub.h"
#include "query-service/service/query_service.h"
#include "query-service/store/sqlite_store.h"
#include "query-service/writer/store_writer.h"

namespace newsfeed::query {

struct QueryConfig {
  rpc::ServerOptions server;  // listen, max_message_bytes, keepalive, tls.*
  StoreOptions store;         // data_dir, retention.*, search.*, store.*
  // store.engine: "sqlite" (the default, one process) or "postgres" (any
  // number of replicas on one database, store.postgres_url).
  std::string store_engine = "sqlite";
  // search.reader_threads (0: 4, or store.postgres_pool_size when larger)
  // and search.max_waiting_reads: QueryServiceOptions.
  int reader_threads = 0;
  size_t max_waiting_reads = 1024;
  HubOptions hub;             // subscriptions.*
  StoreWriterOptions writer;  // retention.interval
  IngestOptions ingest;       // ingest.*, auth.publish_token
  // auth.read_token: when set, QueryService RPCs must carry it.
  std::string read_token;
  std::string log_format = "text";
  absl::Duration shutdown_grace = absl::Seconds(5);
  // http.*: the HTTP/JSON API; off while http.listen is empty. Its TLS
  // files and read token are the gRPC port's.
  HttpApiOptions http;
  // host:port of the Prometheus /metrics endpoint; empty: no metrics.
  std::string metrics_listen;
  // insecure: lets the service listen beyond loopback with Publish open to
  // anyone (no token, no client certificates); refused to start otherwise.
  bool insecure = false;
};

// Reads `path` (empty: defaults and environment only). INVALID_ARGUMENT
// naming every bad or unknown option; NOT_FOUND for a missing file.
absl::StatusOr<QueryConfig> LoadQueryConfig(const std::string& path);

}  // namespace newsfeed::query

#endif  // QUERY_SERVICE_CONFIG_QUERY_CONFIG_H_
