// Internal to the parser: JSON Feed documents, which ParseFeed hands here.
// Thread-safe (no state).

#ifndef INGEST_SERVICE_PARSER_JSON_FEED_H_
#define INGEST_SERVICE_PARSER_JSON_FEED_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "ingest-service/parser/feed_parser.h"

namespace newsfeed::ingest::internal {

// True when the document's first character (after a UTF-8 byte-order mark
// and whitespace) is '{': XML cannot start so.
bool LooksLikeJsonFeed(std::string_view body);

// Reads a JSON Feed (version 1 or 1.1): title, home_page_url, description,
// language; items' id, url (else external_url), title, summary,
// content_html (else content_text, escaped), date_published,
// date_modified, authors (1.1) or author (1), tags and attachments.
// Relative URLs resolve against home_page_url, else options.feed_url.
// InvalidArgument: not JSON, or JSON without "items" and a jsonfeed.org
// version. ResourceExhausted: more JSON values than
// 64 * options.max_items + 10000, or arrays and objects nested deeper than
// 100 (both checked before parsing, so that a small hostile document cannot
// cost much memory or time).
absl::StatusOr<ParsedFeed> ParseJsonFeed(std::string_view body,
                                         const ParseOptions& options);

}  // namespace newsfeed::ingest::internal

#endif  // INGEST_SERVICE_PARSER_JSON_FEED_H_
