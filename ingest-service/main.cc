// ingest-service: polls RSS/Atom feeds, turns items into tagged articles and
// delivers them to query-service. Wiring only; see README.md.
#include <sys/stat.h>

#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "common/clock/clock.h"
#include "common/config/command_line.h"
#include "common/log/log.h"
#include "common/metrics/metrics.h"
#include "common/metrics/metrics_server.h"
#include "common/server/grpc_server.h"
#include "ingest-service/admin/feed_admin_service.h"
#include "ingest-service/config/ingest_config.h"
#include "ingest-service/feeds/configured_feeds.h"
#include "ingest-service/feeds/feed_registry.h"
#include "ingest-service/feeds/pg_feed_registry.h"
#include "ingest-service/fetcher/curl_fetcher.h"
#include "ingest-service/publisher/publisher.h"
#include "ingest-service/scheduler/poller.h"
#include "ingest-service/state/ingest_state.h"
#include "ingest-service/tagger/tagger.h"
#include "ingest-service/websub/websub_subscriber.h"

namespace {

constexpr char kUsage[] =
    "usage: ingest-service [--config FILE]\n"
    "\n"
    "Polls the configured RSS/Atom feeds, tags every new or changed item with\n"
    "companies, countries, topics and amounts, and delivers it to "
    "query-service.\n"
    "Serves newsfeed.v1.FeedAdmin, grpc.health.v1 and server reflection.\n"
    "\n"
    "  --config FILE  YAML configuration (see "
    "deploy/config/ingest-service.yaml\n"
    "                 for every option and its default). Every option can also "
    "be\n"
    "                 set by environment, e.g.\n"
    "                 NEWSFEED_INGEST_QUERY_ADDRESS=query:50051.\n"
    "  --help         this text\n"
    "\n"
    "Logs the address it listens on; SIGTERM or SIGINT stops it cleanly.\n";

// Hands WebSub deliveries to the poller while it exists: the subscriber
// starts before the poller and stops after it, so the hub is asked to retry
// (500) around those moments. Close waits for deliveries in progress.
class DeliveryGate {
 public:
  absl::Status Deliver(const std::string& feed_id, const std::string& body,
                       const std::string& content_type) {
    absl::ReaderMutexLock lock(&mu_);
    if (poller_ == nullptr) {
      return absl::UnavailableError("ingest-service is starting or stopping");
    }
    return poller_->IngestPushed(feed_id, body, content_type).status();
  }
  void Open(newsfeed::ingest::Poller* poller) {
    absl::MutexLock lock(&mu_);
    poller_ = poller;
  }
  void Close() { Open(nullptr); }

 private:
  absl::Mutex mu_;
  newsfeed::ingest::Poller* poller_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace

int main(int argc, char** argv) {
  namespace nf = newsfeed;
  namespace ingest = newsfeed::ingest;
  const nf::config::CommandLine command_line =
      nf::config::ParseCommandLine(argc, argv, "ingest-service", kUsage);
  if (command_line.exit_code) return *command_line.exit_code;
  // Stored articles, feed state and generated tokens are the operator's
  // alone: every file this process creates is 0600, every directory 0700.
  umask(077);
  const std::string& config_path = command_line.config_path;
  nf::rpc::BlockTerminationSignals();
  // Debian builds Abseil without NDEBUG, which leaves its mutex deadlock
  // detector on: a graph update on every nested lock, paid in production
  // for a debugging aid. The tests keep it on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  absl::StatusOr<ingest::IngestConfig> config =
      ingest::LoadIngestConfig(config_path);
  if (!config.ok()) {
    nf::log::Error("ingest-service: %s", config.status().message());
    return 2;
  }
  if (config->log_format == "json") nf::log::SetFormat(nf::log::Format::kJson);
  nf::Clock& clock = nf::RealClock::Instance();

  // Declared before the components, which record into it.
  std::unique_ptr<nf::metrics::Registry> metrics;
  std::unique_ptr<nf::metrics::MetricsServer> metrics_server;
  if (!config->metrics_listen.empty()) {
    metrics = std::make_unique<nf::metrics::Registry>();
    auto started =
        nf::metrics::MetricsServer::Start(config->metrics_listen, *metrics);
    if (!started.ok()) {
      nf::log::Error("ingest-service: %s", started.status().ToString());
      return 1;
    }
    metrics_server = std::move(*started);
    config->state.metrics = config->poller.metrics = config->publisher.metrics =
        config->websub.metrics = metrics.get();
  }

  auto state = ingest::IngestState::Open(config->state);
  if (!state.ok()) {
    nf::log::Error("ingest-service: %s", state.status().ToString());
    return 1;
  }
  // The feed list: in ingest.db, or shared in PostgreSQL by every instance.
  ingest::FeedRegistry* feeds = state->get();
  std::unique_ptr<ingest::PgFeedRegistry> shared_feeds;
  if (config->state_engine == "postgres") {
    auto opened = ingest::PgFeedRegistry::Open(config->postgres);
    if (!opened.ok()) {
      nf::log::Error("ingest-service: %s", opened.status().ToString());
      return 1;
    }
    shared_feeds = std::move(*opened);
    feeds = shared_feeds.get();
    nf::log::Info("ingest-service: feed list in PostgreSQL as instance %s",
                  config->postgres.instance_id);
  }
  if (absl::Status s = ingest::AddConfiguredFeeds(
          *feeds, config->feeds, config->feeds_opml, clock.Now());
      !s.ok()) {
    nf::log::Error("ingest-service: %s", s.ToString());
    return 1;
  }
  auto tagger = ingest::Tagger::Create(config->tagger);
  if (!tagger.ok()) {
    nf::log::Error("ingest-service: tagger: %s", tagger.status().ToString());
    return 1;
  }
  config->fetcher.clock = &clock;
  auto fetcher = ingest::CurlFetcher::Create(config->fetcher);
  if (!fetcher.ok()) {
    nf::log::Error("ingest-service: fetcher: %s", fetcher.status().ToString());
    return 1;
  }

  DeliveryGate deliveries;
  std::unique_ptr<ingest::WebSubSubscriber> websub;
  if (!config->websub.public_base_url.empty()) {
    config->websub.clock = &clock;
    auto started = ingest::WebSubSubscriber::Start(
        config->websub,
        [&deliveries](const std::string& feed_id, std::string body,
                      std::string content_type) {
          return deliveries.Deliver(feed_id, body, content_type);
        });
    if (!started.ok()) {
      nf::log::Error("ingest-service: websub: %s", started.status().ToString());
      return 1;
    }
    websub = std::move(*started);
    config->poller.websub = websub.get();
    nf::log::Info("ingest-service: WebSub callbacks on %s as %s",
                  websub->address(), config->websub.public_base_url);
  }

  {
    ingest::Publisher publisher(**state, config->publisher);
    ingest::Poller poller(*feeds, **state, **fetcher, **tagger, clock,
                          config->poller, [&publisher] { publisher.Wake(); });
    deliveries.Open(&poller);
    ingest::FeedAdminService admin(
        *feeds, poller, clock, nf::auth::TokenGate(config->admin_token),
        nf::auth::TokenGate(config->read_token), config->admin);
    config->server.services = {&admin};
    config->server.service_names = {
        newsfeed::v1::FeedAdmin::service_full_name()};
    auto server = nf::rpc::GrpcServer::Start(config->server);
    if (!server.ok()) {
      nf::log::Error("ingest-service: %s", server.status().ToString());
      return 1;
    }
    nf::log::Info(
        "ingest-service listening on %s (delivering to %s, %d feeds "
        "configured)",
        (*server)->address(), config->publisher.query_address,
        static_cast<int>(config->feeds.size()));
    if (metrics_server != nullptr) {
      nf::log::Info("ingest-service metrics on http://%s/metrics",
                    metrics_server->address());
    }
    poller.Start();

    const int signal_number = nf::rpc::WaitForTerminationSignal();
    nf::log::Info("ingest-service: signal %d, shutting down", signal_number);
    (*server)->Shutdown(config->shutdown_grace);
    nf::log::Info("ingest-service: admin API stopped");
    deliveries.Close();
    // Leaving the scope stops the poller (in-flight fetches are cancelled),
    // then the publisher; the outbox keeps what was not acknowledged.
  }
  nf::log::Info("ingest-service stopped");
  return 0;
}
