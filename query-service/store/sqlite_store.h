// Copyright newsfeed authors.
//
// sqlite_store.h: the ArticleStore on an SQLite database file.
//
// The database (`<data_dir>/articles.db`) runs in WAL mode. Writes go through
// one connection behind a mutex; reads use a small pool of read-only
// connections, so a search never waits for a write to finish. The schema is
// versioned (PRAGMA user_version) and migrated when the store is opened
// (version 2 adds the maintained facet counts, version 3 the published-time
// bounds of each block of 1024 pks, version 4 compressed article records).
//
// Disk (store_bench, 1M articles of ~1.5 KB serialized): 2.14 KB per article
// (db 2.02 KB + WAL), against 3.51 KB with version 3's bare records; the WAL is
// bounded by the checkpoints (~0.1 GB at any size). Each article is stored once
// as a record, the serialized proto compressed with zstd and a dictionary
// trained on the store's own articles (~0.36 of its size; see
// StoreOptions.dictionary_train_articles), and once as terms in a contentless
// FTS5 index (~0.6 KB); its tags take ~0.65 KB (each in the tags table and in
// tags_by_value). Decoding costs ~2 us per article read (a page of 20: ~0.03 ms
// more than bare records). Databases written before version 4 are not rewritten
// when opened: their records stay bare protos, still read, until an update or
// retention replaces them.
//
// Durability: WAL with synchronous=NORMAL. A committed Upsert survives a
// process crash; a power loss can lose the last few commits (the WAL is
// synced at checkpoints, not at every commit) but never corrupts the file.
// ingest-service resends anything unacknowledged, so a lost commit is
// redelivered.
// Checkpoints (copying the WAL into the database file and syncing it) run on
// a thread and connection of their own, so a commit does not wait for them;
// the writer checkpoints itself only if the WAL outgrows twice the usual
// trigger.
//
// Cost model (store_bench): an Upsert's CPU goes mostly to FTS5 (tokenising
// ~150 words per article into a detail=full index, and merging segments)
// and to the tag index, where every tag value appends to its own leaf page
// (compressing the record: ~25 us, a tenth); unfiltered Facets read the
// maintained counts; filtered Facets visit each matching article's facet tags
// once.
//
// Bounded queries (StoreOptions):
// - Relevance order scores by bm25 only the newest `relevance_scan_matches`
//   (default 10,000) full-text matches, newest stored first, as of the first
//   page (the page token keeps that bound, so articles stored while a client
//   pages do not shift the ranking). Of those, only the best
//   `relevance_max_matches` (default 1000) are ranked and read; tag, time
//   and amount conditions apply within them, and paging ends after them. A
//   match outside them is never returned in relevance order (newest-first
//   order finds it).
// - Filtered Facets count at most `facet_max_matches` (default 2000)
//   matching articles, the most recent (newest published along a time
//   index, else newest stored); when more match, the response has
//   `estimated` set and its counts and total cover the examined articles.
// - Plans (newest first): the rarest positive condition drives (tag sizes
//   from the maintained counts, other tags and text counted up to 2,000).
//   A single tag is walked newest first along tags_by_value; an any-of over
//   several common values merges the newest page of each value. A text
//   condition, unless a rarer tag drives, reads the FTS5 matches by block
//   of pks, newest block first, and stops once the blocks' published-time
//   bounds show no older block can hold a newer match: a common word costs
//   a few blocks, not its whole match set. Candidates are sorted by their
//   keys; only the page's articles are read.
//
// Example:
//   StoreOptions options;
//   options.data_dir = "/var/lib/newsfeed";
//   absl::StatusOr<std::unique_ptr<SqliteStore>> store =
//       SqliteStore::Open(options);
#ifndef QUERY_SERVICE_STORE_SQLITE_STORE_H_
#define QUERY_SERVICE_STORE_SQLITE_STORE_H_

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
#include "query-service/store/article_blob.h"
#include "query-service/store/article_store.h"
#include "query-service/store/sqlite_handles.h"

namespace newsfeed::query {

// An ArticleStore backed by SQLite (with FTS5 for full text). Thread-safe.
class SqliteStore final : public ArticleStore {
 public:
  // Opens (creating if missing) `<options.data_dir>/articles.db` and migrates
  // its schema to the current version. Returns INVALID_ARGUMENT for bad
  // options, FAILED_PRECONDITION if the file has a newer schema than this
  // binary knows, INTERNAL/UNAVAILABLE for database errors.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(
      const StoreOptions& options);

  // The schema version this binary creates and understands.
  static int CurrentSchemaVersion();

  ~SqliteStore() override;

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

 private:
  struct WriteStatements;
  class ReaderLease;

  class Checkpointer;

  SqliteStore(const StoreOptions& options, std::string path,
              internal::DbPtr writer,
              std::unique_ptr<WriteStatements> statements,
              std::unique_ptr<Checkpointer> checkpointer);

  // A read-only connection from the pool (opened on demand).
  absl::StatusOr<internal::DbPtr> AcquireReader();
  void ReleaseReader(internal::DbPtr db);

  // Change in the number of articles per facet value (dim, value), summed
  // over one transaction and written to tag_counts once at its end.
  using FacetDeltas = std::map<std::pair<int, std::string>, int64_t>;

  // One row of the tags table, waiting to be written.
  struct TagRow {
    int64_t article;
    int dim;
    std::string value;
    int64_t published;
    int64_t seq;
    bool facet;
  };
  // Writes `rows` and clears it. Upsert gathers its tag rows and writes them
  // with multi-row INSERTs: one statement per row was a third of its time.
  absl::Status InsertTagRowsLocked(std::vector<TagRow>& rows)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Removes the article with primary key `pk` (row, tags, amounts, text),
  // subtracting its facet values from `deltas`.
  absl::Status DeleteArticleLocked(int64_t pk, FacetDeltas& deltas)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Adds `deltas` to tag_counts, dropping values no article carries.
  absl::Status ApplyFacetDeltasLocked(const FacetDeltas& deltas)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Trains a record dictionary on the newest articles and writes the
  // following records with it; `article_count` is the store's.
  absl::Status TrainDictionaryLocked(int64_t article_count)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Parses a stored record, loading its dictionary through `db` if needed;
  // sets `*serialized_bytes` (if not null) to the article's serialized size.
  absl::StatusOr<newsfeed::v1::Article> DecodeArticle(
      sqlite3* db, std::string_view record, size_t* serialized_bytes = nullptr);
  // Removes at most one batch of expired articles; returns how many.
  absl::StatusOr<int64_t> RetentionBatch(absl::Time now);

  const StoreOptions options_;
  const std::string path_;

  absl::Mutex write_mu_;
  internal::DbPtr writer_ ABSL_GUARDED_BY(write_mu_);
  std::unique_ptr<WriteStatements> stmts_ ABSL_GUARDED_BY(write_mu_);
  // Woken by the writer's commits; outlives the writer connection.
  std::unique_ptr<Checkpointer> checkpointer_;
  // Compresses the records Upsert writes (with the newest dictionary).
  std::unique_ptr<internal::ArticleBlobEncoder> encoder_
      ABSL_GUARDED_BY(write_mu_);
  // article_count at which Upsert trains the next dictionary; 0: never.
  int64_t next_training_ ABSL_GUARDED_BY(write_mu_) = 0;
  internal::ArticleBlobDecoder decoder_;
  // "dim:value" -> "display\nlabel" of rows known to be in the labels table.
  std::unordered_map<std::string, std::string> label_cache_
      ABSL_GUARDED_BY(write_mu_);

  absl::Mutex pool_mu_;
  std::vector<internal::DbPtr> idle_readers_ ABSL_GUARDED_BY(pool_mu_);
};

}  // namespace newsfeed::query

#endif  // QUERY_SERVICE_STORE_SQLITE_STORE_H_
