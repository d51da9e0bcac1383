#include "query-service/follower/commit_follower.h"

#include <optional>
#include <utility>
#include <vector>

#include "common/log/log.h"

namespace newsfeed::query {

CommitFollower::CommitFollower(ArticleStore& store, ChangeListener& listener,
                               uint64_t start, AwaitCommit await_commit,
                               CommitFollowerOptions options)
    : store_(store),
      listener_(listener),
      await_commit_(std::move(await_commit)),
      options_(options),
      position_(start) {
  thread_ = std::thread([this] { Run(); });
}

CommitFollower::~CommitFollower() { Stop(); }

void CommitFollower::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

uint64_t CommitFollower::position() const {
  absl::MutexLock lock(&mu_);
  return position_;
}

bool CommitFollower::PauseUnlessStopping(absl::Duration delay) {
  absl::MutexLock lock(&mu_);
  auto stopping = [this]()
                      ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_; };
  mu_.AwaitWithTimeout(absl::Condition(&stopping), delay);
  return !stopping_;
}

bool CommitFollower::CatchUp() {
  const newsfeed::v1::ArticleFilter everything;
  while (true) {
    const uint64_t from = position();
    absl::StatusOr<ChangeBatch> batch =
        store_.ReadChanges(from, everything, options_.read_batch);
    if (!batch.ok()) {
      if (std::optional<uint64_t> resume =
              RetentionResumeSequence(batch.status());
          resume && *resume > from) {
        // Retention got there first (this replica was stopped or cut off
        // for that long): what it removed cannot be delivered by anyone.
        // Move past it; subscribers behind it learn of the gap from the
        // store.
        log::Warning(
            "following the store's commits: changes %d..%d were removed by "
            "retention before this replica read them; continuing after %d",
            static_cast<int64_t>(from) + 1, static_cast<int64_t>(*resume),
            static_cast<int64_t>(*resume));
        listener_.OnChangesLost(*resume);
        absl::MutexLock lock(&mu_);
        position_ = *resume;
        if (stopping_) return true;
        continue;
      }
      log::Warning("following the store's commits after sequence %d: %s",
                   static_cast<int64_t>(from), batch.status().ToString());
      return false;
    }
    if (batch->scanned_through <= from) return true;
    const uint64_t through = batch->scanned_through;
    listener_.OnStored(through, std::move(batch->articles));
    {
      absl::MutexLock lock(&mu_);
      position_ = through;
      if (stopping_) return true;
    }
  }
}

void CommitFollower::Run() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    if (!CatchUp()) {
      if (!PauseUnlessStopping(options_.retry_delay)) return;
      continue;
    }
    absl::StatusOr<uint64_t> latest =
        await_commit_(position(), options_.poll_interval);
    if (!latest.ok()) {
      log::Warning("waiting for commits: %s", latest.status().ToString());
      if (!PauseUnlessStopping(options_.retry_delay)) return;
    }
  }
}

}  // namespace newsfeed::query
