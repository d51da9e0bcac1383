// Never lose an article: kill -9 either service in the middle of a
// 10,000-article delivery, restart it, and every article is stored exactly
// once (no article is missing, none was stored twice as a new version).
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <set>
#include <string>

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
  std::string IngestConfig(const std::string& query_address) {
    return "listen: 127.0.0.1:0\ndata_dir: " + work_ +
           "/ingest-data\nquery_address: " + query_address +
           "\nparser:\n  max_items: 20000\noutbox:\n  batch_articles: 100\n"
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

}  // namespace
}  // namespace newsfeed::testing
