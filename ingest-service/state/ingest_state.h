// IngestState is the ingest-service's own SQLite file (ingest.db): the feed
// list with each feed's fetch state, the items already delivered, and the
// durable outbox of articles not yet acknowledged by query-service.
//
// It is the single-instance FeedRegistry: this instance is the only poller of
// the file, so DueFeeds hands out every due feed and SaveFeed always holds
// the lease. With state.engine: postgres the feed list lives in
// PgFeedRegistry instead and this file keeps only the outbox.
//
// Recording an article as seen and queueing it in the outbox happen in one
// transaction (RecordNewArticles), so a crash can neither lose an article nor
// deliver an unchanged one twice after a restart.
//
// Thread-safe: one connection behind a mutex; the poller, the publisher and
// the admin handlers share it.
//
//   auto state = IngestState::Open({.data_dir = "/var/lib/newsfeed/ingest"});
//   (*state)->EnsureFeed("https://example.org/feed.xml", now);
#ifndef INGEST_SERVICE_STATE_INGEST_STATE_H_
#define INGEST_SERVICE_STATE_INGEST_STATE_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/metrics/metrics.h"
#include "ingest-service/feeds/feed_registry.h"
#include "newsfeed/v1/article.pb.h"

namespace newsfeed::ingest {

struct IngestStateOptions {
  // Directory holding ingest.db; created if missing.
  std::string data_dir;
  // Disk quota of the outbox (serialized article bytes). When reached,
  // RecordNewArticles fails with RESOURCE_EXHAUSTED and records nothing, so
  // the items are fetched and offered again later. Default 1 GiB.
  int64_t outbox_max_bytes = int64_t{1} << 30;
  // Where to export the outbox depth (newsfeed_outbox_articles,
  // newsfeed_outbox_bytes, read from the file at each scrape) and quota.
  // nullptr (the default): no metrics. Must outlive the state.
  metrics::Registry* metrics = nullptr;
};

struct OutboxEntry {
  int64_t id = 0;
  newsfeed::v1::Article article;
};

struct OutboxStats {
  int64_t articles = 0;
  int64_t bytes = 0;
};

class IngestState final : public FeedRegistry {
 public:
  // Opens or creates data_dir/ingest.db and migrates its schema. INTERNAL
  // naming the file when SQLite fails.
  static absl::StatusOr<std::unique_ptr<IngestState>> Open(
      const IngestStateOptions& options);

  IngestState(const IngestState&) = delete;
  IngestState& operator=(const IngestState&) = delete;
  ~IngestState();

  // FeedRegistry. DueFeeds returns the due feeds without recording a lease
  // (this instance is the file's only poller); SaveFeed never fails with
  // FAILED_PRECONDITION; ReleaseFeed does nothing.
  absl::StatusOr<FeedRecord> AddFeed(const std::string& url,
                                     absl::Time now) override;
  absl::StatusOr<std::vector<FeedRecord>> AddFeeds(
      const std::vector<NewFeed>& feeds, absl::Time now) override;
  absl::Status EnsureFeed(const std::string& url, absl::Time now) override;
  absl::Status RemoveFeed(const std::string& id_or_url) override;
  absl::StatusOr<FeedRecord> GetFeed(const std::string& id_or_url) override;
  absl::StatusOr<std::vector<FeedRecord>> ListFeedsAfter(
      const std::string& after_url, int limit) override;
  absl::StatusOr<int64_t> CountFeeds() override;
  absl::Status SaveFeed(const FeedRecord& feed) override;
  absl::Status SaveFeeds(const std::vector<FeedRecord>& feeds) override;
  absl::Status SavePostingRate(const FeedRecord& feed) override;
  absl::Status ReleaseFeed(const std::string& id) override;
  absl::StatusOr<int> PollSoon(const std::string& id_or_url,
                               absl::Time now) override;
  absl::StatusOr<std::vector<FeedRecord>> DueFeeds(absl::Time now,
                                                   int limit) override;
  absl::StatusOr<absl::Time> NextDue() override;
  absl::StatusOr<std::vector<bool>> Unseen(
      const std::vector<newsfeed::v1::Article>& articles) override;
  absl::StatusOr<int> MarkSeen(
      const std::string& feed_id,
      const std::vector<newsfeed::v1::Article>& articles) override;

  // In one transaction: records the new or changed articles as seen, queues
  // them in the outbox and adds them to the feed's items_seen. Returns how
  // many were queued. RESOURCE_EXHAUSTED (nothing recorded) when the outbox
  // quota would be exceeded.
  absl::StatusOr<int> RecordNewArticles(
      const std::string& feed_id,
      const std::vector<newsfeed::v1::Article>& articles);

  // Queues `articles` in the outbox as they are, without looking at or
  // recording seen items (for a registry in another store, which the caller
  // marks afterwards). Returns how many were queued. RESOURCE_EXHAUSTED
  // (nothing queued) when the outbox quota would be exceeded.
  absl::StatusOr<int> QueueArticles(
      const std::vector<newsfeed::v1::Article>& articles);

  // Outbox entries with id > after_id, oldest first, at most `limit`.
  absl::StatusOr<std::vector<OutboxEntry>> PeekOutbox(int64_t after_id,
                                                      int limit);
  // Removes acknowledged entries.
  absl::Status AckOutbox(const std::vector<int64_t>& ids);
  // An outbox entry query-service refused, and why.
  struct Rejection {
    int64_t outbox_id = 0;
    std::string reason;
  };
  // Moves refused entries from the outbox to the dead letters (kept for
  // inspection, the newest kDeadLettersKept), in one transaction; ids no
  // longer in the outbox are skipped.
  absl::Status RejectOutbox(const std::vector<Rejection>& rejections);
  // The dead letters with id < before_id (0: all), newest first, at most
  // `limit`: each article with the reason it was refused.
  struct DeadLetter {
    int64_t id = 0;
    newsfeed::v1::Article article;
    std::string reason;
    absl::Time rejected;
    int64_t bytes = 0;
  };
  absl::StatusOr<std::vector<DeadLetter>> DeadLetters(int limit,
                                                      int64_t before_id = 0);
  // Moves the dead letters `ids` back to the outbox, in one transaction;
  // ids not kept are skipped. Returns how many moved. RESOURCE_EXHAUSTED
  // (nothing moved) when the outbox quota would be exceeded.
  absl::StatusOr<int> ReplayDeadLetters(const std::vector<int64_t>& ids);
  static constexpr int kDeadLettersKept = 10000;
  absl::StatusOr<OutboxStats> GetOutboxStats();

 private:
  IngestState(sqlite3* db, const IngestStateOptions& options, std::string path)
      : db_(db), options_(options), path_(std::move(path)) {}

  absl::Status Exec(const char* sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status SaveFeedLocked(const FeedRecord& feed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Error(const char* what) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<FeedRecord> GetFeedLocked(const std::string& id_or_url)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Inside the caller's transaction: deletes `ids` from the outbox, adding
  // what was there to *removed.
  absl::Status DeleteFromOutboxLocked(const std::vector<int64_t>& ids,
                                      OutboxStats* removed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends the caller's transaction: commits when `status` is OK and updates
  // the outbox counts by `removed`, rolls back otherwise.
  absl::Status CommitOutboxRemoval(absl::Status status,
                                   const OutboxStats& removed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  sqlite3* db_ ABSL_GUARDED_BY(mu_);
  // The outbox's size, counted once at Open and kept up to date by every
  // commit that changes it (this object is the file's only writer), so
  // neither the quota check nor GetOutboxStats scans the outbox.
  OutboxStats outbox_ ABSL_GUARDED_BY(mu_);
  const IngestStateOptions options_;
  const std::string path_;
  std::vector<metrics::CallbackRegistration> metric_registrations_;
};

}  // namespace newsfeed::ingest

#endif  // INGEST_SERVICE_STATE_INGEST_STATE_H_
