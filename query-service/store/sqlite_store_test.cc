// Copyright newsfeed authors.
#include "query-service/store/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "query-service/store/store_internal.h"
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
    options.checkpoint_pages = checkpoint_pages_;
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

  // Closes the store, runs `sql` on its database file, and reopens it.
  void ExecWhileClosed(const char* sql) {
    store_.reset();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_.path() + "/articles.db").c_str(), &db),
              SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &err), SQLITE_OK)
        << (err != nullptr ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
    Reopen();
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
  absl::Duration max_age_ = absl::ZeroDuration();
  int64_t max_articles_ = 0;
  int checkpoint_pages_ = 8192;
  std::unique_ptr<SqliteStore> store_;
};

// Stored rows keep the fingerprints computed when they were written, so the
// fingerprint must stay the hash of an Article holding only content_hash and
// the tags, however it is computed.
TEST(ArticleFingerprintTest, IsTheHashOfTheTagsAndContentHashOnly) {
  Article a = MakeArticle("fp", 1700000000,
                          {{{"Q2283", "Microsoft"}, {"Q3884", "Amazon"}},
                           {"FR", "DE"},
                           {"ai", "cloud"}});
  newsfeed::v1::MoneyAmount* amount = a.add_amounts();
  amount->set_currency("EUR");
  amount->set_value(4e9);
  amount->set_text("€4 billion");
  Article only_tags;
  only_tags.set_content_hash(a.content_hash());
  *only_tags.mutable_companies() = a.companies();
  *only_tags.mutable_countries() = a.countries();
  *only_tags.mutable_topics() = a.topics();
  *only_tags.mutable_amounts() = a.amounts();
  EXPECT_EQ(
      internal::ArticleFingerprint(a),
      static_cast<int64_t>(internal::Fnv1a(only_tags.SerializeAsString())));

  Article retitled = a;
  retitled.set_title("Another title");
  retitled.set_sequence(42);
  EXPECT_EQ(internal::ArticleFingerprint(retitled),
            internal::ArticleFingerprint(a));
  Article retagged = a;
  retagged.mutable_countries(1)->set_code("AE");
  EXPECT_NE(internal::ArticleFingerprint(retagged),
            internal::ArticleFingerprint(a));
}

TEST_F(StoreTest, OpenRejectsBadOptions) {
  StoreOptions options;
  EXPECT_EQ(SqliteStore::Open(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.data_dir = dir_.path() + "/missing/dir";
  EXPECT_FALSE(SqliteStore::Open(options).ok());
  options.data_dir = dir_.path();
  options.checkpoint_pages = 0;
  EXPECT_EQ(SqliteStore::Open(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Commits that follow each other still get checkpointed (by the
// checkpointer's thread, or by the writer once the WAL reaches twice the
// trigger), so the WAL file stays small: about 1.6 MB here, where without
// checkpoints these commits grow it to about 39 MB.
TEST_F(StoreTest, CheckpointsKeepTheWalSmall) {
  checkpoint_pages_ = 4;
  Reopen();
  const std::string body(3000, 'w');
  for (int commit = 0; commit < 300; ++commit) {
    std::vector<Article> batch;
    for (int i = 0; i < 3; ++i) {
      Article a = MakeArticle(absl::StrCat("wal-", commit, "-", i),
                              1700000000 + commit, MsftFr());
      a.set_content_text(body);
      batch.push_back(std::move(a));
    }
    MustUpsert(batch);
  }
  EXPECT_EQ(SearchAll(ArticleFilter(), 100).size(), 900u);
  const std::uintmax_t wal_bytes =
      std::filesystem::file_size(dir_.path() + "/articles.db-wal");
  EXPECT_LT(wal_bytes, 10u * 1024 * 1024);
}

TEST_F(StoreTest, DataSurvivesReopen) {
  MustUpsert({MakeArticle("a", 100, MsftFr())});
  Reopen();
  absl::StatusOr<Article> a = store_->Get("a");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->sequence(), 1u);
  EXPECT_EQ(*store_->LatestSequence(), 1u);
  EXPECT_EQ(SqliteStore::CurrentSchemaVersion(), 3);
}

TEST_F(StoreTest, MigratesVersion1Database) {
  // A version 1 database is a version 3 one without tag_counts and
  // pk_blocks: build one the current code's way, then take it back.
  MustUpsert(
      {MakeArticle(
           "a", 1,
           {{{"Q2283", "Microsoft"}, {"Q95", "Google"}}, {"FR"}, {"ai"}}),
       MakeArticle("b", 2, {{{"Q2283", "Microsoft"}}, {"FR", "DE"}, {"ai"}})});
  ExecWhileClosed(
      "DROP TABLE tag_counts; DROP TABLE pk_blocks; PRAGMA user_version=1;");
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

TEST_F(StoreTest, MigratesVersion2Database) {
  // Version 2 lacks pk_blocks, which text searches walk: the migration must
  // bound every stored article's block, or text searches would miss it.
  MustUpsert({MakeArticle("a", 100, MsftFr()), MakeArticle("b", 200, MsftFr()),
              MakeArticle("c", 300, MsftFr())});
  ExecWhileClosed("DROP TABLE pk_blocks; PRAGMA user_version=2;");
  SearchRequest req;
  req.mutable_filter()->set_text("summary");
  absl::StatusOr<SearchResponse> r = store_->Search(req);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->articles_size(), 3);
  EXPECT_EQ(r->articles(0).id(), "c");
  EXPECT_EQ(r->articles(2).id(), "a");
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
