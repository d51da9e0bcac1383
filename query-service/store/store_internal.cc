// Copyright newsfeed authors.
#include "query-service/store/store_internal.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/wire_format_lite.h"

namespace newsfeed::query::internal {
namespace {

using newsfeed::v1::Article;
using newsfeed::v1::ArticleFilter;

// Version 2 added ranked_through; a version 1 token is refused like any
// other invalid one (the client starts over).
constexpr uint8_t kTokenVersion = 2;
constexpr int kTokenWords = 5;
constexpr size_t kTokenSize = 2 + 8 * kTokenWords;

uint64_t FilterFingerprint(const ArticleFilter& filter, int order) {
  return Fnv1a(filter.SerializeAsString(),
               Fnv1a(std::string(1, static_cast<char>(order))));
}

absl::StatusOr<PageToken> DecodeToken(const std::string& token,
                                      uint64_t fingerprint, int order) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw) || raw.size() != kTokenSize ||
      static_cast<uint8_t>(raw[0]) != kTokenVersion) {
    return absl::InvalidArgumentError("page_token: not a valid page token");
  }
  uint64_t words[kTokenWords] = {};
  for (int w = 0; w < kTokenWords; ++w) {
    for (int b = 0; b < 8; ++b) {
      words[w] |=
          static_cast<uint64_t>(static_cast<uint8_t>(raw[2 + w * 8 + b]))
          << (8 * b);
    }
  }
  PageToken t;
  t.order = static_cast<uint8_t>(raw[1]);
  t.fingerprint = words[0];
  std::memcpy(&t.published, &words[1], 8);
  std::memcpy(&t.seq, &words[2], 8);
  std::memcpy(&t.score, &words[3], 8);
  std::memcpy(&t.ranked_through, &words[4], 8);
  if (t.fingerprint != fingerprint || t.order != order) {
    return absl::InvalidArgumentError(
        "page_token: issued for a different filter or order");
  }
  return t;
}

}  // namespace

uint64_t Fnv1a(std::string_view data, uint64_t h) {
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

int64_t ArticleFingerprint(const Article& article) {
  if (article.content_hash().empty()) {
    Article copy = article;
    copy.set_sequence(0);
    return static_cast<int64_t>(Fnv1a(copy.SerializeAsString()));
  }
  // The bytes an Article holding only content_hash and the tags serializes
  // to (fields in number order), written without building that copy: stored
  // fingerprints were computed from such copies and must keep matching.
  using google::protobuf::internal::WireFormatLite;
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    auto write_all = [&out](int field, const auto& messages) {
      for (const auto& m : messages) {
        out.WriteTag(WireFormatLite::MakeTag(
            field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
        out.WriteVarint32(static_cast<uint32_t>(m.ByteSizeLong()));
        m.SerializeWithCachedSizes(&out);
      }
    };
    write_all(Article::kCompaniesFieldNumber, article.companies());
    write_all(Article::kCountriesFieldNumber, article.countries());
    write_all(Article::kTopicsFieldNumber, article.topics());
    write_all(Article::kAmountsFieldNumber, article.amounts());
    WireFormatLite::WriteString(Article::kContentHashFieldNumber,
                                article.content_hash(), &out);
  }
  return static_cast<int64_t>(Fnv1a(bytes));
}

std::string EncodeToken(const PageToken& t) {
  std::string raw(kTokenSize, '\0');
  raw[0] = static_cast<char>(kTokenVersion);
  raw[1] = static_cast<char>(t.order);
  uint64_t words[kTokenWords];
  words[0] = t.fingerprint;
  std::memcpy(&words[1], &t.published, 8);
  std::memcpy(&words[2], &t.seq, 8);
  std::memcpy(&words[3], &t.score, 8);
  std::memcpy(&words[4], &t.ranked_through, 8);
  for (int w = 0; w < kTokenWords; ++w) {
    for (int b = 0; b < 8; ++b) {
      raw[2 + w * 8 + b] = static_cast<char>((words[w] >> (8 * b)) & 0xff);
    }
  }
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<SearchParams> ValidateSearch(
    const newsfeed::v1::SearchRequest& request, const StoreOptions& options) {
  const ArticleFilter& filter = request.filter();
  if (absl::Status s = ValidateFilter(filter, options.filter_limits); !s.ok()) {
    return s;
  }
  SearchParams p;
  p.page_size = request.page_size();
  if (p.page_size == 0) {
    p.page_size = std::min(kDefaultPageSize, options.max_page_size);
  }
  if (p.page_size < 0 || p.page_size > options.max_page_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_size: ", request.page_size(), ", must be 1..",
        options.max_page_size, " (0 means ", kDefaultPageSize, ")"));
  }
  p.order = request.order() == newsfeed::v1::SEARCH_ORDER_UNSPECIFIED
                ? static_cast<int>(newsfeed::v1::SEARCH_ORDER_NEWEST_FIRST)
                : static_cast<int>(request.order());
  p.relevance = p.order == newsfeed::v1::SEARCH_ORDER_RELEVANCE;
  if (p.order != newsfeed::v1::SEARCH_ORDER_NEWEST_FIRST && !p.relevance) {
    return absl::InvalidArgumentError(
        absl::StrCat("order: unknown value ", request.order()));
  }
  if (p.relevance && filter.text().empty()) {
    return absl::InvalidArgumentError(
        "order: SEARCH_ORDER_RELEVANCE requires filter.text");
  }
  p.fingerprint = FilterFingerprint(filter, p.order);
  if (!request.page_token().empty()) {
    absl::StatusOr<PageToken> t =
        DecodeToken(request.page_token(), p.fingerprint, p.order);
    if (!t.ok()) return t.status();
    p.after = *t;
  }
  return p;
}

absl::StatusOr<int> ValidateFacets(const newsfeed::v1::FacetsRequest& request,
                                   const StoreOptions& options) {
  if (absl::Status s = ValidateFilter(request.filter(), options.filter_limits);
      !s.ok()) {
    return s;
  }
  const int limit = request.limit() == 0 ? kDefaultFacetLimit : request.limit();
  if (limit < 1 || limit > kMaxFacetLimit) {
    return absl::InvalidArgumentError(absl::StrCat(
        "limit: ", request.limit(), ", must be 1..", kMaxFacetLimit));
  }
  return limit;
}

absl::Status ValidateReadChanges(uint64_t after_sequence,
                                 const ArticleFilter& filter, int limit,
                                 const StoreOptions& options) {
  if (absl::Status s = ValidateFilter(filter, options.filter_limits); !s.ok()) {
    return s;
  }
  if (limit < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit: ", limit, ", must be at least 1"));
  }
  if (after_sequence > static_cast<uint64_t>(INT64_MAX)) {
    return absl::InvalidArgumentError("after_sequence: out of range");
  }
  return absl::OkStatus();
}

absl::Status ValidateCommonOptions(const StoreOptions& options) {
  if (options.max_page_size < 1) {
    return absl::InvalidArgumentError("max_page_size: must be at least 1");
  }
  if (options.retention_max_age < absl::ZeroDuration() ||
      options.retention_max_articles < 0) {
    return absl::InvalidArgumentError("retention: must not be negative");
  }
  if (options.relevance_max_matches < 1 || options.relevance_scan_matches < 1 ||
      options.facet_max_matches < 1) {
    return absl::InvalidArgumentError(
        "relevance_max_matches, relevance_scan_matches, facet_max_matches: "
        "must be at least 1");
  }
  return absl::OkStatus();
}

absl::Status RetentionGapError(uint64_t after_sequence,
                               int64_t removed_through) {
  absl::Status status = absl::OutOfRangeError(
      absl::StrCat("after_sequence ", after_sequence,
                   ": changes up to sequence ", removed_through,
                   " were removed by retention; resume with after_sequence=",
                   removed_through));
  status.SetPayload(kRetentionResumePayload,
                    absl::Cord(absl::StrCat(removed_through)));
  return status;
}

}  // namespace newsfeed::query::internal

namespace newsfeed::query {

std::optional<uint64_t> RetentionResumeSequence(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kOutOfRange) return std::nullopt;
  auto payload = status.GetPayload(internal::kRetentionResumePayload);
  uint64_t sequence = 0;
  if (!payload || !absl::SimpleAtoi(std::string(*payload), &sequence)) {
    return std::nullopt;
  }
  return sequence;
}

}  // namespace newsfeed::query

namespace newsfeed::query::internal {

absl::StatusOr<Article> ParseArticle(std::string_view blob) {
  Article article;
  if (!article.ParseFromArray(blob.data(), static_cast<int>(blob.size()))) {
    return absl::InternalError("stored article does not parse");
  }
  return article;
}

}  // namespace newsfeed::query::internal
