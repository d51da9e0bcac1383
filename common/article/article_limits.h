// Size limits on an Article, the record both services exchange and store.
//
// query-service accepts from Publish only articles within the limits
// (CheckArticle), so that no stored article breaks a search response or a
// client's default 4 MiB message size; ingest-service fits every article it
// makes to the same limits before queuing it (FitArticle), so that its own
// articles are never refused.
//
// Thread-safe: free functions without shared state.
#ifndef COMMON_ARTICLE_ARTICLE_LIMITS_H_
#define COMMON_ARTICLE_ARTICLE_LIMITS_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "newsfeed/v1/article.pb.h"

namespace newsfeed {

struct ArticleLimits {
  // The whole article, serialized. Default 3 MiB: one article always fits in
  // a response under the 4 MiB default of gRPC clients.
  size_t max_article_bytes = size_t{3} << 20;
  size_t max_id_bytes = 256;  // id, feed_id
  size_t max_title_bytes = 4096;
  // url, feed_url, enclosure and author URLs. Default 32 KiB, as the parser.
  size_t max_url_bytes = 32 << 10;
  size_t max_summary_bytes = 64 << 10;
  // content_html and content_text, each. Default 1 MiB, as the parser.
  size_t max_content_bytes = 1 << 20;
  // Every other string: source_title, language, names, e-mails, categories,
  // MIME types, tag ids and names, currencies, evidence text and rules.
  size_t max_short_bytes = 1024;
  // authors, categories and enclosures, each. Default 100, as the parser.
  int max_list_entries = 100;
  // companies, countries, topics and amounts, each.
  int max_tags = 256;
  // Evidence entries of one tag.
  int max_evidence = 32;
};

// OK when `article` is within `limits`; INVALID_ARGUMENT naming the field
// as "<prefix>.<field>" (e.g. "articles[3].content_html"), its size and the
// limit otherwise.
absl::Status CheckArticle(const v1::Article& article,
                          const ArticleLimits& limits,
                          const std::string& prefix);

// Cuts `article` to `limits`: strings at a UTF-8 boundary (HTML before a
// tag), lists to their first entries; past max_article_bytes, content_html,
// then content_text are shortened. Ids longer than max_id_bytes cannot be
// cut (they identify the article) and are left for CheckArticle to refuse.
// Returns whether anything was cut.
bool FitArticle(v1::Article* article, const ArticleLimits& limits);

}  // namespace newsfeed

#endif  // COMMON_ARTICLE_ARTICLE_LIMITS_H_
