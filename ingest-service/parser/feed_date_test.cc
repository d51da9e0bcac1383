#include <optional>
#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "ingest-service/parser/feed_parser.h"

namespace newsfeed::ingest {
namespace {

// RFC 3339 text of the parse, or "none".
std::string Parsed(std::string_view text) {
  std::optional<absl::Time> t = ParseFeedDate(text);
  return t ? FormatRfc3339(*t) : "none";
}

TEST(FeedDateTest, Rfc822Canonical) {
  EXPECT_EQ(Parsed("Mon, 13 May 2024 09:30:00 GMT"), "2024-05-13T09:30:00Z");
  EXPECT_EQ(Parsed("Mon, 13 May 2024 09:30:00 +0200"), "2024-05-13T07:30:00Z");
  EXPECT_EQ(Parsed("Mon, 13 May 2024 09:30:00 -0500"), "2024-05-13T14:30:00Z");
}

TEST(FeedDateTest, Rfc822WildVariants) {
  // No weekday, no seconds.
  EXPECT_EQ(Parsed("13 May 2024 09:30 GMT"), "2024-05-13T09:30:00Z");
  // Two-digit years: 00-49 are 20xx, 50-99 are 19xx (RFC 2822 4.3).
  EXPECT_EQ(Parsed("Mon, 13 May 24 09:30:00 GMT"), "2024-05-13T09:30:00Z");
  EXPECT_EQ(Parsed("Thu, 01 Jan 98 00:00:00 GMT"), "1998-01-01T00:00:00Z");
  // Extra spaces, missing space after the comma, single-digit hour.
  EXPECT_EQ(Parsed("  Mon,13  May   2024  9:30:00   GMT "),
            "2024-05-13T09:30:00Z");
  // UT and UTC.
  EXPECT_EQ(Parsed("13 May 2024 09:30:00 UT"), "2024-05-13T09:30:00Z");
  EXPECT_EQ(Parsed("13 May 2024 09:30:00 UTC"), "2024-05-13T09:30:00Z");
  // Named North American and European zones.
  EXPECT_EQ(Parsed("Mon, 13 May 2024 09:30:00 EDT"), "2024-05-13T13:30:00Z");
  EXPECT_EQ(Parsed("Mon, 13 May 2024 09:30:00 PST"), "2024-05-13T17:30:00Z");
  EXPECT_EQ(Parsed("Mon, 13 May 2024 09:30:00 CEST"), "2024-05-13T07:30:00Z");
  // Military zones: Z is UTC, A is +1, N is -1.
  EXPECT_EQ(Parsed("13 May 2024 09:30:00 Z"), "2024-05-13T09:30:00Z");
  EXPECT_EQ(Parsed("13 May 2024 09:30:00 A"), "2024-05-13T08:30:00Z");
  EXPECT_EQ(Parsed("13 May 2024 09:30:00 N"), "2024-05-13T10:30:00Z");
  // Offsets written after a zone name.
  EXPECT_EQ(Parsed("Mon, 13 May 2024 09:30:00 GMT+2"), "2024-05-13T07:30:00Z");
  EXPECT_EQ(Parsed("Mon, 13 May 2024 09:30:00 GMT-05:00"),
            "2024-05-13T14:30:00Z");
  EXPECT_EQ(Parsed("Mon, 13 May 2024 09:30:00 +02:00"), "2024-05-13T07:30:00Z");
  // Month before day, full names, no zone (read as UTC).
  EXPECT_EQ(Parsed("May 13, 2024 09:30:00"), "2024-05-13T09:30:00Z");
  EXPECT_EQ(Parsed("Monday, 13 May 2024 09:30:00 GMT"), "2024-05-13T09:30:00Z");
  EXPECT_EQ(Parsed("13 September 2024"), "2024-09-13T00:00:00Z");
  // Comments and AM/PM.
  EXPECT_EQ(Parsed("Mon, 13 May 2024 09:30:00 -0700 (PDT)"),
            "2024-05-13T16:30:00Z");
  EXPECT_EQ(Parsed("May 13, 2024 9:30 PM GMT"), "2024-05-13T21:30:00Z");
}

TEST(FeedDateTest, LocalizedMonthNames) {
  EXPECT_EQ(Parsed("lun., 13 mai 2024 09:30:00 +0200"), "2024-05-13T07:30:00Z");
  EXPECT_EQ(Parsed("13 février 2024 10:00:00 GMT"), "2024-02-13T10:00:00Z");
  EXPECT_EQ(Parsed("Di, 13 Okt 2024 10:00:00 GMT"), "2024-10-13T10:00:00Z");
  EXPECT_EQ(Parsed("13 März 2024 10:00 MEZ"), "2024-03-13T09:00:00Z");
  EXPECT_EQ(Parsed("13 dic 2024 10:00:00 GMT"), "2024-12-13T10:00:00Z");
  EXPECT_EQ(Parsed("13 ene 2024 10:00:00 GMT"), "2024-01-13T10:00:00Z");
}

TEST(FeedDateTest, Iso8601AndRfc3339) {
  EXPECT_EQ(Parsed("2024-05-13T09:30:00Z"), "2024-05-13T09:30:00Z");
  EXPECT_EQ(Parsed("2024-05-13T09:30:00+02:00"), "2024-05-13T07:30:00Z");
  EXPECT_EQ(Parsed("2024-05-13T09:30:00.123456-05:00"), "2024-05-13T14:30:00Z");
  EXPECT_EQ(Parsed("2024-05-13t09:30:00z"), "2024-05-13T09:30:00Z");
  EXPECT_EQ(Parsed("2024-05-13 09:30:00"), "2024-05-13T09:30:00Z");
  EXPECT_EQ(Parsed("2024-05-13T09:30+0200"), "2024-05-13T07:30:00Z");
  EXPECT_EQ(Parsed("2024-05-13"), "2024-05-13T00:00:00Z");
  EXPECT_EQ(Parsed("20240513T093000Z"), "2024-05-13T09:30:00Z");
  EXPECT_EQ(Parsed("2024-05-13T09:30:00 GMT"), "2024-05-13T09:30:00Z");
}

TEST(FeedDateTest, FractionalSecondsKept) {
  std::optional<absl::Time> t = ParseFeedDate("2024-05-13T09:30:00.5Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(absl::ToUnixMillis(*t) % 1000, 500);
}

TEST(FeedDateTest, GarbageIsNotADate) {
  EXPECT_EQ(Parsed(""), "none");
  EXPECT_EQ(Parsed("yesterday"), "none");
  EXPECT_EQ(Parsed("31 Feb 2024 10:00:00 GMT"), "none");
  EXPECT_EQ(Parsed("2024-13-01T00:00:00Z"), "none");
  EXPECT_EQ(Parsed("2024-05-13T25:00:00Z"), "none");
  EXPECT_EQ(Parsed("13 Foo 2024"), "none");
  EXPECT_EQ(Parsed("Mon, 13 May 2024 09:30:00 +9999"), "none");
  EXPECT_EQ(Parsed(std::string(500, '1')), "none");
}

TEST(FeedDateTest, LeapDayAndLeapSecond) {
  EXPECT_EQ(Parsed("29 Feb 2024 12:00:00 GMT"), "2024-02-29T12:00:00Z");
  EXPECT_EQ(Parsed("29 Feb 2023 12:00:00 GMT"), "none");
  EXPECT_EQ(Parsed("2016-12-31T23:59:60Z"), "2016-12-31T23:59:59Z");
}

// Case classes from feedparser's and gofeed's date suites (own inputs).
TEST(FeedDateTest, AsctimeAndUnixDate) {
  EXPECT_EQ(Parsed("Mon May 13 09:30:00 2024"), "2024-05-13T09:30:00Z");
  EXPECT_EQ(Parsed("Mon May  6 09:30:00 PDT 2024"), "2024-05-06T16:30:00Z");
  EXPECT_EQ(Parsed("Mon May 13 09:30:00 +0200 2024"), "2024-05-13T07:30:00Z");
}

TEST(FeedDateTest, Rfc850AndDashedDates) {
  EXPECT_EQ(Parsed("Monday, 13-May-24 09:30:00 GMT"), "2024-05-13T09:30:00Z");
  EXPECT_EQ(Parsed("13-May-2024 09:30:00 GMT"), "2024-05-13T09:30:00Z");
}

TEST(FeedDateTest, Rfc822WithIsoOrSlashDate) {
  // Perforce-style and "day name + ISO date" forms.
  EXPECT_EQ(Parsed("Mon, 2024/05/13 09:30:00 EDT"), "2024-05-13T13:30:00Z");
  EXPECT_EQ(Parsed("Mon, 2024-05-13 09:30:00 EDT"), "2024-05-13T13:30:00Z");
}

TEST(FeedDateTest, MoreNamedZones) {
  EXPECT_EQ(Parsed("13 May 2024 09:30:00 ET"), "2024-05-13T14:30:00Z");
  EXPECT_EQ(Parsed("13 May 2024 09:30:00 PT"), "2024-05-13T17:30:00Z");
  EXPECT_EQ(Parsed("13 May 2024 09:30:00 AST"), "2024-05-13T13:30:00Z");
  EXPECT_EQ(Parsed("13 May 2024 09:30:00 Y"), "2024-05-13T21:30:00Z");
  EXPECT_EQ(Parsed("13 May 2024 09:30:00 M"), "2024-05-12T21:30:00Z");
  EXPECT_EQ(Parsed("13 May 2024 09:30:00 +00:00"), "2024-05-13T09:30:00Z");
  EXPECT_EQ(Parsed("13 May 2024 09:30:00 UTC+01:00"), "2024-05-13T08:30:00Z");
  EXPECT_EQ(Parsed("13 May 2024 09:30:00 GMT +0100"), "2024-05-13T08:30:00Z");
  EXPECT_EQ(Parsed("Mon, 13 May 2024 09:30:00 -0700 PDT"),
            "2024-05-13T16:30:00Z");
}

TEST(FeedDateTest, FullMonthAndWeekdayNames) {
  EXPECT_EQ(Parsed("Monday, 13 May 2024 09:30:00 GMT"), "2024-05-13T09:30:00Z");
  EXPECT_EQ(Parsed("Wed, 13 November 2024 09:30:00 GMT"),
            "2024-11-13T09:30:00Z");
  EXPECT_EQ(Parsed("Wed, 13 Sept 2024 09:30:00 GMT"), "2024-09-13T09:30:00Z");
  EXPECT_EQ(Parsed("November 13, 2024"), "2024-11-13T00:00:00Z");
  EXPECT_EQ(Parsed("Nov 13 2024 9:30AM"), "2024-11-13T09:30:00Z");
  EXPECT_EQ(Parsed("13 May 2024"), "2024-05-13T00:00:00Z");
  EXPECT_EQ(Parsed("Mon, 13 May 2024"), "2024-05-13T00:00:00Z");
}

TEST(FeedDateTest, W3cDtfReducedPrecision) {
  EXPECT_EQ(Parsed("2024-05"), "2024-05-01T00:00:00Z");
  EXPECT_EQ(Parsed("2024"), "2024-01-01T00:00:00Z");
  EXPECT_EQ(Parsed("2024-05-13T09:30Z"), "2024-05-13T09:30:00Z");
  EXPECT_EQ(Parsed("2024-05-13T09:30:00+02"), "2024-05-13T07:30:00Z");
  EXPECT_EQ(Parsed("2024-05-13T09:30:00.0"), "2024-05-13T09:30:00Z");
  EXPECT_EQ(Parsed("2024-05-13 09:30:00.0"), "2024-05-13T09:30:00Z");
  EXPECT_EQ(Parsed("2024-05-13T09:30:00 +0200"), "2024-05-13T07:30:00Z");
  EXPECT_EQ(Parsed("2024-05-13 09:30:00 -0700 PDT"), "2024-05-13T16:30:00Z");
  EXPECT_EQ(Parsed("20240513"), "2024-05-13T00:00:00Z");
  // Ordinal day: day 134 of 2024 is 13 May.
  EXPECT_EQ(Parsed("2024-134"), "2024-05-13T00:00:00Z");
}

TEST(FeedDateTest, GreekHungarianKoreanDates) {
  // Greek (feedparser's Greek format).
  EXPECT_EQ(Parsed("\xCE\x94\xCE\xB5\xCF\x85, 13 \xCE\x9C\xCE\xAC\xCF\x8A "
                   "2024 09:30:00 GMT"),
            "2024-05-13T09:30:00Z");
  // Hungarian: 2024-május-13T9:30+02:00.
  EXPECT_EQ(Parsed("2024-m\xC3\xA1jus-13T9:30+02:00"), "2024-05-13T07:30:00Z");
  // Korean Nate/OnBlog styles.
  EXPECT_EQ(Parsed("2024\xEB\x85\x84 05\xEC\x9B\x94 13\xEC\x9D\xBC "
                   "09:30:00"),
            "2024-05-13T00:30:00Z");
  EXPECT_EQ(Parsed("2024-05-13 \xEC\x98\xA4\xED\x9B\x84 9:30:00"),
            "2024-05-13T12:30:00Z");
}

TEST(FeedDateTest, ImpossibleValuesAreNotDates) {
  EXPECT_EQ(Parsed("Thu, 31 Jun 2024 10:00:00 GMT"), "none");
  EXPECT_EQ(Parsed("Sun, 16 Dec 2012 1:2:3:4 GMT"), "none");
  EXPECT_EQ(Parsed("Sun, 16 Dec 2012 10:61:00 GMT"), "none");
}

TEST(FeedDateTest, MonthSpellingsOfFeedparsersTables) {
  EXPECT_EQ(Parsed("2024-febru\xC3\xA1ri-13T9:30+02:00"),
            "2024-02-13T07:30:00Z");
  EXPECT_EQ(Parsed("2024-m\xC3\xA1ujus-13T9:30+02:00"), "2024-05-13T07:30:00Z");
  EXPECT_EQ(Parsed("\xCE\x94\xCE\xB5\xCF\x85, 13 \xCE\x9C\xCE\xB1\xCF\x8E "
                   "2024 09:30:00 GMT"),
            "2024-03-13T09:30:00Z");
}

TEST(FeedDateTest, IsoTwoDigitYears) {
  EXPECT_EQ(Parsed("-2405"), "2024-05-01T00:00:00Z");
  EXPECT_EQ(Parsed("-24-05"), "2024-05-01T00:00:00Z");
  EXPECT_EQ(Parsed("240513"), "2024-05-13T00:00:00Z");
  EXPECT_EQ(Parsed("24-05-13"), "2024-05-13T00:00:00Z");
  EXPECT_EQ(Parsed("24134"), "2024-05-13T00:00:00Z");
  EXPECT_EQ(Parsed("24-13-05"), "none");
}

TEST(FeedDateTest, PaddedMonthAndTzDatabaseZone) {
  EXPECT_EQ(Parsed("2024-005-13T09:30:00+00:00"), "2024-05-13T09:30:00Z");
  EXPECT_EQ(Parsed("Mon, 13 May 2024 09:30:00 Etc/GMT"),
            "2024-05-13T09:30:00Z");
}

TEST(FeedDateTest, AllNumericAndConversationalDates) {
  EXPECT_EQ(Parsed("13.05.2024 09:30"), "2024-05-13T09:30:00Z");
  EXPECT_EQ(Parsed("05/13/2024 09:30:00 GMT"), "2024-05-13T09:30:00Z");
  EXPECT_EQ(Parsed("13/05/2024"), "2024-05-13T00:00:00Z");
  EXPECT_EQ(Parsed("May 13, 2024 at 9:30pm (EST)"), "2024-05-14T02:30:00Z");
  EXPECT_EQ(Parsed("Mon, May 13 2024 09:30:00 -0700"), "2024-05-13T16:30:00Z");
}

TEST(FeedDateTest, ZoneNameFollowedByNumericOffset) {
  // The number is the zone's offset, stated twice, not an extra to add.
  EXPECT_EQ(Parsed("Tue, 21 Nov 2023 08:15:00 PST -0800"),
            "2023-11-21T16:15:00Z");
  EXPECT_EQ(Parsed("Tue, 21 Nov 2023 08:15:00 CET+01:00"),
            "2023-11-21T07:15:00Z");
  // After a UTC name it is the offset itself, as before.
  EXPECT_EQ(Parsed("Tue, 21 Nov 2023 08:15:00 UTC+3"), "2023-11-21T05:15:00Z");
}

TEST(FeedDateTest, ThreeDigitOffsetAndDottedMeridiem) {
  EXPECT_EQ(Parsed("Sun, Oct 8 2023 10:00:00 -500"), "2023-10-08T15:00:00Z");
  EXPECT_EQ(Parsed("October 8, 2023, 4:20 p.m."), "2023-10-08T16:20:00Z");
  EXPECT_EQ(Parsed("October 8, 2023, 12:05 a.m. GMT"), "2023-10-08T00:05:00Z");
}

}  // namespace
}  // namespace newsfeed::ingest
