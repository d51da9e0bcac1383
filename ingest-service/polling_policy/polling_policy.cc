#include "ingest-service/polling_policy/polling_policy.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace newsfeed::ingest {
namespace {

// "45s", "12m", "3.5h", "2.1d": short enough for a ListFeeds column.
std::string Short(absl::Duration d) {
  const double s = absl::ToDoubleSeconds(d);
  if (s < 120) return absl::StrFormat("%.3gs", s);
  if (s < 120 * 60) return absl::StrFormat("%.0fm", s / 60);
  if (s < 48 * 3600) return absl::StrFormat("%.3gh", s / 3600);
  return absl::StrFormat("%.3gd", s / 86400);
}

// Item times further ahead than this are clock skew or errors; ignored.
constexpr absl::Duration kFutureSlack = absl::Hours(1);

}  // namespace

absl::Status PollingPolicy::Validate(const PollingPolicyOptions& o) {
  if (o.min_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("polling.min_interval must be positive");
  }
  if (o.min_interval > o.max_interval) {
    return absl::InvalidArgumentError(
        "polling.min_interval is larger than polling.max_interval");
  }
  if (o.default_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "polling.default_interval must be positive");
  }
  if (!(o.gap_fraction > 0 && o.gap_fraction <= 1)) {
    return absl::InvalidArgumentError("polling.gap_fraction must be in (0, 1]");
  }
  if (!(o.smoothing > 0 && o.smoothing <= 1)) {
    return absl::InvalidArgumentError("polling.smoothing must be in (0, 1]");
  }
  if (!(o.jitter >= 0 && o.jitter <= 0.5)) {
    return absl::InvalidArgumentError("polling.jitter must be in [0, 0.5]");
  }
  if (o.push_safety_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "polling.push_safety_interval must be positive");
  }
  return absl::OkStatus();
}

PollingPolicy::PollingPolicy(const PollingPolicyOptions& options)
    : options_(options) {}

void PollingPolicy::LearnRate(FeedRecord* feed, const FetchEvidence& evidence,
                              absl::Time now) const {
  if (evidence.new_items <= 0) return;
  if (feed->last_new_item == absl::InfinitePast()) {
    // The first document: its items' dates are the only history there is.
    std::vector<absl::Time> times;
    for (absl::Time t : evidence.item_times) {
      if (t <= now + kFutureSlack) times.push_back(std::min(t, now));
    }
    std::sort(times.begin(), times.end());
    if (times.size() >= 2 && times.back() > times.front()) {
      feed->mean_gap = (times.back() - times.front()) /
                       static_cast<int64_t>(times.size() - 1);
      feed->last_new_item = times.back();
    } else {
      feed->last_new_item = now;
    }
    return;
  }
  // Seen at `now`, posted since the last new item: new_items gaps at most.
  const absl::Duration sample =
      std::max(absl::ZeroDuration(), now - feed->last_new_item) /
      static_cast<int64_t>(evidence.new_items);
  feed->mean_gap = feed->mean_gap == absl::ZeroDuration()
                       ? sample
                       : feed->mean_gap * (1 - options_.smoothing) +
                             sample * options_.smoothing;
  feed->last_new_item = now;
}

void PollingPolicy::Schedule(FeedRecord* feed, const FetchEvidence& evidence,
                             absl::Time now, double jitter_draw) const {
  LearnRate(feed, evidence, now);

  absl::Duration interval = options_.default_interval;
  std::string reason;
  if (!options_.adaptive) {
    reason = absl::StrCat("fixed schedule (polling.default_interval ",
                          Short(interval), ")");
  } else {
    const absl::Duration silence =
        feed->last_new_item == absl::InfinitePast()
            ? absl::ZeroDuration()
            : std::max(absl::ZeroDuration(), now - feed->last_new_item);
    // A silence past twice the usual gap is news too: the feed may have
    // slowed down or died, so the interval grows with it.
    const bool backing_off = silence / 2 > feed->mean_gap;
    const absl::Duration gap = std::max(feed->mean_gap, silence / 2);
    if (feed->mean_gap == absl::ZeroDuration() &&
        gap * options_.gap_fraction <= interval) {
      reason = absl::StrCat("posting rate not known yet: ",
                            "polling.default_interval ", Short(interval));
    } else {
      interval = gap * options_.gap_fraction;
      reason = backing_off
                   ? absl::StrCat("no new item for ", Short(silence),
                                  feed->mean_gap > absl::ZeroDuration()
                                      ? absl::StrCat(" (usual gap ",
                                                     Short(feed->mean_gap), ")")
                                      : "",
                                  ": backing off")
                   : absl::StrCat("a new item every ~", Short(feed->mean_gap),
                                  " (smoothed): polled at ",
                                  options_.gap_fraction, " of it");
    }
  }
  if (evidence.pushed && interval < options_.push_safety_interval) {
    interval = options_.push_safety_interval;
    reason = absl::StrCat("pushed by its WebSub hub: safety poll every ",
                          Short(interval));
  }
  interval *= 1 + options_.jitter * std::clamp(jitter_draw, -1.0, 1.0);

  // What the publisher says only lengthens the interval.
  if (feed->publisher_interval > interval) {
    interval = feed->publisher_interval;
    absl::StrAppend(&reason, "; raised to the feed's ttl ", Short(interval));
  }
  if (evidence.max_age && *evidence.max_age > interval) {
    interval = *evidence.max_age;
    absl::StrAppend(&reason, "; raised to HTTP max-age ", Short(interval));
  }
  if (interval < options_.min_interval) {
    interval = options_.min_interval;
    absl::StrAppend(&reason, "; at polling.min_interval ", Short(interval));
  } else if (interval > options_.max_interval) {
    interval = options_.max_interval;
    absl::StrAppend(&reason, "; capped at polling.max_interval ",
                    Short(interval));
  }
  absl::Time next = now + interval;
  if (absl::Time allowed = SkipForward(next, feed->skip_hours, feed->skip_days);
      allowed != next) {
    absl::StrAppend(
        &reason, "; skipHours/skipDays: next poll at ",
        absl::FormatTime("%a %H:%M UTC", allowed, absl::UTCTimeZone()));
    next = allowed;
  }
  feed->interval = interval;
  feed->interval_reason = std::move(reason);
  feed->next_poll = next;
}

absl::Time PollingPolicy::SkipForward(absl::Time t, uint32_t skip_hours,
                                      uint32_t skip_days) {
  skip_hours &= 0xFFFFFF;
  skip_days &= 0x7F;
  if ((skip_hours == 0 && skip_days == 0) || skip_hours == 0xFFFFFF ||
      skip_days == 0x7F) {
    return t;
  }
  const absl::TimeZone utc = absl::UTCTimeZone();
  for (int step = 0; step < 24 * 8; ++step) {
    const absl::TimeZone::CivilInfo civil = utc.At(t);
    // absl::Weekday counts from Monday, as skip_days does.
    const int day = static_cast<int>(absl::GetWeekday(civil.cs));
    const int hour = civil.cs.hour();
    if (!(skip_days & (1u << day)) && !(skip_hours & (1u << hour))) return t;
    t = absl::FromCivil(absl::CivilHour(civil.cs) + 1, utc);
  }
  return t;
}

}  // namespace newsfeed::ingest
