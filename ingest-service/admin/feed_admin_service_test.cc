// FeedAdmin served by a real gRPC server on 127.0.0.1:0 over a real state
// file: what a client may ask is bounded.
#include "ingest-service/admin/feed_admin_service.h"

#include <grpcpp/grpcpp.h>
#include <stdlib.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/server/grpc_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ingest-service/feeds/forwarding_feed_registry.h"
#include "ingest-service/fetcher/curl_fetcher.h"
#include "ingest-service/opml/opml.h"
#include "ingest-service/state/ingest_state.h"

namespace newsfeed::ingest {
namespace {

using ::testing::HasSubstr;

// The real registry, except that ListFeedsAfter waits, once armed, until the
// test releases it: a database round trip that takes its time.
class SlowRegistry final : public ForwardingFeedRegistry {
 public:
  using ForwardingFeedRegistry::ForwardingFeedRegistry;

  void Arm() { armed_ = true; }
  absl::Notification entered;  // a ListFeedsAfter call is waiting
  absl::Notification release;

  absl::StatusOr<std::vector<FeedRecord>> ListFeedsAfter(
      const std::string& after_url, int limit) override {
    if (armed_.exchange(false)) {
      entered.Notify();
      release.WaitForNotification();
    }
    return ForwardingFeedRegistry::ListFeedsAfter(after_url, limit);
  }

 private:
  std::atomic<bool> armed_{false};
};

class FeedAdminServiceTest : public ::testing::Test {
 protected:
  // `slow`: serve FeedAdmin over a SlowRegistry in front of the state file.
  void Start(const FeedAdminOptions& options, bool slow = false) {
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
    FeedAdminOptions wired = options;
    wired.outbox = state_.get();
    wired.on_replayed = [this] { ++replay_wakeups_; };
    FeedRegistry* registry = state_.get();
    if (slow) {
      slow_ = std::make_unique<SlowRegistry>(*state_);
      registry = slow_.get();
    }
    admin_ = std::make_unique<FeedAdminService>(*registry, *poller_, clock_,
                                                auth::TokenGate(),
                                                auth::TokenGate(), wired);
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
  grpc::Status Import(const std::string& opml,
                      v1::ImportFeedsResponse* response, bool dry_run = false) {
    grpc::ClientContext context;
    v1::ImportFeedsRequest request;
    request.set_opml(opml);
    request.set_dry_run(dry_run);
    return stub_->ImportFeeds(&context, request, response);
  }
  std::vector<std::string> StoredUrls() {
    std::vector<std::string> urls;
    absl::StatusOr<std::vector<FeedRecord>> feeds = state_->ListFeeds();
    EXPECT_TRUE(feeds.ok()) << feeds.status();
    if (feeds.ok()) {
      for (const FeedRecord& feed : *feeds) urls.push_back(feed.url);
    }
    return urls;
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
  std::unique_ptr<SlowRegistry> slow_;
  std::unique_ptr<FeedAdminService> admin_;
  int replay_wakeups_ = 0;
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

// Registry calls wait on the service's own thread, not in gRPC's reactions:
// while one is slow, further calls queue up to a bound and the rest are
// refused at once; the waiting ones are answered once the registry is back.
TEST_F(FeedAdminServiceTest, SlowRegistryCallsQueueBoundedOffTheReaction) {
  FeedAdminOptions options;
  options.max_waiting_calls = 1;
  Start(options, /*slow=*/true);
  ASSERT_TRUE(
      state_->AddFeed("https://feeds.example.com/a", clock_.Now()).ok());
  slow_->Arm();

  grpc::ClientContext list_context;
  v1::ListFeedsRequest list_request;
  v1::ListFeedsResponse list_response;
  absl::Notification list_done;
  grpc::Status list_status;
  stub_->async()->ListFeeds(&list_context, &list_request, &list_response,
                            [&](grpc::Status status) {
                              list_status = std::move(status);
                              list_done.Notify();
                            });
  slow_->entered.WaitForNotification();

  // Two more calls while the registry is blocked: whichever arrives first
  // waits, the other is refused at once.
  struct Add {
    grpc::ClientContext context;
    v1::AddFeedRequest request;
    v1::FeedStatus response;
    grpc::Status status;
  };
  absl::Mutex mu;
  std::vector<Add*> answered;
  Add adds[2];
  for (int i = 0; i < 2; ++i) {
    Add* add = &adds[i];
    add->request.set_url(absl::StrCat("https://feeds.example.com/", i));
    stub_->async()->AddFeed(&add->context, &add->request, &add->response,
                            [&mu, &answered, add](grpc::Status status) {
                              absl::MutexLock lock(&mu);
                              add->status = std::move(status);
                              answered.push_back(add);
                            });
  }
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](std::vector<Add*>* a) { return !a->empty(); }, &answered));
    ASSERT_EQ(answered.size(), 1u);
    const grpc::Status& refused = answered[0]->status;
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << refused.error_message();
    EXPECT_THAT(refused.error_message(),
                HasSubstr("AddFeed: 1 FeedAdmin calls are waiting for the "
                          "feed registry"));
  }
  EXPECT_FALSE(list_done.HasBeenNotified());

  slow_->release.Notify();
  list_done.WaitForNotification();
  EXPECT_TRUE(list_status.ok()) << list_status.error_message();
  ASSERT_EQ(list_response.feeds_size(), 1);
  EXPECT_EQ(list_response.feeds(0).url(), "https://feeds.example.com/a");
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(
      +[](std::vector<Add*>* a) { return a->size() == 2; }, &answered));
  EXPECT_TRUE(answered[1]->status.ok()) << answered[1]->status.error_message();
  EXPECT_EQ(StoredUrls().size(), 2u);
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

// A feed reader's export: folders, a category, a duplicate.
constexpr char kReaderExport[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>My subscriptions</title></head>
  <body>
    <outline text="Central banks" title="Central banks">
      <outline type="rss" text="Fed press releases"
               xmlUrl="https://www.federalreserve.example/feeds/press_all.xml"
               category="/Markets/Rates"/>
      <outline type="rss" text="ECB press"
               xmlUrl="https://www.ecb.example/rss/press.html"/>
    </outline>
    <outline type="rss" text="Tech newsroom" xmlUrl="https://news.example.com/feed"/>
    <outline type="rss" text="Fed again"
             xmlUrl="https://www.federalreserve.example/feeds/press_all.xml"/>
  </body>
</opml>
)";

TEST_F(FeedAdminServiceTest, ImportAddsEveryFeedWithItsLabelsOnceOrNothing) {
  Start({});
  // One refused URL: nothing of the document is added, and the error names
  // its line.
  std::string bad = kReaderExport;
  bad.replace(bad.find("https://news.example.com/feed"),
              std::string("https://news.example.com/feed").size(),
              "ftp://news.example.com/feed");
  v1::ImportFeedsResponse refused;
  grpc::Status status = Import(bad, &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("line 12: xmlUrl"));
  EXPECT_THAT(status.error_message(), HasSubstr("nothing imported"));
  EXPECT_TRUE(StoredUrls().empty());

  v1::ImportFeedsResponse dry;
  ASSERT_TRUE(Import(kReaderExport, &dry, /*dry_run=*/true).ok());
  EXPECT_EQ(dry.added_size(), 3);
  EXPECT_TRUE(StoredUrls().empty());

  v1::ImportFeedsResponse imported;
  status = Import(kReaderExport, &imported);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(imported.added_size(), 3);
  EXPECT_EQ(imported.already_present(), 0);
  ASSERT_EQ(imported.problems_size(), 1);  // the second Fed outline
  EXPECT_EQ(imported.problems(0).line(), 13);
  EXPECT_THAT(imported.problems(0).message(), HasSubstr("duplicate"));
  auto fed =
      state_->GetFeed("https://www.federalreserve.example/feeds/press_all.xml");
  ASSERT_TRUE(fed.ok());
  EXPECT_EQ(fed->title, "Fed press releases");
  EXPECT_THAT(fed->labels, ::testing::ElementsAre("Central banks", "Rates"));
  v1::ListFeedsResponse listed;
  ASSERT_TRUE(ListFeeds({}, &listed).ok());
  ASSERT_EQ(listed.feeds_size(), 3);
  // In URL order: news.example.com, www.ecb.example, ...
  EXPECT_TRUE(listed.feeds(0).labels().empty());
  EXPECT_THAT(listed.feeds(1).labels(),
              ::testing::ElementsAre("Central banks"));

  // Importing again changes nothing and says so.
  v1::ImportFeedsResponse again;
  ASSERT_TRUE(Import(kReaderExport, &again).ok());
  EXPECT_EQ(again.added_size(), 0);
  EXPECT_EQ(again.already_present(), 3);
  EXPECT_EQ(StoredUrls().size(), 3u);
}

TEST_F(FeedAdminServiceTest, ImportRefusesWhatIsNotAnOpmlFeedList) {
  FeedAdminOptions options;
  options.max_feeds = 2;
  Start(options);
  v1::ImportFeedsResponse response;
  grpc::Status over_limit = Import(kReaderExport, &response);
  EXPECT_EQ(over_limit.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(over_limit.error_message(), HasSubstr("admin.max_feeds"));
  EXPECT_TRUE(StoredUrls().empty());

  grpc::Status rss =
      Import("<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel/></rss>",
             &response);
  EXPECT_EQ(rss.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(rss.error_message(), HasSubstr("rss"));
  grpc::Status broken = Import("<opml><body>\n<outline\n</body>", &response);
  EXPECT_EQ(broken.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(broken.error_message(), HasSubstr("line"));
  grpc::Status huge = Import(std::string(5 << 20, ' '), &response);
  EXPECT_EQ(huge.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(StoredUrls().empty());
}

TEST_F(FeedAdminServiceTest, ExportGivesBackWhatWasImported) {
  Start({});
  v1::ImportFeedsResponse imported;
  ASSERT_TRUE(Import(kReaderExport, &imported).ok());
  ASSERT_TRUE(state_->AddFeed("https://added.example/rss", clock_.Now()).ok());
  grpc::ClientContext context;
  v1::ExportFeedsResponse exported;
  ASSERT_TRUE(stub_->ExportFeeds(&context, {}, &exported).ok());
  absl::StatusOr<OpmlDocument> document = ParseOpml(exported.opml());
  ASSERT_TRUE(document.ok()) << document.status() << exported.opml();
  std::map<std::string, std::vector<std::string>> labels;
  for (const OpmlFeed& feed : document->feeds) labels[feed.url] = feed.labels;
  EXPECT_EQ(labels.size(), 4u);
  EXPECT_THAT(labels["https://www.federalreserve.example/feeds/press_all.xml"],
              ::testing::ElementsAre("Central banks", "Rates"));
  EXPECT_TRUE(labels["https://added.example/rss"].empty());
}

TEST_F(FeedAdminServiceTest, DeadLettersAreListedInPagesAndReplayed) {
  Start({});
  std::vector<newsfeed::v1::Article> articles(3);
  for (int i = 0; i < 3; ++i) {
    articles[i].set_id(absl::StrCat("a", i));
    articles[i].set_title(absl::StrCat("Title ", i));
    articles[i].set_feed_id("feed-1");
  }
  ASSERT_EQ(*state_->QueueArticles(articles), 3);
  auto queued = state_->PeekOutbox(0, 10);
  ASSERT_TRUE(queued.ok());
  std::vector<IngestState::Rejection> rejections;
  for (const OutboxEntry& entry : *queued) {
    rejections.push_back({entry.id, "content_html: larger than 1 MiB"});
  }
  ASSERT_TRUE(state_->RejectOutbox(rejections).ok());
  ASSERT_EQ(state_->GetOutboxStats()->articles, 0);

  // Newest first, two pages.
  v1::ListDeadLettersRequest request;
  request.set_page_size(2);
  v1::ListDeadLettersResponse first;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->ListDeadLetters(&context, request, &first).ok());
  }
  ASSERT_EQ(first.dead_letters_size(), 2);
  EXPECT_EQ(first.dead_letters(0).article_id(), "a2");
  EXPECT_EQ(first.dead_letters(0).title(), "Title 2");
  EXPECT_EQ(first.dead_letters(0).feed_id(), "feed-1");
  EXPECT_EQ(first.dead_letters(0).reason(), "content_html: larger than 1 MiB");
  EXPECT_GT(first.dead_letters(0).bytes(), 0);
  ASSERT_NE(first.next_before_id(), 0);
  request.set_before_id(first.next_before_id());
  v1::ListDeadLettersResponse second;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->ListDeadLetters(&context, request, &second).ok());
  }
  ASSERT_EQ(second.dead_letters_size(), 1);
  EXPECT_EQ(second.dead_letters(0).article_id(), "a0");
  EXPECT_EQ(second.next_before_id(), 0);

  // Two replayed (an unknown id skipped): back in the outbox, whole.
  v1::ReplayDeadLettersRequest replay;
  replay.add_ids(first.dead_letters(0).id());
  replay.add_ids(second.dead_letters(0).id());
  replay.add_ids(987654);
  v1::ReplayDeadLettersResponse replayed;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->ReplayDeadLetters(&context, replay, &replayed).ok());
  }
  EXPECT_EQ(replayed.replayed(), 2);
  EXPECT_EQ(replay_wakeups_, 1);
  auto outbox = state_->PeekOutbox(0, 10);
  ASSERT_TRUE(outbox.ok());
  ASSERT_EQ(outbox->size(), 2u);
  EXPECT_EQ((*outbox)[0].article.title(), "Title 2");
  EXPECT_EQ(state_->DeadLetters(10)->size(), 1u);

  // Nothing, or too much, to replay.
  {
    grpc::ClientContext context;
    EXPECT_EQ(stub_->ReplayDeadLetters(&context, {}, &replayed).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  request.set_page_size(5000);
  {
    grpc::ClientContext context;
    EXPECT_EQ(stub_->ListDeadLetters(&context, request, &second).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
}

}  // namespace
}  // namespace newsfeed::ingest
