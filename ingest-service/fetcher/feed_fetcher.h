// FeedFetcher: the seam between the ingest scheduler and HTTP.
//
// A FeedFetcher downloads many feed documents at once and reports each result
// as it finishes. CurlFetcher (curl_fetcher.h) is the production
// implementation; tests of the scheduler use a hand-written fake.
//
//   std::vector<FetchRequest> requests = {{.url = "https://example.org/rss"}};
//   fetcher.FetchAll(requests, [](size_t i, absl::StatusOr<FetchResult> r) {
//     if (r.ok() && r->http_status == 200) Parse(r->body);
//   });
#ifndef INGEST_SERVICE_FETCHER_FEED_FETCHER_H_
#define INGEST_SERVICE_FETCHER_FEED_FETCHER_H_

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace newsfeed::ingest {

// One feed to fetch.
struct FetchRequest {
  // Absolute http:// or https:// URL.
  std::string url = {};
  // Validators from the previous successful fetch. When non-empty each is
  // sent verbatim, as If-None-Match and If-Modified-Since respectively. They
  // must not contain CR or LF.
  std::string etag = {};
  std::string last_modified = {};
};

// The outcome of a fetch that produced an HTTP response. HTTP error statuses
// (404, 410, 429, 500, 503, ...) are results, not errors: the scheduler
// decides what they mean for the feed.
struct FetchResult {
  // Status code of the final response (after redirects).
  int http_status = 0;
  // True for 304 Not Modified; `body` is then empty.
  bool not_modified = false;
  // The response body, decoded from any Content-Encoding.
  std::string body = {};
  // The full Content-Type header value, e.g. "application/rss+xml;
  // charset=UTF-8".
  std::string content_type = {};
  // The charset parameter of Content-Type, lower case; empty when absent.
  std::string charset = {};
  // Validators of the final response, verbatim (store them for the next
  // conditional GET). Empty when absent.
  std::string etag = {};
  std::string last_modified = {};
  // The URL of the final response, after redirects.
  std::string effective_url = {};
  // Set (to the final URL) when at least one redirect was followed and every
  // redirect in the chain was permanent (301 or 308): the stored feed URL
  // should become this. Empty otherwise.
  std::string permanent_redirect_url = {};
  // Freshness lifetime: Cache-Control max-age, else Expires minus Date (an
  // unparsable Expires counts as already expired, i.e. zero). Never negative.
  std::optional<absl::Duration> max_age = {};
  // From Retry-After, in either form (delay-seconds, or an HTTP date taken
  // relative to the response's Date header, else to the fetcher's clock).
  // Parsed whenever the header is present; meaningful on 429 and 503 (and
  // 3xx). Never negative.
  std::optional<absl::Duration> retry_after = {};
  // Values of the final response's Link headers (RFC 8288), verbatim: a
  // feed may name its WebSub hub and self URL there.
  std::vector<std::string> link_headers = {};
  // Time from the first request of the chain being started to completion.
  absl::Duration elapsed = {};
};

// Fetches feeds over HTTP. Implementations document their thread safety.
class FeedFetcher {
 public:
  virtual ~FeedFetcher() = default;

  // Fetches every request concurrently within the fetcher's limits and calls
  // on_done(index, result) from the calling thread as each one finishes;
  // `index` is the request's position in `requests`. Each index is reported
  // exactly once. Returns when all are done, or soon after `stop_requested`
  // (polled between steps; may be empty) returns true, in which case every
  // unfinished request is reported as CANCELLED before returning.
  //
  // An error result is a transport failure, and its message names the URL:
  //   UNAVAILABLE         connection refused, DNS failure, timeout (connect,
  //                       total or low-speed), TLS failure, broken response;
  //   PERMISSION_DENIED   address refused by the private-network guard (the
  //                       message names the address), or a scheme other than
  //                       http/https (initially or on a redirect);
  //   RESOURCE_EXHAUSTED  decoded body larger than the configured cap;
  //   FAILED_PRECONDITION too many redirects, or a redirect loop;
  //   INVALID_ARGUMENT    malformed URL, or CR/LF in a validator;
  //   DATA_LOSS           body could not be decoded (bad Content-Encoding);
  //   CANCELLED           stop was requested before the fetch finished.
  //
  // `requests` must stay unchanged until FetchAll returns. on_done must not
  // call FetchAll on the same fetcher.
  virtual void FetchAll(
      const std::vector<FetchRequest>& requests,
      const std::function<void(size_t index,
                               absl::StatusOr<FetchResult> result)>& on_done,
      const std::function<bool()>& stop_requested = {}) = 0;
};

}  // namespace newsfeed::ingest

#endif  // INGEST_SERVICE_FETCHER_FEED_FETCHER_H_
