// Copyright newsfeed authors.
//
// Waiting at start-up for a dependency that is not up yet (a database server
// starting next to the service, in compose or Kubernetes): repeats an attempt
// that fails UNAVAILABLE, with growing pauses, until it succeeds, fails
// otherwise, or the time allowed runs out. Each retry is logged as a warning
// naming `what` and the error, so an operator sees what the service waits
// for.
//
// Blocks the calling thread; meant for factories run once at start-up, never
// for request paths. Thread-safe (no shared state).
//
//   absl::Status s = RetryWhileUnavailable(
//       "PostgreSQL (article store)", absl::Seconds(60),
//       [&] { return Connect(); });
#ifndef COMMON_RETRY_RETRY_H_
#define COMMON_RETRY_RETRY_H_

#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"

namespace newsfeed {

// Calls `attempt` until it returns anything but UNAVAILABLE, or until
// `timeout` has passed since the first call (a zero or negative timeout means
// one attempt). Pauses start at 100 ms and double up to 5 s. Returns the last
// attempt's status; an UNAVAILABLE that outlived the timeout gets " (gave up
// after N attempts in T)" appended when there was more than one attempt.
absl::Status RetryWhileUnavailable(std::string_view what,
                                   absl::Duration timeout,
                                   absl::FunctionRef<absl::Status()> attempt);

}  // namespace newsfeed

#endif  // COMMON_RETRY_RETRY_H_
