#include "common/text/utf8.h"

#include <string>

#include "gtest/gtest.h"

namespace newsfeed::text {
namespace {

TEST(Utf8Test, FindsTheFirstByteThatIsNotValidUtf8) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ASCII, long enough for the 8-byte path"));
  EXPECT_TRUE(IsValidUtf8("Zürich 東京 🚀 €5.5B"));
  EXPECT_EQ(FirstInvalidUtf8("abc\xFF"), 3u);
  EXPECT_EQ(FirstInvalidUtf8("caf\xC3"), 3u);           // cut short
  EXPECT_EQ(FirstInvalidUtf8("\xC0\xAF"), 0u);          // overlong '/'
  EXPECT_EQ(FirstInvalidUtf8("\xE0\x80\xAF"), 0u);      // overlong
  EXPECT_EQ(FirstInvalidUtf8("ok \xED\xA0\x80"), 3u);   // surrogate
  EXPECT_EQ(FirstInvalidUtf8("\xF4\x90\x80\x80"), 0u);  // past U+10FFFF
  EXPECT_EQ(FirstInvalidUtf8("12345678\x80"), 8u);      // after a fast run
  EXPECT_TRUE(IsValidUtf8(std::string("a\0b", 3)));     // NUL is valid
}

TEST(Utf8Test, PrefixNeverSplitsACharacter) {
  const std::string text = "a€b";  // '€' is 3 bytes: 1..3
  EXPECT_EQ(Utf8Prefix(text, 10), text);
  EXPECT_EQ(Utf8Prefix(text, 4), "a€");
  EXPECT_EQ(Utf8Prefix(text, 3), "a");
  EXPECT_EQ(Utf8Prefix(text, 2), "a");
  EXPECT_EQ(Utf8Prefix(text, 0), "");
  EXPECT_TRUE(IsValidUtf8(Utf8Prefix("🚀🚀", 5)));
}

TEST(Utf8Test, AppendsEachLengthOfSequence) {
  std::string out;
  for (char32_t c : {U'A', U'é', U'€', U'🚀'}) AppendUtf8(c, &out);
  EXPECT_EQ(out, "Aé€🚀");
}

}  // namespace
}  // namespace newsfeed::text
