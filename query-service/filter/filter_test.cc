// Copyright newsfeed authors.
#include "query-service/filter/filter.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsfeed::query {
namespace {

using newsfeed::v1::Article;
using newsfeed::v1::ArticleFilter;
using ::testing::HasSubstr;
using ::testing::StartsWith;

Article MakeArticle() {
  Article a;
  a.set_id("a1");
  a.set_feed_id("feed-1");
  a.set_feed_url("https://Example.com/rss");
  a.set_language("en-us");
  a.mutable_published_time()->set_seconds(1000);
  auto* c = a.add_companies();
  c->set_id("Q2283");
  c->set_name("Microsoft");
  a.add_countries()->set_code("fr");
  a.add_topics()->set_id("AI");
  auto* m = a.add_amounts();
  m->set_value(5e9);
  m->set_currency("eur");
  return a;
}

TEST(FilterTest, EmptyFilterMatchesEverything) {
  EXPECT_TRUE(MatchesExceptText(ArticleFilter(), MakeArticle()));
  EXPECT_TRUE(MatchesExceptText(ArticleFilter(), Article()));
}

TEST(FilterTest, CompaniesByIdOrNameCaseInsensitive) {
  for (const char* v : {"Q2283", "q2283", "microsoft", "MICROSOFT"}) {
    ArticleFilter f;
    f.mutable_companies()->add_any_of(v);
    EXPECT_TRUE(MatchesExceptText(f, MakeArticle())) << v;
  }
  ArticleFilter f;
  f.mutable_companies()->add_any_of("apple");
  EXPECT_FALSE(MatchesExceptText(f, MakeArticle()));
}

TEST(FilterTest, AnyAllNone) {
  Article a = MakeArticle();
  a.add_topics()->set_id("cloud");
  ArticleFilter f;
  f.mutable_topics()->add_any_of("space");
  f.mutable_topics()->add_any_of("cloud");
  EXPECT_TRUE(MatchesExceptText(f, a));
  f.mutable_topics()->add_all_of("ai");
  f.mutable_topics()->add_all_of("cloud");
  EXPECT_TRUE(MatchesExceptText(f, a));
  f.mutable_topics()->add_all_of("space");
  EXPECT_FALSE(MatchesExceptText(f, a));
  ArticleFilter none;
  none.mutable_countries()->add_none_of("FR");
  EXPECT_FALSE(MatchesExceptText(none, a));
  none.mutable_countries()->set_none_of(0, "DE");
  EXPECT_TRUE(MatchesExceptText(none, a));
}

TEST(FilterTest, CountriesUpperCased) {
  ArticleFilter f;
  f.mutable_countries()->add_all_of("Fr");
  EXPECT_TRUE(MatchesExceptText(f, MakeArticle()));
  EXPECT_EQ(NormalizeTagValue(TagDimension::kCountry, "fr"), "FR");
  EXPECT_EQ(NormalizeTagValue(TagDimension::kTopic, "AI"), "ai");
}

TEST(FilterTest, FeedsByIdOrUrl) {
  ArticleFilter f;
  f.mutable_feeds()->add_any_of("FEED-1");
  EXPECT_TRUE(MatchesExceptText(f, MakeArticle()));
  f.mutable_feeds()->set_any_of(0, "https://example.com/RSS");
  EXPECT_TRUE(MatchesExceptText(f, MakeArticle()));
  f.mutable_feeds()->set_any_of(0, "feed-2");
  EXPECT_FALSE(MatchesExceptText(f, MakeArticle()));
}

TEST(FilterTest, LanguagesByPrimarySubtag) {
  ArticleFilter f;
  f.mutable_languages()->add_any_of("EN");
  EXPECT_TRUE(MatchesExceptText(f, MakeArticle()));
  f.mutable_languages()->set_any_of(0, "en-US");
  EXPECT_TRUE(MatchesExceptText(f, MakeArticle()));
  f.mutable_languages()->set_any_of(0, "en-gb");
  EXPECT_FALSE(MatchesExceptText(f, MakeArticle()));
  f.mutable_languages()->set_any_of(0, "fr");
  EXPECT_FALSE(MatchesExceptText(f, MakeArticle()));
  Article plain = MakeArticle();
  plain.set_language("en");
  f.mutable_languages()->set_any_of(0, "en-us");
  EXPECT_FALSE(MatchesExceptText(f, plain));
}

TEST(FilterTest, TimeRangeInclusiveExclusiveWithFetchedFallback) {
  ArticleFilter f;
  f.mutable_published_after()->set_seconds(1000);
  f.mutable_published_before()->set_seconds(2000);
  Article a = MakeArticle();
  EXPECT_TRUE(MatchesExceptText(f, a));
  a.mutable_published_time()->set_seconds(2000);
  EXPECT_FALSE(MatchesExceptText(f, a));
  a.mutable_published_time()->set_seconds(999);
  EXPECT_FALSE(MatchesExceptText(f, a));
  a.clear_published_time();
  a.mutable_fetched_time()->set_seconds(1500);
  EXPECT_TRUE(MatchesExceptText(f, a));
  EXPECT_EQ(ArticleTimeMicros(a), 1500000000);
  a.clear_fetched_time();
  EXPECT_FALSE(MatchesExceptText(f, a));
}

TEST(FilterTest, MinAmountAndCurrency) {
  ArticleFilter f;
  f.set_min_amount(1e9);
  EXPECT_TRUE(MatchesExceptText(f, MakeArticle()));
  f.set_amount_currency("EUR");
  EXPECT_TRUE(MatchesExceptText(f, MakeArticle()));
  f.set_amount_currency("usd");
  EXPECT_FALSE(MatchesExceptText(f, MakeArticle()));
  f.set_amount_currency("");
  f.set_min_amount(6e9);
  EXPECT_FALSE(MatchesExceptText(f, MakeArticle()));
  f.set_min_amount(0);  // disabled, currency alone is no constraint
  f.set_amount_currency("USD");
  EXPECT_TRUE(MatchesExceptText(f, MakeArticle()));
}

TEST(FilterTest, ArticleTagValues) {
  EXPECT_THAT(ArticleTagValues(TagDimension::kCompany, MakeArticle()),
              ::testing::ElementsAre("q2283", "microsoft"));
  EXPECT_THAT(ArticleTagValues(TagDimension::kLanguage, MakeArticle()),
              ::testing::ElementsAre("en-us", "en"));
  EXPECT_THAT(ArticleTagValues(TagDimension::kFeed, MakeArticle()),
              ::testing::ElementsAre("feed-1", "https://example.com/rss"));
}

TEST(ValidateFilterTest, AcceptsReasonableFilter) {
  ArticleFilter f;
  f.mutable_companies()->add_any_of("Q1");
  f.set_text("hello world");
  f.set_min_amount(3);
  f.set_amount_currency("usd");
  EXPECT_TRUE(ValidateFilter(f, FilterLimits()).ok());
}

TEST(ValidateFilterTest, TooManyValuesNamesField) {
  ArticleFilter f;
  for (int i = 0; i < 150; ++i) f.mutable_companies()->add_any_of("x");
  absl::Status s = ValidateFilter(f, FilterLimits());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "filter.companies.any_of: 150 values, at most 100 allowed");
  ArticleFilter g;
  for (int i = 0; i < 3; ++i) g.mutable_languages()->add_none_of("en");
  FilterLimits small;
  small.max_values_per_dimension = 2;
  EXPECT_THAT(std::string(ValidateFilter(g, small).message()),
              StartsWith("filter.languages.none_of:"));
}

TEST(ValidateFilterTest, EachErrorNamesItsField) {
  struct Case {
    ArticleFilter filter;
    std::string prefix;
  };
  std::vector<Case> cases;
  {
    ArticleFilter f;
    f.mutable_published_after()->set_seconds(10);
    f.mutable_published_before()->set_seconds(5);
    cases.push_back(
        {f, "filter.published_after: after filter.published_before"});
  }
  {
    ArticleFilter f;
    f.set_min_amount(-1);
    cases.push_back({f, "filter.min_amount:"});
  }
  {
    ArticleFilter f;
    f.set_text(std::string(2000, 'a'));
    cases.push_back({f, "filter.text:"});
  }
  {
    ArticleFilter f;
    f.mutable_topics()->add_all_of("");
    cases.push_back({f, "filter.topics.all_of[0]:"});
  }
  {
    ArticleFilter f;
    f.set_amount_currency("euro");
    cases.push_back({f, "filter.amount_currency:"});
  }
  {
    ArticleFilter f;
    f.mutable_published_before()->set_nanos(-1);
    cases.push_back({f, "filter.published_before:"});
  }
  {
    ArticleFilter f;
    f.mutable_feeds()->add_any_of(std::string(2000, 'x'));
    cases.push_back({f, "filter.feeds.any_of[0]:"});
  }
  for (const Case& c : cases) {
    absl::Status s = ValidateFilter(c.filter, FilterLimits());
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.prefix;
    EXPECT_THAT(std::string(s.message()), StartsWith(c.prefix));
  }
}

}  // namespace
}  // namespace newsfeed::query
