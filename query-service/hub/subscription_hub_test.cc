#include "query-service/hub/subscription_hub.h"

#include <stdlib.h>

#include <atomic>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "query-service/store/forwarding_article_store.h"
#include "query-service/store/sqlite_store.h"

namespace newsfeed::query {
namespace {

using newsfeed::v1::Article;
using newsfeed::v1::SubscribeResponse;

// A stream whose writes complete only when the test says so, like a client
// that reads at its own pace.
class FakeStream final : public StreamWriter {
 public:
  void WriteMessage(std::shared_ptr<const std::string> encoded, bool) override {
    SubscribeResponse message;
    EXPECT_TRUE(message.ParseFromString(*encoded));
    absl::MutexLock lock(&mu_);
    written_.push_back(std::move(message));
  }
  void FinishStream(const absl::Status& status) override {
    absl::MutexLock lock(&mu_);
    finished_ = true;
    status_ = status;
  }
  // Waits until `count` messages were written; returns them.
  std::vector<SubscribeResponse> WaitForWrites(size_t count) {
    absl::MutexLock lock(&mu_);
    wanted_ = count;
    mu_.Await(absl::Condition(this, &FakeStream::Enough));
    return written_;
  }
  // Bounded, so a stream that never ends fails the test instead of hanging
  // it.
  absl::Status WaitForFinish() {
    absl::MutexLock lock(&mu_);
    if (!mu_.AwaitWithTimeout(absl::Condition(&finished_), absl::Seconds(60))) {
      return absl::DeadlineExceededError("the stream did not finish");
    }
    return status_;
  }
  size_t written() {
    absl::MutexLock lock(&mu_);
    return written_.size();
  }

 private:
  bool Enough() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return written_.size() >= wanted_;
  }

  absl::Mutex mu_;
  size_t wanted_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<SubscribeResponse> written_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
};

Article MakeArticle(const std::string& id, const std::string& country) {
  Article a;
  a.set_id(id);
  a.set_title("Story " + id);
  a.set_content_hash("h-" + id);
  a.add_countries()->set_code(country);
  a.mutable_published_time()->set_seconds(1000);
  return a;
}

class HubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenStore(0);
    ASSERT_NE(store_, nullptr);
    HubOptions hub_options;
    hub_options.queue_capacity = 4;
    hub_options.read_batch = 4;
    hub_options.heartbeat_interval = absl::Hours(1);
    auto hub = SubscriptionHub::Create(*store_, clock_, hub_options);
    ASSERT_TRUE(hub.ok());
    hub_ = std::move(*hub);
  }

  // A store in a new directory keeping at most `max_articles` (0: all);
  // nullptr on failure.
  static std::unique_ptr<SqliteStore> OpenStore(int64_t max_articles) {
    std::string dir = ::testing::TempDir() + "hub_XXXXXX";
    if (mkdtemp(dir.data()) == nullptr) return nullptr;
    StoreOptions options;
    options.data_dir = dir;
    options.retention_max_articles = max_articles;
    auto store = SqliteStore::Open(options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // A hub over `store` whose heartbeats never fire during a test.
  std::unique_ptr<SubscriptionHub> QuietHub(ArticleStore& store) {
    HubOptions options;
    options.heartbeat_interval = absl::Hours(1);
    auto hub = SubscriptionHub::Create(store, clock_, options);
    EXPECT_TRUE(hub.ok()) << hub.status();
    return hub.ok() ? std::move(*hub) : nullptr;
  }

  void Store(const std::vector<Article>& articles) {
    auto result = store_->Upsert(articles);
    ASSERT_TRUE(result.ok()) << result.status();
    hub_->OnStored(result->latest_sequence, std::move(result->changed));
  }

  // A live subscription asking for 1,000 articles per message, past its
  // first heartbeat (written and acknowledged).
  static absl::StatusOr<std::shared_ptr<Subscription>> LiveBatchSubscription(
      SubscriptionHub& hub, FakeStream& stream) {
    newsfeed::v1::SubscribeRequest request;
    request.set_max_articles_per_response(1000);
    auto subscription = hub.Subscribe(request, &stream);
    if (!subscription.ok()) return subscription;
    stream.WaitForWrites(1);
    (*subscription)->OnWriteDone(true);
    return subscription;
  }

  // Stores `count` articles of 64 KiB ("big-0", ...) and tells `hub`;
  // returns their ids.
  std::vector<std::string> StoreBig(SubscriptionHub& hub, int count) {
    std::vector<Article> big;
    std::vector<std::string> ids;
    for (int i = 0; i < count; ++i) {
      Article a = MakeArticle(absl::StrCat("big-", i), "FR");
      a.set_content_text(std::string(64 << 10, 'x'));
      big.push_back(a);
      ids.push_back(a.id());
    }
    auto result = store_->Upsert(big);
    EXPECT_TRUE(result.ok()) << result.status();
    if (result.ok()) {
      hub.OnStored(result->latest_sequence, std::move(result->changed));
    }
    return ids;
  }

  FakeClock clock_{absl::FromUnixSeconds(1000)};
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<SubscriptionHub> hub_;
};

std::vector<std::string> ArticleIds(
    const std::vector<SubscribeResponse>& messages) {
  std::vector<std::string> ids;
  for (const auto& m : messages) {
    if (m.has_article()) ids.push_back(m.article().id());
    for (const auto& a : m.articles().articles()) ids.push_back(a.id());
  }
  return ids;
}

TEST_F(HubTest, BatchesArticlesWhenTheClientAsks) {
  std::vector<Article> stored;
  std::vector<std::string> expected;
  for (int i = 0; i < 12; ++i) {
    stored.push_back(MakeArticle(absl::StrCat("fr-", i), "FR"));
    stored.push_back(MakeArticle(absl::StrCat("de-", i), "DE"));
    expected.push_back(absl::StrCat("fr-", i));
  }
  Store(stored);
  FakeStream stream;
  newsfeed::v1::SubscribeRequest request;
  request.mutable_filter()->mutable_countries()->add_any_of("FR");
  request.set_after_sequence(0);
  request.set_max_articles_per_response(5);
  auto subscription = hub_->Subscribe(request, &stream);
  ASSERT_TRUE(subscription.ok()) << subscription.status();

  // Replayed from the store, then live from memory: every FR article once,
  // in order, in batches of at most 5.
  std::vector<SubscribeResponse> got;
  for (size_t n = 1; ArticleIds(got).size() < 12; ++n) {
    got = stream.WaitForWrites(n);
    (*subscription)->OnWriteDone(true);
  }
  std::vector<Article> live;
  for (int i = 0; i < 7; ++i) {
    live.push_back(MakeArticle(absl::StrCat("live-", i), "FR"));
    expected.push_back(absl::StrCat("live-", i));
  }
  Store(live);
  for (size_t n = got.size() + 1; ArticleIds(got).size() < 19; ++n) {
    got = stream.WaitForWrites(n);
    (*subscription)->OnWriteDone(true);
  }
  EXPECT_EQ(ArticleIds(got), expected);
  size_t article_messages = 0;
  for (const SubscribeResponse& m : got) {
    EXPECT_FALSE(m.has_article()) << "a batching stream sent a single article";
    if (!m.has_articles()) continue;
    ++article_messages;
    EXPECT_GE(m.articles().articles_size(), 1);
    EXPECT_LE(m.articles().articles_size(), 5);
  }
  // 19 articles in at most 5 per message: fewer messages than articles.
  EXPECT_LT(article_messages, 19u);
  EXPECT_GE(article_messages, 4u);
  (*subscription)->Detach();
}

TEST_F(HubTest, RefusesBatchesAboveTheLimitNamingTheField) {
  FakeStream stream;
  newsfeed::v1::SubscribeRequest request;
  request.set_max_articles_per_response(kMaxArticlesPerResponse + 1);
  auto subscription = hub_->Subscribe(request, &stream);
  ASSERT_FALSE(subscription.ok());
  EXPECT_EQ(subscription.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(subscription.status().message(),
              ::testing::HasSubstr("max_articles_per_response"));
}

TEST_F(HubTest, APositionPastTheLatestCommitIsOutOfRange) {
  Store({MakeArticle("a", "FR"), MakeArticle("b", "FR")});
  FakeStream stream;
  newsfeed::v1::SubscribeRequest request;
  request.set_after_sequence(99999);
  auto refused = hub_->Subscribe(request, &stream);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(refused.status().message(),
              ::testing::HasSubstr("resume with after_sequence=2 or lower"));
  request.set_after_sequence(2);  // the latest itself is a fine start
  auto subscription = hub_->Subscribe(request, &stream);
  ASSERT_TRUE(subscription.ok()) << subscription.status();
  (*subscription)->Detach();
}

TEST_F(HubTest, FirstMessageIsAHeartbeatWithThePosition) {
  Store({MakeArticle("a", "FR")});
  FakeStream stream;
  newsfeed::v1::SubscribeRequest request;
  auto subscription = hub_->Subscribe(request, &stream);
  ASSERT_TRUE(subscription.ok());
  auto messages = stream.WaitForWrites(1);
  ASSERT_TRUE(messages[0].has_heartbeat());
  EXPECT_EQ(messages[0].heartbeat().latest_sequence(), 1u);
  (*subscription)->Detach();
}

TEST_F(HubTest, SlowSubscriberCatchesUpFromTheStoreWithoutBlockingOthers) {
  FakeStream slow, fast;
  newsfeed::v1::SubscribeRequest request;
  request.mutable_filter()->mutable_countries()->add_any_of("FR");
  auto slow_sub = hub_->Subscribe(request, &slow);
  auto fast_sub = hub_->Subscribe(request, &fast);
  ASSERT_TRUE(slow_sub.ok() && fast_sub.ok());
  slow.WaitForWrites(1);
  fast.WaitForWrites(1);

  std::vector<Article> batch;
  for (int i = 0; i < 20; ++i) {
    batch.push_back(MakeArticle(absl::StrCat("fr-", i), "FR"));
    batch.push_back(MakeArticle(absl::StrCat("de-", i), "DE"));
  }
  Store(batch);

  // The fast one acknowledges every write and receives all 20 in order.
  std::vector<SubscribeResponse> got;
  for (size_t n = 1; ArticleIds(got).size() < 20; ++n) {
    got = fast.WaitForWrites(n);
    (*fast_sub)->OnWriteDone(true);
  }
  std::vector<std::string> expected;
  for (int i = 0; i < 20; ++i) expected.push_back(absl::StrCat("fr-", i));
  EXPECT_EQ(ArticleIds(got), expected);

  // The slow one never acknowledged its first write: it holds one message
  // in flight and its bounded queue, nothing more.
  EXPECT_LE(slow.written(), 1u);

  // Once it reads again it catches up, from the store, without a gap.
  got.clear();
  for (size_t n = 1; ArticleIds(got).size() < 20; ++n) {
    got = slow.WaitForWrites(n);
    (*slow_sub)->OnWriteDone(true);
  }
  EXPECT_EQ(ArticleIds(got), expected);
  (*slow_sub)->Detach();
  (*fast_sub)->Detach();
}

TEST_F(HubTest, StatsShowSubscribersLagAndBufferedMessages) {
  EXPECT_EQ(hub_->stats().subscribers, 0u);
  EXPECT_EQ(hub_->stats().max_lag, 0u);
  FakeStream stalled;  // never acknowledges a write
  newsfeed::v1::SubscribeRequest request;
  auto subscription = hub_->Subscribe(request, &stalled);
  ASSERT_TRUE(subscription.ok());
  stalled.WaitForWrites(1);
  std::vector<Article> batch;
  for (int i = 0; i < 40; ++i) {
    batch.push_back(MakeArticle(absl::StrCat("a-", i), "FR"));
  }
  Store(batch);

  // Its queue (capacity 4) holds at most 3 articles besides the heartbeat
  // in flight, so it cannot have examined more than 3 of the 40.
  HubStats stats = hub_->stats();
  EXPECT_EQ(stats.subscribers, 1u);
  EXPECT_EQ(stats.latest_sequence, 40u);
  EXPECT_GE(stats.max_lag, 37u);
  EXPECT_GE(stats.buffered_messages, 1u);
  EXPECT_LE(stats.buffered_messages, 4u);

  (*subscription)->Detach();
  stats = hub_->stats();
  EXPECT_EQ(stats.subscribers, 0u);
  EXPECT_EQ(stats.max_lag, 0u);
  EXPECT_EQ(stats.buffered_messages, 0u);
}

TEST_F(HubTest, ExportsItsStatsAsGaugesWhileItLives) {
  metrics::Registry registry;
  HubOptions options;
  options.metrics = &registry;
  auto hub = SubscriptionHub::Create(*store_, clock_, options);
  ASSERT_TRUE(hub.ok());
  Store({MakeArticle("a", "FR")});
  (*hub)->OnStored(1, {});
  const std::string text = registry.Render();
  EXPECT_THAT(text, ::testing::HasSubstr("\nnewsfeed_latest_sequence 1\n"));
  EXPECT_THAT(text, ::testing::HasSubstr("\nnewsfeed_subscribers 0\n"));
  EXPECT_THAT(text,
              ::testing::HasSubstr("\nnewsfeed_subscription_lag_max 0\n"));
  EXPECT_THAT(text, ::testing::HasSubstr(
                        "\nnewsfeed_subscription_buffered_messages 0\n"));
  hub->reset();
  EXPECT_EQ(registry.Render(), "");
}

TEST_F(HubTest, ResumesAfterASequence) {
  Store({MakeArticle("one", "FR"), MakeArticle("two", "FR"),
         MakeArticle("three", "FR")});
  FakeStream stream;
  newsfeed::v1::SubscribeRequest request;
  request.set_after_sequence(1);
  auto sub = hub_->Subscribe(request, &stream);
  ASSERT_TRUE(sub.ok());
  std::vector<SubscribeResponse> got;
  for (size_t n = 1; ArticleIds(got).size() < 2; ++n) {
    got = stream.WaitForWrites(n);
    (*sub)->OnWriteDone(true);
  }
  EXPECT_THAT(ArticleIds(got), ::testing::ElementsAre("two", "three"));
  (*sub)->Detach();
}

// Forwards to a real store and counts the change-log reads.
class CountingStore final : public ForwardingArticleStore {
 public:
  using ForwardingArticleStore::ForwardingArticleStore;
  absl::StatusOr<ChangeBatch> ReadChanges(uint64_t after,
                                          const newsfeed::v1::ArticleFilter& f,
                                          int limit) override {
    reads_.fetch_add(1);
    return ForwardingArticleStore::ReadChanges(after, f, limit);
  }
  int reads() const { return reads_.load(); }

 private:
  std::atomic<int> reads_{0};
};

TEST_F(HubTest, SubscribersThatKeepUpAreServedFromMemory) {
  CountingStore counting(*store_);
  HubOptions options;
  options.heartbeat_interval = absl::Hours(1);
  auto hub = SubscriptionHub::Create(counting, clock_, options);
  ASSERT_TRUE(hub.ok());
  FakeStream tags_only, with_text;
  newsfeed::v1::SubscribeRequest request;
  request.mutable_filter()->mutable_countries()->add_any_of("FR");
  auto live = (*hub)->Subscribe(request, &tags_only);
  request.mutable_filter()->set_text("Story");
  auto text = (*hub)->Subscribe(request, &with_text);
  ASSERT_TRUE(live.ok() && text.ok());

  auto result =
      store_->Upsert({MakeArticle("de-1", "DE"), MakeArticle("fr-1", "FR")});
  ASSERT_TRUE(result.ok());
  (*hub)->OnStored(result->latest_sequence, std::move(result->changed));

  // Acknowledges each write in turn, as a reading client does.
  size_t live_acked = 0;
  std::vector<SubscribeResponse> got;
  while (ArticleIds(got).empty()) {
    got = tags_only.WaitForWrites(++live_acked);
    (*live)->OnWriteDone(true);
  }
  EXPECT_THAT(ArticleIds(got), ::testing::ElementsAre("fr-1"));
  EXPECT_EQ(got.back().article().sequence(), 2u);
  got.clear();
  for (size_t n = 1; ArticleIds(got).empty(); ++n) {
    got = with_text.WaitForWrites(n);
    (*text)->OnWriteDone(true);
  }
  EXPECT_THAT(ArticleIds(got), ::testing::ElementsAre("fr-1"));
  // Only the full-text subscriber needed the store.
  EXPECT_GE(counting.reads(), 1);
  EXPECT_GE((*live)->position(), 2u);
  const int reads_after_text = counting.reads();
  result = store_->Upsert({MakeArticle("fr-2", "FR")});
  ASSERT_TRUE(result.ok());
  (*text)->Detach();
  (*hub)->OnStored(result->latest_sequence, std::move(result->changed));
  while (ArticleIds(got).size() < 2) {
    got = tags_only.WaitForWrites(++live_acked);
    (*live)->OnWriteDone(true);
  }
  EXPECT_THAT(ArticleIds(got), ::testing::ElementsAre("fr-1", "fr-2"));
  EXPECT_EQ(counting.reads(), reads_after_text);
  (*live)->Detach();
}

TEST_F(HubTest, PositionRemovedByRetentionEndsTheStreamWithResumePoint) {
  std::unique_ptr<SqliteStore> store = OpenStore(2);
  ASSERT_NE(store, nullptr);
  std::vector<Article> articles;
  for (int i = 0; i < 5; ++i)
    articles.push_back(MakeArticle(absl::StrCat("r", i), "FR"));
  ASSERT_TRUE(store->Upsert(articles).ok());
  ASSERT_EQ(*store->EnforceRetention(clock_.Now()), 3);

  std::unique_ptr<SubscriptionHub> hub = QuietHub(*store);
  ASSERT_NE(hub, nullptr);
  FakeStream stream;
  newsfeed::v1::SubscribeRequest request;
  request.set_after_sequence(1);  // sequences 2 and 3 are gone
  auto sub = hub->Subscribe(request, &stream);
  ASSERT_TRUE(sub.ok());
  stream.WaitForWrites(1);
  (*sub)->OnWriteDone(true);
  const absl::Status status = stream.WaitForFinish();
  EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(status.message(), ::testing::HasSubstr("after_sequence="));
  (*sub)->Detach();
}

// A CommitFollower that finds its next changes already removed by retention
// reports the gap: a live subscriber behind it must not skip the hole
// silently; it ends with OUT_OF_RANGE and where to resume.
TEST_F(HubTest, ChangesLostBeforeDeliveryEndLiveStreamsBehindThem) {
  std::unique_ptr<SqliteStore> store = OpenStore(2);
  ASSERT_NE(store, nullptr);
  std::unique_ptr<SubscriptionHub> hub = QuietHub(*store);
  ASSERT_NE(hub, nullptr);
  FakeStream stream;
  newsfeed::v1::SubscribeRequest request;
  request.set_after_sequence(0);
  auto sub = hub->Subscribe(request, &stream);
  ASSERT_TRUE(sub.ok());
  stream.WaitForWrites(1);  // the first heartbeat
  (*sub)->OnWriteDone(true);

  // Stored elsewhere and partly removed before this hub heard of them.
  std::vector<Article> articles;
  for (int i = 0; i < 5; ++i)
    articles.push_back(MakeArticle(absl::StrCat("lost", i), "FR"));
  auto result = store->Upsert(articles);
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(*store->EnforceRetention(clock_.Now()), 3);
  hub->OnChangesLost(3);
  std::vector<Article> kept(result->changed.begin() + 3, result->changed.end());
  hub->OnStored(result->latest_sequence, std::move(kept));

  const absl::Status status = stream.WaitForFinish();
  EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange) << status;
  EXPECT_THAT(status.message(), ::testing::HasSubstr("after_sequence=3"));
  (*sub)->Detach();
}

TEST_F(HubTest, LimitsSubscribers) {
  HubOptions options;
  options.max_subscribers = 1;
  auto hub = SubscriptionHub::Create(*store_, clock_, options);
  ASSERT_TRUE(hub.ok());
  FakeStream a, b;
  auto first = (*hub)->Subscribe({}, &a);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*hub)->Subscribe({}, &b).status().code(),
            absl::StatusCode::kResourceExhausted);
  (*first)->Detach();
}

// A subscriber asking for 1,000 articles per message that never reads: its
// queue holds a bounded number of bytes, not 64 messages of 1,000 articles.
TEST_F(HubTest, BoundsASubscribersQueueInBytes) {
  HubOptions options;
  options.heartbeat_interval = absl::Hours(1);
  options.queue_capacity_bytes = 256 << 10;
  auto hub = SubscriptionHub::Create(*store_, clock_, options);
  ASSERT_TRUE(hub.ok());
  FakeStream stream;
  auto subscription = LiveBatchSubscription(**hub, stream);
  ASSERT_TRUE(subscription.ok());
  const std::vector<std::string> expected = StoreBig(**hub, 100);

  // The first refill stops at the byte bound: 4 articles of 64 KiB, and
  // at most one more.
  std::vector<SubscribeResponse> got = stream.WaitForWrites(2);
  EXPECT_LE(ArticleIds({got[1]}).size(), 5u);
  EXPECT_LE((*hub)->stats().buffered_bytes, (256u + 2 * 65u) << 10);
  // Reading on, the client gets all 100, in order, without a gap.
  for (size_t n = 2; ArticleIds(got).size() < 100; ++n) {
    (*subscription)->OnWriteDone(true);
    got = stream.WaitForWrites(n + 1);
  }
  EXPECT_EQ(ArticleIds(got), expected);
  (*subscription)->Detach();
  EXPECT_EQ((*hub)->stats().buffered_bytes, 0u);
}

TEST_F(HubTest, BoundsAllQueuesTogetherInBytes) {
  HubOptions options;
  options.heartbeat_interval = absl::Hours(1);
  options.total_queue_bytes = 128 << 10;
  auto hub = SubscriptionHub::Create(*store_, clock_, options);
  ASSERT_TRUE(hub.ok());
  FakeStream stream;
  auto subscription = LiveBatchSubscription(**hub, stream);
  ASSERT_TRUE(subscription.ok());
  StoreBig(**hub, 20);
  std::vector<SubscribeResponse> got = stream.WaitForWrites(2);
  EXPECT_LE(ArticleIds({got[1]}).size(), 3u);
  (*subscription)->Detach();
}

// A stream ended by shutdown names the last position the client was sent,
// not the last one queued for it: resuming there skips nothing.
TEST_F(HubTest, ShutdownNamesTheLastPositionSentNotQueued) {
  FakeStream stream;
  auto subscription = hub_->Subscribe({}, &stream);
  ASSERT_TRUE(subscription.ok());
  std::vector<Article> batch;
  for (int i = 1; i <= 10; ++i) {
    batch.push_back(MakeArticle(absl::StrCat("a-", i), "FR"));
  }
  Store(batch);
  // The client reads the heartbeat and three articles; more are queued
  // (queue capacity 4) and one is in flight.
  for (size_t n = 1; n <= 4; ++n) {
    stream.WaitForWrites(n);
    (*subscription)->OnWriteDone(true);
  }
  stream.WaitForWrites(5);
  EXPECT_EQ((*subscription)->sent_position(), 3u);
  EXPECT_GT((*subscription)->position(), 3u);

  hub_->Shutdown();
  absl::Status status = stream.WaitForFinish();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), ::testing::HasSubstr("after_sequence=3"));
  (*subscription)->Detach();
}

TEST_F(HubTest, LimitsSubscriptionsPerPeer) {
  HubOptions options;
  options.max_subscribers_per_peer = 2;
  auto hub = SubscriptionHub::Create(*store_, clock_, options);
  ASSERT_TRUE(hub.ok());
  FakeStream a, b, c, d;
  auto first = (*hub)->Subscribe({}, &a, "ipv4:10.0.0.7");
  auto second = (*hub)->Subscribe({}, &b, "ipv4:10.0.0.7");
  ASSERT_TRUE(first.ok() && second.ok());
  auto third = (*hub)->Subscribe({}, &c, "ipv4:10.0.0.7");
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(third.status().message(), ::testing::HasSubstr("10.0.0.7"));
  // Another client is not affected; a closed stream frees a slot.
  auto other = (*hub)->Subscribe({}, &d, "ipv4:10.0.0.8");
  EXPECT_TRUE(other.ok());
  (*first)->Detach();
  auto again = (*hub)->Subscribe({}, &c, "ipv4:10.0.0.7");
  EXPECT_TRUE(again.ok()) << again.status();
  for (auto* s : {&second, &other, &again}) (**s)->Detach();
}

TEST_F(HubTest, BatchesEndBeforeTheMessageByteBound) {
  HubOptions options;
  options.heartbeat_interval = absl::Hours(1);
  options.max_message_bytes = 200 << 10;
  auto hub = SubscriptionHub::Create(*store_, clock_, options);
  ASSERT_TRUE(hub.ok());
  const std::vector<std::string> expected = StoreBig(**hub, 10);
  FakeStream stream;
  newsfeed::v1::SubscribeRequest request;
  request.set_after_sequence(0);
  request.set_max_articles_per_response(1000);
  auto subscription = (*hub)->Subscribe(request, &stream);
  ASSERT_TRUE(subscription.ok());
  std::vector<SubscribeResponse> got;
  for (size_t n = 1; ArticleIds(got).size() < 10; ++n) {
    got = stream.WaitForWrites(n);
    (*subscription)->OnWriteDone(true);
  }
  EXPECT_EQ(ArticleIds(got), expected);
  for (const SubscribeResponse& m : got) {
    EXPECT_LE(m.ByteSizeLong(), size_t{200} << 10);
  }
  (*subscription)->Detach();
}

}  // namespace
}  // namespace newsfeed::query
