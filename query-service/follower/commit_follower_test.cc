#include "query-service/follower/commit_follower.h"

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "query-service/store/sqlite_store.h"

namespace newsfeed::query {
namespace {

using newsfeed::v1::Article;

Article MakeArticle(const std::string& id) {
  Article a;
  a.set_id(id);
  a.set_feed_id("feed-1");
  a.set_title("Title " + id);
  a.set_content_hash("hash-" + id);
  a.mutable_published_time()->set_seconds(1700000000);
  return a;
}

// Records what the follower delivers.
class RecordingListener : public ChangeListener {
 public:
  void OnStored(uint64_t latest_sequence,
                std::vector<Article> changed) override {
    absl::MutexLock lock(&mu_);
    EXPECT_GE(latest_sequence, latest_);
    latest_ = latest_sequence;
    for (Article& a : changed) articles_.push_back(std::move(a));
  }
  void OnChangesLost(uint64_t removed_through) override {
    absl::MutexLock lock(&mu_);
    lost_through_ = removed_through;
  }
  uint64_t lost_through() {
    absl::MutexLock lock(&mu_);
    return lost_through_;
  }
  // Waits (up to a generous bound, so a bug fails instead of hanging) until
  // `count` articles arrived; returns their ids.
  std::vector<std::string> WaitFor(size_t count) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return articles_.size() >= count;
    };
    mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(60));
    std::vector<std::string> ids;
    uint64_t previous = 0;
    for (const Article& a : articles_) {
      EXPECT_GT(a.sequence(), previous) << "not in ascending sequence order";
      previous = a.sequence();
      ids.push_back(a.id());
    }
    return ids;
  }
  uint64_t latest() {
    absl::MutexLock lock(&mu_);
    return latest_;
  }

 private:
  absl::Mutex mu_;
  uint64_t latest_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t lost_through_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Article> articles_ ABSL_GUARDED_BY(mu_);
};

// Stands in for PostgreSQL's NOTIFY: the test announces commits explicitly,
// so it can also leave one unannounced or make the wait fail.
class Announcer {
 public:
  explicit Announcer(ArticleStore& store) : store_(store) {}
  void Announce() {
    absl::MutexLock lock(&mu_);
    ++announced_;
  }
  void FailNextWaits(int count) {
    absl::MutexLock lock(&mu_);
    failures_left_ = count;
  }
  CommitFollower::AwaitCommit Function() {
    return [this](uint64_t known,
                  absl::Duration timeout) -> absl::StatusOr<uint64_t> {
      {
        absl::MutexLock lock(&mu_);
        ++waits_;
        if (failures_left_ > 0) {
          --failures_left_;
          return absl::UnavailableError("listen connection lost");
        }
        const int seen = announced_;
        auto announced = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
          return announced_ > seen;
        };
        mu_.AwaitWithTimeout(absl::Condition(&announced), timeout);
      }
      absl::StatusOr<uint64_t> latest = store_.LatestSequence();
      if (latest.ok() && *latest < known) {
        ADD_FAILURE() << "store went backwards";
      }
      return latest;
    };
  }

 private:
  ArticleStore& store_;
  absl::Mutex mu_;
  int announced_ ABSL_GUARDED_BY(mu_) = 0;
  int failures_left_ ABSL_GUARDED_BY(mu_) = 0;
  int waits_ ABSL_GUARDED_BY(mu_) = 0;
};

class CommitFollowerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        (std::filesystem::temp_directory_path() / "follower_XXXXXX").string();
    ASSERT_NE(mkdtemp(dir_.data()), nullptr);
    StoreOptions options;
    options.data_dir = dir_;
    options.retention_max_articles = 3;
    auto store = SqliteStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    announcer_ = std::make_unique<Announcer>(*store_);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Commits `ids` directly to the store, as another replica would.
  void CommitElsewhere(const std::vector<std::string>& ids) {
    std::vector<Article> batch;
    for (const std::string& id : ids) batch.push_back(MakeArticle(id));
    ASSERT_TRUE(store_->Upsert(batch).ok());
  }

  std::string dir_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Announcer> announcer_;
  RecordingListener listener_;
};

TEST_F(CommitFollowerTest, DeliversEveryCommitAfterItsStartInSequenceOrder) {
  CommitElsewhere({"before-1", "before-2"});
  const uint64_t start = *store_->LatestSequence();
  CommitFollowerOptions options;
  options.read_batch = 2;  // several reads per wake-up
  options.poll_interval = absl::Milliseconds(200);
  CommitFollower follower(*store_, listener_, start, announcer_->Function(),
                          options);
  CommitElsewhere({"a", "b", "c"});
  announcer_->Announce();
  EXPECT_EQ(listener_.WaitFor(3), (std::vector<std::string>{"a", "b", "c"}));
  CommitElsewhere({"d"});
  CommitElsewhere({"a"});  // unchanged duplicate: no new sequence
  announcer_->Announce();
  EXPECT_EQ(listener_.WaitFor(4),
            (std::vector<std::string>{"a", "b", "c", "d"}));
  follower.Stop();
  EXPECT_EQ(follower.position(), *store_->LatestSequence());
  EXPECT_EQ(listener_.latest(), *store_->LatestSequence());
}

TEST_F(CommitFollowerTest, AnUnannouncedCommitIsFoundAtTheNextPoll) {
  CommitFollowerOptions options;
  options.poll_interval = absl::Milliseconds(10);
  CommitFollower follower(*store_, listener_, 0, announcer_->Function(),
                          options);
  CommitElsewhere({"quiet"});  // no Announce()
  EXPECT_EQ(listener_.WaitFor(1), (std::vector<std::string>{"quiet"}));
}

TEST_F(CommitFollowerTest, KeepsFollowingAfterTheWaitFails) {
  announcer_->FailNextWaits(3);
  CommitFollowerOptions options;
  options.poll_interval = absl::Milliseconds(200);
  options.retry_delay = absl::Milliseconds(1);
  CommitFollower follower(*store_, listener_, 0, announcer_->Function(),
                          options);
  CommitElsewhere({"after-failures"});
  announcer_->Announce();
  EXPECT_EQ(listener_.WaitFor(1), (std::vector<std::string>{"after-failures"}));
}

// A replica that was away longer than retention keeps: the follower does
// not retry the removed range forever; it reports the gap and goes on.
TEST_F(CommitFollowerTest, MovesPastChangesRetentionRemovedAndReportsThem) {
  CommitElsewhere({"old-1", "old-2", "old-3", "kept-1", "kept-2", "kept-3"});
  absl::StatusOr<int64_t> removed = store_->EnforceRetention(absl::Now());
  ASSERT_TRUE(removed.ok()) << removed.status();
  ASSERT_EQ(*removed, 3);
  CommitFollowerOptions options;
  options.poll_interval = absl::Milliseconds(200);
  options.retry_delay = absl::Milliseconds(1);
  CommitFollower follower(*store_, listener_, 0, announcer_->Function(),
                          options);
  EXPECT_EQ(listener_.WaitFor(3),
            (std::vector<std::string>{"kept-1", "kept-2", "kept-3"}));
  EXPECT_EQ(listener_.lost_through(), 3u);
}

TEST_F(CommitFollowerTest, StopEndsAWaitInProgress) {
  CommitFollowerOptions options;
  options.poll_interval = absl::Milliseconds(50);
  auto follower = std::make_unique<CommitFollower>(
      *store_, listener_, 0, announcer_->Function(), options);
  follower->Stop();
  follower->Stop();  // idempotent
  follower.reset();
  EXPECT_EQ(listener_.latest(), 0u);
}

}  // namespace
}  // namespace newsfeed::query
