// PollingPolicy decides when a feed that was fetched successfully is polled
// next, and says why in words an operator can act on (ListFeeds shows it).
//
// Two schedules:
//   - fixed: every feed at polling.default_interval.
//   - adaptive (the default): each feed at a fraction (gap_fraction) of its
//     own posting rate, the smoothed time between its new items, so that a
//     feed posting every few minutes is polled every minute or so and one
//     posting twice a week about twice a day. A feed silent for longer than
//     twice its usual gap backs off with the silence. The rate starts from
//     the publication dates of the items in the first document.
// Either way the publisher is respected: an RSS ttl or sy:updatePeriod and
// an HTTP Cache-Control max-age or Expires only lengthen the interval,
// skipHours/skipDays move the next poll out of the hours and days skipped,
// and a feed whose hub pushes it (WebSub) is only polled as a safety net.
// The interval is clamped to [min_interval, max_interval] and spread by a
// random +-jitter so that thousands of feeds do not fire together.
//
// Errors, Retry-After and backoff are the poller's business, not this one's.
//
// Stateless: thread-safe.
//
// For a feed posting as a Poisson process with mean gap G, polling every
// f*G gives a median delay of f*G/2 and 1/f fetches per new item: a median
// delay of 10% of the gap costs 5 fetches per item; 3 fetches per item
// means a median delay of G/6. gap_fraction chooses between the two.
#ifndef INGEST_SERVICE_POLLING_POLICY_POLLING_POLICY_H_
#define INGEST_SERVICE_POLLING_POLICY_POLLING_POLICY_H_

#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "ingest-service/feeds/feed_registry.h"

namespace newsfeed::ingest {

struct PollingPolicyOptions {
  // false: the fixed schedule. Default: adaptive.
  bool adaptive = true;
  // The fixed schedule's interval, and the adaptive one's while a feed's
  // posting rate is unknown. Default: 15 minutes.
  absl::Duration default_interval = absl::Minutes(15);
  // Bounds on every interval. Defaults: 1 minute, 24 hours.
  absl::Duration min_interval = absl::Minutes(1);
  absl::Duration max_interval = absl::Hours(24);
  // Adaptive: the interval as a share of the feed's mean gap between new
  // items, in (0, 1]. Default: 0.2 (median delay ~10% of the gap).
  double gap_fraction = 0.2;
  // Adaptive: weight of the newest gap in the smoothed mean gap (an
  // exponentially weighted moving average), in (0, 1]. Default: 0.3.
  double smoothing = 0.3;
  // Each interval is multiplied by a random factor in [1-jitter, 1+jitter],
  // jitter in [0, 0.5]. Default: 0.1.
  double jitter = 0.1;
  // Interval of a feed that a verified WebSub subscription pushes (a safety
  // net for lost deliveries); never shorter than the adaptive interval.
  // Default: 6 hours.
  absl::Duration push_safety_interval = absl::Hours(6);
};

// What one successful fetch (200 parsed, or 304) told about a feed.
struct FetchEvidence {
  // Items new or changed in this fetch; 0 for a 304.
  int new_items = 0;
  // Publication (else update) times of the document's items, for the first
  // estimate of the posting rate; empty for a 304.
  std::vector<absl::Time> item_times;
  // HTTP freshness lifetime (Cache-Control max-age or Expires), if any.
  std::optional<absl::Duration> max_age;
  // A verified WebSub subscription delivers the feed's new items.
  bool pushed = false;
};

class PollingPolicy {
 public:
  // INVALID_ARGUMENT naming the option when one is out of range.
  static absl::Status Validate(const PollingPolicyOptions& options);

  // `options` must be valid (see Validate).
  explicit PollingPolicy(const PollingPolicyOptions& options);

  // Learns the feed's posting rate from `evidence` (LearnRate) and sets its
  // next poll: feed->interval,
  // feed->interval_reason and feed->next_poll. Reads feed->publisher_interval,
  // skip_hours and skip_days, which the caller sets from the document first.
  // `jitter_draw` is a uniform random number in [-1, 1] (0: no jitter).
  void Schedule(FeedRecord* feed, const FetchEvidence& evidence, absl::Time now,
                double jitter_draw) const;

  // The first time at or after `t` outside the skipped hours (UTC) and days
  // (from Monday); `t` itself when nothing is skipped or everything is.
  static absl::Time SkipForward(absl::Time t, uint32_t skip_hours,
                                uint32_t skip_days);

  // Learns the feed's posting rate from the new items of `evidence` seen at
  // `now`: updates feed->mean_gap (smoothed) and feed->last_new_item; does
  // nothing when evidence.new_items is 0. Schedule calls it for fetched
  // documents; pushed documents (WebSub) call it alone, since a push does
  // not reschedule the feed's polls.
  void LearnRate(FeedRecord* feed, const FetchEvidence& evidence,
                 absl::Time now) const;

 private:
  const PollingPolicyOptions options_;
};

}  // namespace newsfeed::ingest

#endif  // INGEST_SERVICE_POLLING_POLICY_POLLING_POLICY_H_
