#include "common/config/config_reader.h"

#include <cstdlib>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsfeed::config {
namespace {

using ::testing::HasSubstr;

TEST(ConfigReaderTest, ReadsTypedValuesAndDefaults) {
  auto reader = ConfigReader::FromString(R"(
listen: 127.0.0.1:0
retention:
  max_age: 7d
  max_articles: 1000
verbose: true
feeds: [a, b]
)",
                                         "test.yaml", "NFTEST");
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->GetString("listen", "x"), "127.0.0.1:0");
  EXPECT_EQ((*reader)->GetDuration("retention.max_age", absl::ZeroDuration()),
            absl::Hours(24 * 7));
  EXPECT_EQ((*reader)->GetInt("retention.max_articles", 0), 1000);
  EXPECT_TRUE((*reader)->GetBool("verbose", false));
  EXPECT_EQ((*reader)->GetString("missing", "fallback"), "fallback");
  EXPECT_THAT((*reader)->GetStringList("feeds"),
              ::testing::ElementsAre("a", "b"));
  EXPECT_TRUE((*reader)->Finish().ok());
}

TEST(ConfigReaderTest, IntOutsideItsRangeIsAnErrorNamingKeyAndBounds) {
  auto reader = ConfigReader::FromString("small: 10\nbig: 5000\nok: 64\n",
                                         "test.yaml", "NFTEST");
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->GetIntInRange("ok", 1, 1, 64), 64);
  EXPECT_EQ((*reader)->GetIntInRange("missing", 7, 1, 64), 7);
  EXPECT_EQ((*reader)->GetIntInRange("big", 7, 1, 64), 7);
  EXPECT_EQ((*reader)->GetIntInRange("small", 1024, 1024, 1 << 30), 1024);
  const absl::Status status = (*reader)->Finish();
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("big: must be between 1 and 64"));
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("small: must be between 1024 and 1073741824"));
}

TEST(ConfigReaderTest, EnvironmentOverridesFileAndExpands) {
  setenv("NFTEST_RETENTION_MAX_ARTICLES", "42", 1);
  setenv("NFTEST_PORT", "8080", 1);
  auto reader = ConfigReader::FromString(
      "retention:\n  max_articles: 1\nurl: http://127.0.0.1:${NFTEST_PORT}/x\n",
      "test.yaml", "NFTEST");
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->GetInt("retention.max_articles", 0), 42);
  EXPECT_EQ((*reader)->GetString("url", ""), "http://127.0.0.1:8080/x");
  EXPECT_TRUE((*reader)->Finish().ok());
  unsetenv("NFTEST_RETENTION_MAX_ARTICLES");
  unsetenv("NFTEST_PORT");
}

TEST(ConfigReaderTest, EnvironmentOverridesAListSetInTheFile) {
  setenv("NFTEST_FETCHER_ALLOWED_NETWORKS", "10.0.0.0/8, 127.0.0.0/8", 1);
  auto reader = ConfigReader::FromString(
      "fetcher:\n  allowed_networks: [192.168.0.0/16]\n", "test.yaml",
      "NFTEST");
  ASSERT_TRUE(reader.ok());
  EXPECT_THAT((*reader)->GetStringList("fetcher.allowed_networks"),
              ::testing::ElementsAre("10.0.0.0/8", "127.0.0.0/8"));
  EXPECT_TRUE((*reader)->Finish().ok()) << (*reader)->Finish();
  unsetenv("NFTEST_FETCHER_ALLOWED_NETWORKS");
}

TEST(ConfigReaderTest, ErrorsNameTheOption) {
  auto reader = ConfigReader::FromString(
      "retention:\n  max_age: soon\n  max_articles: many\ntypo_option: 1\n",
      "svc.yaml", "NFTEST");
  ASSERT_TRUE(reader.ok());
  (*reader)->GetDuration("retention.max_age", absl::ZeroDuration());
  (*reader)->GetInt("retention.max_articles", 0);
  absl::Status status = (*reader)->Finish();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("svc.yaml"));
  EXPECT_THAT(status.message(), HasSubstr("retention.max_age"));
  EXPECT_THAT(status.message(), HasSubstr("retention.max_articles"));
  EXPECT_THAT(status.message(), HasSubstr("typo_option: unknown option"));
}

TEST(ConfigReaderTest, SyntaxErrorNamesFileAndLine) {
  auto reader =
      ConfigReader::FromString("a: 1\nb: [unclosed\n", "bad.yaml", "X");
  ASSERT_FALSE(reader.ok());
  EXPECT_THAT(reader.status().message(), HasSubstr("bad.yaml:"));
}

TEST(ConfigReaderTest, MissingFileIsNotFound) {
  auto reader = ConfigReader::FromFile("/nonexistent/newsfeed.yaml", "X");
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kNotFound);
}

TEST(ParseConfigDurationTest, Units) {
  EXPECT_EQ(*ParseConfigDuration("500ms"), absl::Milliseconds(500));
  EXPECT_EQ(*ParseConfigDuration("90s"), absl::Seconds(90));
  EXPECT_EQ(*ParseConfigDuration("1.5h"), absl::Minutes(90));
  EXPECT_EQ(*ParseConfigDuration("0"), absl::ZeroDuration());
  EXPECT_FALSE(ParseConfigDuration("-5s").ok());
  EXPECT_FALSE(ParseConfigDuration("5 parsecs").ok());
}

}  // namespace
}  // namespace newsfeed::config
