// StoreWriter owns the query-service's only writing thread. SQLite serialises
// writes anyway, and an Upsert must never run inside a gRPC reaction, so
// every batch goes through this one queue, in submission order. Batches that
// queued up while the store was busy are committed together in one
// transaction (group commit): under load each commit's fixed cost (index
// pages, FTS segment flush, WAL sync) is paid once for many batches, and an
// idle writer still commits a lone batch at once.
//
// Thread-safe: Submit may be called from any thread, including gRPC
// reactions (it never blocks on the store).
//
//   StoreWriter writer(store, hub, options);
//   writer.Submit(std::move(articles), [](absl::StatusOr<UpsertResult> r)
//   {...});
#ifndef QUERY_SERVICE_WRITER_STORE_WRITER_H_
#define QUERY_SERVICE_WRITER_STORE_WRITER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock/clock.h"
#include "common/metrics/metrics.h"
#include "newsfeed/v1/article.pb.h"
#include "query-service/store/article_store.h"

namespace newsfeed::query {

// Told about every committed change, on the writer thread, in commit order.
class ChangeListener {
 public:
  virtual ~ChangeListener() = default;
  // The store now holds changes up to `latest_sequence`; `changed` are the
  // articles this commit stored (sequence set, ascending). Must not block.
  virtual void OnStored(uint64_t latest_sequence,
                        std::vector<newsfeed::v1::Article> changed) = 0;
  // Changes up to `removed_through` were removed by retention before they
  // could be handed over (a CommitFollower that fell that far behind): a
  // reader behind that point must go to the store, which reports the gap.
  // Must not block. The writer never calls it.
  virtual void OnChangesLost(uint64_t removed_through) {
    (void)removed_through;
  }
};

struct StoreWriterOptions {
  // How often retention runs. Default 10 minutes.
  absl::Duration retention_interval = absl::Minutes(10);
  // Batches waiting for the writer beyond which Submit fails fast with
  // RESOURCE_EXHAUSTED (the producer retries). Default 256.
  size_t max_queued_batches = 256;
  // Group commit: queued batches are joined into one Upsert while their
  // articles add up to at most this many. 0 or 1: one batch per Upsert.
  size_t max_group_articles = 2000;
  // Where to count stored articles, write latency, the queue and retention
  // removals (newsfeed_articles_stored_total, ...). nullptr (the default):
  // no metrics. Must outlive the writer.
  metrics::Registry* metrics = nullptr;
};

class StoreWriter {
 public:
  using Done = std::function<void(absl::StatusOr<UpsertResult>)>;

  // `store`, `listener` and `clock` are borrowed and must outlive the writer.
  // Starts the writer thread.
  StoreWriter(ArticleStore& store, ChangeListener& listener, Clock& clock,
              const StoreWriterOptions& options);
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;
  // Finishes the queued batches, then joins the thread.
  ~StoreWriter();

  // Queues a batch. `done` runs on the writer thread after the batch is
  // committed (or failed); it must not block. When the queue is full, `done`
  // runs at once with RESOURCE_EXHAUSTED.
  void Submit(std::vector<newsfeed::v1::Article> articles, Done done);

  // Retention removals since start (for logs and metrics).
  int64_t retention_removed() const;

 private:
  struct Batch {
    std::vector<newsfeed::v1::Article> articles;
    Done done;
  };

  struct Metrics;

  void Run();
  // Upserts the batches of `group` in one transaction and answers each.
  void Commit(std::vector<Batch>& group);
  void MaybeEnforceRetention();

  ArticleStore& store_;
  ChangeListener& listener_;
  Clock& clock_;
  const StoreWriterOptions options_;

  mutable absl::Mutex mu_;
  std::deque<Batch> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t retention_removed_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time next_retention_;  // writer thread only

  std::unique_ptr<Metrics> metrics_;  // null without options.metrics
  std::thread thread_;
};

}  // namespace newsfeed::query

#endif  // QUERY_SERVICE_WRITER_STORE_WRITER_H_
