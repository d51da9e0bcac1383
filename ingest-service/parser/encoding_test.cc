// Encodings, tested through ParseFeed so that each case also proves the
// transcoded document parses.

#include "ingest-service/parser/encoding.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ingest-service/parser/feed_parser.h"

namespace newsfeed::ingest {
namespace {

// An RSS document whose item title is `title_bytes`, with an XML declaration
// naming `encoding` (none when empty).
std::string Rss(std::string_view encoding, std::string_view title_bytes) {
  std::string decl = encoding.empty()
                         ? std::string("<?xml version=\"1.0\"?>")
                         : absl::StrCat("<?xml version=\"1.0\" encoding=\"",
                                        std::string(encoding), "\"?>");
  return absl::StrCat(decl, "\n<rss version=\"2.0\"><channel><item><title>",
                      std::string(title_bytes),
                      "</title></item></channel></rss>");
}

struct Result {
  std::string title;
  std::vector<std::string> warnings;
};

Result Title(std::string_view body, std::string_view hint = "") {
  ParseOptions options;
  options.charset_hint = std::string(hint);
  absl::StatusOr<ParsedFeed> feed = ParseFeed(body, options);
  EXPECT_TRUE(feed.ok()) << feed.status();
  if (!feed.ok() || feed->items.empty()) return {};
  return {feed->items[0].title, feed->warnings};
}

TEST(EncodingTest, SingleByteCharsetsFromDeclaration) {
  EXPECT_EQ(Title(Rss("ISO-8859-1", "caf\xE9")).title, "café");
  // ISO-8859-1 labels are read as windows-1252 (WHATWG): curly quotes.
  EXPECT_EQ(Title(Rss("iso-8859-1", "\x93quoted\x94")).title, "“quoted”");
  EXPECT_EQ(Title(Rss("windows-1253", "\xD9\xEC\xDD\xE3\xE1")).title, "Ωμέγα");
  EXPECT_EQ(Title(Rss("ISO-8859-2", "Za\xBF\xF3\xB3\xE6")).title, "Zażółć");
  EXPECT_EQ(Title(Rss("KOI8-R", "\xF0\xD2\xC9\xD7\xC5\xD4")).title, "Привет");
}

TEST(EncodingTest, MultiByteCharsets) {
  EXPECT_EQ(Title(Rss("Shift_JIS", "\x93\xFA\x96\x7B")).title, "日本");
  EXPECT_EQ(Title(Rss("GB2312", "\xD6\xD0\xCE\xC4")).title, "中文");
  EXPECT_EQ(Title(Rss("GBK", "\xD6\xD0\xCE\xC4")).title, "中文");
  EXPECT_EQ(Title(Rss("Big5", "\xA4\xA4\xA4\xE5")).title, "中文");
}

std::string ToUtf16(std::string_view ascii, bool big_endian, bool bom) {
  std::string out;
  if (bom) out = big_endian ? "\xFE\xFF" : "\xFF\xFE";
  for (char c : ascii) {
    if (big_endian) out.push_back('\0');
    out.push_back(c);
    if (!big_endian) out.push_back('\0');
  }
  return out;
}

TEST(EncodingTest, Utf16WithAndWithoutBom) {
  std::string doc = Rss("UTF-16", "Hello");
  EXPECT_EQ(Title(ToUtf16(doc, false, true)).title, "Hello");
  EXPECT_EQ(Title(ToUtf16(doc, true, true)).title, "Hello");
  EXPECT_EQ(Title(ToUtf16(doc, false, false)).title, "Hello");
  EXPECT_EQ(Title(ToUtf16(doc, true, false)).title, "Hello");
  // A UTF-16 code unit beyond ASCII: "é" is E9 00 in UTF-16LE.
  std::string with_e = ToUtf16(Rss("UTF-16", "caf#"), false, true);
  with_e.replace(with_e.find(std::string("#\0", 2)), 2,
                 std::string("\xE9\0", 2));
  EXPECT_EQ(Title(with_e).title, "café");
}

TEST(EncodingTest, Utf8BomSkipped) {
  EXPECT_EQ(Title("\xEF\xBB\xBF" + Rss("", "caf\xC3\xA9")).title, "café");
}

TEST(EncodingTest, CharsetHintUsedWithoutDeclaration) {
  EXPECT_EQ(Title(Rss("", "caf\xE9"), "windows-1252").title, "café");
  // The declaration wins over the hint when both are present and fit.
  EXPECT_EQ(Title(Rss("KOI8-R", "\xF0\xD2\xC9\xD7\xC5\xD4"), "utf-8").title,
            "Привет");
}

TEST(EncodingTest, WrongDeclarationRepaired) {
  // Declared Latin-1, actually UTF-8.
  Result latin = Title(Rss("ISO-8859-1", "caf\xC3\xA9"));
  EXPECT_EQ(latin.title, "café");
  ASSERT_FALSE(latin.warnings.empty());
  EXPECT_NE(latin.warnings[0].find("bytes are UTF-8"), std::string::npos);
  // Declared UTF-8, actually windows-1252, and the HTTP header knew.
  Result hinted = Title(Rss("UTF-8", "caf\xE9"), "iso-8859-1");
  EXPECT_EQ(hinted.title, "café");
  ASSERT_FALSE(hinted.warnings.empty());
}

TEST(EncodingTest, InvalidUtf8BytesReplaced) {
  // Mostly UTF-8 ("é" is valid) with stray bytes: only those are lost.
  Result r = Title(Rss("UTF-8",
                       "\xC3\xA9 a\xFF"
                       "b\xC3"));
  EXPECT_EQ(r.title,
            "\xC3\xA9 a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD");
  ASSERT_FALSE(r.warnings.empty());
  EXPECT_NE(r.warnings[0].find("line 2"), std::string::npos);
  // Overlong and surrogate encodings are invalid too.
  EXPECT_EQ(Title(Rss("", "\xC3\xA9\xC0\xAF\xED\xA0\x80")).title,
            "\xC3\xA9\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
            "\xEF\xBF\xBD");
}

TEST(EncodingTest, NoUtf8AtAllReadAsWindows1252) {
  // Nothing names a charset and no byte sequence is UTF-8: a legacy 8-bit
  // document, read as feedparser's last resort reads it.
  Result r = Title(Rss("", "caf\xE9 \x93quoted\x94"));
  EXPECT_EQ(r.title, "caf\xC3\xA9 \xE2\x80\x9Cquoted\xE2\x80\x9D");
  ASSERT_FALSE(r.warnings.empty());
  EXPECT_NE(r.warnings[0].find("windows-1252"), std::string::npos);
  // The same when the declaration says UTF-8 and the bytes disagree.
  EXPECT_EQ(Title(Rss("UTF-8", "caf\xE9")).title, "caf\xC3\xA9");
}

TEST(EncodingTest, UnknownCharsetFallsBackToUtf8) {
  Result r = Title(Rss("x-made-up", "plain"));
  EXPECT_EQ(r.title, "plain");
  ASSERT_FALSE(r.warnings.empty());
}

TEST(EncodingTest, InvalidBytesInMultiByteCharsetReplaced) {
  // 0x80 alone is not a Shift_JIS lead byte in CP932 context followed by
  // a truncated sequence at the end.
  Result r = Title(Rss("Shift_JIS", "\x93\xFA\x93"));
  EXPECT_EQ(r.title.substr(0, 3), "日");
  EXPECT_NE(r.title.find("\xEF\xBF\xBD"), std::string::npos);
}

TEST(EncodingTest, TruncateUtf8KeepsWholeSequences) {
  std::string s = "aé";  // 61 C3 A9
  internal::TruncateUtf8(&s, 2);
  EXPECT_EQ(s, "a");
  EXPECT_EQ(internal::ValidUtf8Prefix("ab\xFF"), 2u);
}

TEST(EncodingTest, PythonStyleLabelsIconvSpellsDifferently) {
  // 0x80 is 'Ä' in Mac OS Roman and Central European, 'А' in Mac Cyrillic.
  EXPECT_EQ(Title(Rss("mac-roman", "\x80")).title, "\xC3\x84");
  EXPECT_EQ(Title(Rss("x-mac-roman", "\x80")).title, "\xC3\x84");
  EXPECT_EQ(Title(Rss("maccentraleurope", "\x80")).title, "\xC3\x84");
  EXPECT_EQ(Title(Rss("mac-cyrillic", "\x80")).title, "\xD0\x90");
  // 0x80 is 'Ç' in code page 861 and '€' in windows-1252 ("dbcs").
  EXPECT_EQ(Title(Rss("cp_is", "\x80")).title, "\xC3\x87");
  EXPECT_EQ(Title(Rss("dbcs", "\x80")).title, "\xE2\x82\xAC");
}

// ASCII text as CP037 (EBCDIC US) bytes; enough of the table for markup.
std::string ToCp037(std::string_view ascii) {
  std::string out;
  for (char c : ascii) {
    unsigned char e;
    if (c >= 'a' && c <= 'i')
      e = 0x81 + (c - 'a');
    else if (c >= 'j' && c <= 'r')
      e = 0x91 + (c - 'j');
    else if (c >= 's' && c <= 'z')
      e = 0xA2 + (c - 's');
    else if (c >= 'A' && c <= 'I')
      e = 0xC1 + (c - 'A');
    else if (c >= 'J' && c <= 'R')
      e = 0xD1 + (c - 'J');
    else if (c >= 'S' && c <= 'Z')
      e = 0xE2 + (c - 'S');
    else if (c >= '0' && c <= '9')
      e = 0xF0 + (c - '0');
    else if (c == ' ')
      e = 0x40;
    else if (c == '<')
      e = 0x4C;
    else if (c == '>')
      e = 0x6E;
    else if (c == '?')
      e = 0x6F;
    else if (c == '=')
      e = 0x7E;
    else if (c == '"')
      e = 0x7F;
    else if (c == '/')
      e = 0x61;
    else if (c == '.')
      e = 0x4B;
    else if (c == '-')
      e = 0x60;
    else
      e = 0x6F;
    out.push_back(static_cast<char>(e));
  }
  return out;
}

TEST(EncodingTest, EbcdicDocumentReadThroughItsDeclaration) {
  std::string body = ToCp037(
      "<?xml version=\"1.0\" encoding=\"cp500\"?>"
      "<rss version=\"2.0\"><channel><item><title>Hello</title>"
      "</item></channel></rss>");
  EXPECT_EQ(Title(body).title, "Hello");
  // 0x4A is '[' in cp500 but '\xC2\xA2' in cp037: the declaration decides.
  body.insert(body.find(ToCp037("</title>")), "\x4A");
  EXPECT_EQ(Title(body).title, "Hello[");
}

}  // namespace
}  // namespace newsfeed::ingest
