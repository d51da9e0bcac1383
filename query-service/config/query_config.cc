#include "query-service/config/query_config.h"

#include "absl/strings/str_cat.h"
#include "common/auth/secrets.h"
#include "common/auth/tls.h"
#include "common/config/config_reader.h"

namespace newsfeed::query {

absl::StatusOr<QueryConfig> LoadQueryConfig(const std::string& path) {
  auto reader = config::ConfigReader::FromFile(path, "NEWSFEED_QUERY");
  if (!reader.ok()) return reader.status();
  config::ConfigReader& r = **reader;
  QueryConfig c;
  c.server.listen_address = r.GetString("listen", "127.0.0.1:50051");
  c.server.max_receive_message_bytes = static_cast<int>(r.GetIntInRange(
      "max_message_bytes", c.server.max_receive_message_bytes, 1024, 1 << 30));
  c.server.keepalive_time =
      r.GetDuration("keepalive_time", c.server.keepalive_time);
  c.server.tls_cert_file = r.GetString("tls.cert_file", "");
  c.server.tls_key_file = r.GetString("tls.key_file", "");
  c.server.tls_client_ca_file = r.GetString("tls.client_ca_file", "");
  c.ingest.publish_token = r.GetString("auth.publish_token", "");
  const std::string publish_token_file =
      r.GetString("auth.publish_token_file", "");
  if (c.ingest.publish_token.empty() && !publish_token_file.empty()) {
    absl::StatusOr<std::string> token =
        auth::LoadOrCreateToken("auth.publish_token_file", publish_token_file);
    if (token.ok()) {
      c.ingest.publish_token = *std::move(token);
    } else {
      r.AddError("auth.publish_token_file",
                 std::string(token.status().message()));
    }
  }
  c.insecure = r.GetBool("insecure", false);
  c.read_token = r.GetString("auth.read_token", "");
  c.store.data_dir = r.GetString("data_dir", "./var/query");
  c.store_engine = r.GetString("store.engine", c.store_engine);
  c.store.postgres_url = r.GetString("store.postgres_url", "");
  c.store.postgres_pool_size = static_cast<int>(r.GetIntInRange(
      "store.postgres_pool_size", c.store.postgres_pool_size, 1, 64));
  c.store.postgres_connect_timeout =
      r.GetDuration("store.postgres_connect_timeout", absl::Seconds(60));
  c.store.retention_max_age =
      r.GetDuration("retention.max_age", absl::ZeroDuration());
  c.store.retention_max_articles = r.GetInt("retention.max_articles", 0);
  c.writer.retention_interval =
      r.GetDuration("retention.interval", c.writer.retention_interval);
  c.store.max_page_size =
      static_cast<int>(r.GetInt("search.max_page_size", 100));
  c.store.filter_limits.max_values_per_dimension =
      static_cast<int>(r.GetInt("search.max_filter_values", 100));
  // Work bounds of the SQLite store (StoreOptions says what each bounds).
  c.store.relevance_scan_matches = static_cast<int>(
      r.GetIntInRange("search.relevance_scan_matches",
                      c.store.relevance_scan_matches, 1, 10'000'000));
  c.store.relevance_max_matches = static_cast<int>(
      r.GetIntInRange("search.relevance_max_matches",
                      c.store.relevance_max_matches, 1, 1'000'000));
  c.store.facet_max_matches = static_cast<int>(r.GetIntInRange(
      "search.facet_max_matches", c.store.facet_max_matches, 1, 10'000'000));
  c.store.checkpoint_pages = static_cast<int>(r.GetIntInRange(
      "store.checkpoint_pages", c.store.checkpoint_pages, 1, 1 << 20));
  c.reader_threads = static_cast<int>(
      r.GetIntInRange("search.reader_threads", c.reader_threads, 0, 256));
  c.max_waiting_reads = static_cast<size_t>(
      r.GetIntInRange("search.max_waiting_reads",
                      static_cast<int64_t>(c.max_waiting_reads), 1, 1'000'000));
  c.hub.filter_limits = c.store.filter_limits;
  c.hub.max_subscribers =
      static_cast<size_t>(r.GetInt("subscriptions.max_subscribers", 10000));
  c.hub.heartbeat_interval = r.GetDuration("subscriptions.heartbeat_interval",
                                           c.hub.heartbeat_interval);
  c.hub.queue_capacity =
      static_cast<size_t>(r.GetInt("subscriptions.queue_capacity", 64));
  c.hub.max_subscribers_per_peer = static_cast<size_t>(r.GetIntInRange(
      "subscriptions.max_subscribers_per_peer",
      static_cast<int64_t>(c.hub.max_subscribers_per_peer), 1, 1'000'000));
  c.hub.queue_capacity_bytes = static_cast<size_t>(
      r.GetIntInRange("subscriptions.queue_capacity_bytes",
                      static_cast<int64_t>(c.hub.queue_capacity_bytes),
                      64 << 10, int64_t{1} << 32));
  c.hub.total_queue_bytes = static_cast<size_t>(
      r.GetIntInRange("subscriptions.total_queue_bytes",
                      static_cast<int64_t>(c.hub.total_queue_bytes), 1 << 20,
                      int64_t{1} << 40));
  c.server.max_concurrent_streams = static_cast<int>(r.GetIntInRange(
      "max_concurrent_streams", c.server.max_concurrent_streams, 1, 100'000));
  c.ingest.max_batch_articles =
      static_cast<int>(r.GetInt("ingest.max_batch_articles", 500));
  c.log_format = r.GetString("log_format", "text");
  c.shutdown_grace = r.GetDuration("shutdown_grace", c.shutdown_grace);
  c.metrics_listen = r.GetString("metrics_listen", "");
  c.http.listen_address = r.GetString("http.listen", "");
  c.http.threads =
      static_cast<int>(r.GetIntInRange("http.threads", c.http.threads, 1, 64));
  c.http.max_connections = static_cast<int>(r.GetIntInRange(
      "http.max_connections", c.http.max_connections, 1, 1'000'000));
  c.http.max_connections_per_ip = static_cast<int>(
      r.GetIntInRange("http.max_connections_per_ip",
                      c.http.max_connections_per_ip, 1, 1'000'000));
  c.http.idle_timeout = r.GetDuration("http.idle_timeout", c.http.idle_timeout);
  c.http.cors_allowed_origins = r.GetStringList("http.cors_allowed_origins");
  c.http.read_token = c.read_token;
  c.http.tls_cert_file = c.server.tls_cert_file;
  c.http.tls_key_file = c.server.tls_key_file;

  if (c.store.data_dir.empty()) r.AddError("data_dir", "must not be empty");
  if (c.store_engine != "sqlite" && c.store_engine != "postgres") {
    r.AddError("store.engine", "must be sqlite or postgres");
  } else if (c.store_engine == "postgres" && c.store.postgres_url.empty()) {
    r.AddError("store.postgres_url",
               "must be set when store.engine is postgres");
  }
  if (c.store.postgres_connect_timeout < absl::ZeroDuration()) {
    r.AddError("store.postgres_connect_timeout", "must not be negative");
  }
  if (c.store.max_page_size < 1 || c.store.max_page_size > 1000) {
    r.AddError("search.max_page_size", "must be between 1 and 1000");
  }
  if (c.hub.queue_capacity < 2) {
    r.AddError("subscriptions.queue_capacity", "must be at least 2");
  }
  if (c.hub.heartbeat_interval < absl::Milliseconds(100)) {
    r.AddError("subscriptions.heartbeat_interval", "must be at least 100ms");
  }
  if (c.log_format != "text" && c.log_format != "json") {
    r.AddError("log_format", "must be text or json");
  }
  if (auto credentials = auth::MakeServerCredentials(
          {c.server.tls_cert_file, c.server.tls_key_file,
           c.server.tls_client_ca_file});
      !credentials.ok()) {
    r.AddError("tls", std::string(credentials.status().message()));
  }
  if (!c.insecure && !auth::IsLoopbackOnly(c.server.listen_address) &&
      c.ingest.publish_token.empty() && c.server.tls_client_ca_file.empty()) {
    r.AddError(
        "auth.publish_token",
        absl::StrCat("listen ", c.server.listen_address,
                     " is reachable beyond this host, but Publish needs no "
                     "token (auth.publish_token or auth.publish_token_file) "
                     "and no client certificate (tls.client_ca_file): anyone "
                     "who can connect could write articles. Set one of them, "
                     "or insecure: true to run like this anyway"));
  }
  if (c.http.idle_timeout < absl::Seconds(1)) {
    r.AddError("http.idle_timeout", "must be at least 1s");
  } else if (c.http.idle_timeout <= c.hub.heartbeat_interval) {
    r.AddError("http.idle_timeout",
               "must be longer than subscriptions.heartbeat_interval, or "
               "quiet streams are closed between heartbeats");
  }
  if (!c.http.listen_address.empty() && !c.server.tls_client_ca_file.empty() &&
      c.read_token.empty()) {
    r.AddError("http.listen",
               "the HTTP API cannot check client certificates "
               "(tls.client_ca_file); set auth.read_token so that it is not "
               "open to clients the gRPC port would refuse");
  }
  if (absl::Status s = r.Finish(); !s.ok()) return s;
  return c;
}

}  // namespace newsfeed::query
