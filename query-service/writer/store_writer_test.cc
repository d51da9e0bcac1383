// The store writer over a real SQLite store: batches that queue up while the
// store is busy are committed together, and each producer still gets its own
// acknowledgement.
#include "query-service/writer/store_writer.h"

#include <stdlib.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "query-service/store/forwarding_article_store.h"
#include "query-service/store/sqlite_store.h"

namespace newsfeed::query {
namespace {

using newsfeed::v1::Article;

Article MakeArticle(const std::string& id, const std::string& hash) {
  Article a;
  a.set_id(id);
  a.set_title("Story " + id);
  a.set_content_hash(hash);
  a.set_feed_id("feed-1");
  a.mutable_published_time()->set_seconds(1700000000);
  return a;
}

// The real store, whose first Upsert waits until the test opens a gate, so
// that later batches queue up behind it.
class GatedStore final : public ForwardingArticleStore {
 public:
  explicit GatedStore(std::unique_ptr<ArticleStore> store)
      : ForwardingArticleStore(*store), store_(std::move(store)) {}

  absl::Notification first_upsert_started;
  absl::Notification gate;

  int upsert_calls() {
    absl::MutexLock lock(&mu_);
    return upsert_calls_;
  }

  absl::StatusOr<UpsertResult> Upsert(std::vector<Article> articles) override {
    {
      absl::MutexLock lock(&mu_);
      ++upsert_calls_;
    }
    if (!first_upsert_started.HasBeenNotified()) {
      first_upsert_started.Notify();
      gate.WaitForNotification();
    }
    return ForwardingArticleStore::Upsert(std::move(articles));
  }

 private:
  std::unique_ptr<ArticleStore> store_;
  absl::Mutex mu_;
  int upsert_calls_ ABSL_GUARDED_BY(mu_) = 0;
};

class RecordingListener final : public ChangeListener {
 public:
  void OnStored(uint64_t latest_sequence,
                std::vector<Article> changed) override {
    absl::MutexLock lock(&mu_);
    latest_ = latest_sequence;
    for (const Article& a : changed) sequences_.push_back(a.sequence());
  }
  std::vector<uint64_t> sequences() {
    absl::MutexLock lock(&mu_);
    return sequences_;
  }

 private:
  absl::Mutex mu_;
  uint64_t latest_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<uint64_t> sequences_ ABSL_GUARDED_BY(mu_);
};

struct Ack {
  absl::Notification done;
  absl::StatusOr<UpsertResult> result;
};

TEST(StoreWriterTest, QueuedBatchesAreCommittedTogetherAndAckedOneByOne) {
  std::string dir = ::testing::TempDir() + "store_writer_XXXXXX";
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  StoreOptions store_options;
  store_options.data_dir = dir;
  auto sqlite = SqliteStore::Open(store_options);
  ASSERT_TRUE(sqlite.ok()) << sqlite.status();
  GatedStore store(std::move(*sqlite));
  RecordingListener listener;
  Ack first, second, third, fourth;
  {
    StoreWriter writer(store, listener, RealClock::Instance(),
                       StoreWriterOptions());
    auto submit = [&writer](std::vector<Article> articles, Ack* ack) {
      writer.Submit(std::move(articles),
                    [ack](absl::StatusOr<UpsertResult> result) {
                      ack->result = std::move(result);
                      ack->done.Notify();
                    });
    };
    submit({MakeArticle("a", "1")}, &first);
    store.first_upsert_started.WaitForNotification();
    // These three queue up behind the first: one new article, a duplicate
    // of "a" plus a new one, and a changed "b" that an earlier batch of the
    // same group also carries.
    submit({MakeArticle("b", "1")}, &second);
    submit({MakeArticle("a", "1"), MakeArticle("c", "1")}, &third);
    submit({MakeArticle("b", "2")}, &fourth);
    store.gate.Notify();
    for (Ack* ack : {&first, &second, &third, &fourth}) {
      ack->done.WaitForNotification();
    }
  }
  EXPECT_EQ(store.upsert_calls(), 2);  // the first alone, then the group

  ASSERT_TRUE(first.result.ok()) << first.result.status();
  EXPECT_EQ(first.result->stored, 1);
  ASSERT_TRUE(second.result.ok()) << second.result.status();
  EXPECT_EQ(second.result->stored, 1);
  EXPECT_EQ(second.result->unchanged, 0);
  ASSERT_TRUE(third.result.ok()) << third.result.status();
  EXPECT_EQ(third.result->stored, 1);  // "c"; "a" is a duplicate
  EXPECT_EQ(third.result->unchanged, 1);
  ASSERT_TRUE(fourth.result.ok()) << fourth.result.status();
  EXPECT_EQ(fourth.result->stored + fourth.result->unchanged, 1);
  EXPECT_EQ(fourth.result->latest_sequence, third.result->latest_sequence);

  // Every commit reached the listener, in ascending sequence order.
  std::vector<uint64_t> sequences = listener.sequences();
  ASSERT_GE(sequences.size(), 3u);
  for (size_t i = 1; i < sequences.size(); ++i) {
    EXPECT_LT(sequences[i - 1], sequences[i]);
  }
  EXPECT_EQ(sequences.back(), *store.LatestSequence());

  // The store holds the last version of "b" and all three articles.
  absl::StatusOr<Article> b = store.Get("b");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->content_hash(), "2");
  ASSERT_TRUE(store.Get("c").ok());
}

}  // namespace
}  // namespace newsfeed::query
