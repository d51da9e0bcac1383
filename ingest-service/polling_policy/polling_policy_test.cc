#include "ingest-service/polling_policy/polling_policy.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsfeed::ingest {
namespace {

using ::testing::HasSubstr;

// Wednesday 2026-03-04 12:00 UTC.
const absl::Time kNow = absl::FromCivil(absl::CivilSecond(2026, 3, 4, 12, 0, 0),
                                        absl::UTCTimeZone());

PollingPolicyOptions Adaptive() {
  PollingPolicyOptions o;
  o.adaptive = true;
  o.default_interval = absl::Minutes(15);
  o.min_interval = absl::Minutes(1);
  o.max_interval = absl::Hours(24);
  o.gap_fraction = 0.2;
  o.smoothing = 0.5;
  return o;
}

// A first document whose `n` items were posted every `gap`, the newest at
// kNow.
FetchEvidence FirstDocument(int n, absl::Duration gap) {
  FetchEvidence e;
  e.new_items = n;
  for (int i = 0; i < n; ++i) e.item_times.push_back(kNow - gap * i);
  return e;
}

TEST(PollingPolicyTest, FixedScheduleUsesTheDefaultInterval) {
  PollingPolicyOptions o = Adaptive();
  o.adaptive = false;
  FeedRecord feed;
  PollingPolicy(o).Schedule(&feed, FirstDocument(10, absl::Hours(5)), kNow, 0);
  EXPECT_EQ(feed.interval, absl::Minutes(15));
  EXPECT_EQ(feed.next_poll, kNow + absl::Minutes(15));
  EXPECT_THAT(feed.interval_reason, HasSubstr("fixed"));
}

TEST(PollingPolicyTest, FirstDocumentDatesGiveThePostingRate) {
  FeedRecord feed;
  PollingPolicy(Adaptive())
      .Schedule(&feed, FirstDocument(20, absl::Hours(1)), kNow, 0);
  EXPECT_EQ(feed.mean_gap, absl::Hours(1));
  EXPECT_EQ(feed.last_new_item, kNow);
  EXPECT_EQ(feed.interval, absl::Minutes(12));  // 0.2 of an hour
  EXPECT_EQ(feed.next_poll, kNow + absl::Minutes(12));
  EXPECT_THAT(feed.interval_reason, HasSubstr("every ~60m"));
}

TEST(PollingPolicyTest, SlowFeedIsPolledRarely) {
  FeedRecord feed;
  PollingPolicy(Adaptive())
      .Schedule(&feed, FirstDocument(10, absl::Hours(50)), kNow, 0);
  EXPECT_EQ(feed.interval, absl::Hours(10));
}

TEST(PollingPolicyTest, FutureDatesAreIgnored) {
  FeedRecord feed;
  FetchEvidence e = FirstDocument(5, absl::Hours(1));
  e.item_times.push_back(kNow + absl::Hours(24 * 365));
  PollingPolicy(Adaptive()).Schedule(&feed, e, kNow, 0);
  EXPECT_EQ(feed.mean_gap, absl::Hours(1));
}

TEST(PollingPolicyTest, UndatedFeedStartsAtTheDefaultThenLearns) {
  const PollingPolicy policy(Adaptive());
  FeedRecord feed;
  FetchEvidence first;
  first.new_items = 30;  // no dates
  policy.Schedule(&feed, first, kNow, 0);
  EXPECT_EQ(feed.mean_gap, absl::ZeroDuration());
  EXPECT_EQ(feed.interval, absl::Minutes(15));
  EXPECT_THAT(feed.interval_reason, HasSubstr("not known"));

  FetchEvidence later;
  later.new_items = 2;  // two items in 40 minutes
  policy.Schedule(&feed, later, kNow + absl::Minutes(40), 0);
  EXPECT_EQ(feed.mean_gap, absl::Minutes(20));
  EXPECT_EQ(feed.interval, absl::Minutes(4));
}

TEST(PollingPolicyTest, MeanGapIsSmoothed) {
  const PollingPolicy policy(Adaptive());  // smoothing 0.5
  FeedRecord feed;
  policy.Schedule(&feed, FirstDocument(10, absl::Hours(1)), kNow, 0);
  FetchEvidence one;
  one.new_items = 1;
  policy.Schedule(&feed, one, kNow + absl::Hours(3), 0);
  EXPECT_EQ(feed.mean_gap, absl::Hours(2));  // (1h + 3h) / 2
  EXPECT_EQ(feed.last_new_item, kNow + absl::Hours(3));
}

TEST(PollingPolicyTest, NothingNewKeepsTheRateAndBacksOffWhenSilent) {
  const PollingPolicy policy(Adaptive());
  FeedRecord feed;
  policy.Schedule(&feed, FirstDocument(10, absl::Hours(1)), kNow, 0);
  FetchEvidence nothing;
  policy.Schedule(&feed, nothing, kNow + absl::Minutes(30), 0);
  EXPECT_EQ(feed.mean_gap, absl::Hours(1));
  EXPECT_EQ(feed.interval, absl::Minutes(12));

  // Ten hours of silence: five times the usual gap counts.
  policy.Schedule(&feed, nothing, kNow + absl::Hours(10), 0);
  EXPECT_EQ(feed.interval, absl::Hours(1));  // 0.2 * 10h / 2
  EXPECT_THAT(feed.interval_reason, HasSubstr("no new item for 10h"));
  EXPECT_THAT(feed.interval_reason, HasSubstr("backing off"));
}

TEST(PollingPolicyTest, PublisherTtlAndMaxAgeOnlyLengthen) {
  const PollingPolicy policy(Adaptive());
  FeedRecord feed;
  feed.publisher_interval = absl::Hours(1);
  policy.Schedule(&feed, FirstDocument(10, absl::Minutes(10)), kNow, 0);
  EXPECT_EQ(feed.interval, absl::Hours(1));
  EXPECT_THAT(feed.interval_reason, HasSubstr("ttl 60m"));

  FeedRecord cached;
  FetchEvidence e = FirstDocument(10, absl::Minutes(10));
  e.max_age = absl::Minutes(30);
  policy.Schedule(&cached, e, kNow, 0);
  EXPECT_EQ(cached.interval, absl::Minutes(30));
  EXPECT_THAT(cached.interval_reason, HasSubstr("max-age"));

  FeedRecord short_ttl;
  short_ttl.publisher_interval = absl::Minutes(1);
  policy.Schedule(&short_ttl, FirstDocument(10, absl::Hours(2)), kNow, 0);
  EXPECT_EQ(short_ttl.interval, absl::Minutes(24));
}

TEST(PollingPolicyTest, IntervalsAreBounded) {
  const PollingPolicy policy(Adaptive());
  FeedRecord busy;
  policy.Schedule(&busy, FirstDocument(50, absl::Seconds(30)), kNow, 0);
  EXPECT_EQ(busy.interval, absl::Minutes(1));
  EXPECT_THAT(busy.interval_reason, HasSubstr("polling.min_interval"));

  FeedRecord dead;
  policy.Schedule(&dead, FirstDocument(10, absl::Hours(24 * 60)), kNow, 0);
  EXPECT_EQ(dead.interval, absl::Hours(24));
  EXPECT_THAT(dead.interval_reason, HasSubstr("polling.max_interval"));
}

TEST(PollingPolicyTest, PushedFeedIsPolledAsASafetyNet) {
  PollingPolicyOptions o = Adaptive();
  o.push_safety_interval = absl::Hours(6);
  FeedRecord feed;
  FetchEvidence e = FirstDocument(20, absl::Minutes(5));
  e.pushed = true;
  PollingPolicy(o).Schedule(&feed, e, kNow, 0);
  EXPECT_EQ(feed.interval, absl::Hours(6));
  EXPECT_THAT(feed.interval_reason, HasSubstr("WebSub"));

  // A slower feed than the safety interval keeps its own.
  FeedRecord slow;
  FetchEvidence s = FirstDocument(5, absl::Hours(24 * 5));
  s.pushed = true;
  PollingPolicy(o).Schedule(&slow, s, kNow, 0);
  EXPECT_EQ(slow.interval, absl::Hours(24));
}

TEST(PollingPolicyTest, JitterSpreadsWithinItsShare) {
  PollingPolicyOptions o = Adaptive();
  o.jitter = 0.1;
  const PollingPolicy policy(o);
  FeedRecord low, high;
  policy.Schedule(&low, FirstDocument(10, absl::Hours(1)), kNow, -1);
  policy.Schedule(&high, FirstDocument(10, absl::Hours(1)), kNow, 1);
  EXPECT_EQ(low.interval, absl::Minutes(12) * 0.9);
  EXPECT_EQ(high.interval, absl::Minutes(12) * 1.1);
}

TEST(PollingPolicyTest, SkipHoursAndDaysMoveTheNextPoll) {
  // Skip 12:00-17:59 UTC: a poll due at 12:12 moves to 18:00.
  FeedRecord feed;
  feed.skip_hours = 0x3Fu << 12;
  PollingPolicy(Adaptive())
      .Schedule(&feed, FirstDocument(10, absl::Hours(1)), kNow, 0);
  EXPECT_EQ(feed.next_poll,
            absl::FromCivil(absl::CivilSecond(2026, 3, 4, 18, 0, 0),
                            absl::UTCTimeZone()));
  EXPECT_THAT(feed.interval_reason, HasSubstr("skipHours"));

  // Wednesday (bit 2) and Thursday (bit 3) skipped: Friday 00:00.
  EXPECT_EQ(PollingPolicy::SkipForward(kNow, 0, 0b1100),
            absl::FromCivil(absl::CivilSecond(2026, 3, 6, 0, 0, 0),
                            absl::UTCTimeZone()));
  // Nothing, or everything, skipped: unchanged.
  EXPECT_EQ(PollingPolicy::SkipForward(kNow, 0, 0), kNow);
  EXPECT_EQ(PollingPolicy::SkipForward(kNow, 0xFFFFFF, 0), kNow);
}

TEST(PollingPolicyTest, ValidateNamesTheOption) {
  PollingPolicyOptions o = Adaptive();
  EXPECT_TRUE(PollingPolicy::Validate(o).ok());
  o.gap_fraction = 0;
  EXPECT_THAT(PollingPolicy::Validate(o).message(),
              HasSubstr("polling.gap_fraction"));
  o = Adaptive();
  o.jitter = 0.9;
  EXPECT_THAT(PollingPolicy::Validate(o).message(),
              HasSubstr("polling.jitter"));
  o = Adaptive();
  o.min_interval = absl::Hours(48);
  EXPECT_THAT(PollingPolicy::Validate(o).message(),
              HasSubstr("polling.min_interval"));
}

}  // namespace
}  // namespace newsfeed::ingest
