#include "query-service/writer/store_writer.h"

#include <utility>

#include "common/log/log.h"

namespace newsfeed::query {

StoreWriter::StoreWriter(ArticleStore& store, ChangeListener& listener,
                         Clock& clock, const StoreWriterOptions& options)
    : store_(store),
      listener_(listener),
      clock_(clock),
      options_(options),
      next_retention_(clock.Now()) {
  thread_ = std::thread([this] { Run(); });
}

StoreWriter::~StoreWriter() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void StoreWriter::Submit(std::vector<newsfeed::v1::Article> articles,
                         Done done) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_ && queue_.size() < options_.max_queued_batches) {
      queue_.push_back(Batch{std::move(articles), std::move(done)});
      return;
    }
  }
  done(absl::ResourceExhaustedError(
      "query-service store writer is busy or stopping; retry the batch"));
}

int64_t StoreWriter::retention_removed() const {
  absl::MutexLock lock(&mu_);
  return retention_removed_;
}

void StoreWriter::Run() {
  for (;;) {
    Batch batch;
    {
      absl::MutexLock lock(&mu_);
      // Wakes for work or stop; otherwise at most once a minute so retention
      // runs on a quiet server too.
      mu_.AwaitWithTimeout(
          absl::Condition(
              +[](StoreWriter* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu_) {
                return w->stopping_ || !w->queue_.empty();
              },
              this),
          absl::Minutes(1));
      if (queue_.empty()) {
        if (stopping_) return;
      } else {
        batch = std::move(queue_.front());
        queue_.pop_front();
      }
    }
    if (batch.done) {
      absl::StatusOr<UpsertResult> result = store_.Upsert(batch.articles);
      if (result.ok() && result->stored > 0) {
        listener_.OnStored(result->latest_sequence, std::move(result->changed));
      }
      batch.done(std::move(result));
    }
    MaybeEnforceRetention();
  }
}

void StoreWriter::MaybeEnforceRetention() {
  const absl::Time now = clock_.Now();
  if (now < next_retention_) return;
  next_retention_ = now + options_.retention_interval;
  absl::StatusOr<int64_t> removed = store_.EnforceRetention(now);
  if (!removed.ok()) {
    log::Error("retention failed: %s", removed.status().ToString());
    return;
  }
  if (*removed > 0) {
    log::Info("retention removed %d articles", *removed);
    absl::MutexLock lock(&mu_);
    retention_removed_ += *removed;
  }
}

}  // namespace newsfeed::query
