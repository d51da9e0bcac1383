#include "ingest-service/fetcher/http_headers.h"

#include "gtest/gtest.h"

namespace newsfeed::ingest::internal {
namespace {

TEST(HttpHeadersTest, Charset) {
  EXPECT_EQ(CharsetFromContentType("application/rss+xml; charset=UTF-8"),
            "utf-8");
  EXPECT_EQ(CharsetFromContentType("text/xml;Charset=\"ISO-8859-1\""),
            "iso-8859-1");
  EXPECT_EQ(CharsetFromContentType("text/xml; q=1 ; charset = windows-1252 "),
            "windows-1252");
  EXPECT_EQ(CharsetFromContentType("application/atom+xml"), "");
  EXPECT_EQ(CharsetFromContentType(""), "");
}

TEST(HttpHeadersTest, HttpDateForms) {
  const absl::Time expected = absl::FromUnixSeconds(784111777);
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), expected);
  EXPECT_EQ(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), expected);
  EXPECT_EQ(ParseHttpDate("Sun Nov  6 08:49:37 1994"), expected);
  EXPECT_EQ(ParseHttpDate("not a date"), std::nullopt);
  EXPECT_EQ(ParseHttpDate(""), std::nullopt);
}

TEST(HttpHeadersTest, RetryAfter) {
  const absl::Time now = absl::FromUnixSeconds(784111777);
  EXPECT_EQ(ParseRetryAfter("120", std::nullopt, now), absl::Seconds(120));
  EXPECT_EQ(ParseRetryAfter(" 0 ", std::nullopt, now), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("99999999999999999999", std::nullopt, now),
            absl::Seconds(INT32_MAX));
  // HTTP date relative to the clock, then to the Date header.
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:50:37 GMT", std::nullopt, now),
            absl::Seconds(60));
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:50:37 GMT",
                            "Sun, 06 Nov 1994 08:50:00 GMT", now),
            absl::Seconds(37));
  // In the past: zero.
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:00:00 GMT", std::nullopt, now),
            absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("-5", std::nullopt, now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("soon", std::nullopt, now), std::nullopt);
}

TEST(HttpHeadersTest, Freshness) {
  const absl::Time now = absl::FromUnixSeconds(784111777);
  EXPECT_EQ(FreshnessLifetime({"public, max-age=300"}, std::nullopt,
                              std::nullopt, now),
            absl::Seconds(300));
  EXPECT_EQ(
      FreshnessLifetime({"no-transform", "Max-Age=\"60\""},
                        "Sun, 06 Nov 1994 09:49:37 GMT", std::nullopt, now),
      absl::Seconds(60));
  // Expires minus Date, else minus now.
  EXPECT_EQ(FreshnessLifetime({}, "Sun, 06 Nov 1994 09:49:37 GMT",
                              "Sun, 06 Nov 1994 09:00:00 GMT", now),
            absl::Minutes(49) + absl::Seconds(37));
  EXPECT_EQ(FreshnessLifetime({"no-cache"}, "Sun, 06 Nov 1994 09:49:37 GMT",
                              std::nullopt, now),
            absl::Hours(1));
  EXPECT_EQ(FreshnessLifetime({}, "0", std::nullopt, now),
            absl::ZeroDuration());
  EXPECT_EQ(FreshnessLifetime({}, std::nullopt, std::nullopt, now),
            std::nullopt);
  EXPECT_EQ(MaxAgeFromCacheControl({"max-age=abc"}), std::nullopt);
}

}  // namespace
}  // namespace newsfeed::ingest::internal
