#include "ingest-service/config/ingest_config.h"

#include <stdlib.h>

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsfeed::ingest {
namespace {

using ::testing::HasSubstr;

std::string WriteConfig(const std::string& yaml) {
  std::string dir = ::testing::TempDir() + "ingest_config_XXXXXX";
  EXPECT_NE(mkdtemp(dir.data()), nullptr);
  const std::string path = dir + "/ingest-service.yaml";
  std::ofstream(path) << yaml;
  return path;
}

TEST(IngestConfigTest, StateEngineDefaultsToSqlite) {
  auto config = LoadIngestConfig(WriteConfig("data_dir: /tmp/x\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->state_engine, "sqlite");
  EXPECT_EQ(config->postgres.lease_duration, absl::Minutes(2));
  // hostname:pid
  EXPECT_THAT(config->postgres.instance_id, HasSubstr(":"));
}

TEST(IngestConfigTest, SampleConfigLoadsWithItsDocumentedDefaults) {
  auto config = LoadIngestConfig(NEWSFEED_SOURCE_DIR
                                 "/deploy/config/ingest-service.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->state_engine, "sqlite");
  EXPECT_FALSE(config->postgres.instance_id.empty());
  EXPECT_EQ(config->postgres.lease_duration, absl::Minutes(2));
  EXPECT_EQ(config->poller.parse_threads, 2);
  EXPECT_EQ(config->poller.document_cpu_budget, absl::Seconds(1));
  EXPECT_EQ(config->poller.max_queued_document_bytes, size_t{32} << 20);
  EXPECT_TRUE(config->poller.schedule.adaptive);
  EXPECT_EQ(config->poller.round_window, absl::Milliseconds(250));
  EXPECT_EQ(config->poller.first_poll_spread, absl::Seconds(60));
}

TEST(IngestConfigTest, ParseWorkersAndTheirBudget) {
  auto config = LoadIngestConfig(
      WriteConfig("parser:\n  threads: 4\n  document_cpu_budget: 1500ms\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->poller.parse_threads, 4);
  EXPECT_EQ(config->poller.document_cpu_budget, absl::Milliseconds(1500));
  auto none = LoadIngestConfig(WriteConfig("parser:\n  threads: 0\n"));
  EXPECT_THAT(none.status().message(), HasSubstr("parser.threads"));
  auto zero =
      LoadIngestConfig(WriteConfig("parser:\n  document_cpu_budget: 0s\n"));
  EXPECT_THAT(zero.status().message(), HasSubstr("parser.document_cpu_budget"));
}

TEST(IngestConfigTest, PollingScheduleAndWebSub) {
  auto defaults = LoadIngestConfig(WriteConfig("data_dir: /tmp/x\n"));
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_TRUE(defaults->poller.schedule.adaptive);
  EXPECT_DOUBLE_EQ(defaults->poller.schedule.gap_fraction, 0.2);
  EXPECT_EQ(defaults->poller.first_poll_spread, absl::Seconds(60));
  EXPECT_TRUE(defaults->websub.public_base_url.empty());  // WebSub off
  EXPECT_EQ(defaults->websub.db_path, "/tmp/x/websub.db");

  auto config = LoadIngestConfig(WriteConfig(
      "data_dir: /tmp/y\npolling:\n  schedule: fixed\n  gap_fraction: 0.33\n"
      "  jitter: 0\n  push_safety_interval: 2h\n  first_poll_spread: 0s\n"
      "websub:\n  public_base_url: https://in.example.com/hooks\n"
      "  listen: 127.0.0.1:8099\n  lease: 2d\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->poller.schedule.adaptive);
  EXPECT_DOUBLE_EQ(config->poller.schedule.gap_fraction, 0.33);
  EXPECT_EQ(config->poller.schedule.jitter, 0);
  EXPECT_EQ(config->poller.schedule.push_safety_interval, absl::Hours(2));
  EXPECT_EQ(config->poller.first_poll_spread, absl::ZeroDuration());
  EXPECT_EQ(config->websub.public_base_url, "https://in.example.com/hooks");
  EXPECT_EQ(config->websub.listen, "127.0.0.1:8099");
  EXPECT_EQ(config->websub.lease, absl::Hours(48));

  auto bad = LoadIngestConfig(WriteConfig(
      "polling:\n  schedule: sometimes\n  gap_fraction: 2\n  jitter: x\n"
      "  first_poll_spread: -5s\n"
      "websub:\n  public_base_url: ftp://nope\n"));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("polling.schedule"));
  EXPECT_THAT(bad.status().message(), HasSubstr("polling.gap_fraction"));
  EXPECT_THAT(bad.status().message(), HasSubstr("polling.jitter"));
  EXPECT_THAT(bad.status().message(), HasSubstr("polling.first_poll_spread"));
  EXPECT_THAT(bad.status().message(), HasSubstr("websub.public_base_url"));
}

TEST(IngestConfigTest, PostgresEngine) {
  auto config =
      LoadIngestConfig(WriteConfig("state:\n"
                                   "  engine: postgres\n"
                                   "  postgres_url: host=db dbname=newsfeed\n"
                                   "  instance_id: ingest-1\n"
                                   "  lease_duration: 5m\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->state_engine, "postgres");
  EXPECT_EQ(config->postgres.postgres_url, "host=db dbname=newsfeed");
  EXPECT_EQ(config->postgres.instance_id, "ingest-1");
  EXPECT_EQ(config->postgres.lease_duration, absl::Minutes(5));
}

TEST(IngestConfigTest, BadStateValuesNameTheKey) {
  auto bad_engine = LoadIngestConfig(WriteConfig("state:\n  engine: mysql\n"));
  EXPECT_EQ(bad_engine.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_engine.status().message(), HasSubstr("state.engine"));

  auto no_url = LoadIngestConfig(WriteConfig("state:\n  engine: postgres\n"));
  EXPECT_EQ(no_url.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(no_url.status().message(), HasSubstr("state.postgres_url"));

  auto short_lease =
      LoadIngestConfig(WriteConfig("state:\n"
                                   "  engine: postgres\n"
                                   "  postgres_url: host=db\n"
                                   "  lease_duration: 30s\n"
                                   "fetcher:\n"
                                   "  total_timeout: 60s\n"));
  EXPECT_EQ(short_lease.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(short_lease.status().message(),
              HasSubstr("state.lease_duration"));
  EXPECT_THAT(short_lease.status().message(),
              HasSubstr("fetcher.total_timeout"));
}

TEST(IngestConfigTest, OpenFeedAdminBeyondLoopbackIsRefused) {
  auto open = LoadIngestConfig(WriteConfig("listen: 0.0.0.0:50052\n"));
  EXPECT_EQ(open.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(open.status().message(), HasSubstr("auth.admin_token"));
  EXPECT_TRUE(
      LoadIngestConfig(WriteConfig("listen: 0.0.0.0:50052\ninsecure: true\n"))
          .ok());
  EXPECT_TRUE(LoadIngestConfig(WriteConfig("listen: \"[::]:50052\"\n"
                                           "auth:\n  admin_token: t0ken\n"))
                  .ok());
}

// The compose stack's set-up: the admin token is made at first start, and
// the publish token is the file query-service made (or will read).
TEST(IngestConfigTest, TokenFilesAreCreatedOnceAndShared) {
  std::string dir = ::testing::TempDir() + "ingest_token_XXXXXX";
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  const std::string yaml = "listen: 0.0.0.0:50052\nquery_token_file: " + dir +
                           "/publish-token\nauth:\n  admin_token_file: " + dir +
                           "/admin-token\n";
  auto first = LoadIngestConfig(WriteConfig(yaml));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->admin_token.size(), 64u);
  EXPECT_EQ(first->publisher.token.size(), 64u);
  EXPECT_NE(first->admin_token, first->publisher.token);
  auto second = LoadIngestConfig(WriteConfig(yaml));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->admin_token, first->admin_token);
  EXPECT_EQ(second->publisher.token, first->publisher.token);
}

}  // namespace
}  // namespace newsfeed::ingest
