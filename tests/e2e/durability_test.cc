// Never lose an article: kill -9 either service in the middle of a
// 10,000-article delivery, restart it, and every article is stored exactly
// once (no article is missing, none was stored twice as a new version).
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <signal.h>

#include <set>
#include <string>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "newsfeed/v1/query.grpc.pb.h"
#include "tests/e2e/harness.h"

namespace newsfeed::testing {
namespace {

constexpr int kArticles = 10000;

class DurabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = MakeTempDir("durability");
    feeds_.Put("/generated/big.xml", GeneratedFeed(0, kArticles));
  }

  std::string QueryConfig(const std::string& listen) {
    return "listen: " + listen + "\ndata_dir: " + work_ +
           "/query-data\nshutdown_grace: 1s\n";
  }
  // The parse budget is generous: sanitizer builds run 10-20x slower.
  std::string IngestConfig(const std::string& query_address) {
    return "listen: 127.0.0.1:0\ndata_dir: " + work_ +
           "/ingest-data\nquery_address: " + query_address +
           "\nparser:\n  max_items: 20000\n  document_cpu_budget: "
           "30s\noutbox:\n  batch_articles: 100\n"
           "fetcher:\n  allowed_networks: [127.0.0.0/8]\nfeeds:\n  - " +
           feeds_.Url("generated/big.xml") + "\n";
  }

  // Subscribes from the beginning and reads until `count` articles or the
  // stream ends; returns the ids and the highest sequence seen.
  static std::set<std::string> ReadAll(const std::string& address, int count,
                                       uint64_t* max_sequence,
                                       int* deliveries) {
    auto stub = newsfeed::v1::QueryService::NewStub(
        grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::minutes(5));
    newsfeed::v1::SubscribeRequest request;
    request.set_after_sequence(0);
    auto reader = stub->Subscribe(&context, request);
    std::set<std::string> ids;
    newsfeed::v1::SubscribeResponse message;
    *deliveries = 0;
    while (static_cast<int>(ids.size()) < count && reader->Read(&message)) {
      if (!message.has_article()) continue;
      ++*deliveries;
      ids.insert(message.article().id());
      *max_sequence = std::max(*max_sequence, message.article().sequence());
    }
    context.TryCancel();
    while (reader->Read(&message)) {
    }
    (void)reader->Finish();
    return ids;
  }

  // Waits (bounded by a deadline, not a sleep) until query-service stored at
  // least one article, i.e. delivery is under way.
  static void WaitForFirstArticle(const std::string& address) {
    uint64_t max_sequence = 0;
    int deliveries = 0;
    ASSERT_EQ(ReadAll(address, 1, &max_sequence, &deliveries).size(), 1u);
  }

  void ExpectExactlyOnce(const std::string& address) {
    uint64_t max_sequence = 0;
    int deliveries = 0;
    std::set<std::string> ids =
        ReadAll(address, kArticles, &max_sequence, &deliveries);
    EXPECT_EQ(static_cast<int>(ids.size()), kArticles);
    EXPECT_EQ(deliveries, kArticles);
    // Every stored change took one sequence: had a resent duplicate been
    // stored again, the highest sequence would exceed the article count.
    EXPECT_EQ(max_sequence, static_cast<uint64_t>(kArticles));
  }

  std::string work_;
  FeedServer feeds_;
};

TEST_F(DurabilityTest, QueryServiceKilledMidDeliveryLosesNothing) {
  auto query = StartQueryService(work_, QueryConfig("127.0.0.1:0"));
  ASSERT_TRUE(query.ok()) << query.status();
  auto ingest = StartIngestService(work_, IngestConfig(query->address));
  ASSERT_TRUE(ingest.ok()) << ingest.status();

  WaitForFirstArticle(query->address);
  query->process->Signal(SIGKILL);
  EXPECT_EQ(query->process->Wait(), 128 + SIGKILL);

  // Same address and data directory: ingest-service reconnects and resends
  // what was not acknowledged.
  auto restarted = StartQueryService(work_, QueryConfig(query->address));
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  ExpectExactlyOnce(restarted->address);
}

TEST_F(DurabilityTest, IngestServiceKilledMidDeliveryLosesNothing) {
  auto query = StartQueryService(work_, QueryConfig("127.0.0.1:0"));
  ASSERT_TRUE(query.ok()) << query.status();
  auto ingest = StartIngestService(work_, IngestConfig(query->address));
  ASSERT_TRUE(ingest.ok()) << ingest.status();

  WaitForFirstArticle(query->address);
  ingest->process->Signal(SIGKILL);
  EXPECT_EQ(ingest->process->Wait(), 128 + SIGKILL);

  auto restarted = StartIngestService(work_, IngestConfig(query->address));
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  ExpectExactlyOnce(query->address);
}

// A subscriber that stops reading holds a full queue in the hub. When
// query-service stops (SIGTERM) or dies (kill -9), the client resumes from
// what the stream told it (after SIGTERM, the position its status names):
// everything up to there reached it, and resuming there after a restart
// misses nothing.
class SlowSubscriberTest : public DurabilityTest {
 protected:
  void StopAndResume(int signal) {
    auto query =
        StartQueryService(work_, "listen: 127.0.0.1:0\ndata_dir: " + work_ +
                                     "/query-data\nshutdown_grace: 60s\n"
                                     "metrics_listen: 127.0.0.1:0\n");
    ASSERT_TRUE(query.ok()) << query.status();
    auto metrics_address =
        query->process->WaitForLine("metrics on http://", absl::Seconds(60));
    ASSERT_TRUE(metrics_address.ok()) << metrics_address.status();
    auto ingest = StartIngestService(work_, IngestConfig(query->address));
    ASSERT_TRUE(ingest.ok()) << ingest.status();
    // Everything is stored before the slow subscriber starts.
    uint64_t max_sequence = 0;
    int deliveries = 0;
    ASSERT_EQ(
        ReadAll(query->address, kArticles, &max_sequence, &deliveries).size(),
        static_cast<size_t>(kArticles));

    // The default 64 KiB HTTP/2 window, not grown by BDP probing: a client
    // that does not read stops the server's writes after about 100 articles.
    grpc::ChannelArguments arguments;
    arguments.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    auto stub = newsfeed::v1::QueryService::NewStub(grpc::CreateCustomChannel(
        query->address, grpc::InsecureChannelCredentials(), arguments));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::minutes(5));
    newsfeed::v1::SubscribeRequest request;
    request.set_after_sequence(0);
    auto reader = stub->Subscribe(&context, request);
    std::set<uint64_t> received;
    newsfeed::v1::SubscribeResponse message;
    while (received.size() < 10 && reader->Read(&message)) {
      if (message.has_article()) received.insert(message.article().sequence());
    }
    ASSERT_EQ(received.size(), 10u);
    // Wait (bounded) until the hub holds a full queue (64 messages) for it.
    {
      const std::string host_port =
          metrics_address->substr(0, metrics_address->find('/'));
      const size_t colon = host_port.rfind(':');
      httplib::Client metrics(host_port.substr(0, colon),
                              std::stoi(host_port.substr(colon + 1)));
      const absl::Time deadline = absl::Now() + absl::Seconds(60);
      bool full = false;
      while (!full && absl::Now() < deadline) {
        auto response = metrics.Get("/metrics");
        full =
            response && response->body.find(
                            "\nnewsfeed_subscription_buffered_messages 64\n") !=
                            std::string::npos;
        if (!full) absl::SleepFor(absl::Milliseconds(10));  // poll interval
      }
      ASSERT_TRUE(full) << "the slow subscriber's queue never filled";
    }

    // What the stream told: its articles' and heartbeats' positions, and
    // after SIGTERM the position its status names.
    uint64_t told = 0;
    query->process->Signal(signal);
    while (reader->Read(&message)) {
      if (message.has_article()) {
        received.insert(message.article().sequence());
        told = std::max(told, message.article().sequence());
      }
      if (message.has_heartbeat()) {
        told = std::max(told, message.heartbeat().latest_sequence());
      }
    }
    const grpc::Status status = reader->Finish();
    EXPECT_EQ(query->process->Wait(), signal == SIGTERM ? 0 : 128 + signal)
        << query->process->output();
    ASSERT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
        << status.error_message();
    uint64_t resume = told;
    if (signal == SIGTERM) {
      const std::string marker = "after_sequence=";
      const size_t at = status.error_message().find(marker);
      ASSERT_NE(at, std::string::npos) << status.error_message();
      resume = std::stoull(status.error_message().substr(at + marker.size()));
    }
    EXPECT_GE(resume, 10u);
    EXPECT_LT(resume, static_cast<uint64_t>(kArticles));
    for (uint64_t sequence = 1; sequence <= resume; ++sequence) {
      ASSERT_TRUE(received.contains(sequence))
          << "told to resume after " << resume << " but " << sequence
          << " never arrived";
    }

    // Resuming where it was told, after a restart, it gets all the rest.
    auto restarted = StartQueryService(work_, QueryConfig(query->address));
    ASSERT_TRUE(restarted.ok()) << restarted.status();
    auto resumed_stub = newsfeed::v1::QueryService::NewStub(grpc::CreateChannel(
        restarted->address, grpc::InsecureChannelCredentials()));
    grpc::ClientContext resumed_context;
    resumed_context.set_deadline(std::chrono::system_clock::now() +
                                 std::chrono::minutes(5));
    request.set_after_sequence(resume);
    auto resumed = resumed_stub->Subscribe(&resumed_context, request);
    while (received.size() < static_cast<size_t>(kArticles) &&
           resumed->Read(&message)) {
      if (message.has_article()) received.insert(message.article().sequence());
    }
    EXPECT_EQ(received.size(), static_cast<size_t>(kArticles));
    resumed_context.TryCancel();
    while (resumed->Read(&message)) {
    }
    (void)resumed->Finish();
  }
};

TEST_F(SlowSubscriberTest, AfterSigtermResumesFromTheStatusPosition) {
  StopAndResume(SIGTERM);
}

TEST_F(SlowSubscriberTest, AfterKill9ResumesFromWhatItReceived) {
  StopAndResume(SIGKILL);
}

}  // namespace
}  // namespace newsfeed::testing
