// Copyright newsfeed authors.
#include "common/retry/retry.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"

namespace newsfeed {

absl::Status RetryWhileUnavailable(std::string_view what,
                                   absl::Duration timeout,
                                   absl::FunctionRef<absl::Status()> attempt) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Duration pause = absl::Milliseconds(100);
  for (int attempts = 1;; ++attempts) {
    absl::Status status = attempt();
    if (status.code() != absl::StatusCode::kUnavailable) return status;
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      if (attempts == 1) return status;
      return absl::UnavailableError(
          absl::StrCat(status.message(), " (gave up after ", attempts,
                       " attempts in ", absl::FormatDuration(timeout), ")"));
    }
    pause = std::min(pause, left);
    log::Warning("%s is not reachable yet (%s); retrying in %s", what,
                 status.message(), absl::FormatDuration(pause));
    absl::SleepFor(pause);
    pause = std::min(pause * 2, absl::Seconds(5));
  }
}

}  // namespace newsfeed
