// Two QueryServers on one PostgreSQL database, as two replicas would run:
// what is published to one is searchable on both, and a subscriber on the
// other receives it live, in sequence order, with no gap.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/clock/clock.h"
#include "common/testing/test_postgres.h"
#include "gtest/gtest.h"
#include "newsfeed/v1/ingest.grpc.pb.h"
#include "newsfeed/v1/query.grpc.pb.h"
#include "query-service/server/query_server.h"

namespace newsfeed::query {
namespace {

using newsfeed::v1::Article;

Article MakeArticle(const std::string& id, const std::string& country) {
  Article a;
  a.set_id(id);
  a.set_feed_id("feed-1");
  a.set_title("Title of " + id);
  a.set_content_text("Body of " + id);
  a.set_content_hash("hash-" + id);
  a.mutable_published_time()->set_seconds(1700000000);
  a.add_countries()->set_code(country);
  return a;
}

class ReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dsn = testing::TestPostgres::CreateDatabase();
    ASSERT_TRUE(dsn.ok()) << dsn.status();
    for (int i = 0; i < 2; ++i) {
      QueryConfig config;
      config.server.listen_address = "127.0.0.1:0";
      config.store_engine = "postgres";
      config.store.postgres_url = *dsn;
      config.store.data_dir = ::testing::TempDir();
      config.hub.heartbeat_interval = absl::Milliseconds(200);
      config.shutdown_grace = absl::Seconds(1);
      auto server = QueryServer::Start(config, RealClock::Instance());
      ASSERT_TRUE(server.ok()) << server.status();
      servers_.push_back(std::move(*server));
    }
  }

  std::shared_ptr<grpc::Channel> Channel(int replica) {
    return grpc::CreateChannel(servers_[replica]->address(),
                               grpc::InsecureChannelCredentials());
  }

  void Publish(int replica, const std::vector<Article>& articles) {
    auto stub = newsfeed::v1::ArticleIngest::NewStub(Channel(replica));
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    auto stream = stub->Publish(&context);
    newsfeed::v1::PublishRequest request;
    request.set_batch_id(1);
    for (const Article& a : articles) *request.add_articles() = a;
    ASSERT_TRUE(stream->Write(request));
    newsfeed::v1::PublishResponse ack;
    ASSERT_TRUE(stream->Read(&ack));
    EXPECT_EQ(ack.stored(), static_cast<int>(articles.size()));
    stream->WritesDone();
    EXPECT_TRUE(stream->Finish().ok());
  }

  std::vector<std::unique_ptr<QueryServer>> servers_;
};

TEST_F(ReplicasTest, PublishedToOneReplicaIsSearchableAndStreamedOnTheOther) {
  // Subscribed on B, from the start, to French articles only.
  auto query_b = newsfeed::v1::QueryService::NewStub(Channel(1));
  grpc::ClientContext subscribe_context;
  subscribe_context.set_deadline(
      absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
  newsfeed::v1::SubscribeRequest subscribe;
  subscribe.set_after_sequence(0);
  subscribe.mutable_filter()->mutable_countries()->add_any_of("FR");
  auto reader = query_b->Subscribe(&subscribe_context, subscribe);

  // Interleaved writes through both replicas.
  Publish(0, {MakeArticle("a1", "FR"), MakeArticle("a2", "DE")});
  Publish(1, {MakeArticle("b1", "FR")});
  Publish(0, {MakeArticle("a3", "FR")});

  std::vector<std::string> ids;
  uint64_t previous = 0;
  newsfeed::v1::SubscribeResponse message;
  while (ids.size() < 3 && reader->Read(&message)) {
    if (!message.has_article()) continue;
    EXPECT_GT(message.article().sequence(), previous);
    previous = message.article().sequence();
    ids.push_back(message.article().id());
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"a1", "b1", "a3"}));
  subscribe_context.TryCancel();
  while (reader->Read(&message)) {
  }
  (void)reader->Finish();

  // Both replicas answer searches over everything either one stored.
  for (int replica = 0; replica < 2; ++replica) {
    auto query = newsfeed::v1::QueryService::NewStub(Channel(replica));
    grpc::ClientContext context;
    newsfeed::v1::SearchRequest request;
    request.set_page_size(10);
    newsfeed::v1::SearchResponse response;
    ASSERT_TRUE(query->Search(&context, request, &response).ok());
    EXPECT_EQ(response.articles_size(), 4) << "replica " << replica;
  }
}

}  // namespace
}  // namespace newsfeed::query
