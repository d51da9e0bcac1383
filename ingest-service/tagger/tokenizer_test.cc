#include "ingest-service/tagger/tokenizer.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace newsfeed::ingest::internal {
namespace {

std::vector<std::string> Keys(const TokenizedText& t) {
  std::vector<std::string> out;
  for (const Token& tok : t.tokens) out.emplace_back(tok.key);
  return out;
}

TEST(Tokenizer, WordsNumbersSymbolsAndPunctuation) {
  TokenizedText t;
  Tokenize("Microsoft’s €5.5B plan, 3,000 jobs", &t);
  EXPECT_EQ(Keys(t),
            (std::vector<std::string>{"microsoft", "'", "s", "€", "5.5", "b",
                                      "plan", ",", "3,000", "jobs"}));
  EXPECT_EQ(t.tokens[3].kind, TokenKind::kSymbol);
  EXPECT_EQ(t.tokens[4].kind, TokenKind::kNumber);
  EXPECT_FALSE(t.tokens[5].space_before);  // "B" is attached to "5.5"
  EXPECT_TRUE(t.tokens[0].upper_initial);
}

TEST(Tokenizer, OffsetsAreBytesIntoTheText) {
  const std::string text = "Société Générale et Nestlé";
  TokenizedText t;
  Tokenize(text, &t);
  ASSERT_EQ(t.tokens.size(), 4u);
  EXPECT_EQ(text.substr(t.tokens[3].begin, t.tokens[3].end - t.tokens[3].begin),
            "Nestlé");
}

TEST(Tokenizer, SentencesSkipAbbreviations) {
  TokenizedText t;
  Tokenize("The U.S. economy grew. Apple Inc. rose.\nNew line", &t);
  // "U.S." and "Inc." close no sentence; "grew." and the line break do.
  EXPECT_EQ(t.tokens.front().sentence, 0u);
  uint32_t apple = 0, line = 0;
  for (const Token& tok : t.tokens) {
    if (tok.key == "apple") apple = tok.sentence;
    if (tok.key == "line") line = tok.sentence;
  }
  EXPECT_EQ(apple, 1u);
  EXPECT_EQ(line, 2u);
}

TEST(Tokenizer, EmptyAndInvalidUtf8) {
  TokenizedText t;
  Tokenize("", &t);
  EXPECT_TRUE(t.tokens.empty());
  Tokenize("\xff\xfe abc \xe2\x82", &t);  // truncated sequence at the end
  EXPECT_FALSE(t.tokens.empty());
}

}  // namespace
}  // namespace newsfeed::ingest::internal
