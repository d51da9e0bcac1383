// Copyright newsfeed authors.
//
// store_internal.h: request validation, page tokens and duplicate detection
// shared by the ArticleStore engines (SqliteStore, PgStore), so both accept
// the same requests, name the same fields in errors and issue interchangeable
// page tokens. Not part of the public store API.
#ifndef QUERY_SERVICE_STORE_STORE_INTERNAL_H_
#define QUERY_SERVICE_STORE_STORE_INTERNAL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "newsfeed/v1/article.pb.h"
#include "newsfeed/v1/query.pb.h"
#include "query-service/store/article_store.h"

namespace newsfeed::query::internal {

inline constexpr int kDefaultPageSize = 20;
inline constexpr int kDefaultFacetLimit = 10;
inline constexpr int kMaxFacetLimit = 100;

// 64-bit FNV-1a of `data`, continuing from `h`.
uint64_t Fnv1a(std::string_view data, uint64_t h = 1469598103934665603ull);

// Identity of an article's content for duplicate detection: its content_hash
// and tags, or (without a content_hash) everything but the sequence.
int64_t ArticleFingerprint(const newsfeed::v1::Article& article);

// The position after the last article of a page. Opaque to clients: encoded
// as web-safe base64 of a fixed 42-byte record bound to the filter and order.
struct PageToken {
  uint8_t order = 0;
  uint64_t fingerprint = 0;
  int64_t published = 0;
  int64_t seq = 0;
  double score = 0;
  // Relevance order (SQLite): the highest pk the first page ranked. Later
  // pages rank the same matches, so articles stored meanwhile cannot shift
  // the ranking between pages. 0 elsewhere.
  int64_t ranked_through = 0;
};

std::string EncodeToken(const PageToken& token);

// A validated SearchRequest.
struct SearchParams {
  int page_size = kDefaultPageSize;
  // SEARCH_ORDER_NEWEST_FIRST or SEARCH_ORDER_RELEVANCE (never unspecified).
  int order = 0;
  bool relevance = false;
  // Binds page tokens to the filter and order.
  uint64_t fingerprint = 0;
  // Where the previous page ended, if a page_token was given.
  std::optional<PageToken> after;
};

// Validates the filter, page_size, order and page_token of `request`;
// INVALID_ARGUMENT naming the field otherwise.
absl::StatusOr<SearchParams> ValidateSearch(
    const newsfeed::v1::SearchRequest& request, const StoreOptions& options);

// Validates a FacetsRequest; returns the per-dimension limit.
absl::StatusOr<int> ValidateFacets(const newsfeed::v1::FacetsRequest& request,
                                   const StoreOptions& options);

// Validates the arguments of ReadChanges.
absl::Status ValidateReadChanges(uint64_t after_sequence,
                                 const newsfeed::v1::ArticleFilter& filter,
                                 int limit, const StoreOptions& options);

// Validates the engine-independent StoreOptions fields.
absl::Status ValidateCommonOptions(const StoreOptions& options);

// The OUT_OF_RANGE error of ReadChanges when retention removed changes after
// `after_sequence` (through `removed_through`).
// The payload of a RetentionGapError: the sequence to resume from, in
// decimal (read by RetentionResumeSequence in article_store.h).
inline constexpr char kRetentionResumePayload[] =
    "type.newsfeed.dev/retention-resume-sequence";

absl::Status RetentionGapError(uint64_t after_sequence,
                               int64_t removed_through);

absl::StatusOr<newsfeed::v1::Article> ParseArticle(std::string_view blob);

}  // namespace newsfeed::query::internal

#endif  // QUERY_SERVICE_STORE_STORE_INTERNAL_H_
