// Copyright newsfeed authors.
#include "query-service/store/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "query-service/store/article_blob.h"
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
    options.dictionary_train_articles = dictionary_train_articles_;
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
  void ExecWhileClosed(const std::string& sql) {
    store_.reset();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(DbPath().c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
        << (err != nullptr ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
    Reopen();
  }

  std::string DbPath() const { return dir_.path() + "/articles.db"; }

  // The integer `sql` returns, read through a connection of the test's own
  // (the store may be open: WAL lets both read).
  int64_t QueryCount(const std::string& sql) {
    sqlite3* db = nullptr;
    int64_t n = -1;
    EXPECT_EQ(
        sqlite3_open_v2(DbPath().c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
        SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    if (sqlite3_step(stmt) == SQLITE_ROW) n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return n;
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
  int64_t dictionary_train_articles_ = 1000;
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
  options.checkpoint_pages = 8192;
  options.dictionary_train_articles = -1;
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
  EXPECT_EQ(SqliteStore::CurrentSchemaVersion(), 4);
}

// What a database written before schema v4 lacks (its records, bare
// protos, are still readable: MigratesVersion3Database).
constexpr char kUndoVersion4[] =
    "DROP TABLE dictionaries; "
    "DELETE FROM meta WHERE key = 'dictionary_articles'; ";

TEST_F(StoreTest, MigratesVersion1Database) {
  // A version 1 database is a version 3 one without tag_counts and
  // pk_blocks: build one the current code's way, then take it back.
  MustUpsert(
      {MakeArticle(
           "a", 1,
           {{{"Q2283", "Microsoft"}, {"Q95", "Google"}}, {"FR"}, {"ai"}}),
       MakeArticle("b", 2, {{{"Q2283", "Microsoft"}}, {"FR", "DE"}, {"ai"}})});
  ExecWhileClosed(absl::StrCat(
      kUndoVersion4,
      "DROP TABLE tag_counts; DROP TABLE pk_blocks; PRAGMA user_version=1;"));
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
  ExecWhileClosed(absl::StrCat(kUndoVersion4,
                               "DROP TABLE pk_blocks; PRAGMA user_version=2;"));
  SearchRequest req;
  req.mutable_filter()->set_text("summary");
  absl::StatusOr<SearchResponse> r = store_->Search(req);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->articles_size(), 3);
  EXPECT_EQ(r->articles(0).id(), "c");
  EXPECT_EQ(r->articles(2).id(), "a");
}

// Version 3 stored each article as its bare serialized proto, with feed_id,
// feed_url, language and content_hash filled in. After the migration every
// such article still reads, searches and streams, and changing one removes
// its old text (read from the old record) from the index.
TEST_F(StoreTest, MigratesVersion3Database) {
  const Tags google_us = {{{"Q95", "Google"}}, {"US"}, {"cloud"}};
  std::vector<Article> written;
  for (int i = 0; i < 30; ++i) {
    Article a = MakeArticle(absl::StrCat("v3-", i), 1700000000 + i * 60,
                            i % 2 == 0 ? google_us : MsftFr());
    a.set_content_text(absl::StrCat("a body with marker", i, " in it"));
    written.push_back(std::move(a));
  }
  MustUpsert(written);
  std::vector<Article> stored;  // with their sequences
  for (const Article& a : written) {
    absl::StatusOr<Article> got = store_->Get(a.id());
    ASSERT_TRUE(got.ok()) << got.status();
    stored.push_back(*std::move(got));
  }
  // Put the rows back in the version 3 format.
  store_.reset();
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(DbPath().c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "UPDATE articles SET proto = ?, feed_id = ?, "
                                 "feed_url = ?, language = ?, content_hash = ? "
                                 "WHERE id = ?",
                                 -1, &st, nullptr),
              SQLITE_OK);
    for (const Article& a : stored) {
      const std::string proto = a.SerializeAsString();
      sqlite3_bind_blob(st, 1, proto.data(), static_cast<int>(proto.size()),
                        SQLITE_TRANSIENT);
      int column = 2;
      for (const std::string* text :
           {&a.feed_id(), &a.feed_url(), &a.language(), &a.content_hash(),
            &a.id()}) {
        sqlite3_bind_text(st, column++, text->c_str(), -1, SQLITE_TRANSIENT);
      }
      EXPECT_EQ(sqlite3_step(st), SQLITE_DONE);
      EXPECT_EQ(sqlite3_changes(db), 1);
      sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    const std::string undo =
        absl::StrCat(kUndoVersion4, "PRAGMA user_version=3;");
    ASSERT_EQ(sqlite3_exec(db, undo.c_str(), nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  Reopen();
  EXPECT_EQ(QueryCount("PRAGMA user_version"), 4);
  EXPECT_EQ(QueryCount("SELECT count(*) FROM articles WHERE feed_id <> ''"),
            30);

  for (size_t i = 0; i < stored.size(); ++i) {
    absl::StatusOr<Article> got = store_->Get(stored[i].id());
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->SerializeAsString(), stored[i].SerializeAsString());
    ArticleFilter by_word;
    by_word.set_text(absl::StrCat("marker", i));
    EXPECT_THAT(SearchAll(by_word), ::testing::ElementsAre(stored[i].id()));
  }
  ArticleFilter google;
  google.mutable_companies()->add_any_of("Q95");
  EXPECT_EQ(SearchAll(google, 7).size(), 15u);
  absl::StatusOr<ChangeBatch> changes =
      store_->ReadChanges(0, ArticleFilter(), 100);
  ASSERT_TRUE(changes.ok()) << changes.status();
  ASSERT_EQ(changes->articles.size(), 30u);
  EXPECT_EQ(changes->articles[29].SerializeAsString(),
            stored[29].SerializeAsString());

  Article changed = written[3];
  changed.set_content_hash("hash-changed");
  changed.set_content_text("a rewritten body");
  EXPECT_EQ(MustUpsert({changed}).updated, 1);
  ArticleFilter old_word;
  old_word.set_text("marker3");
  EXPECT_TRUE(SearchAll(old_word).empty());
  ArticleFilter new_word;
  new_word.set_text("rewritten");
  EXPECT_THAT(SearchAll(new_word), ::testing::ElementsAre("v3-3"));
  // The rewritten row is in the new format.
  EXPECT_EQ(QueryCount("SELECT count(*) FROM articles WHERE "
                       "substr(proto, 1, 1) = x'01' AND feed_id = ''"),
            1);
  ExpectFacetCountsConsistent(*store_);
}

// Once the store holds dictionary_train_articles, a dictionary is trained
// and the records after it use it; records of both kinds read back, also
// after a reopen (the dictionary is loaded from the file), and an update
// reads the record it replaces.
TEST_F(StoreTest, TrainsARecordDictionaryAndReadsEveryRecord) {
  dictionary_train_articles_ = 200;
  Reopen();
  std::mt19937 rng(7);
  auto text = [&](int words) {
    std::string out;
    for (int w = 0; w < words; ++w) {
      absl::StrAppend(&out, w == 0 ? "" : " ", "word", rng() % 400);
    }
    return out;
  };
  std::vector<Article> all;
  for (int i = 0; i < 600; ++i) {
    Article a =
        MakeArticle(absl::StrCat("d-", i), 1700000000 + i, MsftFr(), text(10));
    a.set_content_text(absl::StrCat(text(120), " unique", i));
    all.push_back(std::move(a));
  }
  for (size_t start = 0; start < all.size(); start += 100) {
    MustUpsert(
        std::vector<Article>(all.begin() + start, all.begin() + start + 100));
  }
  // Trained once, after the batch that reached 200 (the next at 2,000):
  // 200 records without a dictionary (0x01 0x00), 400 with dictionary 1.
  EXPECT_EQ(QueryCount("SELECT count(*) FROM dictionaries"), 1);
  EXPECT_EQ(QueryCount("SELECT count(*) FROM articles WHERE "
                       "substr(proto, 1, 2) = x'0100'"),
            200);
  EXPECT_EQ(QueryCount("SELECT count(*) FROM articles WHERE "
                       "substr(proto, 1, 2) = x'0101'"),
            400);
  EXPECT_EQ(QueryCount("SELECT value FROM meta WHERE "
                       "key = 'dictionary_articles'"),
            200);

  Reopen();
  for (const Article& a : all) {
    absl::StatusOr<Article> got = store_->Get(a.id());
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->content_text(), a.content_text());
  }
  for (int i : {0, 199, 200, 599}) {
    ArticleFilter f;
    f.set_text(absl::StrCat("unique", i));
    EXPECT_THAT(SearchAll(f), ::testing::ElementsAre(absl::StrCat("d-", i)));
  }
  std::vector<Article> changed = {all[5], all[500]};
  for (Article& a : changed) {
    a.set_content_hash("hash-changed");
    a.set_content_text("changed");
  }
  EXPECT_EQ(MustUpsert(changed).updated, 2);
  ArticleFilter old_word;
  old_word.set_text("unique5 OR unique500");
  EXPECT_TRUE(SearchAll(old_word).empty());
  absl::StatusOr<ChangeBatch> changes =
      store_->ReadChanges(0, ArticleFilter(), 1000);
  ASSERT_TRUE(changes.ok()) << changes.status();
  EXPECT_EQ(changes->articles.size(), 600u);
  ExpectFacetCountsConsistent(*store_);
}

TEST(ArticleBlobTest, RoundTripsWithAndWithoutDictionary) {
  std::vector<std::string> samples;
  std::vector<Article> articles;
  for (int i = 0; i < 200; ++i) {
    Article a = MakeArticle(absl::StrCat("blob-", i), 1700000000 + i, MsftFr(),
                            absl::StrCat("title number ", i));
    a.set_content_text(absl::StrCat("the body of article ", i,
                                    " says what the others say, ", i % 7));
    samples.push_back(a.SerializeAsString());
    articles.push_back(std::move(a));
  }
  absl::StatusOr<std::string> dictionary =
      internal::TrainArticleDictionary(samples, 8 << 10);
  ASSERT_TRUE(dictionary.ok()) << dictionary.status();
  absl::StatusOr<std::unique_ptr<internal::ArticleBlobEncoder>> plain =
      internal::ArticleBlobEncoder::Create(0, "");
  ASSERT_TRUE(plain.ok()) << plain.status();
  absl::StatusOr<std::unique_ptr<internal::ArticleBlobEncoder>> trained =
      internal::ArticleBlobEncoder::Create(7, *dictionary);
  ASSERT_TRUE(trained.ok()) << trained.status();
  EXPECT_EQ(internal::ArticleBlobEncoder::Create(0, "x").status().code(),
            absl::StatusCode::kInvalidArgument);

  internal::ArticleBlobDecoder decoder;
  int loads = 0;
  auto load = [&](int64_t id) -> absl::StatusOr<std::string> {
    ++loads;
    if (id != 7) return absl::NotFoundError(absl::StrCat("no ", id));
    return *dictionary;
  };
  std::string record;
  size_t plain_bytes = 0, trained_bytes = 0;
  for (const Article& a : articles) {
    const std::string proto = a.SerializeAsString();
    // Records written before v4: the bare proto.
    size_t legacy_bytes = 0;
    absl::StatusOr<Article> legacy = decoder.Decode(proto, load, &legacy_bytes);
    ASSERT_TRUE(legacy.ok()) << legacy.status();
    EXPECT_EQ(legacy->SerializeAsString(), proto);
    EXPECT_EQ(legacy_bytes, proto.size());
    for (internal::ArticleBlobEncoder* encoder :
         {plain->get(), trained->get()}) {
      ASSERT_TRUE(encoder->Encode(proto, &record).ok());
      EXPECT_EQ(record[0], '\x01');
      (encoder == plain->get() ? plain_bytes : trained_bytes) += record.size();
      size_t bytes = 0;
      absl::StatusOr<Article> back = decoder.Decode(record, load, &bytes);
      EXPECT_EQ(bytes, proto.size());
      ASSERT_TRUE(back.ok()) << back.status();
      EXPECT_EQ(back->SerializeAsString(), proto);
    }
  }
  EXPECT_EQ(loads, 1);  // loaded once, then cached
  EXPECT_LT(trained_bytes, plain_bytes);

  // A record naming an unknown dictionary gets the loader's error; a
  // damaged one does not decode.
  ASSERT_TRUE((*trained)->Encode(samples[0], &record).ok());
  std::string unknown = record;
  unknown[1] = 9;
  EXPECT_EQ(decoder.Decode(unknown, load).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(
      decoder.Decode(record.substr(0, record.size() / 2), load).status().code(),
      absl::StatusCode::kInternal);
  EXPECT_EQ(decoder.Decode(std::string("\x01"), load).status().code(),
            absl::StatusCode::kInternal);
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
