// The files of the live page (query-service/http/web/) and the OpenAPI
// document, compiled into the binary by embed_assets.cmake and served by
// HttpApi at "/" + their path ("/" itself serves "/index.html").
//
// Thread-safe: constant data.
#ifndef QUERY_SERVICE_HTTP_WEB_ASSETS_H_
#define QUERY_SERVICE_HTTP_WEB_ASSETS_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace newsfeed::query {

struct WebAsset {
  const char* path;          // "/index.html"
  const char* content_type;  // "text/html; charset=utf-8"
  const unsigned char* data;
  size_t size;
};

extern const WebAsset kWebAssets[];
extern const size_t kWebAssetCount;

// The asset served at `path`, or nullptr.
inline const WebAsset* FindWebAsset(absl::string_view path) {
  if (path == "/") path = "/index.html";
  for (size_t i = 0; i < kWebAssetCount; ++i) {
    if (path == kWebAssets[i].path) return &kWebAssets[i];
  }
  return nullptr;
}

}  // namespace newsfeed::query

#endif  // QUERY_SERVICE_HTTP_WEB_ASSETS_H_
