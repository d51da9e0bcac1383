// Internal to the parser: brings a feed's bytes to valid UTF-8 before the
// XML parser sees them. Thread-safe (each call opens its own iconv handle).

#ifndef INGEST_SERVICE_PARSER_ENCODING_H_
#define INGEST_SERVICE_PARSER_ENCODING_H_

#include <string>
#include <string_view>
#include <vector>

namespace newsfeed::ingest::internal {

// Returns `body` as valid UTF-8 without a byte-order mark. The source
// encoding is, in order: the BOM, the UTF-16 shape of "<?", the XML
// declaration's encoding, `charset_hint`, UTF-8. When the declared encoding
// does not fit (bytes invalid in it, or a single-byte charset declared over
// text that is valid multi-byte UTF-8) the hint and then UTF-8 are tried, and
// bytes that fit nothing become U+FFFD. Each such repair appends a line to
// `warnings`.
//
// The result views either `body` (already clean UTF-8: no copy) or `*storage`.
std::string_view ToUtf8(std::string_view body, std::string_view charset_hint,
                        std::string* storage,
                        std::vector<std::string>* warnings);

// Length of the longest prefix of `text` that is valid UTF-8.
size_t ValidUtf8Prefix(std::string_view text);

// Cuts `text` to at most `max_bytes` without splitting a UTF-8 sequence.
void TruncateUtf8(std::string* text, size_t max_bytes);

}  // namespace newsfeed::ingest::internal

#endif  // INGEST_SERVICE_PARSER_ENCODING_H_
