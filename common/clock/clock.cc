#include "common/clock/clock.h"

#include "absl/time/clock.h"

namespace newsfeed {

absl::Time RealClock::Now() const { return absl::Now(); }

Clock& RealClock::Instance() {
  static RealClock* const clock = new RealClock();
  return *clock;
}

absl::Time FakeClock::Now() const {
  absl::MutexLock lock(&mu_);
  return now_;
}

void FakeClock::Advance(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  now_ += d;
}

void FakeClock::Set(absl::Time t) {
  absl::MutexLock lock(&mu_);
  now_ = t;
}

}  // namespace newsfeed
