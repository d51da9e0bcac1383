#include "common/article/article_limits.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsfeed {
namespace {

using ::testing::HasSubstr;
using v1::Article;

Article Ordinary() {
  Article a;
  a.set_id("id-1");
  a.set_title("Microsoft invests €4 billion in France");
  a.set_url("https://example.com/a/1");
  a.set_summary("A summary.");
  a.set_content_html("<p>Body</p>");
  a.set_content_text("Body");
  a.add_companies()->set_name("Microsoft");
  return a;
}

TEST(ArticleLimitsTest, OrdinaryArticlesPassUntouched) {
  Article a = Ordinary();
  EXPECT_TRUE(CheckArticle(a, {}, "articles[0]").ok());
  const std::string before = a.SerializeAsString();
  EXPECT_FALSE(FitArticle(&a, {}));
  EXPECT_EQ(a.SerializeAsString(), before);
}

TEST(ArticleLimitsTest, CheckNamesTheFieldItsSizeAndTheLimit) {
  Article a = Ordinary();
  a.set_title(std::string(5000, 't'));
  absl::Status s = CheckArticle(a, {}, "articles[2]");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("articles[2].title: 5000 bytes, at most "
                                     "4096"));
  Article tags = Ordinary();
  for (int i = 0; i < 300; ++i) tags.add_topics()->set_id("ai");
  EXPECT_THAT(CheckArticle(tags, {}, "a").message(),
              HasSubstr("a.topics: 300 entries, at most 256"));
  Article evidence = Ordinary();
  for (int i = 0; i < 40; ++i) evidence.mutable_companies(0)->add_evidence();
  EXPECT_THAT(CheckArticle(evidence, {}, "a").message(),
              HasSubstr("a.companies[0].evidence: 40 entries"));
  ArticleLimits small;
  small.max_article_bytes = 100;
  EXPECT_THAT(CheckArticle(Ordinary(), small, "a").message(),
              HasSubstr("bytes serialized, at most 100"));
}

// Whatever a feed holds, the fitted article passes the check.
TEST(ArticleLimitsTest, FitMakesAnyArticlePassTheCheck) {
  Article a = Ordinary();
  // "€" is three bytes: a cut must not split it.
  std::string euros;
  for (int i = 0; i < 3000; ++i) euros += "€";
  a.set_title(euros);
  a.set_content_html("<p>" + std::string((1 << 20) - 5, 'x') +
                     "<a href=\"https://example.com/\">link</a></p>");
  a.set_content_text(std::string(3 << 20, 'y'));
  a.set_summary(std::string(1 << 20, 's'));
  for (int i = 0; i < 500; ++i) a.add_categories(std::string(2000, 'c'));
  for (int i = 0; i < 150; ++i) {
    a.add_enclosures()->set_url("https://example.com/" +
                                std::string(1000, 'e'));
  }
  for (int i = 0; i < 300; ++i) {
    v1::CountryTag* c = a.add_countries();
    c->set_code("FR");
    for (int j = 0; j < 50; ++j) c->add_evidence()->set_text("France");
  }
  ASSERT_TRUE(FitArticle(&a, {}));
  EXPECT_TRUE(CheckArticle(a, {}, "a").ok()) << CheckArticle(a, {}, "a");
  EXPECT_LE(a.ByteSizeLong(), size_t{3} << 20);
  EXPECT_EQ(a.title().size() % 3, 0u);  // whole "€"s only
  EXPECT_LE(a.title().size(), 4096u);
  // The HTML was cut before the tag that would have been split.
  EXPECT_EQ(a.content_html().find('<', 1), std::string::npos);
  EXPECT_EQ(a.categories_size(), 100);
  EXPECT_EQ(a.countries_size(), 256);
  EXPECT_EQ(a.countries(0).evidence_size(), 32);
  // Nothing identifying is changed.
  EXPECT_EQ(a.id(), "id-1");

  // Past the total, the bulk gives way until the article fits.
  ArticleLimits tight;
  tight.max_article_bytes = 200 << 10;
  ASSERT_TRUE(FitArticle(&a, tight));
  EXPECT_TRUE(CheckArticle(a, tight, "a").ok()) << CheckArticle(a, tight, "a");
  EXPECT_EQ(a.title().size() % 3, 0u);
}

}  // namespace
}  // namespace newsfeed
