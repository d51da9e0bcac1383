// query-service: stores articles delivered by ingest-service and serves
// Search, GetArticle, Facets and Subscribe. Wiring only; see README.md.
#include <cstdio>
#include <cstring>
#include <string>

#include "common/clock/clock.h"
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
    "  --config FILE  YAML configuration (see deploy/query-service.yaml for\n"
    "                 every option and its default). Every option can also be\n"
    "                 set by environment, e.g. "
    "NEWSFEED_QUERY_LISTEN=0.0.0.0:50051.\n"
    "  --help         this text\n"
    "\n"
    "Logs the address it listens on; SIGTERM or SIGINT stops it cleanly.\n";

}  // namespace

int main(int argc, char** argv) {
  namespace nf = newsfeed;
  namespace query = newsfeed::query;
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 ||
        std::strcmp(argv[i], "-h") == 0) {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
      config_path = argv[++i];
    } else {
      std::fprintf(stderr, "query-service: unknown argument %s\n%s", argv[i],
                   kUsage);
      return 2;
    }
  }
  nf::rpc::BlockTerminationSignals();

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
