// The seam for time. Components that schedule or time out take a Clock& so
// tests can drive time with FakeClock instead of sleeping.
//
// Thread-safe: both implementations may be called from any thread.
#ifndef COMMON_CLOCK_CLOCK_H_
#define COMMON_CLOCK_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace newsfeed {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The system clock.
class RealClock final : public Clock {
 public:
  absl::Time Now() const override;
  // A process-wide instance; lives forever.
  static Clock& Instance();
};

// A clock that moves only when told; starts at the given time.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start) : now_(start) {}
  absl::Time Now() const override;
  void Advance(absl::Duration d);
  void Set(absl::Time t);

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace newsfeed

#endif  // COMMON_CLOCK_CLOCK_H_
