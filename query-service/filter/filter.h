// Copyright newsfeed authors.
//
// filter.h: validation and in-memory evaluation of an ArticleFilter.
//
// The query-service applies an ArticleFilter in two places: the store turns it
// into SQL for searches, facets and change reads, and the live fan-out
// evaluates it against each newly stored article. Both go through the
// normalisation functions declared here, so they agree on what matches.
//
// Example:
//   if (absl::Status s = ValidateFilter(filter, FilterLimits()); !s.ok())
//     return s;
//   if (MatchesExceptText(filter, article)) Deliver(article);
//
// Matching one article against many filters (the live fan-out) extracts the
// article's values once and prepares each filter once:
//   const CompiledFilter compiled(filter);              // per subscription
//   const ArticleMatchKeys keys = ArticleMatchKeys::Of(article);  // per
//   article if (compiled.Matches(keys)) Deliver(article);
#ifndef QUERY_SERVICE_FILTER_FILTER_H_
#define QUERY_SERVICE_FILTER_FILTER_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/timestamp.pb.h"
#include "newsfeed/v1/article.pb.h"
#include "newsfeed/v1/query.pb.h"

namespace newsfeed::query {

// Bounds on the size of a filter, to keep queries cheap.
struct FilterLimits {
  // Maximum number of values in each of any_of, all_of and none_of of each
  // dimension. Default: 100.
  int max_values_per_dimension = 100;
  // Maximum length of ArticleFilter.text in bytes. Default: 1024.
  int max_text_bytes = 1024;
};

// Returns OK if `filter` is well formed and within `limits`. Otherwise returns
// INVALID_ARGUMENT whose message starts with the offending field, e.g.
// "filter.companies.any_of: 150 values, at most 100 allowed" or
// "filter.published_after: after filter.published_before". Does not check the
// full-text syntax (the store does, when it runs the query).
absl::Status ValidateFilter(const newsfeed::v1::ArticleFilter& filter,
                            const FilterLimits& limits);

// Returns true if `article` satisfies every part of `filter` except `text`:
// tag dimensions, feeds, languages, the time range and the minimum amount.
// The semantics are exactly those the store applies:
//   - values compare case-insensitively (ASCII case folding);
//   - companies match by CompanyTag.id or CompanyTag.name;
//   - feeds match by Article.feed_id or Article.feed_url;
//   - languages match the full tag or its primary subtag ("en" matches
//     "en-us"; "en-us" matches only "en-us");
//   - the time range applies to published_time, or fetched_time when
//     published_time is unset, at microsecond precision;
//   - min_amount > 0 requires an amount >= min_amount, in amount_currency
//     when that is set.
// `filter` should have passed ValidateFilter.
bool MatchesExceptText(const newsfeed::v1::ArticleFilter& filter,
                       const newsfeed::v1::Article& article);

// ---------------------------------------------------------------------------
// Normalisation shared by the filter and the store. Stores index an article
// under ArticleTagValues() and look filter values up with
// NormalizeTagValue(), which is what makes the two agree.

// The tag dimensions of a filter. The numeric values are persisted by the
// store: do not renumber.
enum class TagDimension : int {
  kCompany = 1,
  kCountry = 2,
  kTopic = 3,
  kFeed = 4,
  kLanguage = 5,
};

// All dimensions, in a fixed order.
inline constexpr TagDimension kAllTagDimensions[] = {
    TagDimension::kCompany, TagDimension::kCountry, TagDimension::kTopic,
    TagDimension::kFeed, TagDimension::kLanguage};

// The field name of `dim` in ArticleFilter, e.g. "companies".
std::string_view TagDimensionName(TagDimension dim);

// The TagFilter of `dim` in `filter`.
const newsfeed::v1::TagFilter& TagFilterOf(
    const newsfeed::v1::ArticleFilter& filter, TagDimension dim);

// Normalises a value of `dim` for comparison: upper case for countries, lower
// case for everything else.
std::string NormalizeTagValue(TagDimension dim, std::string_view value);

// The distinct normalised values under which `article` is found in `dim`
// (e.g. both the id and the name of each company; the full language tag and
// its primary subtag). Empty values are left out.
std::vector<std::string> ArticleTagValues(TagDimension dim,
                                          const newsfeed::v1::Article& article);

// Microseconds since the Unix epoch (rounded towards negative infinity).
int64_t TimestampToMicros(const google::protobuf::Timestamp& ts);

// The time an article is ordered and filtered by: published_time, or
// fetched_time when published_time is unset, or 0 when neither is set.
int64_t ArticleTimeMicros(const newsfeed::v1::Article& article);

// What a filter looks at in an article, extracted once: the normalised tag
// values per dimension, the time it is filtered by and its amounts.
// Immutable once built; safe to share between threads.
struct ArticleMatchKeys {
  static ArticleMatchKeys Of(const newsfeed::v1::Article& article);

  // ArticleTagValues of each dimension, indexed by Index(dim).
  std::array<std::vector<std::string>, 5> values;
  // ArticleTimeMicros.
  int64_t time_micros = 0;
  // (upper-cased currency, value) of each announced amount.
  std::vector<std::pair<std::string, double>> amounts;

  static size_t Index(TagDimension dim) { return static_cast<size_t>(dim) - 1; }
};

// An ArticleFilter prepared for matching many articles: its values are
// normalised once, so Matches allocates nothing. Matches(ArticleMatchKeys::Of
// (article)) == MatchesExceptText(filter, article) for every article.
// Immutable once built; safe to share between threads.
class CompiledFilter {
 public:
  // `filter` should have passed ValidateFilter.
  explicit CompiledFilter(const newsfeed::v1::ArticleFilter& filter);

  bool Matches(const ArticleMatchKeys& keys) const;

 private:
  struct Dimension {
    std::vector<std::string> any_of;
    std::vector<std::string> all_of;
    std::vector<std::string> none_of;
  };
  std::array<Dimension, 5> dimensions_;
  std::optional<int64_t> published_after_;
  std::optional<int64_t> published_before_;
  double min_amount_ = 0;
  std::string currency_;
};

}  // namespace newsfeed::query

#endif  // QUERY_SERVICE_FILTER_FILTER_H_
