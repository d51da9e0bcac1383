#include "ingest-service/config/ingest_config.h"

#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/auth/secrets.h"
#include "common/auth/tls.h"
#include "common/config/config_reader.h"

namespace newsfeed::ingest {

absl::StatusOr<IngestConfig> LoadIngestConfig(const std::string& path) {
  auto reader = config::ConfigReader::FromFile(path, "NEWSFEED_INGEST");
  if (!reader.ok()) return reader.status();
  config::ConfigReader& r = **reader;
  IngestConfig c;
  c.server.listen_address = r.GetString("listen", "127.0.0.1:50052");
  c.server.tls_cert_file = r.GetString("tls.cert_file", "");
  c.server.tls_key_file = r.GetString("tls.key_file", "");
  c.server.tls_client_ca_file = r.GetString("tls.client_ca_file", "");
  c.admin_token = r.GetString("auth.admin_token", "");
  // Tokens in files: created (random, mode 0600) when missing, so that
  // services sharing a volume agree on them with no set-up.
  auto token_from_file = [&r](const std::string& key, std::string* token) {
    const std::string path = r.GetString(key, "");
    if (!token->empty() || path.empty()) return;
    absl::StatusOr<std::string> loaded = auth::LoadOrCreateToken(key, path);
    if (loaded.ok()) {
      *token = *std::move(loaded);
    } else {
      r.AddError(key, std::string(loaded.status().message()));
    }
  };
  token_from_file("auth.admin_token_file", &c.admin_token);
  c.insecure = r.GetBool("insecure", false);
  c.admin.max_feeds =
      r.GetIntInRange("admin.max_feeds", c.admin.max_feeds, 1, 10'000'000);
  c.admin.poll_now_burst = static_cast<int>(r.GetIntInRange(
      "admin.poll_now_burst", c.admin.poll_now_burst, 1, 10000));
  c.admin.poll_now_every =
      r.GetDuration("admin.poll_now_every", c.admin.poll_now_every);
  if (c.admin.poll_now_every < absl::ZeroDuration()) {
    r.AddError("admin.poll_now_every", "must not be negative");
  }
  c.read_token = r.GetString("auth.read_token", "");
  c.state.data_dir = r.GetString("data_dir", "./var/ingest");
  c.state.outbox_max_bytes =
      r.GetInt("outbox.max_bytes", c.state.outbox_max_bytes);
  c.publisher.query_address = r.GetString("query_address", "127.0.0.1:50051");
  c.publisher.tls.ca_file = r.GetString("query_tls_ca_file", "");
  c.publisher.tls.cert_file = r.GetString("query_tls_cert_file", "");
  c.publisher.tls.key_file = r.GetString("query_tls_key_file", "");
  c.publisher.token = r.GetString("query_token", "");
  token_from_file("query_token_file", &c.publisher.token);
  c.publisher.batch_articles = static_cast<int>(
      r.GetInt("outbox.batch_articles", c.publisher.batch_articles));
  char host[256] = "unknown";
  gethostname(host, sizeof host - 1);
  c.publisher.producer = absl::StrCat("ingest-service@", host);
  c.feeds = r.GetStringList("feeds");
  c.feeds_opml = r.GetString("feeds_opml", "");

  c.state_engine = r.GetString("state.engine", c.state_engine);
  c.postgres.postgres_url = r.GetString("state.postgres_url", "");
  c.postgres.instance_id = r.GetString("state.instance_id", "");
  if (c.postgres.instance_id.empty()) {
    c.postgres.instance_id = absl::StrCat(host, ":", getpid());
  }
  c.postgres.lease_duration =
      r.GetDuration("state.lease_duration", c.postgres.lease_duration);
  c.postgres.connect_timeout =
      r.GetDuration("state.postgres_connect_timeout", absl::Seconds(60));

  PollerOptions& p = c.poller;
  PollingPolicyOptions& schedule = p.schedule;
  const std::string schedule_name = r.GetString("polling.schedule", "adaptive");
  if (schedule_name != "adaptive" && schedule_name != "fixed") {
    r.AddError("polling.schedule", "must be adaptive or fixed");
  }
  schedule.adaptive = schedule_name != "fixed";
  schedule.default_interval =
      r.GetDuration("polling.default_interval", schedule.default_interval);
  schedule.min_interval =
      r.GetDuration("polling.min_interval", schedule.min_interval);
  schedule.max_interval =
      r.GetDuration("polling.max_interval", schedule.max_interval);
  schedule.gap_fraction = r.GetDoubleInRange("polling.gap_fraction",
                                             schedule.gap_fraction, 0.001, 1);
  schedule.smoothing =
      r.GetDoubleInRange("polling.smoothing", schedule.smoothing, 0.01, 1);
  schedule.jitter =
      r.GetDoubleInRange("polling.jitter", schedule.jitter, 0, 0.5);
  schedule.push_safety_interval = r.GetDuration("polling.push_safety_interval",
                                                schedule.push_safety_interval);
  p.min_backoff = r.GetDuration("polling.min_backoff", p.min_backoff);
  p.max_backoff = r.GetDuration("polling.max_backoff", p.max_backoff);
  p.unconditional_every =
      r.GetDuration("polling.unconditional_every", p.unconditional_every);
  p.round_window = r.GetDuration("polling.round_window", p.round_window);
  p.first_poll_spread =
      r.GetDuration("polling.first_poll_spread", p.first_poll_spread);
  if (p.first_poll_spread < absl::ZeroDuration()) {
    r.AddError("polling.first_poll_spread", "must not be negative (0: off)");
  }
  p.max_feeds_per_round = static_cast<int>(
      r.GetInt("polling.max_feeds_per_round", p.max_feeds_per_round));
  p.parse.max_items = static_cast<size_t>(r.GetInt("parser.max_items", 5000));
  p.parse_threads = static_cast<int>(
      r.GetIntInRange("parser.threads", p.parse_threads, 1, 64));
  p.document_cpu_budget =
      r.GetDuration("parser.document_cpu_budget", p.document_cpu_budget);
  p.max_queued_document_bytes = static_cast<size_t>(
      r.GetIntInRange("parser.max_queued_bytes",
                      static_cast<int64_t>(p.max_queued_document_bytes),
                      1 << 20, int64_t{1} << 34));

  FetcherOptions& f = c.fetcher;
  f.max_concurrent =
      static_cast<int>(r.GetInt("fetcher.max_concurrent", f.max_concurrent));
  f.max_per_host =
      static_cast<int>(r.GetInt("fetcher.max_per_host", f.max_per_host));
  f.min_host_gap = r.GetDuration("fetcher.min_host_gap", f.min_host_gap);
  f.connect_timeout =
      r.GetDuration("fetcher.connect_timeout", f.connect_timeout);
  f.total_timeout = r.GetDuration("fetcher.total_timeout", f.total_timeout);
  f.max_body_bytes = r.GetInt("fetcher.max_body_bytes", f.max_body_bytes);
  p.parse.max_document_bytes = static_cast<size_t>(f.max_body_bytes) + 1;
  f.user_agent = r.GetString("fetcher.user_agent", f.user_agent);
  f.proxy = r.GetString("fetcher.proxy", f.proxy);
  f.allow_private_networks =
      r.GetBool("fetcher.allow_private_networks", f.allow_private_networks);
  f.allowed_networks = r.GetStringList("fetcher.allowed_networks");
  f.ca_file = r.GetString("fetcher.ca_file", f.ca_file);

  WebSubOptions& w = c.websub;
  w.public_base_url = r.GetString("websub.public_base_url", "");
  w.listen = r.GetString("websub.listen", "0.0.0.0:8090");
  w.db_path = c.state.data_dir + "/websub.db";
  w.lease = r.GetDuration("websub.lease", w.lease);
  w.renew_before = r.GetDuration("websub.renew_before", w.renew_before);
  w.verify_timeout = r.GetDuration("websub.verify_timeout", w.verify_timeout);
  w.max_body_bytes = static_cast<size_t>(r.GetIntInRange(
      "websub.max_body_bytes", static_cast<int64_t>(w.max_body_bytes), 1024,
      int64_t{1} << 30));
  w.max_deliveries_per_second =
      static_cast<int>(r.GetIntInRange("websub.max_deliveries_per_second",
                                       w.max_deliveries_per_second, 1, 100000));
  w.max_connections = static_cast<int>(
      r.GetIntInRange("websub.max_connections", w.max_connections, 1, 100000));
  w.allow_private_networks = f.allow_private_networks;
  if (!w.public_base_url.empty() &&
      !absl::StartsWith(w.public_base_url, "http://") &&
      !absl::StartsWith(w.public_base_url, "https://")) {
    r.AddError("websub.public_base_url", "must be an http(s) URL");
  }

  c.tagger.extra_data_files = r.GetStringList("tagger.extra_data_files");
  c.log_format = r.GetString("log_format", "text");
  c.shutdown_grace = r.GetDuration("shutdown_grace", c.shutdown_grace);
  c.server.max_receive_message_bytes = static_cast<int>(
      r.GetIntInRange("max_message_bytes", 1 << 20, 1024, 1 << 30));
  c.metrics_listen = r.GetString("metrics_listen", "");

  if (c.state.data_dir.empty()) r.AddError("data_dir", "must not be empty");
  if (auto credentials = auth::MakeChannelCredentials(c.publisher.tls);
      !credentials.ok()) {
    r.AddError("query_tls_*", std::string(credentials.status().message()));
  }
  if (auto credentials = auth::MakeServerCredentials(
          {c.server.tls_cert_file, c.server.tls_key_file,
           c.server.tls_client_ca_file});
      !credentials.ok()) {
    r.AddError("tls", std::string(credentials.status().message()));
  }
  if (!c.insecure && !auth::IsLoopbackOnly(c.server.listen_address) &&
      c.admin_token.empty() && c.server.tls_client_ca_file.empty()) {
    r.AddError(
        "auth.admin_token",
        absl::StrCat("listen ", c.server.listen_address,
                     " is reachable beyond this host, but FeedAdmin needs no "
                     "token (auth.admin_token or auth.admin_token_file) and no "
                     "client certificate (tls.client_ca_file): anyone who can "
                     "connect could add, remove and poll feeds. Set one of "
                     "them, or insecure: true to run like this anyway"));
  }
  if (c.publisher.query_address.empty())
    r.AddError("query_address", "must not be empty");
  if (c.publisher.batch_articles < 1 || c.publisher.batch_articles > 500) {
    r.AddError("outbox.batch_articles", "must be between 1 and 500");
  }
  if (p.document_cpu_budget <= absl::ZeroDuration()) {
    r.AddError("parser.document_cpu_budget", "must be positive");
  }
  if (absl::Status s = PollingPolicy::Validate(schedule); !s.ok()) {
    r.AddError("polling", std::string(s.message()));
  }
  if (f.max_concurrent < 1)
    r.AddError("fetcher.max_concurrent", "must be at least 1");
  if (f.max_per_host < 1)
    r.AddError("fetcher.max_per_host", "must be at least 1");
  for (size_t i = 0; i < c.feeds.size(); ++i) {
    if (!absl::StartsWith(c.feeds[i], "http://") &&
        !absl::StartsWith(c.feeds[i], "https://")) {
      r.AddError(absl::StrCat("feeds[", i, "]"),
                 absl::StrCat("\"", c.feeds[i], "\" is not an http(s) URL"));
    }
  }
  if (c.state_engine != "sqlite" && c.state_engine != "postgres") {
    r.AddError("state.engine", "must be sqlite or postgres");
  }
  if (c.postgres.connect_timeout < absl::ZeroDuration()) {
    r.AddError("state.postgres_connect_timeout", "must not be negative");
  } else if (c.state_engine == "postgres") {
    if (c.postgres.postgres_url.empty()) {
      r.AddError("state.postgres_url",
                 "must be set when state.engine is postgres");
    }
    if (c.postgres.lease_duration <= f.total_timeout) {
      r.AddError("state.lease_duration",
                 absl::StrCat("must exceed fetcher.total_timeout (",
                              absl::FormatDuration(f.total_timeout),
                              "), or another instance takes feeds over "
                              "while they are being fetched"));
    }
  }
  if (c.log_format != "text" && c.log_format != "json") {
    r.AddError("log_format", "must be text or json");
  }
  if (absl::Status s = r.Finish(); !s.ok()) return s;
  return c;
}

}  // namespace newsfeed::ingest
