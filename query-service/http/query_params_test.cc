// Query parameters to QueryService requests: what each parameter sets and
// how a bad one is named.
#include "query-service/http/query_params.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsfeed::query {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(QueryParamsTest, FilterParametersFillEveryDimensionAndMode) {
  auto request =
      ParseSearchParams({{"company", "Microsoft"},
                         {"company", "Amazon"},
                         {"company.all", "OpenAI"},
                         {"company.none", "Apple"},
                         {"country", "FR"},
                         {"topic.all", "ai"},
                         {"feed.none", "feed-9"},
                         {"language", "fr"},
                         {"text", "\"cloud computing\" OR data*"},
                         {"published_after", "2026-02-01T00:00:00Z"},
                         {"published_before", "2026-03-01T12:30:00+01:00"},
                         {"min_amount", "1e9"},
                         {"currency", "eur"},
                         {"page_size", "50"},
                         {"page_token", "abc"},
                         {"order", "Relevance"},
                         {"access_token", "ignored-here"}});
  ASSERT_TRUE(request.ok()) << request.status();
  const auto& filter = request->filter();
  EXPECT_THAT(filter.companies().any_of(), ElementsAre("Microsoft", "Amazon"));
  EXPECT_THAT(filter.companies().all_of(), ElementsAre("OpenAI"));
  EXPECT_THAT(filter.companies().none_of(), ElementsAre("Apple"));
  EXPECT_THAT(filter.countries().any_of(), ElementsAre("FR"));
  EXPECT_THAT(filter.topics().all_of(), ElementsAre("ai"));
  EXPECT_THAT(filter.feeds().none_of(), ElementsAre("feed-9"));
  EXPECT_THAT(filter.languages().any_of(), ElementsAre("fr"));
  EXPECT_EQ(filter.text(), "\"cloud computing\" OR data*");
  EXPECT_EQ(filter.published_after().seconds(), 1769904000);
  EXPECT_EQ(filter.published_before().seconds(), 1772364600);
  EXPECT_EQ(filter.min_amount(), 1e9);
  EXPECT_EQ(filter.amount_currency(), "EUR");
  EXPECT_EQ(request->page_size(), 50);
  EXPECT_EQ(request->page_token(), "abc");
  EXPECT_EQ(request->order(), newsfeed::v1::SEARCH_ORDER_RELEVANCE);
}

TEST(QueryParamsTest, EachRouteTakesOnlyItsOwnParameters) {
  auto facets = ParseFacetsParams({{"topic", "ai"}, {"limit", "7"}});
  ASSERT_TRUE(facets.ok()) << facets.status();
  EXPECT_EQ(facets->limit(), 7);
  EXPECT_THAT(facets->filter().topics().any_of(), ElementsAre("ai"));

  auto facets_with_page = ParseFacetsParams({{"page_size", "3"}});
  EXPECT_THAT(facets_with_page.status().message(),
              HasSubstr("unknown parameter \"page_size\""));
  EXPECT_THAT(facets_with_page.status().message(), HasSubstr("limit"));
  auto search_with_limit = ParseSearchParams({{"limit", "3"}});
  EXPECT_THAT(search_with_limit.status().message(),
              HasSubstr("unknown parameter \"limit\""));
  EXPECT_THAT(ParseSearchParams({{"company.any", "X"}}).status().message(),
              HasSubstr("unknown parameter \"company.any\""));
}

TEST(QueryParamsTest, StreamStartsFromLastEventIdOverTheUrl) {
  auto after = ParseStreamParams({{"after_sequence", "42"}}, "");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->after_sequence(), 42u);
  EXPECT_EQ(after->max_articles_per_response(), 0u);

  auto since = ParseStreamParams({{"since", "2026-03-01T00:00:00Z"}}, "");
  ASSERT_TRUE(since.ok());
  EXPECT_EQ(since->since_time().seconds(), 1772323200);

  // EventSource reconnects with its first URL and the last id it saw.
  auto resumed = ParseStreamParams(
      {{"since", "2026-03-01T00:00:00Z"}, {"topic", "ai"}}, "977");
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(resumed->after_sequence(), 977u);
  EXPECT_THAT(resumed->filter().topics().any_of(), ElementsAre("ai"));

  auto live = ParseStreamParams({}, "");
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->start_case(), newsfeed::v1::SubscribeRequest::START_NOT_SET);

  EXPECT_THAT(ParseStreamParams({}, "12abc").status().message(),
              HasSubstr("Last-Event-ID: \"12abc\" is not a number"));
  EXPECT_THAT(
      ParseStreamParams(
          {{"after_sequence", "1"}, {"since", "2026-03-01T00:00:00Z"}}, "")
          .status()
          .message(),
      HasSubstr("give after_sequence or since, once"));
}

TEST(QueryParamsTest, BadValuesAreNamedAndEchoedSafely) {
  auto expect_error = [](const QueryParams& params, const std::string& part) {
    auto request = ParseSearchParams(params);
    ASSERT_FALSE(request.ok());
    EXPECT_EQ(request.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(request.status().message(), HasSubstr(part));
  };
  expect_error({{"page_size", "-1"}}, "page_size: \"-1\" is not a number");
  expect_error({{"page_size", "1"}, {"page_size", "2"}},
               "page_size: given more than once");
  expect_error({{"min_amount", "lots"}}, "min_amount: \"lots\"");
  expect_error({{"min_amount", "nan"}}, "min_amount");
  expect_error({{"company", std::string("A\0B", 3)}},
               "company: contains a NUL byte");
  expect_error({{"country", "\xC0\xAF"}},
               "country: not valid UTF-8");  // overlong
  expect_error({{"topic", "\xED\xA0\x80"}},
               "topic: not valid UTF-8");  // surrogate
  expect_error({{"\xFF\xFE", "x"}}, "name is not valid UTF-8");
  // A long unknown name is echoed short, with control bytes escaped.
  auto request = ParseSearchParams({{std::string(5000, 'z') + "\x1b[2J", "x"}});
  ASSERT_FALSE(request.ok());
  EXPECT_LT(request.status().message().size(), 600u);
  EXPECT_THAT(request.status().message(), Not(HasSubstr("\x1b")));
  // Valid multi-byte text passes.
  EXPECT_TRUE(ParseSearchParams({{"text", "Zürich 東京 🚀"}}).ok());
}

TEST(QueryParamsTest, ArticleIdTakesNoParameters) {
  auto id = ParseArticleId("abc123", {{"access_token", "t"}}, 256);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "abc123");
  EXPECT_THAT(
      ParseArticleId("abc", {{"page_size", "1"}}, 256).status().message(),
      HasSubstr("unknown parameter \"page_size\""));
  EXPECT_THAT(ParseArticleId("", {}, 256).status().message(),
              HasSubstr("id: empty"));
  EXPECT_THAT(ParseArticleId(std::string(300, 'x'), {}, 256).status().message(),
              HasSubstr("id: 300 bytes, longer than 256"));
}

}  // namespace
}  // namespace newsfeed::query
