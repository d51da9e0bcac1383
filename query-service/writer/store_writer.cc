#include "query-service/writer/store_writer.h"

#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "common/log/log.h"

namespace newsfeed::query {

struct StoreWriter::Metrics {
  explicit Metrics(metrics::Registry& registry, StoreWriter& writer) {
    metrics::CounterFamily& stored = registry.AddCounterFamily(
        "newsfeed_articles_stored_total",
        "Articles received for storage, by result: inserted (new), updated "
        "(changed, stored with a new sequence) or unchanged (identical "
        "duplicate, not stored again).",
        {"result"});
    inserted = &stored.WithLabels({"inserted"});
    updated = &stored.WithLabels({"updated"});
    unchanged = &stored.WithLabels({"unchanged"});
    write_seconds = &registry.AddHistogram(
        "newsfeed_store_write_duration_seconds",
        "Time of one store commit (one Publish batch, or several that "
        "queued up and were committed together).",
        metrics::LatencyBuckets());
    write_errors = &registry.AddCounter(
        "newsfeed_store_write_errors_total",
        "Store commits that failed (the producers resend their batches).");
    retention_removed = &registry.AddCounter(
        "newsfeed_retention_removed_total",
        "Articles removed by retention (retention.max_age, "
        "retention.max_articles).");
    queued = registry.AddCallbackGauge(
        "newsfeed_store_writer_queued_batches",
        "Batches waiting for the store writer thread.", [&writer] {
          absl::MutexLock lock(&writer.mu_);
          return static_cast<double>(writer.queue_.size());
        });
  }

  metrics::Counter* inserted;
  metrics::Counter* updated;
  metrics::Counter* unchanged;
  metrics::Histogram* write_seconds;
  metrics::Counter* write_errors;
  metrics::Counter* retention_removed;
  metrics::CallbackRegistration queued;
};

StoreWriter::StoreWriter(ArticleStore& store, ChangeListener& listener,
                         Clock& clock, const StoreWriterOptions& options)
    : store_(store),
      listener_(listener),
      clock_(clock),
      options_(options),
      next_retention_(clock.Now()) {
  if (options.metrics != nullptr) {
    metrics_ = std::make_unique<Metrics>(*options.metrics, *this);
  }
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
    std::vector<Batch> group;
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
        size_t articles = 0;
        do {
          articles += queue_.front().articles.size();
          group.push_back(std::move(queue_.front()));
          queue_.pop_front();
        } while (!queue_.empty() && articles + queue_.front().articles.size() <=
                                        options_.max_group_articles);
      }
    }
    if (!group.empty()) Commit(group);
    MaybeEnforceRetention();
  }
}

void StoreWriter::Commit(std::vector<Batch>& group) {
  std::vector<newsfeed::v1::Article> articles;
  // The joined articles' ids in order, to split the result per batch.
  std::vector<std::string> ids;
  if (group.size() == 1) {
    articles = std::move(group.front().articles);
  } else {
    size_t total = 0;
    for (const Batch& batch : group) total += batch.articles.size();
    articles.reserve(total);
    ids.reserve(total);
    for (Batch& batch : group) {
      for (newsfeed::v1::Article& article : batch.articles) {
        ids.push_back(article.id());
        articles.push_back(std::move(article));
      }
    }
  }

  const metrics::Stopwatch stopwatch;
  absl::StatusOr<UpsertResult> result = store_.Upsert(std::move(articles));
  if (metrics_ != nullptr) {
    metrics_->write_seconds->Observe(stopwatch.ElapsedSeconds());
    if (result.ok()) {
      metrics_->inserted->Increment(result->stored - result->updated);
      metrics_->updated->Increment(result->updated);
      metrics_->unchanged->Increment(result->unchanged);
    } else {
      metrics_->write_errors->Increment();
    }
  }
  if (!result.ok()) {
    // The whole transaction rolled back: every producer resends its batch.
    for (Batch& batch : group) batch.done(result.status());
    return;
  }
  if (group.size() == 1) {
    if (result->stored > 0) {
      listener_.OnStored(result->latest_sequence, std::move(result->changed));
    }
    group.front().done(std::move(result));
    return;
  }

  // Split the joined result per batch for the acknowledgements: an article
  // counts as stored for the first batch that carried it.
  absl::flat_hash_map<std::string, int> stored_versions;
  for (const newsfeed::v1::Article& article : result->changed) {
    ++stored_versions[article.id()];
  }
  std::vector<UpsertResult> parts(group.size());
  size_t offset = 0;
  for (size_t i = 0; i < group.size(); ++i) {
    const size_t n = group[i].articles.size();
    for (size_t j = offset; j < offset + n; ++j) {
      auto it = stored_versions.find(ids[j]);
      if (it != stored_versions.end() && it->second > 0) {
        --it->second;
        ++parts[i].stored;
      } else {
        ++parts[i].unchanged;
      }
    }
    offset += n;
    parts[i].latest_sequence = result->latest_sequence;
  }
  if (result->stored > 0) {
    listener_.OnStored(result->latest_sequence, std::move(result->changed));
  }
  for (size_t i = 0; i < group.size(); ++i) {
    group[i].done(std::move(parts[i]));
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
    if (metrics_ != nullptr) metrics_->retention_removed->Increment(*removed);
    absl::MutexLock lock(&mu_);
    retention_removed_ += *removed;
  }
}

}  // namespace newsfeed::query
