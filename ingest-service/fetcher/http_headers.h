// Internal: interpretation of the response headers the fetcher reports.
// Pure functions, unit-tested on their own.
#ifndef INGEST_SERVICE_FETCHER_HTTP_HEADERS_H_
#define INGEST_SERVICE_FETCHER_HTTP_HEADERS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace newsfeed::ingest::internal {

// The charset parameter of a Content-Type value, unquoted and lower case;
// empty when absent. "text/xml; Charset=\"UTF-8\"" -> "utf-8".
std::string CharsetFromContentType(absl::string_view content_type);

// An HTTP date in any of the three RFC 9110 forms; nullopt when unparsable.
std::optional<absl::Time> ParseHttpDate(absl::string_view value);

// The max-age directive of one or more Cache-Control values; nullopt when
// absent or malformed.
std::optional<absl::Duration> MaxAgeFromCacheControl(
    const std::vector<std::string>& cache_control);

// Freshness lifetime: max-age if present, else Expires minus Date (or minus
// `now` when Date is absent or bad). An unparsable Expires means "already
// expired" (zero). nullopt when neither header is present. Never negative.
std::optional<absl::Duration> FreshnessLifetime(
    const std::vector<std::string>& cache_control,
    const std::optional<std::string>& expires,
    const std::optional<std::string>& date, absl::Time now);

// Retry-After as delay-seconds or an HTTP date (relative to the Date header,
// else to `now`). nullopt when malformed. Never negative.
std::optional<absl::Duration> ParseRetryAfter(
    absl::string_view value, const std::optional<std::string>& date,
    absl::Time now);

}  // namespace newsfeed::ingest::internal

#endif  // INGEST_SERVICE_FETCHER_HTTP_HEADERS_H_
