// Internal to the parser and the normalizer: the URL work both do per item,
// done without a libcurl URL handle when the URL is in the plain form libcurl
// would return unchanged. Thread-safe (no state).

#ifndef INGEST_SERVICE_PARSER_URL_H_
#define INGEST_SERVICE_PARSER_URL_H_

#include <string>
#include <string_view>

namespace newsfeed::ingest::internal {

// True when `url` starts with an RFC 3986 scheme ("x:", "mailto:").
bool HasScheme(std::string_view url);

// True when the path of `ref` (up to '?' or '#') has a "." or ".." segment.
bool HasDotSegment(std::string_view ref);

// RFC 3986 section 5.2 for the references feeds actually contain ("/a",
// "a/b", "?q", "#f", "//host/a") against an http(s) base. Returns false for
// anything else (dot segments, other schemes, spaces and control bytes),
// which then needs libcurl.
bool FastResolve(std::string_view ref, std::string_view base, std::string* out);

// The parts of an http(s) URL that IsPlainHttpUrl accepted.
struct PlainUrl {
  std::string_view scheme;    // "http" or "https"
  std::string_view host;      // as written (may hold upper case)
  std::string_view path;      // empty or starting with '/'
  std::string_view query;     // after '?', without it
  bool has_query = false;     // a '?' was present
  std::string_view fragment;  // after '#', without it
  bool has_fragment = false;  // a '#' was present
};

// True when libcurl's URL API (curl_url_set + curl_url_get) would take `url`
// and give back the same bytes apart from the host's case and an empty path
// becoming "/": "http://" or "https://" in lower case, a host of letters,
// digits, '-' and '.' whose last label starts with a letter (no IP
// literals, which libcurl normalizes), no userinfo or port, no dot
// segments, and otherwise only RFC 3986 unreserved, sub-delims, ':', '@',
// '/', '?' and well-formed %XX. Fills *parts when given.
bool IsPlainHttpUrl(std::string_view url, PlainUrl* parts = nullptr);

// `ref` resolved against the absolute `base` as libcurl's URL API resolves
// it (curl_url_set(base), curl_url_set(ref), curl_url_get(URL)); `ref`
// itself when libcurl fails. Plain references against a plain base
// (IsPlainHttpUrl) are resolved without libcurl.
std::string ResolveUrlLikeCurl(std::string_view ref, std::string_view base);

// ResolveUrlLikeCurl always through libcurl, for tests.
std::string ResolveUrlWithCurl(std::string_view ref, std::string_view base);

}  // namespace newsfeed::ingest::internal

#endif  // INGEST_SERVICE_PARSER_URL_H_
