#include "ingest-service/state/ingest_state.h"

#include <sqlite3.h>
#include <stdlib.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "common/metrics/metrics.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ingest-service/normalizer/normalizer.h"

namespace newsfeed::ingest {
namespace {

IngestStateOptions StateOptions(const std::string& dir,
                                int64_t outbox_max_bytes = int64_t{1} << 30) {
  IngestStateOptions options;
  options.data_dir = dir;
  options.outbox_max_bytes = outbox_max_bytes;
  return options;
}

std::string TempDir() {
  std::string pattern = ::testing::TempDir() + "ingest_state_XXXXXX";
  char* dir = mkdtemp(pattern.data());
  EXPECT_NE(dir, nullptr);
  return pattern;
}

newsfeed::v1::Article MakeArticle(const std::string& id,
                                  const std::string& hash) {
  newsfeed::v1::Article a;
  a.set_id(id);
  a.set_content_hash(hash);
  a.set_title("title of " + id);
  return a;
}

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

TEST(IngestStateTest, FeedsPersistAcrossReopen) {
  const std::string dir = TempDir();
  {
    auto state = IngestState::Open(StateOptions(dir));
    ASSERT_TRUE(state.ok()) << state.status();
    auto feed = (*state)->AddFeed("https://example.org/feed.xml", kNow);
    ASSERT_TRUE(feed.ok());
    feed->etag = "\"v1\"";
    feed->title = "Example";
    ASSERT_TRUE((*state)->SaveFeed(*feed).ok());
  }
  auto state = IngestState::Open(StateOptions(dir));
  ASSERT_TRUE(state.ok());
  auto feeds = (*state)->ListFeeds();
  ASSERT_TRUE(feeds.ok());
  ASSERT_EQ(feeds->size(), 1u);
  EXPECT_EQ((*feeds)[0].etag, "\"v1\"");
  EXPECT_EQ((*feeds)[0].title, "Example");
  EXPECT_EQ((*feeds)[0].id,
            IngestState::FeedIdFor("https://example.org/feed.xml"));
}

TEST(IngestStateTest, AddFeedRejectsDuplicatesAndBadUrls) {
  auto state = IngestState::Open(StateOptions(TempDir()));
  ASSERT_TRUE(state.ok());
  ASSERT_TRUE((*state)->AddFeed("https://example.org/a", kNow).ok());
  EXPECT_EQ((*state)->AddFeed("https://example.org/a", kNow).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ((*state)->AddFeed("ftp://example.org/a", kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE((*state)->EnsureFeed("https://example.org/a", kNow).ok());
  EXPECT_EQ((*state)->RemoveFeed("https://example.org/missing").code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE((*state)->RemoveFeed("https://example.org/a").ok());
}

TEST(IngestStateTest, DueFeedsAndPollSoon) {
  auto state = IngestState::Open(StateOptions(TempDir()));
  ASSERT_TRUE(state.ok());
  auto feed = (*state)->AddFeed("https://example.org/a", kNow);
  ASSERT_TRUE(feed.ok());
  EXPECT_EQ((*state)->DueFeeds(kNow, 10)->size(), 1u);
  feed->next_poll = kNow + absl::Minutes(15);
  ASSERT_TRUE((*state)->SaveFeed(*feed).ok());
  EXPECT_TRUE((*state)->DueFeeds(kNow, 10)->empty());
  EXPECT_EQ(*(*state)->NextDue(), kNow + absl::Minutes(15));
  EXPECT_EQ(*(*state)->PollSoon(feed->id, kNow), 1);
  EXPECT_EQ((*state)->DueFeeds(kNow, 10)->size(), 1u);
  EXPECT_EQ((*state)->PollSoon("nope", kNow).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(IngestStateTest, RecordsEachVersionOnceAndQueuesIt) {
  auto state = IngestState::Open(StateOptions(TempDir()));
  ASSERT_TRUE(state.ok());
  auto feed = (*state)->AddFeed("https://example.org/a", kNow);
  ASSERT_TRUE(feed.ok());
  std::vector<newsfeed::v1::Article> batch = {MakeArticle("a1", "h1"),
                                              MakeArticle("a2", "h1")};
  EXPECT_EQ(*(*state)->RecordNewArticles(feed->id, batch), 2);
  EXPECT_EQ(*(*state)->RecordNewArticles(feed->id, batch), 0);  // seen
  EXPECT_EQ(*(*state)->Unseen(batch), std::vector<bool>({false, false}));

  batch[1].set_content_hash("h2");  // changed at its source
  EXPECT_EQ(*(*state)->Unseen(batch), std::vector<bool>({false, true}));
  EXPECT_EQ(*(*state)->RecordNewArticles(feed->id, batch), 1);

  auto entries = (*state)->PeekOutbox(0, 10);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_EQ((*entries)[0].article.id(), "a1");
  EXPECT_EQ((*entries)[2].article.content_hash(), "h2");
  EXPECT_EQ((*state)->GetFeed(feed->id)->items_seen, 3);

  ASSERT_TRUE((*state)->AckOutbox({(*entries)[0].id, (*entries)[1].id}).ok());
  EXPECT_EQ((*state)->GetOutboxStats()->articles, 1);
  EXPECT_EQ((*state)->PeekOutbox((*entries)[1].id, 10)->size(), 1u);
}

// An item recorded by a version before the content hash's version 2 (FNV) is
// not queued again when its content is unchanged.
TEST(IngestStateTest, RecordNewArticlesMatchesContentHashesFromBeforeV2) {
  auto state = IngestState::Open(StateOptions(TempDir(), 1 << 20));
  ASSERT_TRUE(state.ok());
  auto feed = (*state)->AddFeed("https://example.org/a", kNow);
  ASSERT_TRUE(feed.ok());
  newsfeed::v1::Article article = MakeArticle("a1", "");
  article.set_content_html("<p>Body</p>");
  article.set_content_hash(
      StableHash128Hex({article.title(), article.url(), article.summary(),
                        article.content_html()}));
  EXPECT_EQ(*(*state)->RecordNewArticles(feed->id, {article}), 1);

  article.set_content_hash(ContentHash(article));
  EXPECT_EQ(*(*state)->RecordNewArticles(feed->id, {article}), 0);
  article.set_summary("now with a summary");
  article.set_content_hash(ContentHash(article));
  EXPECT_EQ(*(*state)->RecordNewArticles(feed->id, {article}), 1);
}

TEST(IngestStateTest, ExportsTheOutboxDepthAtEachScrape) {
  metrics::Registry registry;
  IngestStateOptions options = StateOptions(TempDir(), 4096);
  options.metrics = &registry;
  auto state = IngestState::Open(options);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_THAT(registry.Render(),
              ::testing::HasSubstr("\nnewsfeed_outbox_articles 0\n"
                                   "# HELP newsfeed_outbox_bytes"));
  EXPECT_THAT(registry.Render(),
              ::testing::HasSubstr("\nnewsfeed_outbox_quota_bytes 4096\n"));
  ASSERT_EQ(*(*state)->RecordNewArticles(
                "feed", {MakeArticle("a", "1"), MakeArticle("b", "1")}),
            2);
  const OutboxStats stats = *(*state)->GetOutboxStats();
  ASSERT_GT(stats.bytes, 0);
  const std::string text = registry.Render();
  EXPECT_THAT(text, ::testing::HasSubstr("\nnewsfeed_outbox_articles 2\n"));
  EXPECT_THAT(text, ::testing::HasSubstr(absl::StrCat(
                        "\nnewsfeed_outbox_bytes ", stats.bytes, "\n")));
  // Closing the state removes its gauges from the registry.
  state->reset();
  EXPECT_THAT(registry.Render(),
              ::testing::Not(::testing::HasSubstr("newsfeed_outbox_articles")));
}

TEST(IngestStateTest, OutboxQuotaRefusesWholeBatch) {
  auto state = IngestState::Open(StateOptions(TempDir(), 100));
  ASSERT_TRUE(state.ok());
  std::vector<newsfeed::v1::Article> batch;
  for (int i = 0; i < 10; ++i)
    batch.push_back(MakeArticle(absl::StrCat("id", i), "h"));
  auto queued = (*state)->RecordNewArticles("f", batch);
  EXPECT_EQ(queued.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ((*state)->GetOutboxStats()->articles, 0);
  // Nothing was marked seen, so the items are offered again later.
  EXPECT_EQ(*(*state)->Unseen(batch), std::vector<bool>(10, true));
}

TEST(IngestStateTest, OutboxSizeIsKeptAcrossAcksAndReopen) {
  const std::string dir = TempDir();
  std::vector<newsfeed::v1::Article> batch;
  for (int i = 0; i < 5; ++i)
    batch.push_back(MakeArticle(absl::StrCat("id", i), "h"));
  int64_t bytes_of_all = 0;
  {
    auto state = IngestState::Open(StateOptions(dir));
    ASSERT_TRUE(state.ok());
    ASSERT_EQ(*(*state)->RecordNewArticles("f", batch), 5);
    OutboxStats stats = *(*state)->GetOutboxStats();
    EXPECT_EQ(stats.articles, 5);
    EXPECT_GT(stats.bytes, 0);
    bytes_of_all = stats.bytes;
    auto entries = (*state)->PeekOutbox(0, 2);
    ASSERT_TRUE(entries.ok());
    // Acknowledging an id twice (a resent batch) removes it once.
    ASSERT_TRUE(
        (*state)
            ->AckOutbox({(*entries)[0].id, (*entries)[1].id, (*entries)[1].id})
            .ok());
    stats = *(*state)->GetOutboxStats();
    EXPECT_EQ(stats.articles, 3);
    EXPECT_EQ(stats.bytes,
              bytes_of_all -
                  static_cast<int64_t>((*entries)[0].article.ByteSizeLong() +
                                       (*entries)[1].article.ByteSizeLong()));
    bytes_of_all = stats.bytes;
  }
  auto reopened = IngestState::Open(StateOptions(dir));
  ASSERT_TRUE(reopened.ok());
  OutboxStats stats = *(*reopened)->GetOutboxStats();
  EXPECT_EQ(stats.articles, 3);
  EXPECT_EQ(stats.bytes, bytes_of_all);
}

// A file written before adaptive polling (schema version 3) opens with its
// feeds' ttl kept as what the publisher states and no posting history.
TEST(IngestStateMigrationTest, FeedsFromVersion3KeepTheirTtl) {
  const std::string dir = TempDir();
  {
    auto state = IngestState::Open(StateOptions(dir));
    ASSERT_TRUE(state.ok()) << state.status();
    ASSERT_TRUE((*state)->AddFeed("https://example.org/old", absl::Now()).ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir + "/ingest.db").c_str(), &db), SQLITE_OK);
  for (const char* column :
       {"interval_us", "interval_reason", "publisher_interval_us", "skip_mask",
        "mean_gap_us", "last_new_item_us"}) {
    ASSERT_EQ(
        sqlite3_exec(
            db, absl::StrCat("ALTER TABLE feeds DROP COLUMN ", column).c_str(),
            nullptr, nullptr, nullptr),
        SQLITE_OK)
        << sqlite3_errmsg(db);
  }
  ASSERT_EQ(sqlite3_exec(db,
                         "UPDATE feeds SET interval_s = 3600; "
                         "PRAGMA user_version = 3",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);

  auto state = IngestState::Open(StateOptions(dir));
  ASSERT_TRUE(state.ok()) << state.status();
  auto feed = (*state)->GetFeed("https://example.org/old");
  ASSERT_TRUE(feed.ok()) << feed.status();
  EXPECT_EQ(feed->publisher_interval, absl::Hours(1));
  EXPECT_EQ(feed->last_new_item, absl::InfinitePast());
  EXPECT_EQ(feed->mean_gap, absl::ZeroDuration());
}

}  // namespace
}  // namespace newsfeed::ingest
