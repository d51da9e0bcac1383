// Splits UTF-8 news text into tokens for gazetteer lookup. Internal to the
// tagger; exposed in a header for its tests and the benchmark baseline.
#ifndef INGEST_SERVICE_TAGGER_TOKENIZER_H_
#define INGEST_SERVICE_TAGGER_TOKENIZER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace newsfeed::ingest::internal {

enum class TokenKind : uint8_t {
  kWord,    // letters and digits starting with a letter: "Microsoft", "G42"
  kNumber,  // digits with inner separators: "5.5", "3,000", "2027"
  kSymbol,  // a currency sign: "$", "€", "£", "¥", "₹", "₩"
  kPunct,   // any other single character: "." "," "'" "(" "-" "&"
};

struct Token {
  uint32_t begin = 0;  // byte offsets into the text: [begin, end)
  uint32_t end = 0;
  // Lookup key: the text with ASCII letters lowered (offsets are kept, so the
  // key views the lowered copy of the text); typographic apostrophes, quotes
  // and dashes map to their ASCII forms.
  std::string_view key;
  TokenKind kind = TokenKind::kPunct;
  bool upper_initial = false;  // first character is an ASCII capital
  bool all_upper = false;     // no lowercase ASCII letter, at least one capital
  bool space_before = false;  // whitespace (or text start) precedes it
  uint32_t sentence = 0;      // index of the sentence holding the token
};

// A tokenized text. `lowered` owns the storage the token keys view, so it is
// neither copyable nor movable (a moved short string would leave the keys
// dangling).
struct TokenizedText {
  std::string lowered;
  std::vector<Token> tokens;

  TokenizedText() = default;
  TokenizedText(const TokenizedText&) = delete;
  TokenizedText& operator=(const TokenizedText&) = delete;
};

// Tokenizes `text` into `out` (reusing its buffers). Never fails: invalid
// UTF-8 bytes are treated as letters. Sentence boundaries are '.', '!' and
// '?' followed by a space and not closing a known abbreviation ("Inc.",
// "U.S."), and line breaks.
void Tokenize(std::string_view text, TokenizedText* out);

}  // namespace newsfeed::ingest::internal

#endif  // INGEST_SERVICE_TAGGER_TOKENIZER_H_
