// Copyright newsfeed authors.
#include "query-service/store/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "query-service/store/store_test_util.h"

namespace newsfeed::query {
namespace {

using newsfeed::v1::Article;
using newsfeed::v1::ArticleFilter;
using newsfeed::v1::FacetsRequest;
using newsfeed::v1::SearchRequest;
using newsfeed::v1::SearchResponse;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    store_.reset();
    StoreOptions options;
    options.data_dir = dir_.path();
    options.retention_max_age = max_age_;
    options.retention_max_articles = max_articles_;
    absl::StatusOr<std::unique_ptr<SqliteStore>> store =
        SqliteStore::Open(options);
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
    std::vector<std::string> ids;
    SearchRequest req;
    *req.mutable_filter() = filter;
    req.set_page_size(page_size);
    for (int pages = 0; pages < 10000; ++pages) {
      absl::StatusOr<SearchResponse> r = store_->Search(req);
      EXPECT_TRUE(r.ok()) << r.status();
      if (!r.ok()) break;
      for (const Article& a : r->articles()) ids.push_back(a.id());
      if (r->next_page_token().empty()) break;
      req.set_page_token(r->next_page_token());
    }
    return ids;
  }

  TempDir dir_;
  absl::Duration max_age_ = absl::ZeroDuration();
  int64_t max_articles_ = 0;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(StoreTest, OpenRejectsBadOptions) {
  StoreOptions options;
  EXPECT_EQ(SqliteStore::Open(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.data_dir = dir_.path() + "/missing/dir";
  EXPECT_FALSE(SqliteStore::Open(options).ok());
}

TEST_F(StoreTest, DataSurvivesReopen) {
  MustUpsert({MakeArticle("a", 100, MsftFr())});
  Reopen();
  absl::StatusOr<Article> a = store_->Get("a");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->sequence(), 1u);
  EXPECT_EQ(*store_->LatestSequence(), 1u);
  EXPECT_EQ(SqliteStore::CurrentSchemaVersion(), 2);
}

TEST_F(StoreTest, MigratesVersion1Database) {
  // A version 1 database is a version 2 one without tag_counts: build one
  // the current code's way, then take it back to version 1.
  MustUpsert(
      {MakeArticle(
           "a", 1,
           {{{"Q2283", "Microsoft"}, {"Q95", "Google"}}, {"FR"}, {"ai"}}),
       MakeArticle("b", 2, {{{"Q2283", "Microsoft"}}, {"FR", "DE"}, {"ai"}})});
  store_.reset();
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_.path() + "/articles.db").c_str(), &db),
              SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, "DROP TABLE tag_counts; PRAGMA user_version=1;",
                           nullptr, nullptr, &err),
              SQLITE_OK)
        << (err != nullptr ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  }
  Reopen();
  ExpectFacetCountsConsistent(*store_);
  absl::StatusOr<newsfeed::v1::FacetsResponse> r =
      store_->Facets(FacetsRequest());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->total(), 2);
  ASSERT_EQ(r->companies_size(), 2);
  EXPECT_EQ(r->companies(0).value(), "Q2283");
  EXPECT_EQ(r->companies(0).label(), "Microsoft");
  EXPECT_EQ(r->companies(0).count(), 2);
  ASSERT_EQ(r->countries_size(), 2);
  EXPECT_EQ(r->countries(0).value(), "FR");
  EXPECT_EQ(r->countries(0).count(), 2);

  // Writes after the migration keep the migrated counts up to date.
  MustUpsert({MakeArticle("c", 3, {{{"Q95", "Google"}}, {"US"}, {}})});
  ExpectFacetCountsConsistent(*store_);
  EXPECT_EQ(store_->Facets(FacetsRequest())->companies(1).count(), 2);
  EXPECT_EQ(*store_->LatestSequence(), 3u);
}

TEST_F(StoreTest, RefusesNewerSchema) {
  store_.reset();
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_.path() + "/articles.db").c_str(), &db),
              SQLITE_OK);
    const std::string sql = absl::StrCat(
        "PRAGMA user_version=", SqliteStore::CurrentSchemaVersion() + 1);
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  StoreOptions options;
  options.data_dir = dir_.path();
  EXPECT_EQ(SqliteStore::Open(options).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace newsfeed::query
