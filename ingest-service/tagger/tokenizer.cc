#include "ingest-service/tagger/tokenizer.h"

#include <array>

namespace newsfeed::ingest::internal {
namespace {

enum class CharClass : uint8_t {
  kSpace,
  kNewline,
  kLetter,
  kDigit,
  kSymbol,
  kPunct
};

struct Char {
  CharClass cls;
  uint32_t len;             // bytes in the UTF-8 sequence
  std::string_view mapped;  // key for punctuation/symbols that are normalized
};

// Decodes the character at text[i]. Only the code points that matter for
// tokenization are recognized; every other non-ASCII character is a letter
// (accented Latin, CJK, ...), which keeps "Société" or "Nestlé" one token.
Char Classify(std::string_view text, size_t i) {
  const unsigned char c = static_cast<unsigned char>(text[i]);
  if (c < 0x80) {
    if (c == '\n' || c == '\r') return {CharClass::kNewline, 1, {}};
    if (c == ' ' || c == '\t' || c == '\f' || c == '\v') {
      return {CharClass::kSpace, 1, {}};
    }
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      return {CharClass::kLetter, 1, {}};
    }
    if (c >= '0' && c <= '9') return {CharClass::kDigit, 1, {}};
    if (c == '$') return {CharClass::kSymbol, 1, {}};
    return {CharClass::kPunct, 1, {}};
  }
  uint32_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  if (i + len > text.size()) len = 1;
  uint32_t cp = 0;
  if (len == 2) {
    cp = ((c & 0x1F) << 6) | (static_cast<unsigned char>(text[i + 1]) & 0x3F);
  } else if (len == 3) {
    cp = ((c & 0x0F) << 12) |
         ((static_cast<unsigned char>(text[i + 1]) & 0x3F) << 6) |
         (static_cast<unsigned char>(text[i + 2]) & 0x3F);
  }
  switch (cp) {
    case 0x00A0:  // no-break space
    case 0x2002:
    case 0x2003:
    case 0x2009:
    case 0x200A:
    case 0x200B:
    case 0x202F:
      return {CharClass::kSpace, len, {}};
    case 0x2028:
    case 0x2029:
      return {CharClass::kNewline, len, {}};
    case 0x2018:
    case 0x2019:
    case 0x201B:
    case 0x2032:
      return {CharClass::kPunct, len, "'"};
    case 0x201C:
    case 0x201D:
    case 0x00AB:
    case 0x00BB:
      return {CharClass::kPunct, len, "\""};
    case 0x2010:
    case 0x2011:
    case 0x2012:
    case 0x2013:
    case 0x2014:
    case 0x2015:
      return {CharClass::kPunct, len, "-"};
    case 0x00AE:  // ® and ™ and © mark a name, they do not part it:
    case 0x2122:  // "Check Point® Software Technologies Ltd."
    case 0x00A9:
      return {CharClass::kSpace, len, {}};
    case 0x2026:
    case 0x00B7:
    case 0x2022:
      return {CharClass::kPunct, len, {}};
    case 0x20AC:  // €
    case 0x00A3:  // £
    case 0x00A5:  // ¥
    case 0x20B9:  // ₹
    case 0x20A9:  // ₩
    case 0x20BD:  // ₽
    case 0x20BA:  // ₺
    case 0x20A6:  // ₦
    case 0x20B1:  // ₱
    case 0x20AA:  // ₪
    case 0x0E3F:  // ฿
    case 0x20AB:  // ₫
    case 0x20B4:  // ₴
      return {CharClass::kSymbol, len, {}};
    default:
      return {CharClass::kLetter, len, {}};
  }
}

bool IsAbbreviation(std::string_view key) {
  // A single letter ("U.S.", "J.P.") or a common abbreviation closes no
  // sentence.
  if (key.size() == 1) return true;
  static constexpr std::array<std::string_view, 14> kAbbrev = {
      "inc", "corp", "co", "ltd", "mr", "mrs",  "ms",
      "dr",  "st",   "jr", "vs",  "no", "bros", "gov"};
  for (std::string_view a : kAbbrev) {
    if (key == a) return true;
  }
  return false;
}

}  // namespace

void Tokenize(std::string_view text, TokenizedText* out) {
  out->tokens.clear();
  out->lowered.assign(text.data(), text.size());
  for (char& ch : out->lowered) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  const std::string_view lowered = out->lowered;
  uint32_t sentence = 0;
  bool space_before = true;
  bool pending_break = false;  // a sentence end was seen; next token starts one
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ') {  // by far the most common character: skip Classify
      space_before = true;
      ++i;
      continue;
    }
    const Char ch = Classify(text, i);
    if (ch.cls == CharClass::kSpace || ch.cls == CharClass::kNewline) {
      if (ch.cls == CharClass::kNewline && !out->tokens.empty()) {
        pending_break = true;
      }
      space_before = true;
      i += ch.len;
      continue;
    }
    if (pending_break) {
      ++sentence;
      pending_break = false;
    }
    Token tok;
    tok.begin = static_cast<uint32_t>(i);
    tok.space_before = space_before;
    tok.sentence = sentence;
    space_before = false;
    if (ch.cls == CharClass::kLetter) {
      tok.kind = TokenKind::kWord;
      bool has_lower = false;
      bool has_upper = false;
      size_t j = i;
      while (j < text.size()) {
        const char b0 = text[j];
        // ASCII letters and digits are the common case: skip Classify.
        if ((b0 >= 'a' && b0 <= 'z') || (b0 >= '0' && b0 <= '9')) {
          has_lower = has_lower || b0 >= 'a';
          ++j;
          continue;
        }
        const Char c2 = Classify(text, j);
        if (c2.cls != CharClass::kLetter && c2.cls != CharClass::kDigit) break;
        const char b = text[j];
        if (b >= 'a' && b <= 'z') has_lower = true;
        if (b >= 'A' && b <= 'Z') has_upper = true;
        j += c2.len;
      }
      tok.upper_initial = text[i] >= 'A' && text[i] <= 'Z';
      tok.all_upper = has_upper && !has_lower;
      i = j;
    } else if (ch.cls == CharClass::kDigit) {
      tok.kind = TokenKind::kNumber;
      size_t j = i + 1;
      while (j < text.size()) {
        const char b = text[j];
        if (b >= '0' && b <= '9') {
          ++j;
        } else if ((b == '.' || b == ',') && j + 1 < text.size() &&
                   text[j + 1] >= '0' && text[j + 1] <= '9') {
          j += 2;
        } else {
          break;
        }
      }
      i = j;
    } else {
      tok.kind =
          ch.cls == CharClass::kSymbol ? TokenKind::kSymbol : TokenKind::kPunct;
      i += ch.len;
    }
    tok.end = static_cast<uint32_t>(i);
    if (!ch.mapped.empty()) {
      tok.key = ch.mapped;
    } else {
      tok.key = lowered.substr(tok.begin, tok.end - tok.begin);
    }
    if (tok.kind == TokenKind::kPunct &&
        (tok.key == "." || tok.key == "!" || tok.key == "?")) {
      const bool followed_by_space =
          i >= text.size() || text[i] == ' ' || text[i] == '\n' ||
          text[i] == '"' || static_cast<unsigned char>(text[i]) >= 0x80;
      // "5G." ends a sentence: a letter glued to a number is no initial.
      const size_t n = out->tokens.size();
      const bool glued_to_number =
          n >= 2 && out->tokens[n - 1].key.size() == 1 &&
          !out->tokens[n - 1].space_before &&
          out->tokens[n - 2].kind == TokenKind::kNumber;
      const bool after_abbrev = tok.key == "." && !out->tokens.empty() &&
                                out->tokens.back().kind == TokenKind::kWord &&
                                out->tokens.back().end == tok.begin &&
                                IsAbbreviation(out->tokens.back().key) &&
                                !glued_to_number;
      if (followed_by_space && !after_abbrev) pending_break = true;
    }
    out->tokens.push_back(tok);
  }
}

}  // namespace newsfeed::ingest::internal
