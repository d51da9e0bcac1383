// MetricsServer on 127.0.0.1:0, scraped by a real HTTP client.
#include "common/metrics/metrics_server.h"

#include <httplib.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsfeed::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::unique_ptr<MetricsServer> MustStart(const Registry& registry) {
  absl::StatusOr<std::unique_ptr<MetricsServer>> server =
      MetricsServer::Start("127.0.0.1:0", registry);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(*server) : nullptr;
}

TEST(MetricsServerTest, ServesTheRegistryInTheTextFormat) {
  Registry registry;
  CounterFamily& fetches = registry.AddCounterFamily(
      "newsfeed_fetches_total", "Feed fetches by outcome.", {"outcome"});
  fetches.WithLabels({"ok"}).Increment(2);
  registry
      .AddHistogram("newsfeed_fetch_duration_seconds", "Fetch latency.",
                    {0.1, 1})
      .Observe(0.5);
  std::unique_ptr<MetricsServer> server = MustStart(registry);
  ASSERT_NE(server, nullptr);
  EXPECT_GT(server->port(), 0);
  EXPECT_EQ(server->address(), absl::StrCat("127.0.0.1:", server->port()));

  httplib::Client client("127.0.0.1", server->port());
  httplib::Result result = client.Get("/metrics");
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 200);
  EXPECT_THAT(result->get_header_value("Content-Type"),
              StartsWith("text/plain; version=0.0.4"));
  EXPECT_EQ(result->body,
            "# HELP newsfeed_fetch_duration_seconds Fetch latency.\n"
            "# TYPE newsfeed_fetch_duration_seconds histogram\n"
            "newsfeed_fetch_duration_seconds_bucket{le=\"0.1\"} 0\n"
            "newsfeed_fetch_duration_seconds_bucket{le=\"1\"} 1\n"
            "newsfeed_fetch_duration_seconds_bucket{le=\"+Inf\"} 1\n"
            "newsfeed_fetch_duration_seconds_sum 0.5\n"
            "newsfeed_fetch_duration_seconds_count 1\n"
            "# HELP newsfeed_fetches_total Feed fetches by outcome.\n"
            "# TYPE newsfeed_fetches_total counter\n"
            "newsfeed_fetches_total{outcome=\"ok\"} 2\n");

  // Every scrape renders the current values.
  fetches.WithLabels({"parse_error"}).Increment();
  result = client.Get("/metrics");
  ASSERT_TRUE(result);
  EXPECT_THAT(result->body,
              HasSubstr("newsfeed_fetches_total{outcome=\"parse_error\"} 1\n"));
}

TEST(MetricsServerTest, CompressesForScrapersThatAcceptGzip) {
  Registry registry;
  registry.AddCounter("newsfeed_things_total", "Things.").Increment();
  std::unique_ptr<MetricsServer> server = MustStart(registry);
  ASSERT_NE(server, nullptr);
  httplib::Client client("127.0.0.1", server->port());
  httplib::Result result =
      client.Get("/metrics", {{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->get_header_value("Content-Encoding"), "gzip");
  EXPECT_EQ(result->body, registry.Render());  // the client decompressed it
}

TEST(MetricsServerTest, AnswersHealthzAndNotFound) {
  Registry registry;
  std::unique_ptr<MetricsServer> server = MustStart(registry);
  ASSERT_NE(server, nullptr);
  httplib::Client client("127.0.0.1", server->port());
  httplib::Result health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "ok\n");
  httplib::Result other = client.Get("/other");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);
}

TEST(MetricsServerTest, StopClosesThePortAndIsIdempotent) {
  Registry registry;
  std::unique_ptr<MetricsServer> server = MustStart(registry);
  ASSERT_NE(server, nullptr);
  const int port = server->port();
  server->Stop();
  server->Stop();
  httplib::Client client("127.0.0.1", port);
  EXPECT_FALSE(client.Get("/healthz"));
  server.reset();  // and the destructor after Stop is fine
}

TEST(MetricsServerTest, StopsRightAfterStart) {
  Registry registry;
  for (int i = 0; i < 20; ++i) {
    std::unique_ptr<MetricsServer> server = MustStart(registry);
    ASSERT_NE(server, nullptr);
  }
}

TEST(MetricsServerTest, PortInUseIsUnavailable) {
  Registry registry;
  std::unique_ptr<MetricsServer> first = MustStart(registry);
  ASSERT_NE(first, nullptr);
  absl::StatusOr<std::unique_ptr<MetricsServer>> second =
      MetricsServer::Start(first->address(), registry);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr(first->address()));
}

TEST(MetricsServerTest, MalformedAddressesAreInvalidArguments) {
  Registry registry;
  for (const char* address : {"localhost", "127.0.0.1:http", "127.0.0.1:70000",
                              "::1:9000", "127.0.0.1:-1", "127.0.0.1:"}) {
    absl::StatusOr<std::unique_ptr<MetricsServer>> server =
        MetricsServer::Start(address, registry);
    EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument)
        << address;
  }
}

TEST(MetricsServerTest, BracketedIpv6AddressIsReportedWithBrackets) {
  Registry registry;
  absl::StatusOr<std::unique_ptr<MetricsServer>> server =
      MetricsServer::Start("[::1]:0", registry);
  if (!server.ok()) GTEST_SKIP() << "no IPv6 loopback: " << server.status();
  EXPECT_EQ((*server)->address(), absl::StrCat("[::1]:", (*server)->port()));
  httplib::Client client("::1", (*server)->port());
  httplib::Result result = client.Get("/healthz");
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 200);
}

}  // namespace
}  // namespace newsfeed::metrics
