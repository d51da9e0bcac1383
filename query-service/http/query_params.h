// Query parameters of the HTTP/JSON API, turned into the QueryService
// requests they stand for. The HTTP face and gRPC answer the same requests
// the same way because both hand the store and the hub the same messages.
//
// Filter parameters, shared by /v1/articles, /v1/facets and /v1/stream
// (each repeatable; the suffix picks TagFilter.any_of, all_of or none_of):
//   company, company.all, company.none      (and likewise country, topic,
//   feed, language)
//   text                                   ArticleFilter.text
//   published_after, published_before      RFC 3339 times
//   min_amount, currency                   ArticleFilter.min_amount,
//                                          amount_currency
// /v1/articles also takes page_size, page_token and order (newest or
// relevance); /v1/facets takes limit; /v1/stream takes after_sequence or
// since (RFC 3339), and the Last-Event-ID header, which wins over both (a
// browser's EventSource reconnects with its original URL and the header).
// Every route accepts access_token (for EventSource, which cannot send an
// Authorization header); it is read by the auth check, not here.
//
// Errors are INVALID_ARGUMENT naming the parameter: unknown names, values
// that are not valid UTF-8 or hold a NUL byte, unparsable numbers and
// times, a non-repeatable parameter given twice.
//
// Thread-safe: pure functions.
#ifndef QUERY_SERVICE_HTTP_QUERY_PARAMS_H_
#define QUERY_SERVICE_HTTP_QUERY_PARAMS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "newsfeed/v1/query.pb.h"

namespace newsfeed::query {

// A request's query parameters in the order they came, URL-decoded.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// The parameter that carries a bearer token for clients that cannot set
// headers.
inline constexpr absl::string_view kAccessTokenParam = "access_token";

absl::StatusOr<newsfeed::v1::SearchRequest> ParseSearchParams(
    const QueryParams& params);
absl::StatusOr<newsfeed::v1::FacetsRequest> ParseFacetsParams(
    const QueryParams& params);
// `last_event_id`: the Last-Event-ID header, empty when absent. Streams
// send one article per event, so max_articles_per_response stays 0.
absl::StatusOr<newsfeed::v1::SubscribeRequest> ParseStreamParams(
    const QueryParams& params, absl::string_view last_event_id);
// /v1/articles/{id}: `id` is the path after the prefix, URL-decoded. It
// takes no parameters (access_token aside). INVALID_ARGUMENT for an empty,
// non-UTF-8 or over-long id (`max_id_bytes`: no stored id is longer).
absl::StatusOr<std::string> ParseArticleId(absl::string_view id,
                                           const QueryParams& params,
                                           size_t max_id_bytes);

}  // namespace newsfeed::query

#endif  // QUERY_SERVICE_HTTP_QUERY_PARAMS_H_
