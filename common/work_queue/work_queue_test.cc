#include "common/work_queue/work_queue.h"

#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsfeed {
namespace {

using ::testing::ElementsAre;

TEST(WorkQueueTest, RunsInPostedOrderOnItsOwnThread) {
  absl::Mutex mu;
  std::vector<int> ran;
  std::thread::id ran_on;
  absl::Notification done;
  {
    WorkQueue queue(8);
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(queue.Post([&, i] {
        absl::MutexLock lock(&mu);
        ran.push_back(i);
        ran_on = std::this_thread::get_id();
      }));
    }
    ASSERT_TRUE(queue.Post([&] { done.Notify(); }));
    done.WaitForNotification();
  }
  EXPECT_THAT(ran, ElementsAre(0, 1, 2, 3, 4));
  EXPECT_NE(ran_on, std::this_thread::get_id());
}

TEST(WorkQueueTest, RefusesBeyondTheBoundWhileBlockedAndDrainsOnDestruction) {
  absl::Notification started, release;
  int ran = 0;
  {
    WorkQueue queue(2);
    ASSERT_TRUE(queue.Post([&] {
      started.Notify();
      release.WaitForNotification();
    }));
    started.WaitForNotification();  // running: not counted as queued
    EXPECT_TRUE(queue.Post([&] { ++ran; }));
    EXPECT_TRUE(queue.Post([&] { ++ran; }));
    auto witness = std::make_shared<int>(0);
    EXPECT_FALSE(queue.Post([&ran, witness] { ran += 100; }));
    EXPECT_EQ(witness.use_count(), 1) << "a refused closure is destroyed";
    EXPECT_EQ(queue.queued(), 2u);
    release.Notify();
  }  // the destructor runs the two accepted closures before joining
  EXPECT_EQ(ran, 2);
}

TEST(WorkQueueTest, SeveralThreadsRunClosuresAtOnce) {
  WorkQueue queue(8, /*threads=*/3);
  // Each closure waits for all three to have started: only three threads
  // running at once get past it.
  absl::Mutex mu;
  int started = 0;
  absl::Notification all_done[3];
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(queue.Post([&, i] {
      absl::MutexLock lock(&mu);
      ++started;
      mu.Await(absl::Condition(
          +[](int* n) { return *n == 3; }, &started));
      all_done[i].Notify();
    }));
  }
  for (absl::Notification& done : all_done) done.WaitForNotification();
}

}  // namespace
}  // namespace newsfeed
