// Internal to the parser: the lexical repairs that make real-world feeds XML.
// Thread-safe (no state).

#ifndef INGEST_SERVICE_PARSER_XML_REPAIR_H_
#define INGEST_SERVICE_PARSER_XML_REPAIR_H_

#include <string>
#include <string_view>
#include <vector>

namespace newsfeed::ingest::internal {

// Rewrites UTF-8 `text` so that an XML parser accepts what HTML-minded
// publishers write, outside CDATA sections, comments and processing
// instructions:
//   - HTML named entities XML does not declare (&nbsp; &eacute; ...) become
//     the characters themselves;
//   - an '&' that starts no reference becomes "&amp;";
//   - control characters XML 1.0 forbids are dropped;
//   - leading whitespace before the first '<' is dropped.
// Returns a view of `text` when nothing needed repair (no copy), otherwise of
// `*storage`. Each kind of repair adds a warning naming the first line.
std::string_view RepairXml(std::string_view text, std::string* storage,
                           std::vector<std::string>* warnings);

// Expands the general entities a document declares with a literal value in
// its internal DTD subset (<!DOCTYPE rss [<!ENTITY name "value">]>), which
// pugixml does not. Only values holding no markup, no parameter reference
// and no reference other than the XML built-ins and character references
// are used, so expansion never recurses; and it stops once it would add more
// than the document's own size plus 1 MiB. References inside CDATA sections
// and comments are left alone. Returns `text` when there is nothing to
// expand (no copy), otherwise a view of `*storage`.
std::string_view ExpandInternalEntities(std::string_view text,
                                        std::string* storage,
                                        std::vector<std::string>* warnings);

// Rewrites `text` (already through RepairXml) so that its tags nest, the
// way a browser or feedparser's loose parser reads tag soup: an end tag
// closes the elements left open inside it, an end tag that closes nothing
// is dropped, elements still open at the end are closed, an HTML void
// element written without "/>" (<br>, <img ...>) is self-closed, and a '<'
// that starts no tag becomes "&lt;". Comments, CDATA sections, processing
// instructions and the DOCTYPE are copied unchanged. Returns false (and
// leaves *out unspecified) when the text cannot be read as tags at all (an
// unterminated tag or quoted value) or elements nest deeper than
// `max_depth`. Adds one warning when something was rewritten.
bool BalanceTags(std::string_view text, int max_depth, std::string* out,
                 std::vector<std::string>* warnings);

// 1-based line and column (in bytes) of `offset` in `text`.
void LineColumn(std::string_view text, size_t offset, size_t* line,
                size_t* column);

}  // namespace newsfeed::ingest::internal

#endif  // INGEST_SERVICE_PARSER_XML_REPAIR_H_
