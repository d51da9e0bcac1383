#include "ingest-service/opml/opml.h"

#include <algorithm>
#include <pugixml.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsfeed::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

OpmlDocument MustParse(std::string_view text, const OpmlLimits& limits = {}) {
  absl::StatusOr<OpmlDocument> doc = ParseOpml(text, limits);
  EXPECT_TRUE(doc.ok()) << doc.status();
  return doc.ok() ? *std::move(doc) : OpmlDocument{};
}

// The message of a refusal, after checking it is INVALID_ARGUMENT.
std::string Refusal(std::string_view text, const OpmlLimits& limits = {}) {
  absl::StatusOr<OpmlDocument> doc = ParseOpml(text, limits);
  EXPECT_FALSE(doc.ok());
  if (doc.ok()) return "";
  EXPECT_EQ(doc.status().code(), absl::StatusCode::kInvalidArgument)
      << doc.status();
  return std::string(doc.status().message());
}

// `utf8` as UTF-16LE bytes after a byte-order mark.
std::string Utf16LeWithBom(std::string_view utf8) {
  std::string out = "\xFF\xFE";
  auto unit = [&out](char32_t u) {
    out.push_back(static_cast<char>(u & 0xFF));
    out.push_back(static_cast<char>(u >> 8));
  };
  for (size_t i = 0; i < utf8.size();) {
    auto c = static_cast<unsigned char>(utf8[i]);
    size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    char32_t cp = len == 1   ? c
                  : len == 2 ? c & 0x1F
                  : len == 3 ? c & 0x0F
                             : c & 0x07;
    for (size_t k = 1; k < len; ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3F);
    }
    i += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      unit(0xD800 + (cp >> 10));
      unit(0xDC00 + (cp & 0x3FF));
    } else {
      unit(cp);
    }
  }
  return out;
}

// A feed reader's export, as readers write them: nested folders, a feed
// filed in two folders, a blank xmlUrl, categories, an empty folder.
// Line numbers matter: tests name them.
constexpr char kExport[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head>
    <title>Subscriptions &amp; more</title>
    <dateCreated>Mon, 13 May 2024 08:00:00 GMT</dateCreated>
  </head>
  <body>
    <outline text="Markets" title="Markets">
      <outline text="Central banks">
        <outline type="rss" text="ECB" title="ECB press releases" xmlUrl="https://www.ecb.europa.eu/rss/press.html" htmlUrl="https://www.ecb.europa.eu/press/"/>
        <outline type="rss" text="Fed" xmlUrl="  https://www.federalreserve.gov/feeds/press_all.xml " category="/Policy/Rates/,Central banks"/>
      </outline>
      <outline type="rss" text="Markets wire" xmlUrl="https://markets.example.com/rss"/>
    </outline>
    <outline text="Empty folder" title="Empty folder"/>
    <outline title="" text="Tech">
      <outline type="rss" text="Broken" xmlUrl="   "/>
      <outline type="rss" text="Fed again" xmlUrl="https://www.federalreserve.gov/feeds/press_all.xml"/>
    </outline>
    <outline type="rss" text="Hacker News" xmlUrl="https://news.ycombinator.com/rss" category="tech, /news/ ,,/"/>
  </body>
</opml>
)";

TEST(ParseOpmlTest, ReadsFeedReaderExport) {
  OpmlDocument doc = MustParse(kExport);
  EXPECT_EQ(doc.title, "Subscriptions & more");
  ASSERT_EQ(doc.feeds.size(), 4u);

  const OpmlFeed& ecb = doc.feeds[0];
  EXPECT_EQ(ecb.url, "https://www.ecb.europa.eu/rss/press.html");
  EXPECT_EQ(ecb.title, "ECB press releases");
  EXPECT_EQ(ecb.html_url, "https://www.ecb.europa.eu/press/");
  EXPECT_THAT(ecb.labels, ElementsAre("Markets", "Central banks"));
  EXPECT_EQ(ecb.line, 10);

  // Filed under Markets > Central banks and again under Tech: one feed with
  // the labels of both, and the title of the first.
  const OpmlFeed& fed = doc.feeds[1];
  EXPECT_EQ(fed.url, "https://www.federalreserve.gov/feeds/press_all.xml");
  EXPECT_EQ(fed.title, "Fed");
  EXPECT_EQ(fed.html_url, "");
  EXPECT_THAT(fed.labels,
              ElementsAre("Markets", "Central banks", "Rates", "Tech"));
  EXPECT_EQ(fed.line, 11);

  const OpmlFeed& wire = doc.feeds[2];
  EXPECT_EQ(wire.url, "https://markets.example.com/rss");
  EXPECT_EQ(wire.title, "Markets wire");
  EXPECT_THAT(wire.labels, ElementsAre("Markets"));
  EXPECT_EQ(wire.line, 13);

  const OpmlFeed& hn = doc.feeds[3];
  EXPECT_EQ(hn.url, "https://news.ycombinator.com/rss");
  EXPECT_EQ(hn.title, "Hacker News");
  EXPECT_THAT(hn.labels, ElementsAre("tech", "news"));
  EXPECT_EQ(hn.line, 20);

  ASSERT_EQ(doc.problems.size(), 2u);
  EXPECT_EQ(doc.problems[0].line, 17);
  EXPECT_TRUE(doc.problems[0].error);
  EXPECT_EQ(doc.problems[0].message, R"(xmlUrl "   ": empty or blank)");
  EXPECT_EQ(doc.problems[1].line, 18);
  EXPECT_FALSE(doc.problems[1].error);
  EXPECT_EQ(doc.problems[1].message,
            "xmlUrl \"https://www.federalreserve.gov/feeds/press_all.xml\": "
            "duplicate of line 11, imported once");
}

TEST(ParseOpmlTest, CountsLinesOverCrLfAndLoneCr) {
  OpmlDocument doc = MustParse(
      "<opml version=\"2.0\">\r\n<body>\r\n"
      "<outline xmlUrl=\"https://a.example/feed\"/>\r"
      "<outline xmlUrl=\"https://b.example/feed\"/>\r\n</body></opml>");
  ASSERT_EQ(doc.feeds.size(), 2u);
  EXPECT_EQ(doc.feeds[0].line, 3);
  EXPECT_EQ(doc.feeds[1].line, 4);
}

TEST(ParseOpmlTest, TitleFallsBackToText) {
  OpmlDocument doc = MustParse(R"(<opml version="1.0"><body>
<outline text="From text" xmlUrl="https://a.example/feed"/>
<outline text="Ignored" title="From title" xmlUrl="https://b.example/feed"/>
<outline xmlUrl="https://c.example/feed"/>
</body></opml>)");
  ASSERT_EQ(doc.feeds.size(), 3u);
  EXPECT_EQ(doc.feeds[0].title, "From text");
  EXPECT_EQ(doc.feeds[1].title, "From title");
  EXPECT_EQ(doc.feeds[2].title, "");
  EXPECT_EQ(doc.title, "");
}

TEST(ParseOpmlTest, AcceptsXmlUrlInAnyCase) {
  OpmlDocument doc = MustParse(R"(<opml><body>
<outline text="a" xmlurl="https://a.example/feed" HTMLURL="https://a.example/"/>
<outline text="b" XMLURL="https://b.example/feed"/>
</body></opml>)");
  ASSERT_EQ(doc.feeds.size(), 2u);
  EXPECT_EQ(doc.feeds[0].url, "https://a.example/feed");
  EXPECT_EQ(doc.feeds[0].html_url, "https://a.example/");
  EXPECT_EQ(doc.feeds[1].url, "https://b.example/feed");
}

TEST(ParseOpmlTest, FeedWithOutlinesInsideIsNotTheirFolder) {
  OpmlDocument doc = MustParse(R"(<opml><body>
<outline text="News">
  <outline text="Parent" xmlUrl="https://parent.example/feed">
    <outline text="Child" xmlUrl="https://child.example/feed"/>
  </outline>
</outline>
</body></opml>)");
  ASSERT_EQ(doc.feeds.size(), 2u);
  EXPECT_EQ(doc.feeds[0].url, "https://parent.example/feed");
  EXPECT_THAT(doc.feeds[0].labels, ElementsAre("News"));
  EXPECT_EQ(doc.feeds[1].url, "https://child.example/feed");
  EXPECT_THAT(doc.feeds[1].labels, ElementsAre("News"));
  EXPECT_EQ(doc.feeds[1].line, 4);
}

TEST(ParseOpmlTest, IgnoresElementsOtherThanOutline) {
  OpmlDocument doc = MustParse(R"(<opml><body>
<!-- a comment --><note xmlUrl="https://not.example/feed"/>
<outline text="a" xmlUrl="https://a.example/feed"/>
</body></opml>)");
  ASSERT_EQ(doc.feeds.size(), 1u);
  EXPECT_EQ(doc.feeds[0].url, "https://a.example/feed");
}

TEST(ParseOpmlTest, ReplacesControlCharactersInLabelsAndTitles) {
  OpmlDocument doc = MustParse(
      "<opml><body>\n"
      "<outline text=\"Tab&#9;and&#10;newline\">\n"
      "<outline text=\"Bell\x01here \x7F end\" xmlUrl=\"https://a.example/f\""
      " category=\"  one\x02two  ,\xC2\x85three\"/>\n"
      "</outline></body></opml>");
  ASSERT_EQ(doc.feeds.size(), 1u);
  EXPECT_EQ(doc.feeds[0].title, "Bell here end");
  EXPECT_THAT(doc.feeds[0].labels,
              ElementsAre("Tab and newline", "one two", "three"));
}

TEST(ParseOpmlTest, BoundsLabels) {
  std::string long_label;
  for (int i = 0; i < 80; ++i) long_label += "\xC3\xA9";  // é, 160 bytes
  std::string categories;
  for (int i = 0; i < 30; ++i) absl::StrAppend(&categories, "tag", i, ",");
  // Duplicates (also after cleaning) count once.
  categories += "tag0, tag1 ,/x/tag2";
  OpmlDocument doc = MustParse(
      absl::StrCat("<opml><body><outline text=\"", long_label,
                   "\"><outline xmlUrl=\"https://a.example/f\" category=\"",
                   categories, "\"/></outline></body></opml>"));
  ASSERT_EQ(doc.feeds.size(), 1u);
  const std::vector<std::string>& labels = doc.feeds[0].labels;
  ASSERT_EQ(labels.size(), kMaxOpmlLabelsPerFeed);
  // Cut at a character boundary: 50 é.
  EXPECT_EQ(labels[0], long_label.substr(0, 100));
  EXPECT_EQ(labels[1], "tag0");
  EXPECT_EQ(labels[15], "tag14");
  for (const std::string& label : labels) {
    EXPECT_LE(label.size(), kMaxOpmlLabelBytes);
  }
}

TEST(ParseOpmlTest, ShortensQuotedValues) {
  std::string url = "https://a.example/" + std::string(300, 'x');
  OpmlDocument doc = MustParse(absl::StrCat(
      "<opml><body>\n<outline xmlUrl=\"", url, "\"/>\n<outline xmlUrl=\"", url,
      "\"/>\n<outline xmlUrl=\"&#9;\"/>\n</body></opml>"));
  ASSERT_EQ(doc.feeds.size(), 1u);
  ASSERT_EQ(doc.problems.size(), 2u);
  EXPECT_EQ(doc.problems[0].line, 3);
  EXPECT_THAT(doc.problems[0].message,
              StartsWith("xmlUrl \"https://a.example/xxx"));
  EXPECT_THAT(doc.problems[0].message, HasSubstr("...: duplicate of line 2"));
  EXPECT_LT(doc.problems[0].message.size(), 200u);
  EXPECT_EQ(doc.problems[1].line, 4);
  EXPECT_EQ(doc.problems[1].message, R"(xmlUrl "\t": empty or blank)");
}

TEST(ParseOpmlTest, RefusesRss) {
  EXPECT_EQ(Refusal(R"(<?xml version="1.0"?>
<rss version="2.0"><channel><title>News</title></channel></rss>)"),
            "not OPML: root element is <rss>");
}

TEST(ParseOpmlTest, RefusesOpmlWithoutBody) {
  EXPECT_THAT(Refusal("<opml version=\"2.0\"><head/></opml>"),
              HasSubstr("<body>"));
}

TEST(ParseOpmlTest, MalformedXmlNamesTheLine) {
  EXPECT_THAT(Refusal(R"(<opml version="2.0">
<body>
<outline text="a">
<outline text="b" xmlUrl="https://b.example/feed" </outline>
</body>
</opml>)"),
              StartsWith("OPML line 4: "));
  EXPECT_THAT(Refusal("<opml>\n<body>\n<outline text=\"a\">\n</body>\n</opml>"),
              StartsWith("OPML line 4: "));
  EXPECT_THAT(Refusal(""), StartsWith("OPML line 1: "));
}

TEST(ParseOpmlTest, RefusesOversizedInputWithoutParsing) {
  // Well-formed up to where the size check must already have stopped it.
  std::string big = "<opml><body>";
  big.resize(size_t{50} << 20, ' ');
  EXPECT_EQ(Refusal(big), absl::StrCat("OPML: ", big.size(), " bytes, at most ",
                                       size_t{4} << 20));

  OpmlLimits limits;
  limits.max_bytes = 20;
  EXPECT_THAT(Refusal("<opml><body/></opml>  ", limits),
              HasSubstr("22 bytes, at most 20"));
  MustParse("<opml><body/></opml>", limits);
}

// `depth` outlines each inside the one before, outline k on line k + 1.
std::string Nested(int depth) {
  std::string text = "<opml><body>\n";
  for (int i = 0; i < depth; ++i) text += "<outline text=\"f\">\n";
  text += "<outline text=\"leaf\" xmlUrl=\"https://a.example/feed\"/>\n";
  for (int i = 0; i < depth; ++i) text += "</outline>";
  text += "</body></opml>";
  return text;
}

TEST(ParseOpmlTest, RefusesDeepNesting) {
  EXPECT_EQ(Refusal(Nested(10000)),
            "OPML line 34: outlines nested deeper than 32");
  // At the limit is fine.
  OpmlDocument doc = MustParse(Nested(31));
  ASSERT_EQ(doc.feeds.size(), 1u);
  EXPECT_THAT(doc.feeds[0].labels, ElementsAre("f"));
  EXPECT_EQ(doc.feeds[0].line, 33);
}

TEST(ParseOpmlTest, WalksDeepNestingWithoutRecursion) {
  OpmlLimits limits;
  limits.max_depth = 1 << 30;
  OpmlDocument doc = MustParse(Nested(100000), limits);
  ASSERT_EQ(doc.feeds.size(), 1u);
  EXPECT_EQ(doc.feeds[0].line, 100002);
}

TEST(ParseOpmlTest, RefusesTooManyFeeds) {
  constexpr char kThree[] = R"(<opml><body>
<outline xmlUrl="https://a.example/feed"/>
<outline xmlUrl="https://b.example/feed"/>
<outline xmlUrl="https://c.example/feed"/>
</body></opml>)";
  OpmlLimits limits;
  limits.max_feeds = 2;
  EXPECT_EQ(Refusal(kThree, limits), "OPML line 4: more than 2 feeds");
  limits.max_feeds = 3;
  EXPECT_EQ(MustParse(kThree, limits).feeds.size(), 3u);
}

TEST(ParseOpmlTest, InvalidUtf8NamesTheLine) {
  EXPECT_EQ(Refusal("<opml>\n<body>\n"
                    "<outline text=\"ok \xC3\xA9\" xmlUrl=\"https://a/\"/>\n"
                    "<outline text=\"bad \xC3\x28\" xmlUrl=\"https://b/\"/>\n"
                    "</body></opml>"),
            "OPML line 4: not valid UTF-8");
  // Overlong and surrogate encodings are not valid either.
  EXPECT_THAT(
      Refusal("<opml><body>\n<outline text=\"\xC0\xAF\"/></body></opml>"),
      StartsWith("OPML line 2: "));
  EXPECT_THAT(
      Refusal("<opml><body><outline text=\"\xED\xA0\x80\"/></body></opml>"),
      StartsWith("OPML line 1: "));
}

TEST(ParseOpmlTest, DecodesDeclaredLatin1) {
  OpmlDocument doc = MustParse(
      "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
      "<opml version=\"1.0\"><head><title>Caf\xE9</title></head><body>\n"
      "<outline text=\"Presse fran\xE7"
      "aise\">\n"
      "<outline text=\"Le Caf\xE9 \x93quotes\x94\" xmlUrl=\"https://a/\"/>\n"
      "</outline></body></opml>");
  EXPECT_EQ(doc.title, "Caf\xC3\xA9");
  ASSERT_EQ(doc.feeds.size(), 1u);
  // 0x93/0x94 are curly quotes, as browsers read ISO-8859-1.
  EXPECT_EQ(doc.feeds[0].title,
            "Le Caf\xC3\xA9 \xE2\x80\x9Cquotes\xE2\x80\x9D");
  EXPECT_THAT(doc.feeds[0].labels, ElementsAre("Presse fran\xC3\xA7"
                                               "aise"));
  EXPECT_EQ(doc.feeds[0].line, 4);
}

TEST(ParseOpmlTest, ReadsUtf8DeclaredAsLatin1AsUtf8) {
  OpmlDocument doc = MustParse(
      "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n"
      "<opml><body><outline text=\"Caf\xC3\xA9\" xmlUrl=\"https://a/\"/>"
      "</body></opml>");
  ASSERT_EQ(doc.feeds.size(), 1u);
  EXPECT_EQ(doc.feeds[0].title, "Caf\xC3\xA9");
}

TEST(ParseOpmlTest, RefusesUnsupportedEncoding) {
  EXPECT_THAT(Refusal("<?xml version=\"1.0\" encoding=\"Shift_JIS\"?>\n"
                      "<opml><body/></opml>"),
              HasSubstr("\"Shift_JIS\" not supported"));
}

TEST(ParseOpmlTest, DecodesUtf16LeWithBom) {
  OpmlDocument doc = MustParse(Utf16LeWithBom(
      "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n"
      "<opml version=\"2.0\"><head><title>Caf\xC3\xA9</title></head><body>\n"
      "<outline text=\"\xF0\x9F\x93\xB0 News\">\n"
      "<outline text=\"Le Monde\" "
      "xmlUrl=\"https://www.lemonde.fr/rss/une.xml\"/>\n"
      "</outline></body></opml>"));
  EXPECT_EQ(doc.title, "Caf\xC3\xA9");
  ASSERT_EQ(doc.feeds.size(), 1u);
  EXPECT_EQ(doc.feeds[0].url, "https://www.lemonde.fr/rss/une.xml");
  EXPECT_EQ(doc.feeds[0].title, "Le Monde");
  EXPECT_THAT(doc.feeds[0].labels, ElementsAre("\xF0\x9F\x93\xB0 News"));
  EXPECT_EQ(doc.feeds[0].line, 4);
}

TEST(ParseOpmlTest, DecodesUtf16BeWithoutBom) {
  std::string le = Utf16LeWithBom(
      "<?xml version=\"1.0\" encoding=\"UTF-16\"?><opml><body>"
      "<outline text=\"a\" xmlUrl=\"https://a/\"/></body></opml>");
  std::string be;
  for (size_t i = 2; i + 1 < le.size(); i += 2) {
    be.push_back(le[i + 1]);
    be.push_back(le[i]);
  }
  OpmlDocument doc = MustParse(be);
  ASSERT_EQ(doc.feeds.size(), 1u);
  EXPECT_EQ(doc.feeds[0].url, "https://a/");
}

TEST(ParseOpmlTest, RefusesBrokenUtf16) {
  std::string text = Utf16LeWithBom("<opml>\n<body>\n<outline text=\"");
  text += std::string("\x00\xD8", 2);  // a high surrogate alone
  text += Utf16LeWithBom("\"/></body></opml>").substr(2);
  EXPECT_THAT(Refusal(text), StartsWith("OPML line 3: not valid UTF-16"));
  EXPECT_THAT(Refusal(Utf16LeWithBom("<opml/>") + "x"), HasSubstr("UTF-16"));
}

// A feed as the feed registry would hand it to WriteOpml.
OpmlFeed Feed(std::string url, std::string title,
              std::vector<std::string> labels = {}, std::string html_url = "") {
  OpmlFeed feed;
  feed.url = std::move(url);
  feed.title = std::move(title);
  feed.labels = std::move(labels);
  feed.html_url = std::move(html_url);
  return feed;
}

TEST(WriteOpmlTest, GroupsFeedsByFirstLabel) {
  std::vector<OpmlFeed> feeds(4);
  feeds[0].url = "https://loose.example/feed";
  feeds[0].title = "Loose";
  feeds[1].url = "https://b1.example/feed";
  feeds[1].labels = {"Beta", "x"};
  feeds[2].url = "https://a1.example/feed";
  feeds[2].labels = {"Alpha"};
  feeds[3].url = "https://b2.example/feed";
  feeds[3].labels = {"Beta"};
  std::string out = WriteOpml("My feeds", feeds);

  EXPECT_THAT(out, StartsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
  EXPECT_THAT(out, Not(HasSubstr("dateCreated")));
  EXPECT_EQ(out, WriteOpml("My feeds", feeds));

  pugi::xml_document xml;
  ASSERT_TRUE(xml.load_string(out.c_str()));
  pugi::xml_node opml = xml.child("opml");
  EXPECT_STREQ(opml.attribute("version").value(), "2.0");
  EXPECT_STREQ(opml.child("head").child_value("title"), "My feeds");
  std::vector<std::string> top;
  for (pugi::xml_node o : opml.child("body").children("outline")) {
    top.push_back(o.attribute("xmlUrl") ? o.attribute("xmlUrl").value()
                                        : o.attribute("text").value());
  }
  EXPECT_THAT(top, ElementsAre("Beta", "Alpha", "https://loose.example/feed"));
  pugi::xml_node beta = opml.child("body").child("outline");
  EXPECT_STREQ(beta.attribute("title").value(), "Beta");
  pugi::xml_node b1 = beta.child("outline");
  EXPECT_STREQ(b1.attribute("type").value(), "rss");
  // No title: the URL stands in (text is required).
  EXPECT_STREQ(b1.attribute("text").value(), "https://b1.example/feed");
  EXPECT_STREQ(b1.attribute("category").value(), "Beta,x");
  EXPECT_FALSE(b1.attribute("htmlUrl"));
  pugi::xml_node loose = opml.child("body").last_child();
  EXPECT_STREQ(loose.attribute("title").value(), "Loose");
  EXPECT_FALSE(loose.attribute("category"));

  OpmlDocument doc = MustParse(out);
  std::vector<std::string> urls;
  for (const OpmlFeed& f : doc.feeds) urls.push_back(f.url);
  EXPECT_THAT(
      urls,
      ElementsAre("https://b1.example/feed", "https://b2.example/feed",
                  "https://a1.example/feed", "https://loose.example/feed"));
}

TEST(WriteOpmlTest, RoundTripsUrlsTitlesAndLabels) {
  std::vector<OpmlFeed> feeds(5);
  feeds[0] = Feed("https://www.ecb.europa.eu/rss/press.html",
                  "ECB press releases", {"Markets", "Central banks", "Europe"},
                  "https://www.ecb.europa.eu/press/");
  feeds[1] = Feed("https://www.federalreserve.gov/feeds/press_all.xml", "Fed",
                  {"Markets", "Central banks"});
  feeds[2] = Feed("https://news.ycombinator.com/rss", "Hacker News", {"Tech"});
  feeds[3] =
      Feed("https://www.lemonde.fr/rss/une.xml", "Le Monde \xC3\xA0 la une",
           {"Actualit\xC3\xA9s", "Europe", "Markets"});
  feeds[4] = Feed("https://unfiled.example/feed", "Unfiled");

  OpmlDocument doc = MustParse(WriteOpml("Export", feeds));
  EXPECT_EQ(doc.title, "Export");
  EXPECT_THAT(doc.problems, IsEmpty());
  ASSERT_EQ(doc.feeds.size(), feeds.size());
  for (const OpmlFeed& want : feeds) {
    auto got =
        std::find_if(doc.feeds.begin(), doc.feeds.end(),
                     [&want](const OpmlFeed& f) { return f.url == want.url; });
    ASSERT_NE(got, doc.feeds.end()) << want.url;
    EXPECT_EQ(got->title, want.title);
    EXPECT_EQ(got->html_url, want.html_url);
    EXPECT_EQ(got->labels, want.labels) << want.url;
  }
}

TEST(WriteOpmlTest, RoundTripsXmlSpecialCharacters) {
  std::vector<OpmlFeed> feeds(2);
  feeds[0] = Feed("https://a.example/feed?a=1&b=<2>&c=\"3\"&d='4'",
                  "Tom & Jerry's <\"best\"> ]]> bits",
                  {"R&D <lab>", "\"quoted\" & 'single'"},
                  "https://a.example/?x=1&y=2");
  feeds[1] = Feed("https://b.example/feed", "&amp; literally");
  std::string out = WriteOpml("Mine & \"yours\" <3", feeds);

  OpmlDocument doc = MustParse(out);
  EXPECT_EQ(doc.title, "Mine & \"yours\" <3");
  ASSERT_EQ(doc.feeds.size(), 2u);
  EXPECT_EQ(doc.feeds[0].url, feeds[0].url);
  EXPECT_EQ(doc.feeds[0].title, feeds[0].title);
  EXPECT_EQ(doc.feeds[0].html_url, feeds[0].html_url);
  EXPECT_EQ(doc.feeds[0].labels, feeds[0].labels);
  EXPECT_EQ(doc.feeds[1].title, "&amp; literally");
}

TEST(WriteOpmlTest, LabelsThatCannotBeCategoriesSurviveAsTheFolder) {
  std::vector<OpmlFeed> feeds(1);
  feeds[0] =
      Feed("https://a.example/feed", "A", {"News/World", "Plain", "a,b"});
  OpmlDocument doc = MustParse(WriteOpml("t", feeds));
  ASSERT_EQ(doc.feeds.size(), 1u);
  // The first label is the folder; "a,b" would read back as two labels, so
  // it is not written.
  EXPECT_THAT(doc.feeds[0].labels, ElementsAre("News/World", "Plain"));
}

}  // namespace
}  // namespace newsfeed::ingest
