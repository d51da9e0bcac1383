// Internal: RAII owners for libcurl handles. The only place in the fetcher
// that names the libcurl cleanup functions.
#ifndef INGEST_SERVICE_FETCHER_CURL_HANDLES_H_
#define INGEST_SERVICE_FETCHER_CURL_HANDLES_H_

#include <curl/curl.h>

#include <memory>

namespace newsfeed::ingest::internal {

struct CurlEasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct CurlMultiDeleter {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct CurlUrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
struct CurlFreeDeleter {
  void operator()(char* p) const { curl_free(p); }
};

using CurlEasyPtr = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlMultiPtr = std::unique_ptr<CURLM, CurlMultiDeleter>;
using CurlSlistPtr = std::unique_ptr<curl_slist, CurlSlistDeleter>;
using CurlUrlPtr = std::unique_ptr<CURLU, CurlUrlDeleter>;
using CurlStringPtr = std::unique_ptr<char, CurlFreeDeleter>;

}  // namespace newsfeed::ingest::internal

#endif  // INGEST_SERVICE_FETCHER_CURL_HANDLES_H_
