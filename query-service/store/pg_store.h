// Copyright newsfeed authors.
//
// pg_store.h: the ArticleStore on a PostgreSQL database that several
// query-service replicas share.
//
// Writes go through one connection behind a mutex; reads use a pool of at
// most StoreOptions.postgres_pool_size connections. The schema is versioned
// (table schema_version) and created or migrated when the store is opened,
// under a session advisory lock, so replicas starting together migrate once.
//
// Sequences and commit order. Every Upsert (and retention batch) starts by
// taking one transaction-scoped advisory lock,
// pg_advisory_xact_lock(kWriteLockKey), and only then reads and advances the
// sequence counter. Writers of all replicas therefore commit one at a time,
// in sequence order: a transaction gets its sequences only after the previous
// writer has committed, and holds the lock until its own commit is visible.
// So sequence order is commit order across processes, and a reader that has
// seen sequence N (ReadChanges, LatestSequence) never later finds a newly
// committed article with a sequence < N: following the change log from a
// position misses nothing. (A PostgreSQL SEQUENCE would not do: values are
// handed out before commit, so a slow transaction could commit sequence 5
// after a reader has already moved past 6.)
//
// Commit notifications. A write transaction that stored changes ends with
// NOTIFY newsfeed_articles, '<latest sequence>', delivered on commit to every
// replica's AwaitCommit: that is how a replica learns of articles another
// replica stored.
//
// Full text uses PostgreSQL's own: a tsvector per article (title weight A,
// summary B, content_text C) with a GIN index, built with the 'simple'
// configuration (lower-casing, no stemming, no stop words: the closest to
// SQLite's unicode61 tokenizer, and language-neutral), after the unaccent
// extension has folded diacritics ("Nestlé" matches "nestle", as with FTS5's
// remove_diacritics). Schema version 2 creates that extension, which ships
// with the server and is trusted (the database owner may create it), and
// recomputes the text of rows stored by version 1. ArticleFilter.text keeps
// its FTS5 syntax (see pg_text_query.h); relevance order is ts_rank_cd, best
// first, over the newest relevance_scan_matches matches as SQLite does.
// Differences from SQLite: NEAR(...) means AND, and `^` is ignored.
//
// Errors: a lost or refused connection is UNAVAILABLE naming what failed;
// the broken connection is dropped and the next call reconnects, so the store
// outlives a PostgreSQL restart. Messages never include the connection
// string (it may hold a password).
//
// Example:
//   StoreOptions options;
//   options.postgres_url = "postgresql://newsfeed@db/newsfeed";
//   absl::StatusOr<std::unique_ptr<PgStore>> store = PgStore::Open(options);
#ifndef QUERY_SERVICE_STORE_PG_STORE_H_
#define QUERY_SERVICE_STORE_PG_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "query-service/store/article_store.h"

namespace newsfeed::query {
namespace internal {
class PgConnection;  // a libpqxx connection (pg_store.cc)
}  // namespace internal

// An ArticleStore backed by PostgreSQL (15; libpqxx 6.4). Thread-safe.
class PgStore final : public ArticleStore {
 public:
  // Connects to options.postgres_url and creates or migrates the schema.
  // Returns INVALID_ARGUMENT for bad options (postgres_url unset,
  // postgres_pool_size < 1, ...), UNAVAILABLE if the database cannot be
  // reached within options.postgres_connect_timeout, FAILED_PRECONDITION if it
  // has a newer schema than this binary knows, INTERNAL for other database
  // errors.
  static absl::StatusOr<std::unique_ptr<PgStore>> Open(
      const StoreOptions& options);

  // The schema version this binary creates and understands.
  static int CurrentSchemaVersion();

  ~PgStore() override;

  absl::StatusOr<UpsertResult> Upsert(
      std::vector<newsfeed::v1::Article> articles) override;
  absl::StatusOr<newsfeed::v1::SearchResponse> Search(
      const newsfeed::v1::SearchRequest& request) override;
  absl::StatusOr<newsfeed::v1::Article> Get(std::string_view id) override;
  absl::StatusOr<newsfeed::v1::FacetsResponse> Facets(
      const newsfeed::v1::FacetsRequest& request) override;
  absl::StatusOr<ChangeBatch> ReadChanges(
      uint64_t after_sequence, const newsfeed::v1::ArticleFilter& filter,
      int limit) override;
  absl::StatusOr<uint64_t> LatestSequence() override;
  absl::StatusOr<int64_t> EnforceRetention(absl::Time now) override;

  // Waits for a commit by any writer on the database (this store or another
  // replica's) that takes the latest sequence beyond `known_latest`. Returns
  // the latest committed sequence as soon as it is > known_latest (at once
  // if it already is), or after `timeout` the latest sequence whatever it is
  // (then <= known_latest unless a commit raced the timeout). Uses its own
  // LISTEN connection, opened on first use; one found lost (e.g. after a
  // server restart) is reopened and LISTENs again within the call. Returns
  // UNAVAILABLE if the database cannot be reached or the connection is lost
  // again while waiting (the next call reconnects). Thread-safe, but calls
  // are serialised: meant for one waiting thread per store (the live
  // fan-out's poller).
  absl::StatusOr<uint64_t> AwaitCommit(uint64_t known_latest,
                                       absl::Duration timeout);

 private:
  class ReaderLease;
  class Listener;

  explicit PgStore(const StoreOptions& options);

  // Runs `fn` on a pooled read connection; maps pqxx exceptions to Status
  // (`has_text`: SQL errors may come from the user's text query).
  template <typename Fn>
  absl::Status WithReader(std::string_view what, bool has_text, Fn&& fn);
  // Runs `fn` on the writer connection, (re)connecting it first.
  template <typename Fn>
  absl::Status WithWriter(std::string_view what, Fn&& fn)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  absl::StatusOr<std::unique_ptr<internal::PgConnection>> AcquireReader();
  void ReleaseReader(std::unique_ptr<internal::PgConnection> conn);

  // Removes at most one batch of expired articles; returns how many.
  absl::StatusOr<int64_t> RetentionBatch(absl::Time now);

  const StoreOptions options_;

  absl::Mutex write_mu_;
  std::unique_ptr<internal::PgConnection> writer_ ABSL_GUARDED_BY(write_mu_);
  // "dim:value" -> "display\nlabel" of rows known to be in the labels table.
  std::unordered_map<std::string, std::string> label_cache_
      ABSL_GUARDED_BY(write_mu_);

  absl::Mutex pool_mu_;
  std::vector<std::unique_ptr<internal::PgConnection>> idle_readers_
      ABSL_GUARDED_BY(pool_mu_);
  // Reader connections in existence (idle or leased).
  int open_readers_ ABSL_GUARDED_BY(pool_mu_) = 0;

  absl::Mutex listen_mu_;
  std::unique_ptr<Listener> listener_ ABSL_GUARDED_BY(listen_mu_);
};

}  // namespace newsfeed::query

#endif  // QUERY_SERVICE_STORE_PG_STORE_H_
