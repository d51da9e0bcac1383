// Threads of its own (one by default) that run posted closures, started in
// the order posted; with one thread, one at a time. It is where a gRPC
// reaction hands off work that may block (a database round trip, a search,
// a transaction over thousands of rows), so that gRPC's threads never wait
// on it. The queue is bounded: Post refuses work beyond
// `max_queued` waiting closures, so a client cannot pile up memory or delay
// without limit; the caller answers such a refusal itself.
//
// Thread-safe. The destructor runs every closure still queued, then joins
// the thread, so whatever a closure borrows must outlive the queue.
#ifndef COMMON_WORK_QUEUE_WORK_QUEUE_H_
#define COMMON_WORK_QUEUE_WORK_QUEUE_H_

#include <cstddef>
#include <deque>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace newsfeed {

class WorkQueue {
 public:
  // At most `max_queued` closures wait (those running are not counted), on
  // `threads` threads; both at least 1.
  explicit WorkQueue(size_t max_queued, int threads = 1);
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Queues `work` to run on the queue's thread after everything posted
  // before it. False (and `work` is destroyed without running) when
  // max_queued closures are already waiting.
  bool Post(absl::AnyInvocable<void() &&> work);

  // Closures waiting to run, the running ones not counted.
  size_t queued() const;

 private:
  void Run();

  const size_t max_queued_;
  mutable absl::Mutex mu_;
  std::deque<absl::AnyInvocable<void() &&>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;  // last: start once the above exist
};

}  // namespace newsfeed

#endif  // COMMON_WORK_QUEUE_WORK_QUEUE_H_
