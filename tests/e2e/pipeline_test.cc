// The whole pipeline as a user runs it: query-service and ingest-service as
// real processes on free loopback ports, a feed served over real HTTP on
// loopback, and a gRPC client that subscribes and searches.
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <signal.h>
#include <stdlib.h>

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

namespace newsfeed::testing {
namespace {

using newsfeed::v1::Article;
using ::testing::Contains;

constexpr absl::Duration kStartTimeout = absl::Seconds(60);

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : value;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

std::string TempDir() {
  std::string dir = ::testing::TempDir() + "e2e_XXXXXX";
  EXPECT_NE(mkdtemp(dir.data()), nullptr);
  return dir;
}

// Serves data/feeds/ over HTTP on 127.0.0.1, on a free port.
class FeedServer {
 public:
  explicit FeedServer(const std::string& root) {
    server_.set_mount_point("/", root);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    server_.wait_until_ready();
  }
  ~FeedServer() {
    server_.stop();
    thread_.join();
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/" + path;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

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
    source_dir_ = Env("NEWSFEED_SOURCE_DIR");
    binary_dir_ = Env("NEWSFEED_BINARY_DIR");
    ASSERT_FALSE(source_dir_.empty() || binary_dir_.empty())
        << "run through ctest (NEWSFEED_SOURCE_DIR/NEWSFEED_BINARY_DIR)";
    work_ = TempDir();
    feeds_ = std::make_unique<FeedServer>(source_dir_ + "/data/feeds");
  }

  std::unique_ptr<ChildProcess> StartQuery(std::string* address) {
    WriteFile(work_ + "/query.yaml",
              "listen: 127.0.0.1:0\n"
              "data_dir: " + work_ + "/query-data\n"
              "subscriptions:\n  heartbeat_interval: 1s\n");
    auto child = ChildProcess::Start(
        {binary_dir_ + "/query-service/query-service", "--config",
         work_ + "/query.yaml"});
    EXPECT_TRUE(child.ok()) << child.status();
    if (!child.ok()) return nullptr;
    auto listening = (*child)->WaitForLine("listening on ", kStartTimeout);
    EXPECT_TRUE(listening.ok()) << listening.status();
    if (!listening.ok()) return nullptr;
    *address = listening->substr(0, listening->find(' '));
    return std::move(*child);
  }

  std::unique_ptr<ChildProcess> StartIngest(const std::string& query_address,
                                            const std::vector<std::string>& feeds,
                                            std::string* address) {
    std::string config =
        "listen: 127.0.0.1:0\n"
        "data_dir: " + work_ + "/ingest-data\n"
        "query_address: " + query_address + "\n"
        "fetcher:\n  allowed_networks: [127.0.0.0/8]\n"
        "feeds:\n";
    for (const auto& f : feeds) config += "  - " + f + "\n";
    WriteFile(work_ + "/ingest.yaml", config);
    auto child = ChildProcess::Start(
        {binary_dir_ + "/ingest-service/ingest-service", "--config",
         work_ + "/ingest.yaml"});
    EXPECT_TRUE(child.ok()) << child.status();
    if (!child.ok()) return nullptr;
    auto listening = (*child)->WaitForLine("listening on ", kStartTimeout);
    EXPECT_TRUE(listening.ok()) << listening.status();
    if (!listening.ok()) return nullptr;
    *address = listening->substr(0, listening->find(' '));
    return std::move(*child);
  }

  std::string source_dir_, binary_dir_, work_;
  std::unique_ptr<FeedServer> feeds_;
};

TEST_F(PipelineTest, SubscriberReceivesTaggedSeedArticleAndSearchFindsIt) {
  std::string query_address;
  auto query = StartQuery(&query_address);
  ASSERT_NE(query, nullptr);
  auto channel = grpc::CreateChannel(query_address, grpc::InsecureChannelCredentials());
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
      query_address, {feeds_->Url("tech-news.xml"), feeds_->Url("world-business.atom")},
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
  ASSERT_FALSE(seed.id().empty()) << "query-service:\n" << query->output()
                                  << "\ningest-service:\n" << ingest->output();
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
  auto admin = newsfeed::v1::FeedAdmin::NewStub(
      grpc::CreateChannel(ingest_address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext list_context;
  newsfeed::v1::ListFeedsResponse feeds;
  ASSERT_TRUE(admin->ListFeeds(&list_context, {}, &feeds).ok());
  ASSERT_EQ(feeds.feeds_size(), 2);

  // SIGTERM stops both cleanly.
  ingest->Signal(SIGTERM);
  EXPECT_EQ(ingest->Wait(), 0) << ingest->output();
  query->Signal(SIGTERM);
  EXPECT_EQ(query->Wait(), 0) << query->output();
}

TEST_F(PipelineTest, InvalidConfigurationStopsStartupNamingTheOption) {
  WriteFile(work_ + "/bad.yaml", "listen: 127.0.0.1:0\nretention:\n  max_age: soon\n");
  auto child = ChildProcess::Start(
      {binary_dir_ + "/query-service/query-service", "--config", work_ + "/bad.yaml"});
  ASSERT_TRUE(child.ok());
  EXPECT_EQ((*child)->Wait(), 2);
  EXPECT_THAT((*child)->output(), ::testing::HasSubstr("retention.max_age"));
}

}  // namespace
}  // namespace newsfeed::testing
