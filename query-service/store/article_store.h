// Copyright newsfeed authors.
//
// article_store.h: the query-service's storage seam.
//
// An ArticleStore keeps the articles ingest-service delivers, answers searches
// and facet queries over them, and exposes its change log (the `sequence` of
// each stored article) to live subscriptions. SqliteStore (sqlite_store.h)
// keeps them in a local file; PgStore (pg_store.h) in a PostgreSQL database
// that several query-service replicas share.
//
// Example:
//   absl::StatusOr<std::unique_ptr<SqliteStore>> store =
//   SqliteStore::Open(opts); if (!store.ok()) return store.status();
//   absl::StatusOr<UpsertResult> r = (*store)->Upsert(batch);
#ifndef QUERY_SERVICE_STORE_ARTICLE_STORE_H_
#define QUERY_SERVICE_STORE_ARTICLE_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "newsfeed/v1/article.pb.h"
#include "newsfeed/v1/query.pb.h"
#include "query-service/filter/filter.h"

namespace newsfeed::query {

// Options for opening a store.
struct StoreOptions {
  // SQLite only: directory that holds the database file `articles.db` (and
  // its WAL). The directory must exist; the file is created if missing.
  // Required for SqliteStore; PgStore ignores it.
  std::string data_dir;
  // Articles whose time (published, else fetched) is older than
  // now - retention_max_age are removed by EnforceRetention. Default: zero,
  // keep forever.
  absl::Duration retention_max_age = absl::ZeroDuration();
  // At most this many articles are kept; EnforceRetention removes the oldest
  // (by time, then sequence) beyond it. Default: 0, unlimited.
  int64_t retention_max_articles = 0;
  // Largest SearchRequest.page_size accepted. Default: 100.
  int max_page_size = 100;
  // A Search page ends early (with a next_page_token) before its articles
  // pass this many bytes, so that a response stays under the 4 MiB default
  // of gRPC clients; a page always holds at least one article. Default:
  // 3.5 MiB.
  size_t max_response_bytes = (size_t{7} << 20) / 2;
  // Bounds applied to every filter. Default: FilterLimits().
  FilterLimits filter_limits;
  // A relevance-ordered search (SEARCH_ORDER_RELEVANCE) ranks only the best
  // this many full-text matches (bm25 on SQLite, ts_rank_cd on PostgreSQL);
  // the other conditions of the filter then apply within them, and paging
  // ends after them: matches ranked below the cap are never returned. Bounds
  // the work of a common word. Must be at least 1. Default: 1000.
  int relevance_max_matches = 1000;
  // A relevance-ordered search scores only the newest this many full-text
  // matches as of its first page (by pk on SQLite, by sequence on
  // PostgreSQL: newest stored or changed first), so a common word costs a
  // bounded read instead of scoring every match in the store. Must be at
  // least 1. Default: 10000.
  int relevance_scan_matches = 10000;
  // A filtered Facets request counts at most this many matching
  // articles, the most recent ones; when more match, the response is marked
  // `estimated` and its counts and total cover only those examined. Must be
  // at least 1. Default: 2000.
  int facet_max_matches = 2000;
  // SQLite only: WAL pages (4 KiB each) after a commit that start a
  // background checkpoint; at twice this many the writer checkpoints itself.
  // Must be at least 1. Default: 8192 (32 MB).
  int checkpoint_pages = 8192;
  // SQLite only: once the store holds this many articles, a zstd dictionary
  // is trained on the newest ones (up to 2,000) and the article records
  // written after are compressed with it; again at 10x, 100x, ... that
  // count, as what the store holds changes. Before the first one, records
  // are compressed without a dictionary. 0: never train. Must not be
  // negative. Default: 1000.
  int64_t dictionary_train_articles = 1000;
  // PostgreSQL only (PgStore; SqliteStore ignores it): the libpq connection
  // string ("host=/run/postgresql dbname=newsfeed") or URI
  // ("postgresql://user@db:5432/newsfeed") of the database. Required for
  // PgStore.
  std::string postgres_url;
  // PostgreSQL only: the most connections PgStore opens for reads (searches,
  // facets, change reads) at once; further readers wait for one to be free.
  // The writer and the AwaitCommit listener have their own. Default: 4.
  int postgres_pool_size = 4;
  // PostgreSQL only: how long Open waits for an unreachable server (it may
  // be starting next to the service), retrying with growing pauses. Zero:
  // one attempt. Default: zero (query-service's configuration sets 60 s).
  absl::Duration postgres_connect_timeout = absl::ZeroDuration();
};

// What one Upsert did.
struct UpsertResult {
  // New or changed articles; each got a new sequence.
  int stored = 0;
  // Of `stored`, the changed ones (an earlier version was replaced).
  int updated = 0;
  // Identical duplicates (same content_hash and tags); not re-sequenced.
  int unchanged = 0;
  // The highest sequence assigned so far (after this call).
  uint64_t latest_sequence = 0;
  // The new or changed articles as stored (sequence set), ascending, so the
  // live fan-out can serve them without reading them back.
  std::vector<newsfeed::v1::Article> changed;
};

// A slice of the change log.
struct ChangeBatch {
  // Matching articles in ascending sequence order, each with .sequence set.
  std::vector<newsfeed::v1::Article> articles;
  // Every change with a sequence <= scanned_through (and > the requested
  // after_sequence) has been examined, matching or not. Resume from here.
  uint64_t scanned_through = 0;
};

// Stores articles and answers queries over them.
//
// Implementations are thread-safe: any method may be called from any thread,
// concurrently. Writes (Upsert, EnforceRetention) are serialised; reads run
// concurrently with them and with each other.
class ArticleStore {
 public:
  ArticleStore() = default;
  ArticleStore(const ArticleStore&) = delete;
  ArticleStore& operator=(const ArticleStore&) = delete;
  virtual ~ArticleStore() = default;

  // Stores `articles` in one transaction: either all or none. Idempotent by
  // Article.id: an article identical to the stored one (same content_hash and
  // tags) is counted as unchanged and keeps its sequence; a new or changed
  // article is (re)written and gets the next sequence. Sequences are strictly
  // increasing in commit order. Article.sequence on input is ignored.
  // Takes the articles by value so that the stored ones move into
  // UpsertResult.changed instead of being copied (pass with std::move).
  // Returns INVALID_ARGUMENT for an article without an id ("articles[3].id"),
  // UNAVAILABLE when the database is busy, INTERNAL on other database errors.
  virtual absl::StatusOr<UpsertResult> Upsert(
      std::vector<newsfeed::v1::Article> articles) = 0;

  // One page of the articles matching request.filter, newest first (time
  // desc, then sequence desc) or by relevance. Pages are keyset-paged: a
  // next_page_token stays valid while articles are added. Returns
  // INVALID_ARGUMENT naming the field for a bad filter ("filter.…", including
  // full-text syntax errors as "filter.text: …"), page_size ("page_size"),
  // order ("order": relevance needs filter.text) or page_token ("page_token":
  // garbled, or issued for a different filter or order).
  virtual absl::StatusOr<newsfeed::v1::SearchResponse> Search(
      const newsfeed::v1::SearchRequest& request) = 0;

  // The stored article `id`, with its tag evidence and sequence. Returns
  // NOT_FOUND naming the id if it is not stored.
  virtual absl::StatusOr<newsfeed::v1::Article> Get(std::string_view id) = 0;

  // The most frequent companies (value = id, label = name), countries (value
  // = code, label = name) and topics among the articles matching
  // request.filter, most frequent first (ties by value), at most
  // request.limit (0 means 10, 1..100) per dimension, plus the number of
  // matching articles. Returns INVALID_ARGUMENT as Search does, or for
  // "limit".
  virtual absl::StatusOr<newsfeed::v1::FacetsResponse> Facets(
      const newsfeed::v1::FacetsRequest& request) = 0;

  // Up to `limit` (>= 1) stored articles whose current sequence is greater
  // than `after_sequence` and that match `filter` (text included), in
  // ascending sequence order. Returns OUT_OF_RANGE, with the sequence to
  // resume from in the message, if retention removed changes after
  // `after_sequence`; INVALID_ARGUMENT for a bad filter or limit.
  virtual absl::StatusOr<ChangeBatch> ReadChanges(
      uint64_t after_sequence, const newsfeed::v1::ArticleFilter& filter,
      int limit) = 0;

  // The highest sequence assigned so far; 0 for an empty store.
  virtual absl::StatusOr<uint64_t> LatestSequence() = 0;

  // Removes the articles that the retention options say to remove, relative
  // to `now`, in small transactions so readers and the writer are not held
  // up. Returns the number of articles removed.
  virtual absl::StatusOr<int64_t> EnforceRetention(absl::Time now) = 0;
};

// For an OUT_OF_RANGE from ReadChanges: the sequence to resume from (every
// change up to it was removed by retention). nullopt for any other status.
std::optional<uint64_t> RetentionResumeSequence(const absl::Status& status);

}  // namespace newsfeed::query

#endif  // QUERY_SERVICE_STORE_ARTICLE_STORE_H_
