#include "ingest-service/scheduler/poller.h"

#include <stdlib.h>

#include <map>
#include <string>

#include "common/metrics/metrics.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsfeed::ingest {
namespace {

IngestStateOptions StateOptions(const std::string& dir,
                                int64_t outbox_max_bytes = int64_t{1} << 30) {
  IngestStateOptions options;
  options.data_dir = dir;
  options.outbox_max_bytes = outbox_max_bytes;
  return options;
}

using ::testing::HasSubstr;

// Answers each URL with a canned result and records the requests.
class FakeFetcher final : public FeedFetcher {
 public:
  void FetchAll(
      const std::vector<FetchRequest>& requests,
      const std::function<void(size_t, absl::StatusOr<FetchResult>)>& on_done,
      const std::function<bool()>&) override {
    for (size_t i = 0; i < requests.size(); ++i) {
      seen.push_back(requests[i]);
      auto it = responses.find(requests[i].url);
      if (it == responses.end()) {
        on_done(i, absl::UnavailableError("no route to " + requests[i].url));
      } else {
        on_done(i, it->second);
      }
    }
  }
  std::map<std::string, absl::StatusOr<FetchResult>> responses;
  std::vector<FetchRequest> seen;
};

constexpr char kUrl[] = "http://feeds.example.test/tech.xml";

constexpr char kRss[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Example Tech</title>
<link>http://feeds.example.test/</link><ttl>120</ttl>
<item><title>Microsoft to invest €4 billion in French AI and cloud data centers</title>
<link>http://feeds.example.test/a/1</link><guid>tech-1</guid>
<pubDate>Mon, 13 May 2024 09:30:00 GMT</pubDate>
<description>Microsoft said it will spend €4 billion on cloud and artificial intelligence infrastructure in France, training one million people in AI skills.</description></item>
<item><title>Quarterly results at a regional retailer</title>
<link>http://feeds.example.test/a/2</link><guid>tech-2</guid>
<description>Sales rose slightly.</description></item>
</channel></rss>)";

FetchResult Ok(const std::string& body, const std::string& etag = "") {
  FetchResult r;
  r.http_status = 200;
  r.body = body;
  r.etag = etag;
  r.effective_url = kUrl;
  return r;
}

FetchResult Status(int code) {
  FetchResult r;
  r.http_status = code;
  r.effective_url = kUrl;
  return r;
}

class PollerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = ::testing::TempDir() + "poller_XXXXXX";
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    auto state = IngestState::Open(StateOptions(dir));
    ASSERT_TRUE(state.ok()) << state.status();
    state_ = std::move(*state);
    auto tagger = Tagger::Create({});
    ASSERT_TRUE(tagger.ok()) << tagger.status();
    tagger_ = std::move(*tagger);
    ASSERT_TRUE(state_->AddFeed(kUrl, clock_.Now()).ok());
    options_.default_interval = absl::Minutes(15);
    poller_ = std::make_unique<Poller>(*state_, fetcher_, *tagger_, clock_,
                                       options_, [this] { ++queued_signals_; });
  }

  FeedRecord Feed() { return *state_->GetFeed(kUrl); }

  FakeClock clock_{absl::FromUnixSeconds(1715592600)};
  FakeFetcher fetcher_;
  PollerOptions options_;
  std::unique_ptr<IngestState> state_;
  std::unique_ptr<Tagger> tagger_;
  std::unique_ptr<Poller> poller_;
  int queued_signals_ = 0;
};

TEST_F(PollerTest, NewItemsAreTaggedQueuedOnceAndValidatorsKept) {
  fetcher_.responses[kUrl] = Ok(kRss, "\"etag-1\"");
  EXPECT_EQ(*poller_->PollOnce(), 1);
  auto entries = state_->PeekOutbox(0, 10);
  ASSERT_EQ(entries->size(), 2u);
  const newsfeed::v1::Article& first = (*entries)[0].article;
  EXPECT_EQ(first.feed_id(), Feed().id);
  EXPECT_EQ(first.source_title(), "Example Tech");
  std::vector<std::string> companies;
  for (const auto& c : first.companies()) companies.push_back(c.name());
  EXPECT_THAT(companies, ::testing::Contains("Microsoft"));
  EXPECT_EQ(queued_signals_, 1);

  FeedRecord feed = Feed();
  EXPECT_EQ(feed.etag, "\"etag-1\"");
  EXPECT_EQ(feed.title, "Example Tech");
  EXPECT_EQ(feed.consecutive_failures, 0);
  EXPECT_EQ(feed.items_seen, 2);
  // ttl 120 minutes lengthens the 15-minute default.
  EXPECT_EQ(feed.next_poll, clock_.Now() + absl::Minutes(120));

  // Not due yet: nothing fetched.
  EXPECT_EQ(*poller_->PollOnce(), 0);
  // Due again: the same items are not queued twice, validators are sent.
  clock_.Advance(absl::Minutes(121));
  EXPECT_EQ(*poller_->PollOnce(), 1);
  EXPECT_EQ(fetcher_.seen.back().etag, "\"etag-1\"");
  EXPECT_EQ(state_->PeekOutbox(0, 10)->size(), 2u);
}

TEST_F(PollerTest, NotModifiedCostsNothing) {
  FetchResult not_modified = Status(304);
  not_modified.not_modified = true;
  fetcher_.responses[kUrl] = not_modified;
  EXPECT_EQ(*poller_->PollOnce(), 1);
  EXPECT_EQ(state_->GetOutboxStats()->articles, 0);
  EXPECT_EQ(Feed().consecutive_failures, 0);
  EXPECT_EQ(Feed().next_poll, clock_.Now() + absl::Minutes(15));
}

TEST_F(PollerTest, ErrorsBackOffAndRecover) {
  EXPECT_EQ(*poller_->PollOnce(), 1);  // no route: transport error
  FeedRecord feed = Feed();
  EXPECT_EQ(feed.consecutive_failures, 1);
  EXPECT_THAT(feed.last_error, HasSubstr(kUrl));
  const absl::Duration first_delay = feed.next_poll - clock_.Now();
  EXPECT_GE(first_delay, absl::Seconds(48));
  EXPECT_LE(first_delay, absl::Seconds(72));

  clock_.Advance(first_delay);
  fetcher_.responses[kUrl] = Status(500);
  EXPECT_EQ(*poller_->PollOnce(), 1);
  feed = Feed();
  EXPECT_EQ(feed.consecutive_failures, 2);
  EXPECT_EQ(feed.last_error, "HTTP 500");
  EXPECT_GE(feed.next_poll - clock_.Now(), absl::Seconds(96));

  clock_.Advance(absl::Hours(1));
  fetcher_.responses[kUrl] = Ok(kRss);
  EXPECT_EQ(*poller_->PollOnce(), 1);
  feed = Feed();
  EXPECT_EQ(feed.consecutive_failures, 0);
  EXPECT_TRUE(feed.last_error.empty());
  EXPECT_TRUE(feed.enabled);
}

TEST_F(PollerTest, RetryAfterPausesWithoutCountingAFailure) {
  FetchResult busy = Status(429);
  busy.retry_after = absl::Minutes(30);
  fetcher_.responses[kUrl] = busy;
  EXPECT_EQ(*poller_->PollOnce(), 1);
  FeedRecord feed = Feed();
  EXPECT_EQ(feed.consecutive_failures, 0);
  EXPECT_EQ(feed.next_poll, clock_.Now() + absl::Minutes(30));
}

TEST_F(PollerTest, RetryAfterPausesEveryFeedOfThatHost) {
  const std::string sibling = "http://FEEDS.example.test/world.xml";
  const std::string other_host = "http://other.example.test/feed.xml";
  ASSERT_TRUE(state_->AddFeed(sibling, clock_.Now() + absl::Minutes(5)).ok());
  ASSERT_TRUE(
      state_->AddFeed(other_host, clock_.Now() + absl::Minutes(5)).ok());
  FetchResult busy = Status(503);
  busy.retry_after = absl::Minutes(30);
  fetcher_.responses[kUrl] = busy;
  fetcher_.responses[sibling] = Ok(kRss);
  fetcher_.responses[other_host] = Ok(kRss);
  EXPECT_EQ(*poller_->PollOnce(), 1);

  clock_.Advance(absl::Minutes(10));
  fetcher_.seen.clear();
  EXPECT_EQ(*poller_->PollOnce(), 1);  // only the other host is fetched
  ASSERT_EQ(fetcher_.seen.size(), 1u);
  EXPECT_EQ(fetcher_.seen[0].url, other_host);
  FeedRecord waiting = *state_->GetFeed(sibling);
  EXPECT_EQ(waiting.next_poll, clock_.Now() + absl::Minutes(20));
  EXPECT_EQ(waiting.consecutive_failures, 0);

  clock_.Advance(absl::Minutes(21));
  fetcher_.seen.clear();
  fetcher_.responses[kUrl] = Ok(kRss);
  EXPECT_EQ(*poller_->PollOnce(), 2);  // the pause is over for both
}

TEST_F(PollerTest, GoneDisablesTheFeedUntilPolledAgain) {
  fetcher_.responses[kUrl] = Status(410);
  EXPECT_EQ(*poller_->PollOnce(), 1);
  EXPECT_FALSE(Feed().enabled);
  EXPECT_THAT(Feed().last_error, HasSubstr("410"));
  clock_.Advance(absl::Hours(48));
  EXPECT_EQ(*poller_->PollOnce(), 0);
  EXPECT_EQ(*state_->PollSoon(kUrl, clock_.Now()), 1);
  EXPECT_TRUE(Feed().enabled);
}

TEST_F(PollerTest, UnparseableDocumentIsAFeedErrorNamingTheFeed) {
  fetcher_.responses[kUrl] = Ok("<html><body>not a feed");
  EXPECT_EQ(*poller_->PollOnce(), 1);
  FeedRecord feed = Feed();
  EXPECT_EQ(feed.consecutive_failures, 1);
  EXPECT_FALSE(feed.last_error.empty());
  EXPECT_EQ(state_->GetOutboxStats()->articles, 0);
}

TEST_F(PollerTest, MetricsCountFetchesByOutcomeAndArticles) {
  metrics::Registry registry;
  PollerOptions options = options_;
  options.metrics = &registry;
  Poller poller(*state_, fetcher_, *tagger_, clock_, options, nullptr);
  FetchResult ok = Ok(kRss);
  ok.elapsed = absl::Milliseconds(30);
  fetcher_.responses[kUrl] = ok;
  EXPECT_EQ(*poller.PollOnce(), 1);
  clock_.Advance(absl::Hours(3));
  fetcher_.responses[kUrl] = Ok("<html><body>not a feed");
  EXPECT_EQ(*poller.PollOnce(), 1);
  clock_.Advance(absl::Hours(3));
  fetcher_.responses[kUrl] = Status(500);
  EXPECT_EQ(*poller.PollOnce(), 1);
  clock_.Advance(absl::Hours(3));
  fetcher_.responses.erase(kUrl);  // no route: a transport error
  EXPECT_EQ(*poller.PollOnce(), 1);

  const std::string text = registry.Render();
  for (const char* line :
       {"newsfeed_fetches_total{outcome=\"ok\"} 1\n",
        "newsfeed_fetches_total{outcome=\"parse_error\"} 1\n",
        "newsfeed_fetches_total{outcome=\"http_error\"} 1\n",
        "newsfeed_fetches_total{outcome=\"network_error\"} 1\n",
        "newsfeed_fetches_total{outcome=\"not_modified\"} 0\n",
        "\nnewsfeed_items_parsed_total 2\n",
        "\nnewsfeed_articles_tagged_total 2\n",
        "\nnewsfeed_articles_queued_total 2\n",
        // Three fetches got an HTTP response.
        "\nnewsfeed_fetch_duration_seconds_count 3\n",
        "newsfeed_fetch_duration_seconds_bucket{le=\"0.05\"} 3\n"}) {
    EXPECT_THAT(text, HasSubstr(line));
  }
}

TEST_F(PollerTest, PermanentRedirectUpdatesTheFeedUrl) {
  FetchResult moved = Ok(kRss);
  moved.permanent_redirect_url = "https://feeds.example.test/new.xml";
  moved.effective_url = moved.permanent_redirect_url;
  fetcher_.responses[kUrl] = moved;
  EXPECT_EQ(*poller_->PollOnce(), 1);
  auto feeds = state_->ListFeeds();
  ASSERT_EQ(feeds->size(), 1u);
  EXPECT_EQ((*feeds)[0].url, "https://feeds.example.test/new.xml");
}

}  // namespace
}  // namespace newsfeed::ingest
