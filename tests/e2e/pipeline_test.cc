// The whole pipeline as a user runs it: query-service and ingest-service as
// real processes on free loopback ports, a feed served over real HTTP on
// loopback, and a gRPC client that subscribes and searches.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "newsfeed/v1/feeds.grpc.pb.h"
#include "newsfeed/v1/query.grpc.pb.h"
#include "tests/e2e/child_process.h"
#include "tests/e2e/harness.h"

namespace newsfeed::testing {
namespace {

using newsfeed::v1::Article;
using ::testing::Contains;

std::vector<std::string> Names(const Article& a) {
  std::vector<std::string> names;
  for (const auto& c : a.companies()) names.push_back(c.name());
  return names;
}
std::vector<std::string> Countries(const Article& a) {
  std::vector<std::string> codes;
  for (const auto& c : a.countries()) codes.push_back(c.code());
  return codes;
}
std::vector<std::string> Topics(const Article& a) {
  std::vector<std::string> ids;
  for (const auto& t : a.topics()) ids.push_back(t.id());
  return ids;
}

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = MakeTempDir("pipeline");
    feeds_ = std::make_unique<FeedServer>(SourceDir() + "/data/feeds");
  }

  std::unique_ptr<ChildProcess> StartQuery(std::string* address) {
    auto service =
        StartQueryService(work_,
                          "listen: 127.0.0.1:0\n"
                          "data_dir: " +
                              work_ +
                              "/query-data\n"
                              "shutdown_grace: 1s\n"
                              "subscriptions:\n  heartbeat_interval: 1s\n");
    EXPECT_TRUE(service.ok()) << service.status();
    if (!service.ok()) return nullptr;
    *address = service->address;
    return std::move(service->process);
  }

  std::unique_ptr<ChildProcess> StartIngest(
      const std::string& query_address, const std::vector<std::string>& feeds,
      std::string* address) {
    std::string config =
        "listen: 127.0.0.1:0\n"
        "data_dir: " +
        work_ +
        "/ingest-data\n"
        "query_address: " +
        query_address +
        "\n"
        "shutdown_grace: 1s\n"
        "fetcher:\n  allowed_networks: [127.0.0.0/8]\n"
        "feeds:\n";
    for (const auto& f : feeds) config += "  - " + f + "\n";
    auto service = StartIngestService(work_, config);
    EXPECT_TRUE(service.ok()) << service.status();
    if (!service.ok()) return nullptr;
    *address = service->address;
    return std::move(service->process);
  }

  std::string work_;
  std::unique_ptr<FeedServer> feeds_;
};

TEST_F(PipelineTest, SubscriberReceivesTaggedSeedArticleAndSearchFindsIt) {
  std::string query_address;
  auto query = StartQuery(&query_address);
  ASSERT_NE(query, nullptr);
  auto channel =
      grpc::CreateChannel(query_address, grpc::InsecureChannelCredentials());
  auto stub = newsfeed::v1::QueryService::NewStub(channel);

  // Subscribe first, to new articles about France; the first heartbeat says
  // the subscription is live.
  grpc::ClientContext subscribe_context;
  subscribe_context.set_deadline(std::chrono::system_clock::now() +
                                 std::chrono::seconds(120));
  newsfeed::v1::SubscribeRequest subscribe;
  subscribe.mutable_filter()->mutable_countries()->add_any_of("FR");
  auto stream = stub->Subscribe(&subscribe_context, subscribe);
  newsfeed::v1::SubscribeResponse message;
  ASSERT_TRUE(stream->Read(&message));
  ASSERT_TRUE(message.has_heartbeat());

  std::string ingest_address;
  auto ingest = StartIngest(
      query_address,
      {feeds_->Url("tech-news.xml"), feeds_->Url("world-business.atom")},
      &ingest_address);
  ASSERT_NE(ingest, nullptr);

  Article seed;
  while (stream->Read(&message)) {
    if (message.has_article() &&
        message.article().title().find("€5.5 billion") != std::string::npos) {
      seed = message.article();
      break;
    }
  }
  ASSERT_FALSE(seed.id().empty()) << "query-service:\n"
                                  << query->output() << "\ningest-service:\n"
                                  << ingest->output();
  EXPECT_THAT(Names(seed), Contains("Microsoft"));
  EXPECT_THAT(Names(seed), Contains("Amazon"));
  EXPECT_THAT(Countries(seed), Contains("FR"));
  EXPECT_THAT(Topics(seed), Contains("ai"));
  EXPECT_GT(seed.sequence(), 0u);
  EXPECT_EQ(seed.url().find("utm_source"), std::string::npos);
  EXPECT_EQ(seed.content_html().find("<script"), std::string::npos);
  subscribe_context.TryCancel();
  while (stream->Read(&message)) {
  }
  (void)stream->Finish();

  // company=Microsoft AND country=FR finds it; company=Apple does not.
  auto search = [&](const std::string& company) {
    grpc::ClientContext context;
    newsfeed::v1::SearchRequest request;
    request.mutable_filter()->mutable_companies()->add_all_of(company);
    request.mutable_filter()->mutable_countries()->add_all_of("FR");
    newsfeed::v1::SearchResponse response;
    grpc::Status status = stub->Search(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::set<std::string> ids;
    for (const auto& a : response.articles()) ids.insert(a.id());
    return ids;
  };
  EXPECT_THAT(search("Microsoft"), Contains(seed.id()));
  EXPECT_THAT(search("Apple"), ::testing::Not(Contains(seed.id())));

  // The admin API shows the feeds and what they delivered.
  {
    auto admin = newsfeed::v1::FeedAdmin::NewStub(grpc::CreateChannel(
        ingest_address, grpc::InsecureChannelCredentials()));
    grpc::ClientContext list_context;
    newsfeed::v1::ListFeedsResponse feeds;
    ASSERT_TRUE(admin->ListFeeds(&list_context, {}, &feeds).ok());
    ASSERT_EQ(feeds.feeds_size(), 2);
  }

  // SIGTERM stops both cleanly.
  ingest->Signal(SIGTERM);
  EXPECT_EQ(ingest->Wait(), 0) << ingest->output();
  query->Signal(SIGTERM);
  EXPECT_EQ(query->Wait(), 0) << query->output();
}

// What the services store (articles, feed state, outbox, journals) and the
// directories holding it are the operator's alone, whatever the umask.
TEST_F(PipelineTest, StoredFilesAreTheOperatorsAlone) {
  const mode_t previous = umask(022);
  std::string query_address, ingest_address;
  auto query = StartQuery(&query_address);
  ASSERT_NE(query, nullptr);
  auto ingest = StartIngest(query_address, {feeds_->Url("tech-news.xml")},
                            &ingest_address);
  ASSERT_NE(ingest, nullptr);
  umask(previous);
  int checked = 0;
  for (const std::string& dir :
       {work_ + "/query-data", work_ + "/ingest-data"}) {
    for (const auto& entry :
         std::filesystem::recursive_directory_iterator(dir)) {
      struct stat st {};
      ASSERT_EQ(stat(entry.path().c_str(), &st), 0) << entry.path();
      EXPECT_EQ(st.st_mode & 077, 0u)
          << entry.path() << " mode " << std::oct << (st.st_mode & 07777);
      ++checked;
    }
  }
  EXPECT_GE(checked, 2);
  ingest->Signal(SIGTERM);
  EXPECT_EQ(ingest->Wait(), 0) << ingest->output();
  query->Signal(SIGTERM);
  EXPECT_EQ(query->Wait(), 0) << query->output();
}

TEST_F(PipelineTest, InvalidConfigurationStopsStartupNamingTheOption) {
  WriteFile(work_ + "/bad.yaml",
            "listen: 127.0.0.1:0\nretention:\n  max_age: soon\n");
  auto child =
      ChildProcess::Start({BinaryDir() + "/query-service/query-service",
                           "--config", work_ + "/bad.yaml"});
  ASSERT_TRUE(child.ok());
  EXPECT_EQ((*child)->Wait(), 2);
  EXPECT_THAT((*child)->output(), ::testing::HasSubstr("retention.max_age"));
}

}  // namespace
}  // namespace newsfeed::testing
