#include "query-service/config/query_config.h"

#include <stdlib.h>

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsfeed::query {
namespace {

using ::testing::HasSubstr;

std::string WriteConfig(const std::string& yaml) {
  std::string dir = ::testing::TempDir() + "query_config_XXXXXX";
  EXPECT_NE(mkdtemp(dir.data()), nullptr);
  const std::string path = dir + "/query-service.yaml";
  std::ofstream(path) << yaml;
  return path;
}

TEST(QueryConfigTest, SampleConfigLoadsWithTheStoreDefaults) {
  auto config =
      LoadQueryConfig(NEWSFEED_SOURCE_DIR "/deploy/config/query-service.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  const StoreOptions defaults;
  EXPECT_EQ(config->store_engine, "sqlite");
  EXPECT_EQ(config->store.relevance_scan_matches,
            defaults.relevance_scan_matches);
  EXPECT_EQ(config->store.relevance_max_matches,
            defaults.relevance_max_matches);
  EXPECT_EQ(config->store.facet_max_matches, defaults.facet_max_matches);
  EXPECT_EQ(config->store.checkpoint_pages, defaults.checkpoint_pages);
}

TEST(QueryConfigTest, StoreBoundsAreConfigurable) {
  auto config = LoadQueryConfig(
      WriteConfig("search:\n  relevance_scan_matches: 50000\n"
                  "  relevance_max_matches: 200\n  facet_max_matches: 10000\n"
                  "store:\n  checkpoint_pages: 1024\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->store.relevance_scan_matches, 50000);
  EXPECT_EQ(config->store.relevance_max_matches, 200);
  EXPECT_EQ(config->store.facet_max_matches, 10000);
  EXPECT_EQ(config->store.checkpoint_pages, 1024);
}

TEST(QueryConfigTest, ReaderThreadsAreConfigurable) {
  auto defaults =
      LoadQueryConfig(NEWSFEED_SOURCE_DIR "/deploy/config/query-service.yaml");
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->reader_threads, 0);  // automatic
  EXPECT_EQ(defaults->max_waiting_reads, 1024u);
  auto config = LoadQueryConfig(
      WriteConfig("search:\n  reader_threads: 12\n  max_waiting_reads: 64\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->reader_threads, 12);
  EXPECT_EQ(config->max_waiting_reads, 64u);
  auto bad =
      LoadQueryConfig(WriteConfig("search:\n  reader_threads: 100000\n"));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              ::testing::HasSubstr("search.reader_threads"));
}

TEST(QueryConfigTest, OutOfRangeBoundNamesTheKey) {
  auto config =
      LoadQueryConfig(WriteConfig("search:\n  relevance_scan_matches: 0\n"));
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(config.status().message(),
              HasSubstr("search.relevance_scan_matches"));
}

// Reachable beyond this host with Publish open to anyone: refused, unless a
// token, client certificates or `insecure: true` say otherwise.
TEST(QueryConfigTest, OpenPublishBeyondLoopbackIsRefused) {
  auto open = LoadQueryConfig(WriteConfig("listen: 0.0.0.0:50051\n"));
  EXPECT_EQ(open.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(open.status().message(), HasSubstr("auth.publish_token"));
  EXPECT_THAT(open.status().message(), HasSubstr("insecure: true"));

  EXPECT_TRUE(LoadQueryConfig(WriteConfig("listen: 127.0.0.1:50051\n")).ok());
  EXPECT_TRUE(
      LoadQueryConfig(WriteConfig("listen: 0.0.0.0:50051\ninsecure: true\n"))
          .ok());
  EXPECT_TRUE(LoadQueryConfig(WriteConfig("listen: 0.0.0.0:50051\n"
                                          "auth:\n  publish_token: t0ken\n"))
                  .ok());
}

TEST(QueryConfigTest, PublishTokenFileIsCreatedOnceAndShared) {
  std::string dir = ::testing::TempDir() + "query_token_XXXXXX";
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  const std::string yaml =
      "listen: 0.0.0.0:50051\nauth:\n"
      "  publish_token_file: " +
      dir + "/publish-token\n";
  auto first = LoadQueryConfig(WriteConfig(yaml));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->ingest.publish_token.size(), 64u);
  auto second = LoadQueryConfig(WriteConfig(yaml));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->ingest.publish_token, first->ingest.publish_token);
}

TEST(QueryConfigTest, HttpApiSharesTheGrpcPortsTlsAndToken) {
  auto config = LoadQueryConfig(
      WriteConfig("http:\n  listen: \"127.0.0.1:0\"\n  threads: 2\n"
                  "  cors_allowed_origins: [\"https://dash.example\"]\n"
                  "auth:\n  read_token: reader\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->http.listen_address, "127.0.0.1:0");
  EXPECT_EQ(config->http.threads, 2);
  EXPECT_EQ(config->http.read_token, "reader");
  EXPECT_THAT(config->http.cors_allowed_origins,
              ::testing::ElementsAre("https://dash.example"));

  // Off unless asked for: tests and replicas bind no surprise port.
  auto defaults = LoadQueryConfig(WriteConfig("log_format: text\n"));
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_TRUE(defaults->http.listen_address.empty());
}

TEST(QueryConfigTest, HttpApiRefusesWhatItCannotHonour) {
  // Client certificates cannot be checked over HTTP: without a read token
  // the HTTP API would be open to clients the gRPC port refuses.
  auto mtls = LoadQueryConfig(
      WriteConfig("http:\n  listen: \"127.0.0.1:0\"\n"
                  "tls:\n  client_ca_file: /nonexistent/ca.pem\n"));
  ASSERT_FALSE(mtls.ok());
  EXPECT_THAT(mtls.status().message(), HasSubstr("http.listen"));
  EXPECT_THAT(mtls.status().message(), HasSubstr("auth.read_token"));

  auto idle = LoadQueryConfig(
      WriteConfig("http:\n  idle_timeout: 10s\nsubscriptions:\n  "
                  "heartbeat_interval: 15s\n"));
  ASSERT_FALSE(idle.ok());
  EXPECT_THAT(idle.status().message(), HasSubstr("http.idle_timeout"));
}

}  // namespace
}  // namespace newsfeed::query
