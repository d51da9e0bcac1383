// Copyright newsfeed authors.
//
// PgStore-only behaviour: concurrent schema creation, several writers (store
// instances standing for replicas) on one database, commit notifications,
// and surviving lost connections. The engine-independent contract is in
// store_suite_test.cc.
#include "query-service/store/pg_store.h"

#include <atomic>
#include <map>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/testing/test_postgres.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "query-service/store/pg_text_query.h"
#include "query-service/store/store_test_util.h"

namespace newsfeed::query {
namespace {

using newsfeed::testing::TestPostgres;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dsn = TestPostgres::CreateDatabase();
    ASSERT_TRUE(dsn.ok()) << dsn.status();
    dsn_ = *dsn;
  }

  std::unique_ptr<PgStore> MustOpen(int pool_size = 4) {
    StoreOptions options;
    options.postgres_url = dsn_;
    options.postgres_pool_size = pool_size;
    absl::StatusOr<std::unique_ptr<PgStore>> store = PgStore::Open(options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // Runs `sql` with one text parameter, the database name, on the server's
  // admin database.
  void Admin(const std::string& sql) {
    absl::StatusOr<std::string> admin = TestPostgres::AdminConnectionString();
    ASSERT_TRUE(admin.ok()) << admin.status();
    pqxx::connection conn(*admin);
    pqxx::nontransaction tx(conn);
    tx.exec_params(sql, DatabaseName());
  }

  std::string DatabaseName() const {
    return dsn_.substr(dsn_.rfind("dbname=") + 7);
  }

  // Ends every connection to this test's database, waiting until each
  // backend has exited.
  void TerminateBackends() {
    Admin(
        "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
        "WHERE datname = $1::text");
  }

  std::string dsn_;
};

TEST(PgTextQueryTest, TranslatesFts5Syntax) {
  using internal::FtsToTsquery;
  EXPECT_EQ(*FtsToTsquery("quantum"), "'quantum'");
  EXPECT_EQ(*FtsToTsquery("QUANTUM cloud"), "('QUANTUM' & 'cloud')");
  EXPECT_EQ(*FtsToTsquery("a OR b c"), "('a' | ('b' & 'c'))");
  EXPECT_EQ(*FtsToTsquery("a NOT b"), "('a' & !'b')");
  EXPECT_EQ(*FtsToTsquery("\"computing leap\""), "'computing leap'");
  EXPECT_EQ(*FtsToTsquery("comput*"), "'comput':*");
  EXPECT_EQ(*FtsToTsquery("title: x"), "'x':A");
  EXPECT_EQ(*FtsToTsquery("{title summary}: x*"), "'x':*AB");
  EXPECT_EQ(*FtsToTsquery("-title: x"), "'x':BC");
  EXPECT_EQ(*FtsToTsquery("NEAR(a b, 3)"), "('a' & 'b')");
  EXPECT_EQ(*FtsToTsquery("\"it's\" + \"a\\b\""), "'it''s a\\\\b'");
  EXPECT_EQ(*FtsToTsquery("(a OR b) AND c"), "(('a' | 'b') & 'c')");
  for (const char* bad : {"\"unterminated", "AND", "nosuchcol: x", "(a OR",
                          "a OR", "a)", "a ="}) {
    absl::StatusOr<std::string> q = FtsToTsquery(bad);
    EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(q.status().message()), StartsWith("filter.text: "))
        << bad;
  }
  EXPECT_THAT(std::string(FtsToTsquery("nosuchcol: x").status().message()),
              HasSubstr("no such column: nosuchcol"));
}

TEST_F(PgStoreTest, OpenRejectsBadOptions) {
  StoreOptions options;
  EXPECT_EQ(PgStore::Open(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.postgres_url = dsn_;
  options.postgres_pool_size = 0;
  EXPECT_EQ(PgStore::Open(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.postgres_pool_size = 1;
  options.postgres_url = "host=/nonexistent/socket/dir dbname=nothing";
  absl::Status s = PgStore::Open(options).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("connect"));
}

// query-service may start before its database exists or its server
// accepts connections (compose starts them together): Open waits.
TEST_F(PgStoreTest, OpenWaitsForTheDatabaseToAppear) {
  absl::StatusOr<std::string> admin =
      newsfeed::testing::TestPostgres::AdminConnectionString();
  ASSERT_TRUE(admin.ok()) << admin.status();
  static int run = 0;  // a new name on every run (--gtest_repeat)
  const std::string name = absl::StrCat("appears_later_", ++run);
  StoreOptions options;
  // In a libpq connection string the last dbname wins.
  options.postgres_url = absl::StrCat(*admin, " dbname=", name);
  options.postgres_connect_timeout = absl::Minutes(5);
  absl::Status opened;
  std::thread opener([&] { opened = PgStore::Open(options).status(); });
  {
    pqxx::connection conn(*admin);
    pqxx::nontransaction tx(conn);
    tx.exec(absl::StrCat("CREATE DATABASE ", name));
  }
  opener.join();
  EXPECT_TRUE(opened.ok()) << opened;

  options.postgres_url = *admin + " dbname=never_created";
  options.postgres_connect_timeout = absl::Milliseconds(300);
  absl::Status s = PgStore::Open(options).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("gave up after"));
}

TEST_F(PgStoreTest, SchemaOpenedConcurrently) {
  constexpr int kOpeners = 4;
  std::vector<std::unique_ptr<PgStore>> stores(kOpeners);
  std::vector<std::thread> threads;
  for (int i = 0; i < kOpeners; ++i) {
    threads.emplace_back([&, i] { stores[i] = MustOpen(); });
  }
  for (std::thread& t : threads) t.join();
  for (const auto& store : stores) ASSERT_NE(store, nullptr);
  absl::StatusOr<UpsertResult> r =
      stores[0]->Upsert({MakeArticle("a", 1, MsftFr())});
  ASSERT_TRUE(r.ok()) << r.status();
  absl::StatusOr<Article> got = stores[kOpeners - 1]->Get("a");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->sequence(), 1u);
  EXPECT_EQ(PgStore::CurrentSchemaVersion(), 2);
}

TEST_F(PgStoreTest, RefusesNewerSchema) {
  ASSERT_NE(MustOpen(), nullptr);
  {
    pqxx::connection conn(dsn_);
    pqxx::nontransaction tx(conn);
    tx.exec_params("UPDATE schema_version SET version = $1::integer",
                   PgStore::CurrentSchemaVersion() + 1);
  }
  StoreOptions options;
  options.postgres_url = dsn_;
  EXPECT_EQ(PgStore::Open(options).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// Rows written by schema version 1 have text vectors without accent folding;
// the migration to version 2 recomputes them from the stored protos.
TEST_F(PgStoreTest, MigrationToVersion2FoldsAccentsOfStoredRows) {
  {
    std::unique_ptr<PgStore> store = MustOpen();
    std::vector<Article> batch;
    for (int i = 0; i < 1500; ++i) {  // more than one reindex batch
      batch.push_back(MakeArticle(absl::StrCat("filler-", i), i + 1, {},
                                  absl::StrCat("Filler story ", i)));
    }
    batch.push_back(MakeArticle("accented", 5000, {}, "Nestlé buys a lab"));
    ASSERT_TRUE(store->Upsert(batch).ok());
  }
  {
    // What version 1 stored: unfolded text, schema at version 1.
    pqxx::connection conn(dsn_);
    pqxx::nontransaction tx(conn);
    tx.exec(
        "UPDATE articles SET tsv = to_tsvector('simple', 'nestlé buys a lab') "
        "WHERE id = 'accented'");
    tx.exec(
        "UPDATE articles SET tsv = to_tsvector('simple', 'stale') "
        "WHERE id <> 'accented'");
    tx.exec("UPDATE schema_version SET version = 1");
  }
  std::unique_ptr<PgStore> store = MustOpen();
  SearchRequest req;
  req.mutable_filter()->set_text("nestle");
  absl::StatusOr<SearchResponse> r = store->Search(req);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->articles_size(), 1);
  EXPECT_EQ(r->articles(0).id(), "accented");
  req.mutable_filter()->set_text("filler");
  req.set_page_size(1);
  r = store->Search(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->articles_size(), 1);  // the other rows were recomputed too
  req.mutable_filter()->set_text("stale");
  r = store->Search(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->articles_size(), 0);
}

// Two store instances (two replicas) write from several threads while a
// reader follows the change log: every article gets a unique sequence, the
// sequences have no gaps, and the reader, moving on from each
// scanned_through, sees every article exactly once: no commit ever appears
// behind a position a reader has already passed.
TEST_F(PgStoreTest, ConcurrentWritersFromTwoInstancesKeepCommitOrder) {
  std::unique_ptr<PgStore> a = MustOpen();
  std::unique_ptr<PgStore> b = MustOpen();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  constexpr int kWriters = 4;
  constexpr int kBatches = 15;
  constexpr int kPerBatch = 5;
  constexpr int kTotal = kWriters * kBatches * kPerBatch;
  std::atomic<int> writers_done{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      PgStore& store = w % 2 ? *a : *b;
      for (int batch = 0; batch < kBatches; ++batch) {
        std::vector<Article> articles;
        for (int i = 0; i < kPerBatch; ++i) {
          articles.push_back(MakeArticle(
              absl::StrCat("w", w, "-", batch, "-", i), batch, MsftFr()));
        }
        absl::StatusOr<UpsertResult> r = store.Upsert(articles);
        EXPECT_TRUE(r.ok()) << r.status();
      }
      ++writers_done;
    });
  }
  std::map<uint64_t, std::string> seen;  // sequence -> id
  int duplicates = 0;
  uint64_t position = 0;
  auto follow = [&](PgStore& store) {
    absl::StatusOr<ChangeBatch> c =
        store.ReadChanges(position, ArticleFilter(), 7);
    ASSERT_TRUE(c.ok()) << c.status();
    for (const Article& article : c->articles) {
      EXPECT_GT(article.sequence(), position);
      if (!seen.emplace(article.sequence(), article.id()).second) ++duplicates;
    }
    position = c->scanned_through;
  };
  bool use_a = true;
  while (writers_done.load() < kWriters) {
    follow(use_a ? *a : *b);
    use_a = !use_a;
  }
  for (std::thread& t : writers) t.join();
  while (position < static_cast<uint64_t>(kTotal)) follow(*a);
  EXPECT_EQ(duplicates, 0);
  ASSERT_EQ(seen.size(), static_cast<size_t>(kTotal));
  EXPECT_EQ(seen.begin()->first, 1u);
  EXPECT_EQ(seen.rbegin()->first, static_cast<uint64_t>(kTotal));
  std::set<std::string> ids;
  for (const auto& [seq, id] : seen) ids.insert(id);
  EXPECT_EQ(ids.size(), static_cast<size_t>(kTotal));
  EXPECT_EQ(*b->LatestSequence(), static_cast<uint64_t>(kTotal));
}

TEST_F(PgStoreTest, AwaitCommitWakesOnAnotherInstancesCommit) {
  std::unique_ptr<PgStore> waiter = MustOpen();
  std::unique_ptr<PgStore> writer = MustOpen();
  ASSERT_NE(waiter, nullptr);
  ASSERT_NE(writer, nullptr);

  // Nothing committed: returns the latest (0) once the timeout passes.
  absl::StatusOr<uint64_t> none = waiter->AwaitCommit(0, absl::Milliseconds(1));
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(*none, 0u);

  // Already beyond known_latest: returns at once.
  ASSERT_TRUE(writer->Upsert({MakeArticle("a", 1, {})}).ok());
  absl::StatusOr<uint64_t> now = waiter->AwaitCommit(0, absl::Hours(1));
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_EQ(*now, 1u);

  // Waits for the other instance's commit (a lost notification would make
  // this test hang rather than pass).
  absl::StatusOr<uint64_t> woken;
  std::thread t([&] { woken = waiter->AwaitCommit(1, absl::Hours(1)); });
  ASSERT_TRUE(writer->Upsert({MakeArticle("b", 2, {})}).ok());
  t.join();
  ASSERT_TRUE(woken.ok()) << woken.status();
  EXPECT_EQ(*woken, 2u);

  // A duplicate stores nothing and notifies nothing.
  ASSERT_TRUE(writer->Upsert({MakeArticle("b", 2, {})}).ok());
  absl::StatusOr<uint64_t> quiet =
      waiter->AwaitCommit(2, absl::Milliseconds(1));
  ASSERT_TRUE(quiet.ok()) << quiet.status();
  EXPECT_EQ(*quiet, 2u);
}

// A call on a connection the server has dropped fails with UNAVAILABLE (or,
// if libpqxx notices first, succeeds on a new one); the next call works.
TEST_F(PgStoreTest, RecoversAfterConnectionsAreTerminated) {
  std::unique_ptr<PgStore> store = MustOpen(/*pool_size=*/1);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Upsert({MakeArticle("a", 1, MsftFr())}).ok());
  ASSERT_TRUE(store->LatestSequence().ok());
  ASSERT_TRUE(store->AwaitCommit(1, absl::Milliseconds(1)).ok());

  TerminateBackends();

  auto expect_ok_or_unavailable = [](const absl::Status& s) {
    if (!s.ok()) {
      EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
      EXPECT_THAT(std::string(s.message()), HasSubstr("PostgreSQL"));
    }
  };
  expect_ok_or_unavailable(store->LatestSequence().status());
  absl::StatusOr<uint64_t> latest = store->LatestSequence();
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ(*latest, 1u);

  absl::StatusOr<UpsertResult> first =
      store->Upsert({MakeArticle("b", 2, MsftFr())});
  expect_ok_or_unavailable(first.status());
  absl::StatusOr<UpsertResult> retry =
      store->Upsert({MakeArticle("b", 2, MsftFr())});
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->latest_sequence, 2u);

  expect_ok_or_unavailable(
      store->AwaitCommit(2, absl::Milliseconds(1)).status());
  // The listener is back: a commit by another instance wakes it.
  std::unique_ptr<PgStore> other = MustOpen();
  ASSERT_NE(other, nullptr);
  absl::StatusOr<uint64_t> awaited;
  std::thread waiter([&] { awaited = store->AwaitCommit(2, absl::Hours(1)); });
  ASSERT_TRUE(other->Upsert({MakeArticle("c", 3, {})}).ok());
  waiter.join();
  ASSERT_TRUE(awaited.ok()) << awaited.status();
  EXPECT_EQ(*awaited, 3u);

  absl::StatusOr<Article> b = store->Get("b");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->sequence(), 2u);
  EXPECT_EQ(store->Facets(FacetsRequest())->total(), 3);
}

}  // namespace
}  // namespace newsfeed::query
