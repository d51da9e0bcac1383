#include "ingest-service/scheduler/poller.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>

#include <map>
#include <set>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "common/metrics/metrics.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ingest-service/feeds/forwarding_feed_registry.h"
#include "ingest-service/fetcher/test_http_server.h"

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
    // Fixed intervals without jitter, unless a test says otherwise.
    options_.schedule.adaptive = false;
    options_.schedule.jitter = 0;
    options_.schedule.default_interval = absl::Minutes(15);
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

// The feed list of an IngestState, except that the dedup check of the first
// feed's articles waits (up to a minute) until the second feed's articles
// were recorded: only a poller that processes documents off the fetch loop,
// in parallel, gets past it in time.
class SecondFeedFirstRegistry final : public ForwardingFeedRegistry {
 public:
  SecondFeedFirstRegistry(IngestState& state, std::string slow_feed_id)
      : ForwardingFeedRegistry(state), slow_feed_id_(std::move(slow_feed_id)) {}

  bool second_was_first() {
    absl::MutexLock lock(&mu_);
    return second_was_first_;
  }

  absl::StatusOr<std::vector<bool>> Unseen(
      const std::vector<newsfeed::v1::Article>& articles) override {
    if (!articles.empty() && articles[0].feed_id() == slow_feed_id_) {
      absl::MutexLock lock(&mu_);
      second_was_first_ = mu_.AwaitWithTimeout(
          absl::Condition(&other_recorded_), absl::Minutes(1));
    }
    return ForwardingFeedRegistry::Unseen(articles);
  }
  absl::StatusOr<int> MarkSeen(
      const std::string& feed_id,
      const std::vector<newsfeed::v1::Article>& articles) override {
    absl::StatusOr<int> marked =
        ForwardingFeedRegistry::MarkSeen(feed_id, articles);
    if (feed_id != slow_feed_id_) {
      absl::MutexLock lock(&mu_);
      other_recorded_ = true;
    }
    return marked;
  }

 private:
  const std::string slow_feed_id_;
  absl::Mutex mu_;
  bool other_recorded_ ABSL_GUARDED_BY(mu_) = false;
  bool second_was_first_ ABSL_GUARDED_BY(mu_) = false;
};

TEST_F(PollerTest, ASlowDocumentDoesNotHoldUpTheOtherFeeds) {
  constexpr char kOtherUrl[] = "http://other.example.test/news.xml";
  ASSERT_TRUE(state_->AddFeed(kOtherUrl, clock_.Now()).ok());
  fetcher_.responses[kUrl] = Ok(kRss);
  FetchResult other = Ok(absl::StrReplaceAll(
      kRss, {{"feeds.example.test", "other.example.test"}}));
  other.effective_url = kOtherUrl;
  fetcher_.responses[kOtherUrl] = other;
  SecondFeedFirstRegistry registry(*state_, Feed().id);
  // The slow feed is due first, so it is fetched (and handed over) first.
  ASSERT_TRUE(state_->PollSoon(kUrl, clock_.Now() - absl::Minutes(1)).ok());
  Poller poller(registry, *state_, fetcher_, *tagger_, clock_, options_, {});

  EXPECT_EQ(*poller.PollOnce(), 2);
  EXPECT_TRUE(registry.second_was_first());
  // Both documents were processed in the round.
  EXPECT_EQ(state_->GetOutboxStats()->articles, 4);
  EXPECT_EQ(fetcher_.seen.front().url, kUrl);
}

TEST_F(PollerTest, ADocumentOverItsCpuBudgetIsAParseErrorOfItsFeedOnly) {
  constexpr char kOtherUrl[] = "http://other.example.test/news.xml";
  ASSERT_TRUE(state_->AddFeed(kOtherUrl, clock_.Now()).ok());
  // 5,000 items take far more than 20 ms of CPU to normalize and tag; one
  // item takes far less.
  std::string big = "<rss version=\"2.0\"><channel><title>Big</title>";
  for (int i = 0; i < 5000; ++i) {
    absl::StrAppend(&big, "<item><title>Acme Corp item ", i,
                    " on AI and cloud</title><guid>big-", i,
                    "</guid><description>Acme Corp said it would invest in "
                    "artificial intelligence in France.</description></item>");
  }
  big += "</channel></rss>";
  fetcher_.responses[kUrl] = Ok(big);
  FetchResult small =
      Ok("<rss version=\"2.0\"><channel><title>Small</title><item><title>One"
         "</title><guid>small-1</guid></item></channel></rss>");
  small.effective_url = kOtherUrl;
  fetcher_.responses[kOtherUrl] = small;
  options_.document_cpu_budget = absl::Milliseconds(20);
  Poller poller(*state_, fetcher_, *tagger_, clock_, options_, {});

  EXPECT_EQ(*poller.PollOnce(), 2);
  FeedRecord slow = Feed();
  EXPECT_EQ(slow.consecutive_failures, 1);
  EXPECT_THAT(slow.last_error, HasSubstr("CPU time"));
  EXPECT_THAT(slow.last_error, HasSubstr("document_cpu_budget"));
  EXPECT_EQ(slow.items_seen, 0);
  FeedRecord fine = *state_->GetFeed(kOtherUrl);
  EXPECT_EQ(fine.consecutive_failures, 0);
  EXPECT_EQ(fine.items_seen, 1);
  // Nothing of the refused document was queued.
  EXPECT_EQ(state_->GetOutboxStats()->articles, 1);
}

// An RSS document whose `n` items were posted every `gap`, the newest at
// `newest`; `extra_channel` goes into the channel (hub links, ttl, ...).
std::string DatedRss(int n, absl::Duration gap, absl::Time newest,
                     const std::string& extra_channel = "",
                     const std::string& id_prefix = "dated") {
  std::string rss = absl::StrCat(
      "<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\">"
      "<channel><title>Dated</title>",
      extra_channel);
  for (int i = 0; i < n; ++i) {
    absl::StrAppend(&rss, "<item><title>Item ", i, "</title><guid>", id_prefix,
                    "-", i, "</guid><pubDate>",
                    absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT",
                                     newest - gap * i, absl::UTCTimeZone()),
                    "</pubDate></item>");
  }
  return rss + "</channel></rss>";
}

// With a parse queue that holds one document at a time, the fetch loop
// waits for the parsers instead of queueing every document; none is lost.
TEST_F(PollerTest, ParseQueueBoundedInBytesHoldsFetchesBack) {
  options_.max_queued_document_bytes = 1;
  options_.parse_threads = 1;
  options_.first_poll_spread = absl::ZeroDuration();  // all in one round
  for (int i = 0; i < 20; ++i) {
    const std::string url = absl::StrCat("http://feeds.example.test/q", i);
    ASSERT_TRUE(state_->AddFeed(url, clock_.Now()).ok());
    FetchResult r =
        Ok(DatedRss(3, absl::Hours(1), clock_.Now(), "", absl::StrCat("q", i)));
    r.effective_url = url;
    fetcher_.responses[url] = r;
  }
  fetcher_.responses[kUrl] = Ok(kRss);
  Poller poller(*state_, fetcher_, *tagger_, clock_, options_, {});
  EXPECT_EQ(*poller.PollOnce(), 21);
  EXPECT_EQ(state_->GetOutboxStats()->articles, 20 * 3 + 2);
}

// Many feeds never fetched (a start, a bulk import) have their first polls
// spread over polling.first_poll_spread; a feed fetched before is not
// delayed, and the spread survives a restart.
TEST_F(PollerTest, FirstPollsOfManyNewFeedsAreSpreadOverTheWindow) {
  options_.first_poll_spread = absl::Seconds(60);
  auto poller = std::make_unique<Poller>(*state_, fetcher_, *tagger_, clock_,
                                         options_, [] {});
  fetcher_.responses[kUrl] = Ok(kRss);
  ASSERT_EQ(*poller->PollOnce(), 1);  // a single new feed: at once

  constexpr int kNew = 100;
  std::vector<NewFeed> added;
  for (int i = 0; i < kNew; ++i) {
    const std::string url = absl::StrCat("http://feeds.example.test/s", i);
    added.push_back(NewFeed{url, "", {}});
    FetchResult r =
        Ok(DatedRss(3, absl::Hours(1), clock_.Now(), "", absl::StrCat("s", i)));
    r.effective_url = url;
    fetcher_.responses[url] = r;
  }
  ASSERT_TRUE(state_->AddFeeds(added, clock_.Now()).ok());
  ASSERT_TRUE(state_->PollSoon(kUrl, clock_.Now()).ok());
  fetcher_.seen.clear();
  // The feed fetched before is polled now; the new ones later.
  ASSERT_EQ(*poller->PollOnce(), 1);
  ASSERT_EQ(fetcher_.seen.size(), 1u);
  EXPECT_EQ(fetcher_.seen[0].url, kUrl);
  const absl::Time start = clock_.Now();
  FeedRecord spread = *state_->GetFeed("http://feeds.example.test/s0");
  EXPECT_GT(spread.next_poll, start);
  EXPECT_LT(spread.next_poll, start + absl::Seconds(60));
  EXPECT_THAT(spread.interval_reason, HasSubstr("first_poll_spread"));

  // A restart keeps each feed's slot.
  poller = std::make_unique<Poller>(*state_, fetcher_, *tagger_, clock_,
                                    options_, [] {});
  EXPECT_EQ(*poller->PollOnce(), 0);
  EXPECT_EQ(state_->GetFeed("http://feeds.example.test/s0")->next_poll,
            spread.next_poll);

  // Second by second, a few at a time; all within the window, once each.
  fetcher_.seen.clear();
  int busiest = 0, seconds_with_polls = 0;
  for (int second = 1; second <= 60; ++second) {
    clock_.Advance(absl::Seconds(1));
    const int polled = *poller->PollOnce();
    busiest = std::max(busiest, polled);
    seconds_with_polls += polled > 0;
  }
  EXPECT_EQ(fetcher_.seen.size(), size_t{kNew});
  std::set<std::string> urls;
  for (const FetchRequest& r : fetcher_.seen) urls.insert(r.url);
  EXPECT_EQ(urls.size(), size_t{kNew});
  EXPECT_LE(busiest, 10);
  EXPECT_GE(seconds_with_polls, 30);
  EXPECT_EQ(state_->GetOutboxStats()->articles, 2 + 3 * kNew);
}

TEST_F(PollerTest, AdaptiveScheduleFollowsThePostingRate) {
  options_.schedule.adaptive = true;
  Poller poller(*state_, fetcher_, *tagger_, clock_, options_, {});
  fetcher_.responses[kUrl] = Ok(DatedRss(20, absl::Hours(1), clock_.Now()));
  ASSERT_EQ(*poller.PollOnce(), 1);
  FeedRecord feed = Feed();
  EXPECT_EQ(feed.mean_gap, absl::Hours(1));
  EXPECT_EQ(feed.interval, absl::Minutes(12));
  EXPECT_EQ(feed.next_poll, clock_.Now() + absl::Minutes(12));
  EXPECT_THAT(feed.interval_reason, HasSubstr("a new item every ~60m"));

  // Nothing new for a long while: the feed is polled less and less.
  FetchResult not_modified = Status(304);
  not_modified.not_modified = true;
  fetcher_.responses[kUrl] = not_modified;
  clock_.Advance(absl::Hours(8));
  ASSERT_EQ(*poller.PollOnce(), 1);
  feed = Feed();
  EXPECT_EQ(feed.mean_gap, absl::Hours(1));
  EXPECT_EQ(feed.interval, absl::Minutes(48));  // 0.2 * 8h / 2
  EXPECT_THAT(feed.interval_reason, HasSubstr("backing off"));
}

TEST_F(PollerTest, PublisherTtlAndSkipHoursAreKeptWithTheFeed) {
  options_.schedule.adaptive = true;
  Poller poller(*state_, fetcher_, *tagger_, clock_, options_, {});
  // 09:30 UTC now; the publisher skips 09:00-11:59 and asks for a 90m ttl.
  fetcher_.responses[kUrl] = Ok(DatedRss(
      10, absl::Minutes(5), clock_.Now(),
      "<ttl>90</ttl><skipHours><hour>9</hour><hour>10</hour><hour>11</hour>"
      "</skipHours>"));
  ASSERT_EQ(*poller.PollOnce(), 1);
  FeedRecord feed = Feed();
  EXPECT_EQ(feed.publisher_interval, absl::Minutes(90));
  EXPECT_EQ(feed.skip_hours, 0b111u << 9);
  EXPECT_EQ(feed.interval, absl::Minutes(90));
  EXPECT_EQ(feed.next_poll, absl::FromCivil(absl::CivilHour(2024, 5, 13, 12),
                                            absl::UTCTimeZone()));
  EXPECT_THAT(feed.interval_reason, HasSubstr("ttl"));
  EXPECT_THAT(feed.interval_reason, HasSubstr("skipHours"));
}

std::string HmacSha256Hex(const std::string& secret, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac,
       &len);
  return absl::BytesToHexString(
      std::string(reinterpret_cast<const char*>(mac), len));
}

// The test plays a WebSub hub on loopback: the poller discovers it in the
// fetched feed, the real subscriber subscribes, and the test verifies the
// subscription and pushes signed and forged content.
class PollerWebSubTest : public PollerTest {
 protected:
  using Form = std::map<std::string, std::string>;

  void SetUp() override {
    PollerTest::SetUp();
    hub_.http().Post("/hub", [this](const httplib::Request& request,
                                    httplib::Response& response) {
      Form form;
      for (const auto& [k, v] : request.params) form[k] = v;
      absl::MutexLock lock(&mu_);
      hub_requests_.push_back(form);
      response.status = 202;
    });
    ASSERT_TRUE(hub_.Start());
    hub_url_ = absl::StrCat("http://127.0.0.1:", hub_.port(), "/hub");
    WebSubOptions websub;
    websub.public_base_url = kCallbackBase;
    websub.allow_private_networks = true;
    websub.tick_interval = absl::ZeroDuration();
    websub.clock = &clock_;
    auto subscriber = WebSubSubscriber::Start(
        websub, [this](const std::string& feed_id, std::string body,
                       std::string content_type) {
          return poller_->IngestPushed(feed_id, body, content_type).status();
        });
    ASSERT_TRUE(subscriber.ok()) << subscriber.status();
    subscriber_ = *std::move(subscriber);
    options_.schedule.adaptive = true;
    options_.websub = subscriber_.get();
    poller_ = std::make_unique<Poller>(*state_, fetcher_, *tagger_, clock_,
                                       options_, [] {});
  }
  void TearDown() override {
    poller_.reset();  // before the subscriber it points to
  }

  Form HubRequest(size_t n) {
    absl::MutexLock lock(&mu_);
    auto arrived = [this, n]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return hub_requests_.size() > n;
    };
    EXPECT_TRUE(
        mu_.AwaitWithTimeout(absl::Condition(&arrived), absl::Seconds(30)));
    return hub_requests_.size() > n ? hub_requests_[n] : Form{};
  }

  // Plays the hub's side of verification for the subscribe request `form`.
  void VerifyIntent(const Form& form) {
    httplib::Client client("http://" + subscriber_->address());
    auto answer =
        client.Get(CallbackPath(form),
                   httplib::Params{{"hub.mode", form.at("hub.mode")},
                                   {"hub.topic", form.at("hub.topic")},
                                   {"hub.challenge", "c-42"},
                                   {"hub.lease_seconds", "86400"}},
                   httplib::Headers{});
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 200);
    EXPECT_EQ(answer->body, "c-42");
  }

  int Push(const Form& form, const std::string& body,
           const std::string& signature) {
    httplib::Client client("http://" + subscriber_->address());
    httplib::Headers headers;
    if (!signature.empty()) headers.emplace("X-Hub-Signature", signature);
    auto answer =
        client.Post(CallbackPath(form), headers, body, "application/rss+xml");
    return answer ? answer->status : -1;
  }

  // Channel links naming the test's hub and the feed's self URL.
  std::string HubLinks() const {
    return absl::StrCat("<atom:link rel=\"hub\" href=\"", hub_url_,
                        "\"/><atom:link rel=\"self\" "
                        "href=\"https://feeds.example.test/self\"/>");
  }

  static std::string CallbackPath(const Form& form) {
    return form.at("hub.callback")
        .substr(std::strlen(kCallbackBase) - std::strlen("/in"));
  }

  static constexpr char kCallbackBase[] = "https://push.example.test/in";
  testing::TestHttpServer hub_;
  std::string hub_url_;
  std::unique_ptr<WebSubSubscriber> subscriber_;
  absl::Mutex mu_;
  std::vector<Form> hub_requests_ ABSL_GUARDED_BY(mu_);
};

TEST_F(PollerWebSubTest, DiscoversTheHubAndTakesSignedPushes) {
  const std::string hub_links = HubLinks();
  fetcher_.responses[kUrl] =
      Ok(DatedRss(5, absl::Minutes(10), clock_.Now(), hub_links));
  ASSERT_EQ(*poller_->PollOnce(), 1);
  const Form subscribe = HubRequest(0);
  EXPECT_EQ(subscribe.at("hub.mode"), "subscribe");
  EXPECT_EQ(subscribe.at("hub.topic"), "https://feeds.example.test/self");
  ASSERT_TRUE(poller_->PushState(Feed().id).has_value());
  EXPECT_EQ(poller_->PushState(Feed().id)->status,
            WebSubState::Status::kPending);
  EXPECT_EQ(Feed().interval, absl::Minutes(2));  // 0.2 * 10m: not pushed yet

  VerifyIntent(subscribe);
  EXPECT_EQ(poller_->PushState(Feed().id)->status,
            WebSubState::Status::kVerified);
  // Verified: the next polls are only a safety net.
  clock_.Advance(absl::Minutes(3));
  ASSERT_EQ(*poller_->PollOnce(), 1);
  EXPECT_EQ(Feed().interval, options_.schedule.push_safety_interval);
  EXPECT_THAT(Feed().interval_reason, HasSubstr("WebSub"));
  const int64_t queued = state_->GetOutboxStats()->articles;

  // A forged and an unsigned push are acknowledged (W3C WebSub: so that
  // the hub does not retry) and ignored: nothing is stored.
  const std::string pushed =
      DatedRss(1, absl::Minutes(1), clock_.Now(), hub_links, "pushed");
  EXPECT_EQ(Push(subscribe, pushed, "sha256=" + std::string(64, '0')), 202);
  EXPECT_EQ(Push(subscribe, pushed, ""), 202);
  EXPECT_EQ(state_->GetOutboxStats()->articles, queued);

  // Signed with the subscription's secret: queued like a polled item, once.
  const std::string signature =
      "sha256=" + HmacSha256Hex(subscribe.at("hub.secret"), pushed);
  EXPECT_EQ(Push(subscribe, pushed, signature), 200);
  EXPECT_EQ(state_->GetOutboxStats()->articles, queued + 1);
  EXPECT_EQ(Push(subscribe, pushed, signature), 200);
  EXPECT_EQ(state_->GetOutboxStats()->articles, queued + 1);

  // Signed content that is not a feed: refused for good (no retry).
  const std::string junk = "this is not a feed";
  EXPECT_EQ(Push(subscribe, junk,
                 "sha256=" + HmacSha256Hex(subscribe.at("hub.secret"), junk)),
            400);

  // Removing the feed unsubscribes at the hub.
  ASSERT_TRUE(state_->RemoveFeed(kUrl).ok());
  poller_->FeedRemoved(FeedRegistry::FeedIdFor(kUrl));
  const Form unsubscribe = HubRequest(1);
  EXPECT_EQ(unsubscribe.at("hub.mode"), "unsubscribe");
  EXPECT_EQ(unsubscribe.at("hub.topic"), "https://feeds.example.test/self");
}

// New items pushed teach the feed's posting rate exactly as polled ones do,
// without shortening its safety poll; a push of known items changes nothing.
TEST_F(PollerWebSubTest, PushedItemsUpdateThePostingRate) {
  const std::string hub_links = HubLinks();
  fetcher_.responses[kUrl] =
      Ok(DatedRss(5, absl::Minutes(10), clock_.Now(), hub_links));
  ASSERT_EQ(*poller_->PollOnce(), 1);
  const Form subscribe = HubRequest(0);
  VerifyIntent(subscribe);
  clock_.Advance(absl::Minutes(3));
  ASSERT_EQ(*poller_->PollOnce(), 1);  // nothing new: the rate is as it was
  const FeedRecord polled = Feed();
  EXPECT_EQ(polled.mean_gap, absl::Minutes(10));
  EXPECT_EQ(polled.interval, options_.schedule.push_safety_interval);

  // A new item 30 minutes after the last: the smoothed gap moves towards
  // it (0.7 * 10m + 0.3 * 30m), as it would after a poll.
  clock_.Advance(absl::Minutes(27));
  const std::string pushed =
      DatedRss(1, absl::Minutes(1), clock_.Now(), hub_links, "pushed");
  ASSERT_EQ(Push(subscribe, pushed,
                 "sha256=" + HmacSha256Hex(subscribe.at("hub.secret"), pushed)),
            200);
  FeedRecord feed = Feed();
  EXPECT_EQ(feed.mean_gap, absl::Minutes(16));
  EXPECT_EQ(feed.last_new_item, clock_.Now());
  EXPECT_EQ(feed.items_seen, polled.items_seen + 1);
  // The safety poll stays where it was.
  EXPECT_EQ(feed.next_poll, polled.next_poll);
  EXPECT_EQ(feed.interval, polled.interval);
  EXPECT_EQ(feed.interval_reason, polled.interval_reason);

  // The same item again: known, so nothing changes.
  clock_.Advance(absl::Minutes(5));
  ASSERT_EQ(Push(subscribe, pushed,
                 "sha256=" + HmacSha256Hex(subscribe.at("hub.secret"), pushed)),
            200);
  EXPECT_EQ(Feed().mean_gap, feed.mean_gap);
  EXPECT_EQ(Feed().last_new_item, feed.last_new_item);
  EXPECT_EQ(Feed().next_poll, feed.next_poll);
}

TEST_F(PollerWebSubTest, HubInTheLinkHeaderIsFound) {
  FetchResult result = Ok(DatedRss(3, absl::Minutes(10), clock_.Now()));
  result.link_headers = {absl::StrCat("<", hub_url_, ">; rel=\"hub\", <", kUrl,
                                      ">; rel=\"self\"")};
  fetcher_.responses[kUrl] = result;
  ASSERT_EQ(*poller_->PollOnce(), 1);
  const Form subscribe = HubRequest(0);
  EXPECT_EQ(subscribe.at("hub.mode"), "subscribe");
  EXPECT_EQ(subscribe.at("hub.topic"), kUrl);
}

}  // namespace
}  // namespace newsfeed::ingest
