// The FeedRegistry contract, run against both implementations: the
// single-instance SQLite file (IngestState) and PostgreSQL (PgFeedRegistry,
// on a private test server). Lease behaviour between instances is in
// pg_feed_registry_test.cc.
#include "ingest-service/feeds/feed_registry.h"

#include <stdlib.h>

#include <memory>
#include <string>
#include <vector>

#include "common/testing/test_postgres.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ingest-service/feeds/pg_feed_registry.h"
#include "ingest-service/normalizer/normalizer.h"
#include "ingest-service/state/ingest_state.h"

namespace newsfeed::ingest {
namespace {

enum class Engine { kSqlite, kPostgres };

std::string EngineName(const ::testing::TestParamInfo<Engine>& info) {
  return info.param == Engine::kSqlite ? "Sqlite" : "Postgres";
}

newsfeed::v1::Article MakeArticle(const std::string& id,
                                  const std::string& hash) {
  newsfeed::v1::Article a;
  a.set_id(id);
  a.set_content_hash(hash);
  return a;
}

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

class FeedRegistryTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    if (GetParam() == Engine::kSqlite) {
      std::string dir = ::testing::TempDir() + "feed_registry_XXXXXX";
      ASSERT_NE(mkdtemp(dir.data()), nullptr);
      IngestStateOptions options;
      options.data_dir = dir;
      auto state = IngestState::Open(options);
      ASSERT_TRUE(state.ok()) << state.status();
      registry_ = std::move(*state);
    } else {
      absl::StatusOr<std::string> dsn = testing::TestPostgres::CreateDatabase();
      ASSERT_TRUE(dsn.ok()) << dsn.status();
      auto pg = PgFeedRegistry::Open({.postgres_url = *dsn,
                                      .instance_id = "instance-a",
                                      .lease_duration = absl::Minutes(2)});
      ASSERT_TRUE(pg.ok()) << pg.status();
      registry_ = std::move(*pg);
    }
  }

  FeedRegistry& registry() { return *registry_; }

  // Claims the feed through DueFeeds, as the poller does before SaveFeed.
  FeedRecord Claim(const std::string& url, absl::Time now) {
    EXPECT_TRUE(registry().PollSoon(url, now).ok());
    auto due = registry().DueFeeds(now, 1000);
    EXPECT_TRUE(due.ok()) << due.status();
    for (const FeedRecord& f : *due) {
      if (f.url == url) return f;
    }
    ADD_FAILURE() << "feed " << url << " was not claimed";
    return FeedRecord();
  }

  std::unique_ptr<FeedRegistry> registry_;
};

TEST_P(FeedRegistryTest, AddFeedRejectsDuplicatesAndBadUrls) {
  auto added = registry().AddFeed("https://example.org/a", kNow);
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(added->id, FeedRegistry::FeedIdFor("https://example.org/a"));
  EXPECT_EQ(added->next_poll, kNow);
  EXPECT_EQ(registry().AddFeed("https://example.org/a", kNow).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(registry().AddFeed("ftp://example.org/a", kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(registry().EnsureFeed("https://example.org/a", kNow).ok());
  EXPECT_TRUE(registry().EnsureFeed("https://example.org/b", kNow).ok());
  EXPECT_EQ(registry().EnsureFeed("gopher://x", kNow).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry().ListFeeds()->size(), 2u);
}

TEST_P(FeedRegistryTest, AddFeedsAddsTheNewOnesWithLabelsOrNone) {
  ASSERT_TRUE(registry().AddFeed("https://example.org/known", kNow).ok());
  // One bad URL: nothing is added.
  EXPECT_EQ(registry()
                .AddFeeds({{"https://example.org/new", "", {}},
                           {"ftp://example.org/bad", "", {}}},
                          kNow)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*registry().CountFeeds(), 1);

  auto added = registry().AddFeeds(
      {{"https://example.org/known", "Known", {"x"}},
       {"https://example.org/new", "New feed", {"Central banks", "Rates"}}},
      kNow);
  ASSERT_TRUE(added.ok()) << added.status();
  ASSERT_EQ(added->size(), 1u);
  EXPECT_EQ((*added)[0].url, "https://example.org/new");
  auto stored = registry().GetFeed("https://example.org/new");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->title, "New feed");
  EXPECT_EQ(stored->labels,
            (std::vector<std::string>{"Central banks", "Rates"}));
  EXPECT_EQ(stored->next_poll, kNow);
  // The known feed was left as it was.
  EXPECT_TRUE(registry().GetFeed("https://example.org/known")->labels.empty());

  // Fetch state written back by the poller keeps the labels.
  FeedRecord claimed = Claim("https://example.org/new", kNow);
  claimed.title = "Title from the feed";
  claimed.http_status = 200;
  ASSERT_TRUE(registry().SaveFeed(claimed).ok());
  EXPECT_EQ(registry().GetFeed("https://example.org/new")->labels,
            (std::vector<std::string>{"Central banks", "Rates"}));
}

TEST_P(FeedRegistryTest, GetListAndRemove) {
  ASSERT_TRUE(registry().AddFeed("https://example.org/b", kNow).ok());
  ASSERT_TRUE(registry().AddFeed("https://example.org/a", kNow).ok());
  const std::string id = FeedRegistry::FeedIdFor("https://example.org/b");
  auto by_id = registry().GetFeed(id);
  ASSERT_TRUE(by_id.ok()) << by_id.status();
  EXPECT_EQ(by_id->url, "https://example.org/b");
  EXPECT_TRUE(by_id->enabled);
  EXPECT_EQ(by_id->last_success, absl::InfinitePast());
  EXPECT_EQ(registry().GetFeed("https://example.org/b")->id, id);
  EXPECT_EQ(registry().GetFeed("https://example.org/none").status().code(),
            absl::StatusCode::kNotFound);

  auto feeds = registry().ListFeeds();
  ASSERT_TRUE(feeds.ok()) << feeds.status();
  ASSERT_EQ(feeds->size(), 2u);
  EXPECT_EQ((*feeds)[0].url, "https://example.org/a");
  EXPECT_EQ((*feeds)[1].url, "https://example.org/b");

  EXPECT_TRUE(registry().RemoveFeed(id).ok());
  EXPECT_EQ(registry().RemoveFeed(id).code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(registry().RemoveFeed("https://example.org/a").ok());
  EXPECT_TRUE(registry().ListFeeds()->empty());
}

TEST_P(FeedRegistryTest, ListsAPageAfterAUrlAndCounts) {
  EXPECT_EQ(*registry().CountFeeds(), 0);
  for (const char* url : {"https://example.org/c", "https://example.org/a",
                          "https://example.org/d", "https://example.org/b"}) {
    ASSERT_TRUE(registry().AddFeed(url, kNow).ok());
  }
  EXPECT_EQ(*registry().CountFeeds(), 4);
  auto first = registry().ListFeedsAfter("", 2);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[1].url, "https://example.org/b");
  auto rest = registry().ListFeedsAfter((*first)[1].url, 10);
  ASSERT_TRUE(rest.ok()) << rest.status();
  ASSERT_EQ(rest->size(), 2u);
  EXPECT_EQ((*rest)[0].url, "https://example.org/c");
  EXPECT_EQ((*rest)[1].url, "https://example.org/d");
}

TEST_P(FeedRegistryTest, DueFeedsMostOverdueFirstAndLimited) {
  ASSERT_TRUE(registry().AddFeed("https://example.org/late", kNow).ok());
  ASSERT_TRUE(registry()
                  .AddFeed("https://example.org/later", kNow + absl::Hours(1))
                  .ok());
  ASSERT_TRUE(registry()
                  .AddFeed("https://example.org/early", kNow - absl::Hours(1))
                  .ok());
  auto due = registry().DueFeeds(kNow, 1);
  ASSERT_TRUE(due.ok()) << due.status();
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].url, "https://example.org/early");
  ASSERT_TRUE(registry().SaveFeed((*due)[0]).ok());

  due = registry().DueFeeds(kNow, 10);
  ASSERT_TRUE(due.ok()) << due.status();
  std::vector<std::string> urls;
  for (const FeedRecord& f : *due) urls.push_back(f.url);
  EXPECT_THAT(urls, ::testing::ElementsAre("https://example.org/early",
                                           "https://example.org/late"));
}

TEST_P(FeedRegistryTest, SaveFeedWritesFetchStateAndReschedules) {
  ASSERT_TRUE(registry().AddFeed("https://example.org/a", kNow).ok());
  auto due = registry().DueFeeds(kNow, 10);
  ASSERT_TRUE(due.ok()) << due.status();
  ASSERT_EQ(due->size(), 1u);
  FeedRecord feed = (*due)[0];
  feed.title = "Example";
  feed.etag = "\"v1\"";
  feed.last_modified = "Mon, 13 May 2024 09:30:00 GMT";
  feed.last_attempt = kNow;
  feed.last_success = kNow;
  feed.last_unconditional = kNow;
  feed.http_status = 200;
  feed.consecutive_failures = 2;
  feed.last_error = "HTTP 500";
  feed.interval = absl::Milliseconds(1500);  // the benchmark's scale
  feed.interval_reason = "a new item every ~7.5s (smoothed)";
  feed.publisher_interval = absl::Minutes(90);
  feed.skip_hours = (1u << 23) | 1u;
  feed.skip_days = 1u << 6;
  feed.mean_gap = absl::Milliseconds(7500);
  feed.last_new_item = kNow - absl::Seconds(3);
  feed.next_poll = kNow + absl::Minutes(30);
  ASSERT_TRUE(registry().SaveFeed(feed).ok());

  auto stored = registry().GetFeed(feed.id);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->title, "Example");
  EXPECT_EQ(stored->etag, "\"v1\"");
  EXPECT_EQ(stored->last_modified, "Mon, 13 May 2024 09:30:00 GMT");
  EXPECT_EQ(stored->last_attempt, kNow);
  EXPECT_EQ(stored->last_success, kNow);
  EXPECT_EQ(stored->http_status, 200);
  EXPECT_EQ(stored->consecutive_failures, 2);
  EXPECT_EQ(stored->last_error, "HTTP 500");
  EXPECT_EQ(stored->interval, absl::Milliseconds(1500));
  EXPECT_EQ(stored->interval_reason, "a new item every ~7.5s (smoothed)");
  EXPECT_EQ(stored->publisher_interval, absl::Minutes(90));
  EXPECT_EQ(stored->skip_hours, (1u << 23) | 1u);
  EXPECT_EQ(stored->skip_days, 1u << 6);
  EXPECT_EQ(stored->mean_gap, absl::Milliseconds(7500));
  EXPECT_EQ(stored->last_new_item, kNow - absl::Seconds(3));
  EXPECT_EQ(stored->next_poll, kNow + absl::Minutes(30));

  EXPECT_TRUE(registry().DueFeeds(kNow + absl::Minutes(29), 10)->empty());
  EXPECT_EQ(*registry().NextDue(), kNow + absl::Minutes(30));
  EXPECT_EQ(registry().DueFeeds(kNow + absl::Minutes(30), 10)->size(), 1u);
}

TEST_P(FeedRegistryTest, SaveFeedsSavesEachAndSkipsRemovedOnes) {
  ASSERT_TRUE(registry().AddFeed("https://example.org/a", kNow).ok());
  ASSERT_TRUE(registry().AddFeed("https://example.org/b", kNow).ok());
  auto due = registry().DueFeeds(kNow, 10);
  ASSERT_TRUE(due.ok()) << due.status();
  ASSERT_EQ(due->size(), 2u);
  FeedRecord removed = (*due)[0];
  removed.id = "gone";
  due->push_back(removed);
  for (FeedRecord& f : *due) {
    f.next_poll = kNow + absl::Seconds(7);
    f.interval_reason = "spread";
  }
  ASSERT_TRUE(registry().SaveFeeds(*due).ok());
  for (const char* url : {"https://example.org/a", "https://example.org/b"}) {
    FeedRecord stored = *registry().GetFeed(url);
    EXPECT_EQ(stored.next_poll, kNow + absl::Seconds(7));
    EXPECT_EQ(stored.interval_reason, "spread");
  }
  EXPECT_TRUE(registry().DueFeeds(kNow + absl::Seconds(6), 10)->empty());
}

TEST_P(FeedRegistryTest, SaveFeedOfRemovedFeedIsNotFound) {
  ASSERT_TRUE(registry().AddFeed("https://example.org/a", kNow).ok());
  FeedRecord feed = Claim("https://example.org/a", kNow);
  ASSERT_TRUE(registry().RemoveFeed(feed.id).ok());
  EXPECT_EQ(registry().SaveFeed(feed).code(), absl::StatusCode::kNotFound);
}

TEST_P(FeedRegistryTest, SaveFeedOntoAnotherFeedsUrlIsAlreadyExists) {
  ASSERT_TRUE(registry().AddFeed("https://example.org/a", kNow).ok());
  ASSERT_TRUE(registry().AddFeed("https://example.org/b", kNow).ok());
  FeedRecord feed = Claim("https://example.org/a", kNow);
  feed.url = "https://example.org/b";
  EXPECT_EQ(registry().SaveFeed(feed).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(registry().GetFeed(feed.id)->url, "https://example.org/a");
}

TEST_P(FeedRegistryTest, DisabledFeedsAreNeverDueUntilPollSoon) {
  EXPECT_EQ(*registry().NextDue(), absl::InfiniteFuture());
  ASSERT_TRUE(registry().AddFeed("https://example.org/a", kNow).ok());
  ASSERT_TRUE(
      registry().AddFeed("https://example.org/b", kNow + absl::Hours(2)).ok());
  EXPECT_EQ(*registry().NextDue(), kNow);
  FeedRecord feed = Claim("https://example.org/a", kNow);
  feed.enabled = false;  // 410 Gone
  ASSERT_TRUE(registry().SaveFeed(feed).ok());
  EXPECT_TRUE(registry().DueFeeds(kNow + absl::Hours(1), 10)->empty());
  EXPECT_EQ(*registry().NextDue(), kNow + absl::Hours(2));

  // All: only enabled feeds.
  EXPECT_EQ(*registry().PollSoon("", kNow), 1);
  EXPECT_EQ(*registry().NextDue(), kNow);
  // One: re-enables it.
  EXPECT_EQ(*registry().PollSoon("https://example.org/a", kNow), 1);
  EXPECT_TRUE(registry().GetFeed("https://example.org/a")->enabled);
  EXPECT_EQ(registry().DueFeeds(kNow, 10)->size(), 2u);
  EXPECT_EQ(
      registry().PollSoon("https://example.org/none", kNow).status().code(),
      absl::StatusCode::kNotFound);
}

TEST_P(FeedRegistryTest, UnseenAndMarkSeen) {
  auto feed = registry().AddFeed("https://example.org/a", kNow);
  ASSERT_TRUE(feed.ok());
  std::vector<newsfeed::v1::Article> articles = {MakeArticle("x", "h1"),
                                                 MakeArticle("y", "h1")};
  EXPECT_THAT(*registry().Unseen(articles), ::testing::ElementsAre(true, true));
  auto marked = registry().MarkSeen(feed->id, articles);
  ASSERT_TRUE(marked.ok()) << marked.status();
  EXPECT_EQ(*marked, 2);
  EXPECT_THAT(*registry().Unseen(articles),
              ::testing::ElementsAre(false, false));
  // Marking again changes nothing.
  EXPECT_EQ(*registry().MarkSeen(feed->id, articles), 0);

  // A changed article is unseen again, and counted once more.
  articles[1] = MakeArticle("y", "h2");
  articles.push_back(MakeArticle("z", "h1"));
  EXPECT_THAT(*registry().Unseen(articles),
              ::testing::ElementsAre(false, true, true));
  EXPECT_EQ(*registry().MarkSeen(feed->id, articles), 2);
  EXPECT_EQ(registry().GetFeed(feed->id)->items_seen, 4);
  EXPECT_TRUE(registry().Unseen({})->empty());
  EXPECT_EQ(*registry().MarkSeen(feed->id, {}), 0);
}

// Items seen before the content hash's version 2 were recorded with the FNV
// hash: the same content, hashed now, is not sent again; changed content is.
TEST_P(FeedRegistryTest, NewFeedHasNoPostingHistory) {
  ASSERT_TRUE(registry().AddFeed("https://example.org/new", kNow).ok());
  auto stored = registry().GetFeed("https://example.org/new");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->last_new_item, absl::InfinitePast());
  EXPECT_EQ(stored->mean_gap, absl::ZeroDuration());
  EXPECT_EQ(stored->interval, absl::ZeroDuration());
  EXPECT_TRUE(stored->interval_reason.empty());
}

// A push updates the posting rate while the feed is being fetched; the
// fetch's SaveFeed (with the rate it read before) does not undo it.
TEST_P(FeedRegistryTest, SavePostingRateWritesOnlyTheRateAndNewestWins) {
  ASSERT_TRUE(registry().AddFeed("https://example.org/a", kNow).ok());
  FeedRecord fetched = Claim("https://example.org/a", kNow);
  FeedRecord pushed = *registry().GetFeed(fetched.id);
  pushed.mean_gap = absl::Minutes(20);
  pushed.last_new_item = kNow + absl::Seconds(5);
  pushed.next_poll = kNow + absl::Hours(99);  // not written
  ASSERT_TRUE(registry().SavePostingRate(pushed).ok());
  FeedRecord stored = *registry().GetFeed(fetched.id);
  EXPECT_EQ(stored.mean_gap, absl::Minutes(20));
  EXPECT_EQ(stored.last_new_item, kNow + absl::Seconds(5));
  EXPECT_EQ(stored.next_poll, kNow);

  fetched.next_poll = kNow + absl::Hours(6);
  ASSERT_TRUE(registry().SaveFeed(fetched).ok());
  stored = *registry().GetFeed(fetched.id);
  EXPECT_EQ(stored.next_poll, kNow + absl::Hours(6));
  EXPECT_EQ(stored.mean_gap, absl::Minutes(20));
  EXPECT_EQ(stored.last_new_item, kNow + absl::Seconds(5));

  // An older rate is not written either way; a newer one is.
  pushed.mean_gap = absl::Minutes(1);
  pushed.last_new_item = kNow;
  ASSERT_TRUE(registry().SavePostingRate(pushed).ok());
  EXPECT_EQ(registry().GetFeed(fetched.id)->mean_gap, absl::Minutes(20));
  fetched = Claim("https://example.org/a", kNow + absl::Hours(6));
  fetched.mean_gap = absl::Minutes(30);
  fetched.last_new_item = kNow + absl::Hours(6);
  ASSERT_TRUE(registry().SaveFeed(fetched).ok());
  stored = *registry().GetFeed(fetched.id);
  EXPECT_EQ(stored.mean_gap, absl::Minutes(30));
  EXPECT_EQ(stored.last_new_item, kNow + absl::Hours(6));

  ASSERT_TRUE(registry().RemoveFeed(fetched.id).ok());
  EXPECT_EQ(registry().SavePostingRate(pushed).code(),
            absl::StatusCode::kNotFound);
}

TEST_P(FeedRegistryTest, ContentHashesFromBeforeVersion2StillMatch) {
  auto feed = registry().AddFeed("https://example.org/a", kNow);
  ASSERT_TRUE(feed.ok());
  newsfeed::v1::Article article;
  article.set_id("x");
  article.set_title("Title");
  article.set_url("https://example.org/a/1");
  article.set_summary("Summary");
  article.set_content_html("<p>Body</p>");
  newsfeed::v1::Article recorded_by_older_version = article;
  recorded_by_older_version.set_content_hash(StableHash128Hex(
      {"Title", "https://example.org/a/1", "Summary", "<p>Body</p>"}));
  ASSERT_TRUE(registry().MarkSeen(feed->id, {recorded_by_older_version}).ok());

  article.set_content_hash(ContentHash(article));
  ASSERT_NE(article.content_hash(), recorded_by_older_version.content_hash());
  newsfeed::v1::Article changed = article;
  changed.set_content_html("<p>Body, corrected</p>");
  changed.set_content_hash(ContentHash(changed));
  EXPECT_THAT(*registry().Unseen({article, changed}),
              ::testing::ElementsAre(false, true));
}

INSTANTIATE_TEST_SUITE_P(Engines, FeedRegistryTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         EngineName);

}  // namespace
}  // namespace newsfeed::ingest
