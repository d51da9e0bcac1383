// Copyright newsfeed authors.
#include "query-service/store/pg_text_query.h"

#include <cctype>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace newsfeed::query::internal {
namespace {

// Weight letters of the indexed columns (see the tsv column in pg_store.cc).
constexpr char kAllWeights[] = "ABC";

struct Token {
  enum Kind { kEnd, kString, kBare, kPunct } kind = kEnd;
  std::string text;  // the string's contents, the bareword, the punctuation
};

bool IsBareChar(unsigned char c) {
  // FTS5 barewords: non-ASCII, alphanumerics, '_' and the substitute char.
  return c >= 0x80 || std::isalnum(c) || c == '_' || c == 0x1a;
}

absl::Status SyntaxError(const std::string& near) {
  if (near.empty()) {
    return absl::InvalidArgumentError(
        "filter.text: syntax error at end of query");
  }
  return absl::InvalidArgumentError(
      absl::StrCat("filter.text: syntax error near \"", near, "\""));
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  absl::StatusOr<std::string> Parse() {
    if (absl::Status s = Advance(); !s.ok()) return s;
    if (tok_.kind == Token::kEnd) return std::string();
    absl::StatusOr<std::string> q = ParseOr(kAllWeights);
    if (!q.ok()) return q.status();
    if (tok_.kind != Token::kEnd) return SyntaxError(tok_.text);
    return q;
  }

 private:
  absl::Status Advance() {
    while (pos_ < text_.size() &&
           std::isspace(static_cast<unsigned char>(text_[pos_]))) {
      ++pos_;
    }
    tok_ = Token();
    if (pos_ >= text_.size()) return absl::OkStatus();
    const char c = text_[pos_];
    if (c == '"') {
      std::string s;
      ++pos_;
      while (true) {
        if (pos_ >= text_.size()) {
          return absl::InvalidArgumentError("filter.text: unterminated string");
        }
        if (text_[pos_] == '"') {
          if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
            s.push_back('"');
            pos_ += 2;
            continue;
          }
          ++pos_;
          break;
        }
        s.push_back(text_[pos_++]);
      }
      tok_ = {Token::kString, std::move(s)};
      return absl::OkStatus();
    }
    if (IsBareChar(static_cast<unsigned char>(c))) {
      const size_t start = pos_;
      while (pos_ < text_.size() &&
             IsBareChar(static_cast<unsigned char>(text_[pos_]))) {
        ++pos_;
      }
      tok_ = {Token::kBare, std::string(text_.substr(start, pos_ - start))};
      return absl::OkStatus();
    }
    if (std::string_view("():*+^{},-").find(c) != std::string_view::npos) {
      tok_ = {Token::kPunct, std::string(1, c)};
      ++pos_;
      return absl::OkStatus();
    }
    return SyntaxError(std::string(1, c));
  }

  bool IsPunct(char c) const {
    return tok_.kind == Token::kPunct && tok_.text[0] == c;
  }
  bool IsKeyword(std::string_view k) const {
    return tok_.kind == Token::kBare && tok_.text == k;
  }
  // Whether the current token can start an operand (an implicit AND).
  bool StartsOperand() const {
    if (tok_.kind == Token::kString) return true;
    if (tok_.kind == Token::kBare) {
      return !IsKeyword("AND") && !IsKeyword("OR") && !IsKeyword("NOT");
    }
    return IsPunct('(') || IsPunct('{') || IsPunct('-') || IsPunct('^');
  }

  absl::StatusOr<std::string> ParseOr(const std::string& weights) {
    absl::StatusOr<std::string> left = ParseAnd(weights);
    if (!left.ok()) return left;
    std::string out = *left;
    while (IsKeyword("OR")) {
      if (absl::Status s = Advance(); !s.ok()) return s;
      absl::StatusOr<std::string> right = ParseAnd(weights);
      if (!right.ok()) return right;
      out = absl::StrCat("(", out, " | ", *right, ")");
    }
    return out;
  }

  absl::StatusOr<std::string> ParseAnd(const std::string& weights) {
    absl::StatusOr<std::string> left = ParseNot(weights);
    if (!left.ok()) return left;
    std::string out = *left;
    while (IsKeyword("AND") || StartsOperand()) {
      if (IsKeyword("AND")) {
        if (absl::Status s = Advance(); !s.ok()) return s;
      }
      absl::StatusOr<std::string> right = ParseNot(weights);
      if (!right.ok()) return right;
      out = absl::StrCat("(", out, " & ", *right, ")");
    }
    return out;
  }

  absl::StatusOr<std::string> ParseNot(const std::string& weights) {
    absl::StatusOr<std::string> left = ParsePrimary(weights);
    if (!left.ok()) return left;
    std::string out = *left;
    while (IsKeyword("NOT")) {
      if (absl::Status s = Advance(); !s.ok()) return s;
      absl::StatusOr<std::string> right = ParsePrimary(weights);
      if (!right.ok()) return right;
      out = absl::StrCat("(", out, " & !", *right, ")");
    }
    return out;
  }

  // A column name's weight letter, or an error naming it.
  absl::StatusOr<char> ColumnWeight(const std::string& name) const {
    const std::string lower = absl::AsciiStrToLower(name);
    if (lower == "title") return 'A';
    if (lower == "summary") return 'B';
    if (lower == "body") return 'C';
    return absl::InvalidArgumentError(
        absl::StrCat("filter.text: no such column: ", name));
  }

  // After `-`? `{names}` or `name`, then `:`. Returns the weights allowed
  // inside, intersected with `outer`.
  absl::StatusOr<std::string> ParseColumnFilter(const std::string& outer) {
    bool negate = false;
    if (IsPunct('-')) {
      negate = true;
      if (absl::Status s = Advance(); !s.ok()) return s;
    }
    std::string named;
    if (IsPunct('{')) {
      if (absl::Status s = Advance(); !s.ok()) return s;
      while (!IsPunct('}')) {
        if (tok_.kind != Token::kBare && tok_.kind != Token::kString) {
          return SyntaxError(tok_.text);
        }
        absl::StatusOr<char> w = ColumnWeight(tok_.text);
        if (!w.ok()) return w.status();
        named.push_back(*w);
        if (absl::Status s = Advance(); !s.ok()) return s;
      }
    } else if (tok_.kind == Token::kBare || tok_.kind == Token::kString) {
      absl::StatusOr<char> w = ColumnWeight(tok_.text);
      if (!w.ok()) return w.status();
      named.push_back(*w);
    } else {
      return SyntaxError(tok_.text);
    }
    if (absl::Status s = Advance(); !s.ok()) return s;  // past name or '}'
    if (!IsPunct(':')) return SyntaxError(tok_.text);
    if (absl::Status s = Advance(); !s.ok()) return s;
    std::string result;
    for (char w : outer) {
      const bool in_named = named.find(w) != std::string::npos;
      if (in_named != negate) result.push_back(w);
    }
    // No column left: "D" is a weight no indexed lexeme carries, so the
    // operand matches nothing, as on SQLite.
    if (result.empty()) result = "D";
    return result;
  }

  absl::StatusOr<std::string> ParsePrimary(const std::string& weights) {
    std::string w = weights;
    // A column filter: `name :`, `{…} :` or `-…`.
    const bool colon_follows = [&] {
      size_t p = pos_;
      while (p < text_.size() &&
             std::isspace(static_cast<unsigned char>(text_[p]))) {
        ++p;
      }
      return p < text_.size() && text_[p] == ':';
    }();
    if (IsPunct('{') || IsPunct('-') ||
        ((tok_.kind == Token::kBare || tok_.kind == Token::kString) &&
         colon_follows)) {
      absl::StatusOr<std::string> cols = ParseColumnFilter(weights);
      if (!cols.ok()) return cols.status();
      w = *cols;
    }
    if (IsPunct('(')) {
      if (absl::Status s = Advance(); !s.ok()) return s;
      absl::StatusOr<std::string> inner = ParseOr(w);
      if (!inner.ok()) return inner;
      if (!IsPunct(')')) return SyntaxError(tok_.text);
      if (absl::Status s = Advance(); !s.ok()) return s;
      return inner;
    }
    if (IsKeyword("NEAR") && pos_ < text_.size() && text_[pos_] == '(') {
      if (absl::Status s = Advance(); !s.ok()) return s;  // NEAR
      if (absl::Status s = Advance(); !s.ok()) return s;  // (
      std::vector<std::string> phrases;
      while (tok_.kind == Token::kBare || tok_.kind == Token::kString) {
        absl::StatusOr<std::string> p = ParsePhrase(w);
        if (!p.ok()) return p;
        phrases.push_back(*p);
      }
      if (phrases.empty()) return SyntaxError(tok_.text);
      if (IsPunct(',')) {
        if (absl::Status s = Advance(); !s.ok()) return s;
        if (tok_.kind != Token::kBare ||
            tok_.text.find_first_not_of("0123456789") != std::string::npos) {
          return SyntaxError(tok_.text);
        }
        if (absl::Status s = Advance(); !s.ok()) return s;
      }
      if (!IsPunct(')')) return SyntaxError(tok_.text);
      if (absl::Status s = Advance(); !s.ok()) return s;
      std::string out = phrases[0];
      for (size_t i = 1; i < phrases.size(); ++i) {
        out = absl::StrCat("(", out, " & ", phrases[i], ")");
      }
      return out;
    }
    if (IsPunct('^')) {
      if (absl::Status s = Advance(); !s.ok()) return s;
    }
    if (tok_.kind == Token::kString ||
        (tok_.kind == Token::kBare && StartsOperand())) {
      return ParsePhrase(w);
    }
    return SyntaxError(tok_.text);
  }

  // string [*] (+ string [*])*: one phrase; the terms run into one quoted
  // lexeme that to_tsquery splits into `<->`-joined lexemes.
  absl::StatusOr<std::string> ParsePhrase(const std::string& weights) {
    std::string words;
    bool prefix = false;
    while (true) {
      if (tok_.kind != Token::kBare && tok_.kind != Token::kString) {
        return SyntaxError(tok_.text);
      }
      if (!words.empty()) words.push_back(' ');
      words += tok_.text;
      if (absl::Status s = Advance(); !s.ok()) return s;
      prefix = false;
      if (IsPunct('*')) {
        prefix = true;
        if (absl::Status s = Advance(); !s.ok()) return s;
      }
      if (!IsPunct('+')) break;
      if (absl::Status s = Advance(); !s.ok()) return s;
    }
    std::string out = "'";
    for (char c : words) {
      if (c == '\'' || c == '\\') out.push_back(c == '\'' ? '\'' : '\\');
      out.push_back(c);
    }
    out.push_back('\'');
    if (prefix || weights != kAllWeights) {
      out.push_back(':');
      if (prefix) out.push_back('*');
      if (weights != kAllWeights) out += weights;
    }
    return out;
  }

  std::string_view text_;
  size_t pos_ = 0;
  Token tok_;
};

}  // namespace

absl::StatusOr<std::string> FtsToTsquery(std::string_view text) {
  return Parser(text).Parse();
}

}  // namespace newsfeed::query::internal
