// query-service: stores articles delivered by ingest-service and serves
// Search, GetArticle, Facets and Subscribe. Wiring only; see README.md.
#include <sys/stat.h>

#include <string>

#include "absl/synchronization/mutex.h"
#include "common/clock/clock.h"
#include "common/config/command_line.h"
#include "common/log/log.h"
#include "common/server/grpc_server.h"
#include "query-service/config/query_config.h"
#include "query-service/server/query_server.h"

namespace {

constexpr char kUsage[] =
    "usage: query-service [--config FILE]\n"
    "\n"
    "Stores articles delivered by ingest-service (ArticleIngest.Publish) and\n"
    "serves newsfeed.v1.QueryService, grpc.health.v1 and server reflection.\n"
    "\n"
    "  --config FILE  YAML configuration (see "
    "deploy/config/query-service.yaml\n"
    "                 for every option and its default). Every option can also "
    "be\n"
    "                 set by environment, e.g. "
    "NEWSFEED_QUERY_LISTEN=0.0.0.0:50051.\n"
    "  --help         this text\n"
    "\n"
    "Logs the address it listens on; SIGTERM or SIGINT stops it cleanly.\n";

}  // namespace

int main(int argc, char** argv) {
  namespace nf = newsfeed;
  namespace query = newsfeed::query;
  const nf::config::CommandLine command_line =
      nf::config::ParseCommandLine(argc, argv, "query-service", kUsage);
  if (command_line.exit_code) return *command_line.exit_code;
  // Stored articles, feed state and generated tokens are the operator's
  // alone: every file this process creates is 0600, every directory 0700.
  umask(077);
  const std::string& config_path = command_line.config_path;
  nf::rpc::BlockTerminationSignals();
  // Debian builds Abseil without NDEBUG, which leaves its mutex deadlock
  // detector on: a graph update on every nested lock, ~10% of the CPU of
  // busy subscription fan-out. The tests keep it on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  absl::StatusOr<query::QueryConfig> config =
      query::LoadQueryConfig(config_path);
  if (!config.ok()) {
    nf::log::Error("query-service: %s", config.status().message());
    return 2;
  }
  if (config->log_format == "json") nf::log::SetFormat(nf::log::Format::kJson);

  auto server = query::QueryServer::Start(*config, nf::RealClock::Instance());
  if (!server.ok()) {
    nf::log::Error("query-service: %s", server.status().ToString());
    return 1;
  }
  nf::log::Info("query-service listening on %s (data in %s)",
                (*server)->address(), config->store.data_dir);
  if (!(*server)->http_address().empty()) {
    nf::log::Info("query-service HTTP API on %s://%s/v1/articles",
                  config->http.tls_cert_file.empty() ? "http" : "https",
                  (*server)->http_address());
  }
  if (!(*server)->metrics_address().empty()) {
    nf::log::Info("query-service metrics on http://%s/metrics",
                  (*server)->metrics_address());
  }
  const int signal_number = nf::rpc::WaitForTerminationSignal();
  nf::log::Info("query-service: signal %d, shutting down", signal_number);
  (*server)->Shutdown();
  nf::log::Info("query-service stopped");
  return 0;
}
