#include "cli/filter_flags.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace newsfeed::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1715592600);  // 2024-05-13 09:30Z

TEST(ParseDurationTest, AcceptsUnitsAndSums) {
  EXPECT_EQ(*ParseDuration("7d"), absl::Hours(24 * 7));
  EXPECT_EQ(*ParseDuration("2h"), absl::Hours(2));
  EXPECT_EQ(*ParseDuration("30m"), absl::Minutes(30));
  EXPECT_EQ(*ParseDuration("90s"), absl::Seconds(90));
  EXPECT_EQ(*ParseDuration("1h30m"), absl::Minutes(90));
  EXPECT_EQ(*ParseDuration("1d12h"), absl::Hours(36));
}

TEST(ParseDurationTest, RejectsMalformed) {
  for (const char* bad : {"", "7", "d", "7x", "-7d", "7d-", "1.5h", "0s", "h2",
                          "9999999999d", " 7d"}) {
    absl::StatusOr<absl::Duration> d = ParseDuration(bad);
    EXPECT_FALSE(d.ok()) << bad;
    EXPECT_TRUE(IsUsageError(d.status())) << bad;
  }
}

TEST(ParseTimeSpecTest, DurationMeansAgo) {
  EXPECT_EQ(*ParseTimeSpec("2h", kNow, "--since"), kNow - absl::Hours(2));
}

TEST(ParseTimeSpecTest, Rfc3339WithZoneAndFraction) {
  EXPECT_EQ(*ParseTimeSpec("2024-05-13T09:30:00Z", kNow, "--since"), kNow);
  EXPECT_EQ(*ParseTimeSpec("2024-05-13T11:30:00+02:00", kNow, "--since"), kNow);
  EXPECT_EQ(*ParseTimeSpec("2024-05-13T09:30:00.250Z", kNow, "--since"),
            kNow + absl::Milliseconds(250));
}

TEST(ParseTimeSpecTest, DateIsMidnightUtc) {
  EXPECT_EQ(*ParseTimeSpec("2024-05-13", kNow, "--until"),
            absl::FromUnixSeconds(1715558400));
}

TEST(ParseTimeSpecTest, ErrorNamesFlagAndValue) {
  absl::StatusOr<absl::Time> t = ParseTimeSpec("yesterday", kNow, "--until");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("--until"));
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("yesterday"));
  EXPECT_TRUE(IsUsageError(t.status()));
}

TEST(ProtoTimestampTest, RoundTrips) {
  const absl::Time t = kNow + absl::Nanoseconds(123456789);
  google::protobuf::Timestamp ts = ToProtoTimestamp(t);
  EXPECT_EQ(ts.seconds(), 1715592600);
  EXPECT_EQ(ts.nanos(), 123456789);
  EXPECT_EQ(FromProtoTimestamp(ts), t);
}

TEST(BuildFilterTest, EmptyFlagsGiveEmptyFilter) {
  absl::StatusOr<v1::ArticleFilter> filter = BuildFilter(FilterFlags(), kNow);
  ASSERT_TRUE(filter.ok());
  EXPECT_EQ(filter->ByteSizeLong(), 0u);
  EXPECT_FALSE(filter->has_companies());
}

TEST(BuildFilterTest, MapsEveryDimension) {
  FilterFlags flags;
  flags.companies = {"Microsoft", "Q95"};
  flags.all_companies = {"OpenAI"};
  flags.not_companies = {"Apple"};
  flags.countries = {"fr", " de "};
  flags.not_countries = {"us"};
  flags.topics = {"ai"};
  flags.all_topics = {"cloud"};
  flags.feeds = {"https://example.com/feed"};
  flags.languages = {"en"};
  flags.text = " \"data center\" ";
  flags.since = "7d";
  flags.until = "2024-05-14T00:00:00Z";
  flags.min_amount = 1e9;
  flags.currency = "eur";
  absl::StatusOr<v1::ArticleFilter> filter = BuildFilter(flags, kNow);
  ASSERT_TRUE(filter.ok()) << filter.status();
  EXPECT_THAT(filter->companies().any_of(), ElementsAre("Microsoft", "Q95"));
  EXPECT_THAT(filter->companies().all_of(), ElementsAre("OpenAI"));
  EXPECT_THAT(filter->companies().none_of(), ElementsAre("Apple"));
  EXPECT_THAT(filter->countries().any_of(), ElementsAre("FR", "DE"));
  EXPECT_THAT(filter->countries().none_of(), ElementsAre("US"));
  EXPECT_THAT(filter->topics().any_of(), ElementsAre("ai"));
  EXPECT_THAT(filter->topics().all_of(), ElementsAre("cloud"));
  EXPECT_THAT(filter->feeds().any_of(),
              ElementsAre("https://example.com/feed"));
  EXPECT_THAT(filter->languages().any_of(), ElementsAre("en"));
  EXPECT_EQ(filter->text(), "\"data center\"");
  EXPECT_EQ(filter->published_after().seconds(),
            absl::ToUnixSeconds(kNow - absl::Hours(24 * 7)));
  EXPECT_EQ(filter->published_before().seconds(), 1715644800);
  EXPECT_EQ(filter->min_amount(), 1e9);
  EXPECT_EQ(filter->amount_currency(), "EUR");
}

TEST(BuildFilterTest, RejectsInconsistentFlags) {
  FilterFlags since_after_until;
  since_after_until.since = "1h";
  since_after_until.until = "2h";
  FilterFlags currency_alone;
  currency_alone.currency = "EUR";
  FilterFlags negative_amount;
  negative_amount.min_amount = -1;
  FilterFlags bad_currency;
  bad_currency.min_amount = 5;
  bad_currency.currency = "euro";
  FilterFlags bad_since;
  bad_since.since = "last week";
  for (const FilterFlags& flags : {since_after_until, currency_alone,
                                   negative_amount, bad_currency, bad_since}) {
    absl::StatusOr<v1::ArticleFilter> filter = BuildFilter(flags, kNow);
    EXPECT_FALSE(filter.ok());
    EXPECT_TRUE(IsUsageError(filter.status())) << filter.status();
  }
}

TEST(UsageErrorTest, OnlyMarkedStatusesAreUsageErrors) {
  EXPECT_TRUE(IsUsageError(UsageError("x")));
  EXPECT_FALSE(IsUsageError(absl::InvalidArgumentError("x")));
  EXPECT_FALSE(IsUsageError(absl::OkStatus()));
}

}  // namespace
}  // namespace newsfeed::cli
