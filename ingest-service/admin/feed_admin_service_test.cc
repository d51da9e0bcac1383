// FeedAdmin served by a real gRPC server on 127.0.0.1:0 over a real state
// file: what a client may ask is bounded.
#include "ingest-service/admin/feed_admin_service.h"

#include <grpcpp/grpcpp.h>
#include <stdlib.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/server/grpc_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ingest-service/fetcher/curl_fetcher.h"
#include "ingest-service/state/ingest_state.h"

namespace newsfeed::ingest {
namespace {

using ::testing::HasSubstr;

class FeedAdminServiceTest : public ::testing::Test {
 protected:
  void Start(const FeedAdminOptions& options) {
    std::string dir = ::testing::TempDir() + "feed_admin_XXXXXX";
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    IngestStateOptions state_options;
    state_options.data_dir = dir;
    auto state = IngestState::Open(state_options);
    ASSERT_TRUE(state.ok()) << state.status();
    state_ = std::move(*state);
    auto fetcher = CurlFetcher::Create({});
    ASSERT_TRUE(fetcher.ok()) << fetcher.status();
    fetcher_ = std::move(*fetcher);
    auto tagger = Tagger::Create({});
    ASSERT_TRUE(tagger.ok()) << tagger.status();
    tagger_ = std::move(*tagger);
    // Never started: the service only wakes it.
    poller_ = std::make_unique<Poller>(*state_, *fetcher_, *tagger_, clock_,
                                       PollerOptions{}, nullptr);
    admin_ = std::make_unique<FeedAdminService>(*state_, *poller_, clock_,
                                                auth::TokenGate(),
                                                auth::TokenGate(), options);
    rpc::ServerOptions server_options;
    server_options.services = {admin_.get()};
    auto server = rpc::GrpcServer::Start(server_options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    stub_ = v1::FeedAdmin::NewStub(grpc::CreateChannel(
        server_->address(), grpc::InsecureChannelCredentials()));
  }

  grpc::Status AddFeed(const std::string& url) {
    grpc::ClientContext context;
    v1::AddFeedRequest request;
    request.set_url(url);
    v1::FeedStatus response;
    return stub_->AddFeed(&context, request, &response);
  }
  grpc::Status PollNow() {
    grpc::ClientContext context;
    v1::PollNowResponse response;
    return stub_->PollNow(&context, {}, &response);
  }
  grpc::Status ListFeeds(const v1::ListFeedsRequest& request,
                         v1::ListFeedsResponse* response) {
    grpc::ClientContext context;
    return stub_->ListFeeds(&context, request, response);
  }

  FakeClock clock_{absl::FromUnixSeconds(1715592600)};
  std::unique_ptr<IngestState> state_;
  std::unique_ptr<CurlFetcher> fetcher_;
  std::unique_ptr<Tagger> tagger_;
  std::unique_ptr<Poller> poller_;
  std::unique_ptr<FeedAdminService> admin_;
  std::unique_ptr<rpc::GrpcServer> server_;
  std::unique_ptr<v1::FeedAdmin::Stub> stub_;
};

TEST_F(FeedAdminServiceTest, ListFeedsComesInPagesInUrlOrder) {
  Start({});
  std::vector<std::string> urls;
  for (int i = 0; i < 25; ++i) {
    urls.push_back(absl::StrCat("https://feeds.example.com/", 100 + i));
    ASSERT_TRUE(state_->AddFeed(urls.back(), clock_.Now()).ok());
  }
  v1::ListFeedsRequest request;
  request.set_page_size(10);
  std::vector<std::string> listed;
  int pages = 0;
  for (; pages < 10; ++pages) {
    v1::ListFeedsResponse response;
    ASSERT_TRUE(ListFeeds(request, &response).ok());
    EXPECT_LE(response.feeds_size(), 10);
    for (const auto& f : response.feeds()) listed.push_back(f.url());
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  EXPECT_EQ(listed, urls);
  EXPECT_EQ(pages, 2);

  v1::ListFeedsResponse unused;
  v1::ListFeedsRequest too_big;
  too_big.set_page_size(5000);
  grpc::Status big = ListFeeds(too_big, &unused);
  EXPECT_EQ(big.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(big.error_message(), HasSubstr("page_size"));
  v1::ListFeedsRequest bad_token;
  bad_token.set_page_token("not base64 !!");
  EXPECT_EQ(ListFeeds(bad_token, &unused).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(FeedAdminServiceTest, AddFeedStopsAtTheFeedLimitAndLongUrls) {
  FeedAdminOptions options;
  options.max_feeds = 3;
  Start(options);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(AddFeed(absl::StrCat("https://example.com/feed/", i)).ok());
  }
  grpc::Status full = AddFeed("https://example.com/feed/4");
  EXPECT_EQ(full.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(full.error_message(), HasSubstr("admin.max_feeds"));
  EXPECT_EQ(*state_->CountFeeds(), 3);
  grpc::Status long_url =
      AddFeed("https://example.com/" + std::string(3000, 'a'));
  EXPECT_EQ(long_url.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LT(long_url.error_message().size(), 300u);
}

TEST_F(FeedAdminServiceTest, PollNowIsRateLimited) {
  FeedAdminOptions options;
  options.poll_now_burst = 3;
  options.poll_now_every = absl::Seconds(2);
  Start(options);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(PollNow().ok());
  grpc::Status limited = PollNow();
  EXPECT_EQ(limited.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(limited.error_message(), HasSubstr("retry in 2s"));
  clock_.Advance(absl::Seconds(2));
  EXPECT_TRUE(PollNow().ok());
  EXPECT_EQ(PollNow().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

}  // namespace
}  // namespace newsfeed::ingest
