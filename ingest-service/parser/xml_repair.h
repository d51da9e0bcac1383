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

// 1-based line and column (in bytes) of `offset` in `text`.
void LineColumn(std::string_view text, size_t offset, size_t* line,
                size_t* column);

}  // namespace newsfeed::ingest::internal

#endif  // INGEST_SERVICE_PARSER_XML_REPAIR_H_
