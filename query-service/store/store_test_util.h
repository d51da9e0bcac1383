// Copyright newsfeed authors.
//
// Test helpers shared by the store tests (both engines).
#ifndef QUERY_SERVICE_STORE_STORE_TEST_UTIL_H_
#define QUERY_SERVICE_STORE_STORE_TEST_UTIL_H_

#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "query-service/filter/filter.h"
#include "query-service/store/article_store.h"

namespace newsfeed::query {

using newsfeed::v1::Article;
using newsfeed::v1::ArticleFilter;
using newsfeed::v1::FacetsRequest;
using newsfeed::v1::SearchRequest;
using newsfeed::v1::SearchResponse;

// A fresh directory, removed with its contents at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "store_test.XXXXXX").string();
    char* made = mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct Tags {
  std::vector<std::pair<std::string, std::string>> companies;  // id, name
  std::vector<std::string> countries;
  std::vector<std::string> topics;
};

inline Article MakeArticle(const std::string& id, int64_t seconds,
                           const Tags& tags,
                           const std::string& title = "A title") {
  Article a;
  a.set_id(id);
  a.set_feed_id("feed-1");
  a.set_feed_url("https://example.com/rss");
  a.set_language("en");
  a.set_title(title);
  a.set_summary("summary of " + id);
  a.set_content_text("body text for " + id);
  a.set_content_hash("hash-" + id);
  a.mutable_published_time()->set_seconds(seconds);
  for (const auto& [cid, name] : tags.companies) {
    auto* c = a.add_companies();
    c->set_id(cid);
    c->set_name(name);
    auto* e = c->add_evidence();
    e->set_field(newsfeed::v1::TEXT_FIELD_TITLE);
    e->set_text(name);
    e->set_rule("alias:" + name);
  }
  for (const std::string& code : tags.countries) {
    auto* c = a.add_countries();
    c->set_code(code);
    c->set_name("Country " + NormalizeTagValue(TagDimension::kCountry, code));
  }
  for (const std::string& t : tags.topics) {
    auto* c = a.add_topics();
    c->set_id(t);
    c->set_name("Topic " + t);
  }
  return a;
}

inline Tags MsftFr() { return {{{"Q2283", "Microsoft"}}, {"FR"}, {"ai"}}; }

// A title that mentions "zeppelin" `mentions` times: more mentions rank
// higher, by bm25 and by ts_rank_cd.
inline std::string ZeppelinTitle(int mentions) {
  std::string title;
  for (int j = 0; j < mentions; ++j) absl::StrAppend(&title, "zeppelin ");
  absl::StrAppend(&title, "words that dilute the title a little");
  return title;
}

// The ids of every page of `req`, following page tokens; `between_pages`
// runs after each page that has a next one.
inline std::vector<std::string> PageIds(
    ArticleStore& store, SearchRequest req,
    const std::function<void(int page)>& between_pages = nullptr) {
  std::vector<std::string> ids;
  for (int page = 0; page < 10000; ++page) {
    absl::StatusOr<SearchResponse> r = store.Search(req);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) break;
    for (const Article& a : r->articles()) ids.push_back(a.id());
    if (r->next_page_token().empty()) break;
    req.set_page_token(r->next_page_token());
    if (between_pages) between_pages(page);
  }
  return ids;
}

// The facet counts of every article, computed from the tag rows (a
// published_after bound that every test article passes forces the filtered
// path) and from the maintained tag_counts (no filter) must agree.
inline void ExpectFacetCountsConsistent(ArticleStore& store) {
  FacetsRequest maintained;
  maintained.set_limit(100);
  FacetsRequest computed = maintained;
  computed.mutable_filter()->mutable_published_after()->set_seconds(0);
  absl::StatusOr<newsfeed::v1::FacetsResponse> m = store.Facets(maintained);
  absl::StatusOr<newsfeed::v1::FacetsResponse> c = store.Facets(computed);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(m->DebugString(), c->DebugString());
}

}  // namespace newsfeed::query

#endif  // QUERY_SERVICE_STORE_STORE_TEST_UTIL_H_
