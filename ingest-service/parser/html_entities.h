// Internal to the parser: HTML named entities and small text helpers shared
// by the repair pass and the plain-text title conversion. Thread-safe (no
// state).

#ifndef INGEST_SERVICE_PARSER_HTML_ENTITIES_H_
#define INGEST_SERVICE_PARSER_HTML_ENTITIES_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace newsfeed::ingest::internal {

// Debian's absl is built with its own string_view type (not an alias of
// std::string_view); this adapts at the absl call sites.
inline absl::string_view Av(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// Returns the code point of an HTML 4 named entity ("nbsp" -> U+00A0), or
// nullopt when `name` (without '&' and ';') is not one. Case-sensitive.
std::optional<char32_t> LookupHtmlEntity(std::string_view name);

// Decodes the character references in `text` (named HTML/XML entities,
// decimal and hex) and leaves anything that is not a reference as it is.
std::string DecodeHtmlEntities(std::string_view text);

// Plain text of a short HTML snippet such as a title: tags dropped, entities
// decoded (twice at most, for double-escaped feeds), whitespace collapsed.
// Not an HTML parser; the normalizer uses gumbo for bodies.
std::string HtmlSnippetToText(std::string_view html);

// Collapses runs of whitespace to one space and trims both ends.
std::string CollapseWhitespace(std::string_view text);

// Plain text as HTML: '&', '<' and '>' escaped (for content a feed gives as
// text where the record holds HTML).
std::string EscapeHtml(std::string_view text);

}  // namespace newsfeed::ingest::internal

#endif  // INGEST_SERVICE_PARSER_HTML_ENTITIES_H_
