// Copyright newsfeed authors.
//
// The ArticleStore contract, run against every engine: SqliteStore on a
// temporary directory and PgStore on a fresh database of the test process's
// private PostgreSQL server (common/testing/test_postgres.h).
#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/testing/test_postgres.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "query-service/store/pg_store.h"
#include "query-service/store/sqlite_store.h"
#include "query-service/store/store_test_util.h"

namespace newsfeed::query {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

struct Engine {
  std::string name;
  bool postgres = false;
};

// Names the engine in test listings (rather than the struct's bytes).
void PrintTo(const Engine& engine, std::ostream* os) { *os << engine.name; }

class StoreSuite : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    if (GetParam().postgres) {
      absl::StatusOr<std::string> dsn =
          newsfeed::testing::TestPostgres::CreateDatabase();
      ASSERT_TRUE(dsn.ok()) << dsn.status();
      dsn_ = *dsn;
    }
    Reopen();
  }

  // The options every store of the test opens with.
  StoreOptions Options() const {
    StoreOptions options;
    options.data_dir = dir_.path();
    options.postgres_url = dsn_;
    options.retention_max_age = max_age_;
    options.retention_max_articles = max_articles_;
    options.relevance_max_matches = relevance_max_matches_;
    options.relevance_scan_matches = relevance_scan_matches_;
    options.facet_max_matches = facet_max_matches_;
    options.max_response_bytes = max_response_bytes_;
    return options;
  }

  // This test's engine opened with `options`.
  absl::StatusOr<std::unique_ptr<ArticleStore>> Open(
      const StoreOptions& options) const {
    if (GetParam().postgres) return PgStore::Open(options);
    return SqliteStore::Open(options);
  }

  void Reopen() {
    store_.reset();
    absl::StatusOr<std::unique_ptr<ArticleStore>> store = Open(Options());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  UpsertResult MustUpsert(const std::vector<Article>& articles) {
    absl::StatusOr<UpsertResult> r = store_->Upsert(articles);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : UpsertResult();
  }

  // All ids matching `filter`, newest first, following page tokens.
  std::vector<std::string> SearchAll(const ArticleFilter& filter,
                                     int page_size = 3) {
    SearchRequest req;
    *req.mutable_filter() = filter;
    req.set_page_size(page_size);
    return PageIds(*store_, req);
  }

  TempDir dir_;
  std::string dsn_;
  absl::Duration max_age_ = absl::ZeroDuration();
  int64_t max_articles_ = 0;
  int relevance_max_matches_ = 1000;
  int relevance_scan_matches_ = 10000;
  int facet_max_matches_ = 2000;
  size_t max_response_bytes_ = StoreOptions().max_response_bytes;
  std::unique_ptr<ArticleStore> store_;
};

// The options both engines check alike (ValidateCommonOptions).
TEST_P(StoreSuite, OpenRejectsBadCommonOptions) {
  for (int StoreOptions::*field : {&StoreOptions::relevance_max_matches,
                                   &StoreOptions::relevance_scan_matches,
                                   &StoreOptions::facet_max_matches}) {
    StoreOptions options = Options();
    options.*field = 0;
    EXPECT_EQ(Open(options).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
}

// Large articles end a page early, with a token to the rest: every article
// once, in order, and no page over the byte bound unless it holds a single
// article.
TEST_P(StoreSuite, SearchPagesStayUnderTheResponseByteBound) {
  max_response_bytes_ = 10000;
  Reopen();
  std::vector<Article> articles;
  std::vector<std::string> expected;
  for (int i = 0; i < 9; ++i) {
    Article a = MakeArticle(absl::StrCat("big-", i), 1000 - i, {});
    a.set_content_html(std::string(4000 + 1000 * (i % 3), 'x'));
    articles.push_back(a);
    expected.push_back(a.id());
  }
  Article huge = MakeArticle("huge", 10, {});
  huge.set_content_html(std::string(30000, 'y'));
  articles.push_back(huge);
  expected.push_back("huge");
  MustUpsert(articles);

  SearchRequest req;
  req.set_page_size(100);
  std::vector<std::string> ids;
  int pages = 0;
  for (; pages < 100; ++pages) {
    absl::StatusOr<SearchResponse> page = store_->Search(req);
    ASSERT_TRUE(page.ok()) << page.status();
    size_t bytes = 0;
    for (const Article& a : page->articles()) {
      bytes += a.ByteSizeLong();
      ids.push_back(a.id());
    }
    if (page->articles_size() > 1) {
      EXPECT_LE(bytes, 10000u);
    }
    if (page->next_page_token().empty()) break;
    req.set_page_token(page->next_page_token());
  }
  EXPECT_EQ(ids, expected);
  EXPECT_GE(pages, 4);
}

TEST_P(StoreSuite, DataSurvivesReopen) {
  MustUpsert({MakeArticle("a", 100, MsftFr())});
  Reopen();
  absl::StatusOr<Article> a = store_->Get("a");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->sequence(), 1u);
  EXPECT_EQ(*store_->LatestSequence(), 1u);
}

TEST_P(StoreSuite, DuplicateUpsertStoredOnce) {
  const Article a = MakeArticle("a", 100, MsftFr());
  UpsertResult r1 = MustUpsert({a});
  EXPECT_EQ(r1.stored, 1);
  EXPECT_EQ(r1.updated, 0);
  EXPECT_EQ(r1.unchanged, 0);
  EXPECT_EQ(r1.latest_sequence, 1u);
  Article again = a;
  again.set_sequence(77);  // ignored on input
  UpsertResult r2 = MustUpsert({again, again});
  EXPECT_EQ(r2.stored, 0);
  EXPECT_EQ(r2.unchanged, 2);
  EXPECT_EQ(r2.latest_sequence, 1u);
  EXPECT_THAT(SearchAll(ArticleFilter()), ::testing::ElementsAre("a"));
  EXPECT_EQ(store_->Get("a")->sequence(), 1u);
}

TEST_P(StoreSuite, ChangedArticleIsResequencedAndReindexed) {
  MustUpsert({MakeArticle("a", 100, MsftFr(), "Old headline"),
              MakeArticle("b", 90, MsftFr())});
  Article changed = MakeArticle("a", 100, MsftFr(), "Fresh headline");
  changed.set_content_hash("hash-a-v2");
  UpsertResult r = MustUpsert({changed});
  EXPECT_EQ(r.stored, 1);
  EXPECT_EQ(r.updated, 1);
  EXPECT_EQ(r.latest_sequence, 3u);
  absl::StatusOr<Article> got = store_->Get("a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->sequence(), 3u);
  EXPECT_EQ(got->title(), "Fresh headline");
  ArticleFilter text;
  text.set_text("fresh");
  EXPECT_THAT(SearchAll(text), ::testing::ElementsAre("a"));
  text.set_text("old");
  EXPECT_THAT(SearchAll(text), ::testing::IsEmpty());
  EXPECT_EQ(SearchAll(ArticleFilter()).size(), 2u);

  // Same content hash, different tags: also a change.
  Article retagged = changed;
  retagged.clear_companies();
  retagged.add_companies()->set_id("Q95");
  r = MustUpsert({retagged});
  EXPECT_EQ(r.stored, 1);
  EXPECT_EQ(store_->Get("a")->sequence(), 4u);
  ArticleFilter msft;
  msft.mutable_companies()->add_any_of("microsoft");
  EXPECT_THAT(SearchAll(msft), ::testing::ElementsAre("b"));
  ArticleFilter google;
  google.mutable_companies()->add_any_of("q95");
  EXPECT_THAT(SearchAll(google), ::testing::ElementsAre("a"));

  // Changed twice in one batch: one row, two new sequences.
  Article v3 = retagged, v4 = retagged;
  v3.set_content_hash("v3");
  v4.set_content_hash("v4");
  r = MustUpsert({v3, v4});
  EXPECT_EQ(r.stored, 2);
  EXPECT_EQ(r.latest_sequence, 6u);
  EXPECT_EQ(store_->Get("a")->content_hash(), "v4");
  EXPECT_EQ(SearchAll(ArticleFilter()).size(), 2u);
}

TEST_P(StoreSuite, UpsertRejectsEmptyIdAtomically) {
  Article no_id = MakeArticle("", 1, {});
  absl::StatusOr<UpsertResult> r =
      store_->Upsert({MakeArticle("a", 1, {}), no_id});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), StartsWith("articles[1].id"));
  EXPECT_EQ(store_->Get("a").status().code(), absl::StatusCode::kNotFound);
}

TEST_P(StoreSuite, GetReturnsEvidenceOrNotFound) {
  MustUpsert({MakeArticle("a", 100, MsftFr())});
  absl::StatusOr<Article> a = store_->Get("a");
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->companies_size(), 1);
  ASSERT_EQ(a->companies(0).evidence_size(), 1);
  EXPECT_EQ(a->companies(0).evidence(0).rule(), "alias:Microsoft");
  absl::StatusOr<Article> missing = store_->Get("nope");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("nope"));
}

TEST_P(StoreSuite, NewestFirstWithSequenceTiebreakAndFetchedFallback) {
  Article no_date = MakeArticle("nodate", 0, {});
  no_date.clear_published_time();
  no_date.mutable_fetched_time()->set_seconds(150);
  MustUpsert({MakeArticle("old", 100, {}), MakeArticle("tie1", 200, {}),
              MakeArticle("tie2", 200, {}), no_date});
  EXPECT_THAT(SearchAll(ArticleFilter(), 2),
              ::testing::ElementsAre("tie2", "tie1", "nodate", "old"));
  ArticleFilter range;
  range.mutable_published_after()->set_seconds(150);
  range.mutable_published_before()->set_seconds(200);
  EXPECT_THAT(SearchAll(range), ::testing::ElementsAre("nodate"));
}

// A corpus on which every filter is checked against MatchesExceptText.
std::vector<Article> Corpus(int n) {
  const std::vector<std::pair<std::string, std::string>> companies = {
      {"Q2283", "Microsoft"},
      {"Q95", "Google"},
      {"Q312", "Apple"},
      {"Q380", "Meta"},
      {"ticker:SAP", "SAP"}};
  const std::vector<std::string> countries = {"FR", "DE", "US", "GB", "JP"};
  const std::vector<std::string> topics = {"ai", "cloud", "data-privacy",
                                           "space", "chips"};
  const std::vector<std::string> langs = {"en", "en-us", "fr", "de-at", ""};
  std::vector<Article> out;
  for (int i = 0; i < n; ++i) {
    Tags t;
    // Skewed: low indexes far more frequent.
    t.companies.push_back(companies[(i * i) % 3 == 0 ? 0 : (i % 5)]);
    if (i % 4 == 0) t.companies.push_back(companies[(i / 4) % 5]);
    t.countries.push_back(countries[(i % 7) % 5]);
    if (i % 3 == 0) t.topics.push_back(topics[i % 5]);
    if (i % 2 == 0) t.topics.push_back(topics[(i / 2) % 2]);
    Article a = MakeArticle(
        absl::StrCat("art-", i), 1000 + (i * 37) % 500, t,
        i % 6 == 0 ? "Quantum chips breakthrough" : "Market update");
    a.set_language(langs[i % 5]);
    a.set_feed_id(absl::StrCat("feed-", i % 3));
    a.set_feed_url(absl::StrCat("https://f", i % 3) + ".example/rss");
    if (i % 5 == 1) {
      auto* m = a.add_amounts();
      m->set_value(1e6 * (i % 11));
      m->set_currency(i % 2 ? "usd" : "EUR");
    }
    if (i % 9 == 0) {
      a.clear_published_time();
      a.mutable_fetched_time()->set_seconds(1200);
    }
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<ArticleFilter> FilterCombos() {
  std::vector<ArticleFilter> fs;
  auto add = [&](auto fn) {
    ArticleFilter f;
    fn(f);
    fs.push_back(f);
  };
  add([](ArticleFilter&) {});
  add([](ArticleFilter& f) { f.mutable_companies()->add_any_of("microsoft"); });
  add([](ArticleFilter& f) { f.mutable_companies()->add_any_of("q95"); });
  add([](ArticleFilter& f) {
    f.mutable_companies()->add_any_of("Q95");
    f.mutable_companies()->add_any_of("apple");
  });
  // Values that share articles (Microsoft with Google or SAP).
  add([](ArticleFilter& f) {
    f.mutable_companies()->add_any_of("q2283");
    f.mutable_companies()->add_any_of("Q95");
    f.mutable_companies()->add_any_of("ticker:sap");
  });
  add([](ArticleFilter& f) {
    f.mutable_companies()->add_any_of("Q2283");
    f.mutable_companies()->add_any_of("q95");
    f.mutable_topics()->add_all_of("ai");
    f.mutable_languages()->add_none_of("fr");
  });
  add([](ArticleFilter& f) {
    f.mutable_companies()->add_all_of("Microsoft");
    f.mutable_companies()->add_all_of("q2283");
  });
  add([](ArticleFilter& f) {
    f.mutable_companies()->add_all_of("microsoft");
    f.mutable_companies()->add_all_of("google");
  });
  add([](ArticleFilter& f) {
    f.mutable_companies()->add_none_of("microsoft");
  });
  add([](ArticleFilter& f) {
    f.mutable_countries()->add_any_of("fr");
    f.mutable_topics()->add_all_of("AI");
  });
  add([](ArticleFilter& f) {
    f.mutable_topics()->add_any_of("cloud");
    f.mutable_topics()->add_none_of("ai");
    f.mutable_countries()->add_none_of("us");
  });
  add([](ArticleFilter& f) { f.mutable_feeds()->add_any_of("FEED-1"); });
  add([](ArticleFilter& f) {
    f.mutable_feeds()->add_any_of("https://f2.example/rss");
  });
  add([](ArticleFilter& f) {
    f.mutable_feeds()->add_all_of("feed-0");
    f.mutable_feeds()->add_all_of("https://f0.example/rss");
  });
  add([](ArticleFilter& f) { f.mutable_languages()->add_any_of("en"); });
  add([](ArticleFilter& f) { f.mutable_languages()->add_any_of("en-US"); });
  add([](ArticleFilter& f) { f.mutable_languages()->add_none_of("de"); });
  add([](ArticleFilter& f) {
    f.mutable_published_after()->set_seconds(1100);
    f.mutable_published_before()->set_seconds(1300);
  });
  add([](ArticleFilter& f) {
    f.mutable_companies()->add_any_of("sap");
    f.mutable_published_after()->set_seconds(1200);
  });
  add([](ArticleFilter& f) { f.set_min_amount(5e6); });
  add([](ArticleFilter& f) {
    f.set_min_amount(2e6);
    f.set_amount_currency("usd");
  });
  add([](ArticleFilter& f) {
    f.set_min_amount(1);
    f.set_amount_currency("EUR");
    f.mutable_topics()->add_any_of("cloud");
  });
  add([](ArticleFilter& f) { f.mutable_companies()->add_any_of("nobody"); });
  return fs;
}

std::vector<std::string> Expected(const std::vector<Article>& corpus,
                                  const ArticleFilter& f) {
  std::vector<const Article*> match;
  for (const Article& a : corpus) {
    if (MatchesExceptText(f, a)) match.push_back(&a);
  }
  // Newest first; ties by sequence desc (corpus order = sequence order).
  std::stable_sort(match.begin(), match.end(),
                   [](const Article* x, const Article* y) {
                     return ArticleTimeMicros(*x) > ArticleTimeMicros(*y);
                   });
  std::vector<std::string> ids;
  // Reverse corpus order within equal times.
  for (size_t i = 0; i < match.size();) {
    size_t j = i;
    while (j < match.size() &&
           ArticleTimeMicros(*match[j]) == ArticleTimeMicros(*match[i])) {
      ++j;
    }
    for (size_t k = j; k > i; --k) ids.push_back(match[k - 1]->id());
    i = j;
  }
  return ids;
}

TEST_P(StoreSuite, FilterCombosMatchInMemorySemantics) {
  const std::vector<Article> corpus = Corpus(60);
  MustUpsert(corpus);
  for (const ArticleFilter& f : FilterCombos()) {
    EXPECT_EQ(SearchAll(f, 4), Expected(corpus, f)) << f.ShortDebugString();
  }
}

// Enough articles that common tags exceed the small-set threshold, so every
// query plan (ordered tag, small set, time scan) is exercised.
TEST_P(StoreSuite, FilterCombosOnLargerCorpusAllPlans) {
  const std::vector<Article> corpus = Corpus(5000);
  MustUpsert(corpus);
  for (const ArticleFilter& f : FilterCombos()) {
    const std::vector<std::string> expected = Expected(corpus, f);
    const std::vector<std::string> got = SearchAll(f, 100);
    EXPECT_EQ(got.size(), expected.size()) << f.ShortDebugString();
    EXPECT_TRUE(got == expected) << f.ShortDebugString();
    ArticleFilter with_text = f;
    with_text.set_text("quantum");
    std::vector<std::string> text_expected;
    for (const std::string& id : expected) {
      if (std::stoi(id.substr(4)) % 6 == 0) text_expected.push_back(id);
    }
    EXPECT_TRUE(SearchAll(with_text, 100) == text_expected)
        << with_text.ShortDebugString();
  }
}

// Text searches as real stores see them: publish times rising with arrival,
// with stragglers (late, and dated in the future), and old articles updated
// to a new time. SQLite walks the text matches by block of arrival and stops
// early, so each of these must still be found, in order, page after page.
TEST_P(StoreSuite, TextSearchNewestFirstWithStragglersAndUpdates) {
  std::vector<Article> corpus = Corpus(4000);
  for (int i = 0; i < 4000; ++i) {
    int64_t seconds = 100000 + 10 * i;
    if (i % 97 == 5) seconds = 100000 + 10 * (i / 2);  // arrived late
    if (i == 606) seconds = 900000;                    // future-dated
    Article& a = corpus[i];
    a.clear_fetched_time();
    a.mutable_published_time()->set_seconds(seconds);
  }
  MustUpsert(corpus);
  // Old articles become the newest: they keep their place in arrival order.
  for (int i : {0, 6, 1206}) {
    corpus[i].mutable_published_time()->set_seconds(950000 + i);
    corpus[i].set_content_hash(absl::StrCat("updated-", i));
  }
  MustUpsert({corpus[0], corpus[6], corpus[1206]});
  // Corpus order must stay sequence order for Expected's tie-break.
  std::vector<Article> by_sequence;
  for (int i = 0; i < 4000; ++i) {
    if (i != 0 && i != 6 && i != 1206) by_sequence.push_back(corpus[i]);
  }
  for (int i : {0, 6, 1206}) by_sequence.push_back(corpus[i]);

  std::vector<ArticleFilter> filters = FilterCombos();
  ArticleFilter recent;
  recent.mutable_published_after()->set_seconds(100000 + 10 * 3500);
  filters.push_back(recent);
  ArticleFilter window;
  window.mutable_published_after()->set_seconds(100000 + 10 * 1000);
  window.mutable_published_before()->set_seconds(100000 + 10 * 1100);
  filters.push_back(window);
  for (const ArticleFilter& f : filters) {
    ArticleFilter with_text = f;
    with_text.set_text("quantum");
    std::vector<std::string> expected;
    for (const std::string& id : Expected(by_sequence, f)) {
      if (std::stoi(id.substr(4)) % 6 == 0) expected.push_back(id);
    }
    for (int page_size : {1, 7, 100}) {
      std::vector<std::string> got = SearchAll(with_text, page_size);
      EXPECT_TRUE(got == expected)
          << with_text.ShortDebugString() << " page size " << page_size
          << ": got " << got.size() << " expected " << expected.size();
    }
  }
}

TEST_P(StoreSuite, FullTextSearch) {
  MustUpsert({MakeArticle("a", 100, MsftFr(), "Quantum computing leap"),
              MakeArticle("b", 200, MsftFr(), "Cloud prices fall"),
              MakeArticle("c", 300, {}, "Quantum cloud")});
  ArticleFilter f;
  f.set_text("quantum");
  EXPECT_THAT(SearchAll(f), ::testing::ElementsAre("c", "a"));
  f.set_text("QUANTUM cloud");
  EXPECT_THAT(SearchAll(f), ::testing::ElementsAre("c"));
  f.set_text("quantum OR prices");
  EXPECT_THAT(SearchAll(f), ::testing::ElementsAre("c", "b", "a"));
  f.set_text("\"computing leap\"");
  EXPECT_THAT(SearchAll(f), ::testing::ElementsAre("a"));
  f.set_text("comput*");
  EXPECT_THAT(SearchAll(f), ::testing::ElementsAre("a"));
  f.set_text("quantum NOT cloud");
  EXPECT_THAT(SearchAll(f), ::testing::ElementsAre("a"));
  f.set_text("body");  // content_text
  EXPECT_EQ(SearchAll(f).size(), 3u);
  f.set_text("quantum");
  f.mutable_companies()->add_any_of("microsoft");
  EXPECT_THAT(SearchAll(f), ::testing::ElementsAre("a"));
}

// European names are written with and without accents ("Nestlé",
// "Nestle"); both spellings find both, on every engine.
TEST_P(StoreSuite, FullTextSearchFoldsAccents) {
  MustUpsert({MakeArticle("accented", 100, {}, "Nestlé opens Zürich lab"),
              MakeArticle("plain", 200, {}, "Nestle results in Zurich"),
              MakeArticle("other", 300, {}, "Societe Generale bonds")});
  ArticleFilter f;
  f.set_text("nestle");
  EXPECT_THAT(SearchAll(f), ::testing::ElementsAre("plain", "accented"));
  f.set_text("NESTLÉ zürich");
  EXPECT_THAT(SearchAll(f), ::testing::ElementsAre("plain", "accented"));
  f.set_text("\"société générale\"");
  EXPECT_THAT(SearchAll(f), ::testing::ElementsAre("other"));
  f.set_text("zür*");
  EXPECT_THAT(SearchAll(f), ::testing::ElementsAre("plain", "accented"));
}

TEST_P(StoreSuite, RelevanceOrder) {
  Article body_only = MakeArticle("body", 300, {}, "Nothing here");
  body_only.set_content_text(
      "a long body that mentions zeppelin once among "
      "many many other words words words words");
  MustUpsert({MakeArticle("title", 100, {}, "Zeppelin zeppelin returns"),
              body_only, MakeArticle("none", 200, {})});
  SearchRequest req;
  req.mutable_filter()->set_text("zeppelin");
  req.set_order(newsfeed::v1::SEARCH_ORDER_RELEVANCE);
  req.set_page_size(1);
  absl::StatusOr<SearchResponse> r = store_->Search(req);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->articles_size(), 1);
  EXPECT_EQ(r->articles(0).id(), "title");
  ASSERT_FALSE(r->next_page_token().empty());
  req.set_page_token(r->next_page_token());
  r = store_->Search(req);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->articles_size(), 1);
  EXPECT_EQ(r->articles(0).id(), "body");
  EXPECT_TRUE(r->next_page_token().empty());
}

// Relevance order ranks only the best relevance_max_matches matches; the
// other conditions apply within them and paging ends after them.
TEST_P(StoreSuite, RelevanceRanksOnlyTheBestMatches) {
  relevance_max_matches_ = 3;
  Reopen();
  // Fewer mentions in the title rank lower: z5 best, z1 worst.
  std::vector<Article> articles;
  for (int i = 1; i <= 5; ++i) {
    articles.push_back(MakeArticle(absl::StrCat("z", i), 100 + i,
                                   i == 1 || i == 5 ? MsftFr() : Tags(),
                                   ZeppelinTitle(i)));
  }
  MustUpsert(articles);
  SearchRequest req;
  req.mutable_filter()->set_text("zeppelin");
  req.set_order(newsfeed::v1::SEARCH_ORDER_RELEVANCE);
  req.set_page_size(2);
  EXPECT_THAT(PageIds(*store_, req), ::testing::ElementsAre("z5", "z4", "z3"));

  // z1 matches the tag too but ranks below the cap.
  req.clear_page_token();
  req.mutable_filter()->mutable_companies()->add_any_of("microsoft");
  absl::StatusOr<SearchResponse> r = store_->Search(req);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->articles_size(), 1);
  EXPECT_EQ(r->articles(0).id(), "z5");
  EXPECT_TRUE(r->next_page_token().empty());

  // Newest-first order is not capped.
  req.set_order(newsfeed::v1::SEARCH_ORDER_NEWEST_FIRST);
  EXPECT_THAT(SearchAll(req.filter()), ::testing::ElementsAre("z5", "z1"));
}

// Relevance order scores only the newest relevance_scan_matches matches as
// of the first page: articles stored while a client pages cannot enter the
// ranking, so no page repeats or skips one.
TEST_P(StoreSuite, RelevanceScoresTheNewestMatchesAndPagesStayOneRanking) {
  relevance_scan_matches_ = 4;
  Reopen();
  // More mentions rank higher; the oldest stored (z5) is the best match but
  // falls outside the newest four.
  auto zeppelins = [](const std::string& id, int mentions) {
    return MakeArticle(id, 100, Tags(), ZeppelinTitle(mentions));
  };
  MustUpsert({zeppelins("z5", 5)});
  MustUpsert({zeppelins("z1", 1), zeppelins("z3", 3), zeppelins("z2", 2),
              zeppelins("z4", 4)});
  SearchRequest req;
  req.mutable_filter()->set_text("zeppelin");
  req.set_order(newsfeed::v1::SEARCH_ORDER_RELEVANCE);
  req.set_page_size(2);
  // A better match arrives between pages: it belongs to later searches.
  EXPECT_THAT(PageIds(*store_, req,
                      [&](int page) {
                        MustUpsert({zeppelins(absl::StrCat("new", page), 6)});
                      }),
              ::testing::ElementsAre("z4", "z3", "z2", "z1"));

  req.clear_page_token();
  req.set_page_size(1);
  absl::StatusOr<SearchResponse> r = store_->Search(req);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->articles_size(), 1);
  EXPECT_EQ(r->articles(0).id(), "new0");
}

// A filtered Facets request counts at most facet_max_matches matching
// articles, the most recent, and says so.
TEST_P(StoreSuite, FacetsOverManyMatchesAreEstimated) {
  facet_max_matches_ = 3;
  Reopen();
  MustUpsert({MakeArticle("a", 1, {{{"Q95", "Google"}}, {"US"}, {"cloud"}}),
              MakeArticle("b", 2, {{{"Q95", "Google"}}, {"US"}, {"cloud"}}),
              MakeArticle("c", 3, MsftFr()), MakeArticle("d", 4, MsftFr()),
              MakeArticle("e", 5, MsftFr())});
  auto facets = [&](const ArticleFilter& filter) {
    FacetsRequest req;
    *req.mutable_filter() = filter;
    absl::StatusOr<newsfeed::v1::FacetsResponse> r = store_->Facets(req);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : newsfeed::v1::FacetsResponse();
  };

  // Unfiltered: the maintained counts, exact.
  newsfeed::v1::FacetsResponse r = facets(ArticleFilter());
  EXPECT_FALSE(r.estimated());
  EXPECT_EQ(r.total(), 5);

  // Each plan: a time scan, a tag walk, a set of text matches.
  ArticleFilter by_time;
  by_time.mutable_published_after()->set_seconds(0);
  ArticleFilter by_text;
  by_text.set_text("body");
  for (const ArticleFilter& f : {by_time, by_text}) {
    r = facets(f);
    EXPECT_TRUE(r.estimated()) << f.ShortDebugString();
    EXPECT_EQ(r.total(), 3) << f.ShortDebugString();
    ASSERT_EQ(r.companies_size(), 1) << f.ShortDebugString();
    EXPECT_EQ(r.companies(0).value(), "Q2283");  // c, d, e: the newest
    EXPECT_EQ(r.companies(0).count(), 3);
  }
  ArticleFilter by_tag;
  by_tag.mutable_topics()->add_any_of("ai");
  r = facets(by_tag);
  EXPECT_FALSE(r.estimated());  // exactly 3 match
  EXPECT_EQ(r.total(), 3);
  by_tag.mutable_topics()->add_any_of("cloud");
  r = facets(by_tag);
  EXPECT_TRUE(r.estimated());
  EXPECT_EQ(r.total(), 3);
  by_tag.mutable_topics()->clear_any_of();
  by_tag.mutable_companies()->add_any_of("google");
  r = facets(by_tag);
  EXPECT_FALSE(r.estimated());
  EXPECT_EQ(r.total(), 2);
}

TEST_P(StoreSuite, PagingWhileInsertingHasNoDuplicatesOrSkips) {
  std::vector<Article> initial;
  for (int i = 0; i < 40; ++i) {
    initial.push_back(
        MakeArticle(absl::StrCat("a", i), 1000 + i % 10, MsftFr()));
  }
  MustUpsert(initial);
  for (bool tagged : {false, true}) {
    ArticleFilter f;
    if (tagged) f.mutable_companies()->add_any_of("microsoft");
    SearchRequest req;
    *req.mutable_filter() = f;
    req.set_page_size(6);
    std::vector<std::string> seen;
    int extra = 0;
    while (true) {
      absl::StatusOr<SearchResponse> r = store_->Search(req);
      ASSERT_TRUE(r.ok()) << r.status();
      for (const Article& a : r->articles()) seen.push_back(a.id());
      // Newer, older and equal-time articles arrive between pages.
      for (int64_t t : {2000, 500, 1005}) {
        MustUpsert({MakeArticle(
            absl::StrCat("new", tagged) + absl::StrCat("-", extra++), t,
            MsftFr())});
      }
      if (r->next_page_token().empty()) break;
      req.set_page_token(r->next_page_token());
    }
    std::set<std::string> unique(seen.begin(), seen.end());
    EXPECT_EQ(unique.size(), seen.size()) << "duplicates";
    for (const Article& a : initial) {
      EXPECT_TRUE(unique.count(a.id())) << "skipped " << a.id();
    }
  }
}

TEST_P(StoreSuite, InvalidArgumentsNameTheirField) {
  MustUpsert({MakeArticle("a", 100, MsftFr()), MakeArticle("b", 90, MsftFr())});
  auto expect_invalid = [&](const SearchRequest& req,
                            const std::string& field) {
    absl::StatusOr<SearchResponse> r = store_->Search(req);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << field;
    EXPECT_THAT(std::string(r.status().message()), StartsWith(field));
  };
  SearchRequest req;
  req.set_page_size(101);
  expect_invalid(req, "page_size");
  req.set_page_size(-1);
  expect_invalid(req, "page_size");
  req = SearchRequest();
  req.set_page_token("garbage!!");
  expect_invalid(req, "page_token");
  req.set_page_token("AAAA");
  expect_invalid(req, "page_token");
  req = SearchRequest();
  req.set_order(newsfeed::v1::SEARCH_ORDER_RELEVANCE);
  expect_invalid(req, "order");
  req.set_order(static_cast<newsfeed::v1::SearchOrder>(42));
  expect_invalid(req, "order");
  req = SearchRequest();
  for (int i = 0; i < 101; ++i)
    req.mutable_filter()->mutable_topics()->add_all_of("x");
  expect_invalid(req, "filter.topics.all_of");
  for (const char* bad : {"\"unterminated", "AND", "nosuchcol: x", "(a OR"}) {
    req = SearchRequest();
    req.mutable_filter()->set_text(bad);
    expect_invalid(req, "filter.text");
    absl::StatusOr<ChangeBatch> c = store_->ReadChanges(0, req.filter(), 10);
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    FacetsRequest fr;
    *fr.mutable_filter() = req.filter();
    EXPECT_EQ(store_->Facets(fr).status().code(),
              absl::StatusCode::kInvalidArgument);
  }

  // A token used with another filter.
  req = SearchRequest();
  req.set_page_size(1);
  absl::StatusOr<SearchResponse> first = store_->Search(req);
  ASSERT_TRUE(first.ok());
  ASSERT_FALSE(first->next_page_token().empty());
  req.set_page_token(first->next_page_token());
  req.mutable_filter()->mutable_companies()->add_any_of("microsoft");
  expect_invalid(req, "page_token");
  req.clear_filter();
  req.set_order(newsfeed::v1::SEARCH_ORDER_NEWEST_FIRST);  // same as default
  EXPECT_TRUE(store_->Search(req).ok());

  FacetsRequest fr;
  fr.set_limit(101);
  EXPECT_THAT(std::string(store_->Facets(fr).status().message()),
              StartsWith("limit"));
  EXPECT_EQ(store_->ReadChanges(0, ArticleFilter(), 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(StoreSuite, DefaultPageSizeIs20) {
  std::vector<Article> many;
  for (int i = 0; i < 25; ++i)
    many.push_back(MakeArticle(std::to_string(i), i, {}));
  MustUpsert(many);
  absl::StatusOr<SearchResponse> r = store_->Search(SearchRequest());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->articles_size(), 20);
  EXPECT_FALSE(r->next_page_token().empty());
}

TEST_P(StoreSuite, Facets) {
  MustUpsert(
      {MakeArticle(
           "a", 1,
           {{{"Q2283", "Microsoft"}, {"Q95", "Google"}}, {"FR"}, {"ai"}}),
       MakeArticle("b", 2,
                   {{{"Q2283", "Microsoft"}}, {"fr", "DE"}, {"ai", "cloud"}}),
       MakeArticle("c", 3, {{{"Q95", "Google"}}, {"US"}, {"cloud"}}),
       MakeArticle("d", 4, {{{"Q2283", "Microsoft"}}, {"US"}, {}})});
  FacetsRequest req;
  absl::StatusOr<newsfeed::v1::FacetsResponse> r = store_->Facets(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->total(), 4);
  ASSERT_EQ(r->companies_size(), 2);
  EXPECT_EQ(r->companies(0).value(), "Q2283");
  EXPECT_EQ(r->companies(0).label(), "Microsoft");
  EXPECT_EQ(r->companies(0).count(), 3);
  EXPECT_EQ(r->companies(1).value(), "Q95");
  EXPECT_EQ(r->companies(1).count(), 2);
  ASSERT_EQ(r->countries_size(), 3);
  EXPECT_EQ(r->countries(0).value(), "FR");
  EXPECT_EQ(r->countries(0).label(), "Country FR");
  EXPECT_EQ(r->countries(0).count(), 2);
  ASSERT_EQ(r->topics_size(), 2);

  req.mutable_filter()->mutable_companies()->add_any_of("google");
  req.set_limit(1);
  r = store_->Facets(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->total(), 2);
  ASSERT_EQ(r->companies_size(), 1);
  EXPECT_EQ(r->companies(0).value(), "Q95");
  EXPECT_EQ(r->companies(0).count(), 2);
  ASSERT_EQ(r->topics_size(), 1);
  EXPECT_EQ(r->topics(0).value(), "ai");  // ai 1, cloud 1: ties by value
  EXPECT_EQ(r->topics(0).label(), "Topic ai");

  req.mutable_filter()->set_text("nomatchword");
  r = store_->Facets(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->total(), 0);
  EXPECT_EQ(r->companies_size(), 0);
}

// Companies the tagger finds by legal form or ticker have ids
// "name:<words>" (ingest-service/tagger/data/README.md): they are searched by
// id or name and counted in facets like listed ones.
TEST_P(StoreSuite, UnlistedCompaniesAreSearchableAndFacetable) {
  MustUpsert(
      {MakeArticle(
           "a", 1,
           {{{"name:acme-holdings", "Acme Holdings"}, {"Q2283", "Microsoft"}},
            {"US"},
            {"mna"}}),
       MakeArticle("b", 2, {{{"name:acme-holdings", "Acme Holdings"}}, {}, {}}),
       MakeArticle("c", 3, MsftFr())});
  ArticleFilter f;
  f.mutable_companies()->add_any_of("name:acme-holdings");
  EXPECT_THAT(SearchAll(f), ::testing::ElementsAre("b", "a"));
  f.mutable_companies()->clear_any_of();
  f.mutable_companies()->add_any_of("acme holdings");
  EXPECT_THAT(SearchAll(f), ::testing::ElementsAre("b", "a"));
  FacetsRequest req;
  absl::StatusOr<newsfeed::v1::FacetsResponse> r = store_->Facets(req);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_GE(r->companies_size(), 1);
  bool found = false;
  for (const auto& c : r->companies()) {
    if (c.value() == "name:acme-holdings") {
      found = true;
      EXPECT_EQ(c.label(), "Acme Holdings");
      EXPECT_EQ(c.count(), 2);
    }
  }
  EXPECT_TRUE(found);
}

TEST_P(StoreSuite, FacetCountsFollowUpdatesAndRetention) {
  max_articles_ = 4;
  Reopen();
  MustUpsert(
      {MakeArticle(
           "a", 1,
           {{{"Q2283", "Microsoft"}, {"Q95", "Google"}}, {"FR"}, {"ai"}}),
       MakeArticle("b", 2, {{{"Q2283", "Microsoft"}}, {"FR", "DE"}, {"ai"}}),
       MakeArticle("c", 3, {{{"Q95", "Google"}}, {"US"}, {"cloud"}})});
  ExpectFacetCountsConsistent(*store_);
  absl::StatusOr<newsfeed::v1::FacetsResponse> r =
      store_->Facets(FacetsRequest());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->total(), 3);
  EXPECT_EQ(r->companies(0).value(), "Q2283");
  EXPECT_EQ(r->companies(0).count(), 2);

  // An update that changes the tags moves the counts; in the same batch a
  // second update of the same article wins.
  Article b2 = MakeArticle("b", 2, {{{"Q95", "Google"}}, {"US"}, {"cloud"}});
  b2.set_content_hash("b2");
  Article b3 = MakeArticle("b", 2, {{{"Q95", "Google"}}, {"JP"}, {"cloud"}});
  b3.set_content_hash("b3");
  MustUpsert({b2, b3, MakeArticle("d", 4, {{}, {"DE"}, {}})});
  ExpectFacetCountsConsistent(*store_);
  r = store_->Facets(FacetsRequest());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->total(), 4);
  EXPECT_EQ(r->companies(0).value(), "Q95");
  EXPECT_EQ(r->companies(0).count(), 3);
  EXPECT_EQ(r->companies(1).count(), 1);
  for (const auto& c : r->countries()) {
    // a and b were both tagged FR until b changed; b3 is tagged JP, not US.
    if (c.value() == "FR" || c.value() == "US") {
      EXPECT_EQ(c.count(), 1) << c.value();
    }
  }

  // A duplicate changes nothing.
  MustUpsert({b3});
  ExpectFacetCountsConsistent(*store_);

  // Retention removes the oldest: a (Microsoft's last article) and b.
  MustUpsert({MakeArticle("e", 5, {{}, {"DE"}, {"ai"}}),
              MakeArticle("f", 6, {{}, {}, {}})});
  absl::StatusOr<int64_t> removed = store_->EnforceRetention(absl::Now());
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 2);
  ExpectFacetCountsConsistent(*store_);
  r = store_->Facets(FacetsRequest());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->total(), 4);
  ASSERT_EQ(r->companies_size(), 1);
  EXPECT_EQ(r->companies(0).value(), "Q95");
  EXPECT_EQ(r->companies(0).count(), 1);

  // The counts survive a reopen (they are in the file, not in memory).
  Reopen();
  ExpectFacetCountsConsistent(*store_);
  EXPECT_EQ(store_->Facets(FacetsRequest())->total(), 4);
}

TEST_P(StoreSuite, ReadChanges) {
  MustUpsert({MakeArticle("a", 100, MsftFr(), "alpha"),
              MakeArticle("b", 50, {}, "beta"),
              MakeArticle("c", 10, MsftFr(), "gamma")});
  absl::StatusOr<ChangeBatch> all = store_->ReadChanges(0, ArticleFilter(), 10);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->articles.size(), 3u);
  EXPECT_EQ(all->articles[0].sequence(), 1u);
  EXPECT_EQ(all->articles[2].sequence(), 3u);
  EXPECT_EQ(all->scanned_through, 3u);

  absl::StatusOr<ChangeBatch> limited =
      store_->ReadChanges(0, ArticleFilter(), 2);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(limited->articles.size(), 2u);
  EXPECT_EQ(limited->scanned_through, 2u);

  ArticleFilter msft;
  msft.mutable_companies()->add_any_of("microsoft");
  absl::StatusOr<ChangeBatch> tagged = store_->ReadChanges(1, msft, 10);
  ASSERT_TRUE(tagged.ok());
  ASSERT_EQ(tagged->articles.size(), 1u);
  EXPECT_EQ(tagged->articles[0].id(), "c");
  EXPECT_EQ(tagged->scanned_through, 3u);

  ArticleFilter text;
  text.set_text("beta");
  absl::StatusOr<ChangeBatch> t = store_->ReadChanges(0, text, 10);
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->articles.size(), 1u);
  EXPECT_EQ(t->articles[0].id(), "b");

  // An update moves the article to the end of the log.
  Article a2 = MakeArticle("a", 100, MsftFr(), "alpha two");
  a2.set_content_hash("a2");
  MustUpsert({a2});
  absl::StatusOr<ChangeBatch> after =
      store_->ReadChanges(3, ArticleFilter(), 10);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->articles.size(), 1u);
  EXPECT_EQ(after->articles[0].id(), "a");
  EXPECT_EQ(after->articles[0].sequence(), 4u);
  absl::StatusOr<ChangeBatch> none =
      store_->ReadChanges(4, ArticleFilter(), 10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->articles.empty());
  EXPECT_EQ(none->scanned_through, 4u);
}

TEST_P(StoreSuite, RetentionByAgeRemovesEverywhereAndReportsGap) {
  max_age_ = absl::Seconds(100);
  Reopen();
  std::vector<Article> batch;
  for (int i = 0; i < 600; ++i) {
    batch.push_back(
        MakeArticle(absl::StrCat("old", i), 1000 + i, MsftFr(), "ancient"));
  }
  batch.push_back(MakeArticle("fresh", 5000, MsftFr(), "recent"));
  MustUpsert(batch);
  absl::StatusOr<int64_t> removed =
      store_->EnforceRetention(absl::FromUnixSeconds(5050));
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 600);
  EXPECT_THAT(SearchAll(ArticleFilter()), ::testing::ElementsAre("fresh"));
  ArticleFilter text;
  text.set_text("ancient");
  EXPECT_TRUE(SearchAll(text).empty());
  ArticleFilter msft;
  msft.mutable_companies()->add_any_of("microsoft");
  EXPECT_THAT(SearchAll(msft), ::testing::ElementsAre("fresh"));
  FacetsRequest fr;
  EXPECT_EQ(store_->Facets(fr)->companies(0).count(), 1);
  EXPECT_EQ(store_->Get("old1").status().code(), absl::StatusCode::kNotFound);

  absl::StatusOr<ChangeBatch> gap =
      store_->ReadChanges(10, ArticleFilter(), 10);
  EXPECT_EQ(gap.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(std::string(gap.status().message()),
              HasSubstr("after_sequence=600"));
  absl::StatusOr<ChangeBatch> resumed =
      store_->ReadChanges(600, ArticleFilter(), 10);
  ASSERT_TRUE(resumed.ok());
  ASSERT_EQ(resumed->articles.size(), 1u);
  EXPECT_EQ(resumed->articles[0].id(), "fresh");
  EXPECT_EQ(*store_->EnforceRetention(absl::FromUnixSeconds(5050)), 0);
}

TEST_P(StoreSuite, RetentionByCount) {
  max_articles_ = 3;
  Reopen();
  std::vector<Article> batch;
  for (int i = 0; i < 10; ++i) {
    batch.push_back(MakeArticle(std::to_string(i), 100 - i, {}));
  }
  MustUpsert(batch);
  absl::StatusOr<int64_t> removed = store_->EnforceRetention(absl::Now());
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 7);
  EXPECT_THAT(SearchAll(ArticleFilter()),
              ::testing::ElementsAre("0", "1", "2"));
  EXPECT_EQ(store_->Facets(FacetsRequest())->total(), 3);
  // Newest kept articles are the earliest sequences: removed sequences 4..10.
  EXPECT_EQ(store_->ReadChanges(3, ArticleFilter(), 10).status().code(),
            absl::StatusCode::kOutOfRange);
  MustUpsert({MakeArticle("x", 200, {})});
  EXPECT_EQ(*store_->EnforceRetention(absl::Now()), 1);
}

TEST_P(StoreSuite, ConcurrentWriterAndReaders) {
  constexpr int kBatches = 40;
  constexpr int kPerBatch = 25;
  std::atomic<bool> done{false};
  std::atomic<int> read_errors{0};
  std::atomic<int> reads{0};
  std::thread writer([&] {
    for (int b = 0; b < kBatches; ++b) {
      std::vector<Article> batch;
      for (int i = 0; i < kPerBatch; ++i) {
        batch.push_back(MakeArticle(absl::StrCat("w", b * kPerBatch + i),
                                    b * kPerBatch + i, MsftFr(), "concurrent"));
      }
      absl::StatusOr<UpsertResult> r = store_->Upsert(batch);
      EXPECT_TRUE(r.ok()) << r.status();
    }
    done = true;
  });
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&, t] {
      uint64_t position = 0;
      while (!done) {
        ArticleFilter f;
        if (t % 2) f.mutable_companies()->add_any_of("microsoft");
        if (t == 3) f.set_text("concurrent");
        SearchRequest req;
        *req.mutable_filter() = f;
        if (!store_->Search(req).ok()) ++read_errors;
        absl::StatusOr<ChangeBatch> c = store_->ReadChanges(position, f, 50);
        if (!c.ok()) {
          ++read_errors;
          continue;
        }
        uint64_t prev = position;
        for (const Article& a : c->articles) {
          if (a.sequence() <= prev) ++read_errors;
          prev = a.sequence();
        }
        position = c->scanned_through;
        if (!store_->Facets(FacetsRequest()).ok()) ++read_errors;
        ++reads;
      }
      // Catch up: every change seen exactly once, in order.
      absl::StatusOr<ChangeBatch> rest =
          store_->ReadChanges(position, ArticleFilter(), 100000);
      ASSERT_TRUE(rest.ok());
      EXPECT_EQ(rest->scanned_through,
                static_cast<uint64_t>(kBatches * kPerBatch));
    });
  }
  writer.join();
  for (std::thread& r : readers) r.join();
  EXPECT_EQ(read_errors.load(), 0);
  EXPECT_EQ(*store_->LatestSequence(),
            static_cast<uint64_t>(kBatches * kPerBatch));
}

INSTANTIATE_TEST_SUITE_P(Engines, StoreSuite,
                         ::testing::Values(Engine{"Sqlite", false},
                                           Engine{"Postgres", true}),
                         [](const ::testing::TestParamInfo<Engine>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace newsfeed::query
