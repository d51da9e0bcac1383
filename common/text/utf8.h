// UTF-8 checks shared by the services: text that goes into a proto3 string
// must be valid UTF-8 (or the peer cannot parse the message), and text a
// peer sent must be checked before it is echoed or stored. (The feed
// parser keeps its own converting scanner, ingest-service/parser/encoding.h.)
//
// Thread-safe: pure functions.
#ifndef COMMON_TEXT_UTF8_H_
#define COMMON_TEXT_UTF8_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace newsfeed::text {

// Offset of the first byte of `text` that does not start a valid UTF-8
// sequence (overlong forms, surrogates and code points above U+10FFFF are
// invalid), or std::string_view::npos when all of it is valid.
size_t FirstInvalidUtf8(std::string_view text);

inline bool IsValidUtf8(std::string_view text) {
  return FirstInvalidUtf8(text) == std::string_view::npos;
}

// The longest prefix of `text` of at most `max_bytes` that does not split a
// UTF-8 sequence.
std::string_view Utf8Prefix(std::string_view text, size_t max_bytes);

// Appends code point `c` (at most U+10FFFF, not a surrogate) as UTF-8.
void AppendUtf8(char32_t c, std::string* out);

}  // namespace newsfeed::text

#endif  // COMMON_TEXT_UTF8_H_
