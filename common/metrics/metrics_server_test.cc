// MetricsServer on 127.0.0.1:0, scraped by a real HTTP client.
#include "common/metrics/metrics_server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

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

// Clients that send their request a byte at a time (slowloris) hold a
// connection each; /healthz is still answered.
TEST(MetricsServerTest, SlowClientsDoNotStarveHealthChecks) {
  Registry registry;
  std::unique_ptr<MetricsServer> server = MustStart(registry);
  ASSERT_NE(server, nullptr);
  std::atomic<bool> done{false};
  std::vector<int> sockets;
  for (int i = 0; i < 16; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(server->port()));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(
        connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    ASSERT_GT(send(fd, "GET /healthz HTTP/1.1\r\n", 23, MSG_NOSIGNAL), 0);
    sockets.push_back(fd);
  }
  // The attack: one more header line on each connection every 500 ms,
  // inside any per-read timeout, for as long as the test runs.
  std::thread trickle([&] {
    while (!done) {
      for (int fd : sockets) send(fd, "X-Slow: 1\r\n", 11, MSG_NOSIGNAL);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  });
  httplib::Client client("127.0.0.1", server->port());
  client.set_read_timeout(30, 0);
  httplib::Result health = client.Get("/healthz");
  done = true;
  trickle.join();
  for (int fd : sockets) close(fd);
  ASSERT_TRUE(health) << httplib::to_string(health.error());
  EXPECT_EQ(health->status, 200);
}

}  // namespace
}  // namespace newsfeed::metrics
