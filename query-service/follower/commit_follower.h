// CommitFollower feeds a query-service replica's live fan-out from a store
// that other processes write to as well (PostgreSQL shared by several
// query-service replicas).
//
// With one process, the StoreWriter tells the SubscriptionHub about each
// commit it makes. With several replicas on one database, an article may be
// committed by any of them, so each replica instead follows the store's change
// log: it waits until a commit is announced (PostgreSQL NOTIFY, through
// `await_commit`), reads every change after its position with ReadChanges,
// and hands them to the listener in sequence order. The store stays the
// source of truth: a lost or coalesced notification only delays delivery
// until the next wake-up or timeout, and because sequences are assigned in
// commit order (see PgStore) reading "after my position" never skips an
// article that commits later. If retention removed changes before they were
// read (a replica stopped or cut off for longer than the retention keeps),
// the follower moves past them and tells the listener (OnChangesLost), so
// subscribers behind the gap get OUT_OF_RANGE from the store rather than a
// silent hole or a follower stuck retrying.
//
// Owns one thread, whose only job is this loop. Thread-safe.
//
//   CommitFollower follower(store, hub, start, await, {});
//   ...
//   follower.Stop();  // or destroy
#ifndef QUERY_SERVICE_FOLLOWER_COMMIT_FOLLOWER_H_
#define QUERY_SERVICE_FOLLOWER_COMMIT_FOLLOWER_H_

#include <cstdint>
#include <functional>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "query-service/store/article_store.h"
#include "query-service/writer/store_writer.h"

namespace newsfeed::query {

struct CommitFollowerOptions {
  // Changes read from the store per ReadChanges call. Default 1000.
  int read_batch = 1000;
  // Longest wait for a commit announcement before the store is read anyway
  // (bounds both the delay after a lost notification and Stop()). Default
  // 500 ms.
  absl::Duration poll_interval = absl::Milliseconds(500);
  // Pause after a failed store call before trying again. Default 1 s.
  absl::Duration retry_delay = absl::Seconds(1);
};

class CommitFollower {
 public:
  // Blocks until the store holds a change after `known_latest` or `timeout`
  // passes; returns the latest committed sequence either way, or an error
  // (the follower then waits retry_delay and tries again).
  using AwaitCommit = std::function<absl::StatusOr<uint64_t>(
      uint64_t known_latest, absl::Duration timeout)>;

  // Starts following after sequence `start` (read from the store before the
  // listener was created, so no change falls between the two). `store`,
  // `listener` and `await_commit` must outlive the follower.
  CommitFollower(ArticleStore& store, ChangeListener& listener, uint64_t start,
                 AwaitCommit await_commit, CommitFollowerOptions options);
  CommitFollower(const CommitFollower&) = delete;
  CommitFollower& operator=(const CommitFollower&) = delete;
  // Stops and joins the thread.
  ~CommitFollower();

  // Ends the loop within about poll_interval and joins it. Idempotent.
  void Stop();

  // The sequence through which every change has been handed to the listener.
  uint64_t position() const;

 private:
  void Run();
  // Reads and delivers every change after position_; false on a store error.
  bool CatchUp();
  // Waits `delay` unless Stop() is called first; false when stopping.
  bool PauseUnlessStopping(absl::Duration delay);

  ArticleStore& store_;
  ChangeListener& listener_;
  const AwaitCommit await_commit_;
  const CommitFollowerOptions options_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t position_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace newsfeed::query

#endif  // QUERY_SERVICE_FOLLOWER_COMMIT_FOLLOWER_H_
