#include "ingest-service/parser/feed_parser.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsfeed::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

ParsedFeed MustParse(std::string_view body,
                     std::string_view url = "https://example.com/feed.xml") {
  ParseOptions options;
  options.feed_url = std::string(url);
  absl::StatusOr<ParsedFeed> feed = ParseFeed(body, options);
  EXPECT_TRUE(feed.ok()) << feed.status();
  return feed.ok() ? *std::move(feed) : ParsedFeed{};
}

std::string Rfc3339(const std::optional<absl::Time>& t) {
  return t ? FormatRfc3339(*t) : "none";
}

bool HasWarning(const ParsedFeed& feed, std::string_view needle) {
  for (const std::string& w : feed.warnings) {
    if (w.find(needle) != std::string::npos) return true;
  }
  return false;
}

constexpr char kRss20[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"
     xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:atom="http://www.w3.org/2005/Atom"
     xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">
<channel>
  <title>Example &amp; Co News</title>
  <link>https://news.example.com/</link>
  <description>All the news</description>
  <language>en-GB</language>
  <lastBuildDate>Tue, 14 May 2024 08:00:00 GMT</lastBuildDate>
  <pubDate>Mon, 13 May 2024 08:00:00 GMT</pubDate>
  <ttl>30</ttl>
  <atom:link rel="self" href="https://news.example.com/feed.xml"/>
  <item>
    <title>First &lt;b&gt;story&lt;/b&gt;</title>
    <link>/2024/05/first</link>
    <description><![CDATA[<p>Summary <b>one</b></p>]]></description>
    <content:encoded><![CDATA[<p>Full text one</p>]]></content:encoded>
    <guid isPermaLink="false">urn:example:1</guid>
    <pubDate>Mon, 13 May 2024 09:30:00 +0000</pubDate>
    <author>jane@example.com (Jane Doe)</author>
    <dc:creator>John Roe</dc:creator>
    <category>Tech</category>
    <category>Tech</category>
    <dc:subject>Science</dc:subject>
    <enclosure url="https://cdn.example.com/a.mp3" type="audio/mpeg" length="12345"/>
  </item>
  <item>
    <title>Second</title>
    <guid>https://news.example.com/2024/05/second</guid>
    <dc:date>2024-05-12T10:00:00+02:00</dc:date>
  </item>
</channel>
</rss>)";

TEST(FeedParserTest, Rss20ChannelAndItems) {
  ParsedFeed feed = MustParse(kRss20);
  EXPECT_EQ(feed.format, "rss2.0");
  EXPECT_EQ(feed.title, "Example & Co News");
  EXPECT_EQ(feed.link, "https://news.example.com/");
  EXPECT_EQ(feed.description, "All the news");
  EXPECT_EQ(feed.language, "en-GB");
  EXPECT_EQ(Rfc3339(feed.updated), "2024-05-14T08:00:00Z");  // lastBuildDate
  ASSERT_TRUE(feed.ttl.has_value());
  EXPECT_EQ(*feed.ttl, absl::Minutes(30));
  ASSERT_EQ(feed.items.size(), 2u);

  const ParsedItem& first = feed.items[0];
  EXPECT_EQ(first.title, "First story");
  // Relative link resolved against the channel link.
  EXPECT_EQ(first.link, "https://news.example.com/2024/05/first");
  EXPECT_EQ(first.summary, "<p>Summary <b>one</b></p>");
  EXPECT_EQ(first.content, "<p>Full text one</p>");
  EXPECT_EQ(first.id, "urn:example:1");
  EXPECT_FALSE(first.id_is_permalink);
  EXPECT_EQ(Rfc3339(first.published), "2024-05-13T09:30:00Z");
  ASSERT_EQ(first.authors.size(), 2u);
  EXPECT_EQ(first.authors[0].name, "Jane Doe");
  EXPECT_EQ(first.authors[0].email, "jane@example.com");
  EXPECT_EQ(first.authors[1].name, "John Roe");
  EXPECT_THAT(first.categories, ElementsAre("Tech", "Science"));
  ASSERT_EQ(first.enclosures.size(), 1u);
  EXPECT_EQ(first.enclosures[0].url, "https://cdn.example.com/a.mp3");
  EXPECT_EQ(first.enclosures[0].type, "audio/mpeg");
  EXPECT_EQ(first.enclosures[0].length, 12345);

  const ParsedItem& second = feed.items[1];
  EXPECT_TRUE(second.id_is_permalink);
  // A permalink guid stands in for the missing <link>.
  EXPECT_EQ(second.link, "https://news.example.com/2024/05/second");
  EXPECT_EQ(Rfc3339(second.published), "2024-05-12T08:00:00Z");  // dc:date
  EXPECT_THAT(feed.warnings, IsEmpty());
}

TEST(FeedParserTest, RssFeedUpdatedFallsBackToPubDateThenDcDate) {
  ParsedFeed a = MustParse(R"(<rss version="2.0"><channel><title>t</title>
    <pubDate>Mon, 13 May 2024 08:00:00 GMT</pubDate></channel></rss>)");
  EXPECT_EQ(Rfc3339(a.updated), "2024-05-13T08:00:00Z");
  ParsedFeed b = MustParse(R"(<rss version="2.0"
    xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>t</title>
    <dc:date>2024-05-11T08:00:00Z</dc:date><dc:language>de</dc:language>
    </channel></rss>)");
  EXPECT_EQ(Rfc3339(b.updated), "2024-05-11T08:00:00Z");
  EXPECT_EQ(b.language, "de");
}

TEST(FeedParserTest, SyndicationModuleGivesTtl) {
  ParsedFeed feed = MustParse(R"(<rss version="2.0"
    xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel>
    <sy:updatePeriod>hourly</sy:updatePeriod>
    <sy:updateFrequency>4</sy:updateFrequency></channel></rss>)");
  ASSERT_TRUE(feed.ttl.has_value());
  EXPECT_EQ(*feed.ttl, absl::Minutes(15));
}

TEST(FeedParserTest, SkipHoursAndSkipDays) {
  ParsedFeed feed = MustParse(R"(<rss version="2.0"><channel><title>t</title>
    <skipHours><hour>0</hour><hour> 7 </hour><hour>24</hour><hour>25</hour>
      <hour>x</hour><hour>-1</hour></skipHours>
    <skipDays><day>Saturday</day><day>sunday</day><day>Funday</day></skipDays>
    </channel></rss>)");
  // 24 is midnight; 25, x and -1 are not hours.
  EXPECT_EQ(feed.skip_hours, (1u << 0) | (1u << 7));
  EXPECT_EQ(feed.skip_days, (1u << 5) | (1u << 6));
  EXPECT_EQ(
      MustParse("<rss><channel><title>t</title></channel></rss>").skip_hours,
      0u);
}

TEST(FeedParserTest, WebSubHubAndSelfInRss) {
  ParsedFeed feed = MustParse(R"(<rss version="2.0"
    xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>t</title>
    <link>https://site.example/</link>
    <atom:link rel="self" href="https://site.example/feed.xml"/>
    <atom:link rel="hub" href="https://hub.example/"/>
    <atom:link rel="HUB" href="https://hub.example/"/>
    <atom:link rel="hub" href="/local-hub"/>
    <atom:link rel="hub" href="ftp://hub.example/"/>
    <link rel="hub" href="https://second-hub.example/"/>
    <atom:link rel="alternate" href="https://site.example/other"/>
    </channel></rss>)",
                              "https://site.example/feed.xml");
  // Relative hubs resolve against the feed; duplicates and non-HTTP go.
  EXPECT_THAT(feed.hubs, testing::ElementsAre("https://hub.example/",
                                              "https://site.example/local-hub",
                                              "https://second-hub.example/"));
  EXPECT_EQ(feed.self_url, "https://site.example/feed.xml");
  // A hub link is never taken for the channel's page.
  EXPECT_EQ(feed.link, "https://site.example/");
}

TEST(FeedParserTest, WebSubHubsInAtomAreCapped) {
  std::string body =
      R"(<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
      <link rel="alternate" href="https://site.example/"/>
      <link rel="self" href="https://site.example/atom"/>)";
  for (int i = 0; i < 10; ++i) {
    body += absl::StrCat(R"(<link rel="hub" href="https://hub)", i,
                         R"(.example/"/>)");
  }
  body += "</feed>";
  ParsedFeed feed = MustParse(body);
  EXPECT_EQ(feed.hubs.size(), kMaxHubs);
  EXPECT_EQ(feed.hubs.front(), "https://hub0.example/");
  EXPECT_EQ(feed.self_url, "https://site.example/atom");
  EXPECT_EQ(feed.link, "https://site.example/");
}

TEST(FeedParserTest, NamespacesMatchedByUriNotPrefix) {
  // Unusual prefixes bound to the right URIs, and a "dc" prefix bound to an
  // unrelated URI that must be ignored.
  ParsedFeed feed = MustParse(R"(<rss version="2.0"
      xmlns:x="http://purl.org/dc/elements/1.1/"
      xmlns:c="http://purl.org/rss/1.0/modules/content/"
      xmlns:dc="http://example.com/not-dublin-core/">
    <channel><item>
      <title>t</title>
      <x:creator>Ann Author</x:creator>
      <dc:creator>Wrong Person</dc:creator>
      <c:encoded>&lt;p&gt;body&lt;/p&gt;</c:encoded>
    </item></channel></rss>)");
  ASSERT_EQ(feed.items.size(), 1u);
  ASSERT_EQ(feed.items[0].authors.size(), 1u);
  EXPECT_EQ(feed.items[0].authors[0].name, "Ann Author");
  EXPECT_EQ(feed.items[0].content, "<p>body</p>");
}

TEST(FeedParserTest, DefaultNamespaceRedeclaredOnElement) {
  ParsedFeed feed = MustParse(R"(<rss version="2.0"><channel><item>
      <title>t</title>
      <encoded xmlns="http://purl.org/rss/1.0/modules/content/">html</encoded>
    </item></channel></rss>)");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.items[0].content, "html");
}

TEST(FeedParserTest, AtomLinkInsideRss) {
  ParsedFeed feed = MustParse(R"(<rss version="2.0"
      xmlns:atom="http://www.w3.org/2005/Atom"><channel>
    <atom:link rel="self" href="https://ex.com/feed"/>
    <atom:link rel="alternate" href="https://ex.com/"/>
    <item><title>t</title>
      <atom:link href="https://ex.com/a"/>
      <atom:link rel="enclosure" href="https://ex.com/a.mp4" type="video/mp4"
                 length="99"/>
      <atom:updated>2024-05-14T00:00:00Z</atom:updated>
    </item></channel></rss>)");
  EXPECT_EQ(feed.link, "https://ex.com/");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.items[0].link, "https://ex.com/a");
  ASSERT_EQ(feed.items[0].enclosures.size(), 1u);
  EXPECT_EQ(feed.items[0].enclosures[0].type, "video/mp4");
  EXPECT_EQ(feed.items[0].enclosures[0].length, 99);
  EXPECT_EQ(Rfc3339(feed.items[0].updated), "2024-05-14T00:00:00Z");
}

TEST(FeedParserTest, MediaRssAndItunes) {
  ParsedFeed feed = MustParse(R"(<rss version="2.0"
      xmlns:media="http://search.yahoo.com/mrss/"
      xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>
    <item>
      <link>https://ex.com/v</link>
      <media:title>Media title</media:title>
      <media:description>Media description</media:description>
      <media:thumbnail url="/thumb.jpg"/>
      <media:group>
        <media:content url="https://ex.com/v.mp4" type="video/mp4"
                       fileSize="2048"/>
        <media:content url="https://ex.com/v.webm" medium="video"/>
      </media:group>
    </item>
    <item>
      <link>https://ex.com/p</link>
      <title>Episode</title>
      <itunes:author>Pod Caster</itunes:author>
      <itunes:summary>Show notes</itunes:summary>
    </item></channel></rss>)");
  ASSERT_EQ(feed.items.size(), 2u);
  const ParsedItem& video = feed.items[0];
  EXPECT_EQ(video.title, "Media title");
  EXPECT_EQ(video.summary, "Media description");
  EXPECT_EQ(video.thumbnail_url, "https://example.com/thumb.jpg");
  ASSERT_EQ(video.enclosures.size(), 2u);
  EXPECT_EQ(video.enclosures[0].url, "https://ex.com/v.mp4");
  EXPECT_EQ(video.enclosures[0].length, 2048);
  EXPECT_EQ(video.enclosures[1].type, "video");
  const ParsedItem& episode = feed.items[1];
  ASSERT_EQ(episode.authors.size(), 1u);
  EXPECT_EQ(episode.authors[0].name, "Pod Caster");
  EXPECT_EQ(episode.summary, "Show notes");
}

constexpr char kAtom10[] = R"(<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en-US"
      xml:base="https://blog.example.org/">
  <title type="html">Blog &lt;em&gt;of&lt;/em&gt; Things</title>
  <subtitle>Thoughts</subtitle>
  <link rel="self" href="/atom.xml"/>
  <link rel="alternate" type="text/html" href="/"/>
  <updated>2024-05-13T12:00:00Z</updated>
  <author><name>Feed Author</name><email>feed@example.org</email></author>
  <entry>
    <id>tag:example.org,2024:1</id>
    <title>Plain &amp; simple</title>
    <link href="posts/1"/>
    <link rel="enclosure" href="media/1.ogg" type="audio/ogg" length="777"/>
    <published>2024-05-13T09:30:00+01:00</published>
    <updated>2024-05-13T10:00:00Z</updated>
    <summary type="html">&lt;p&gt;Short&lt;/p&gt;</summary>
    <content type="xhtml" xml:base="/deep/">
      <div xmlns="http://www.w3.org/1999/xhtml"><p>Hello <b>world</b> <i>again</i></p></div>
    </content>
    <category term="cats" label="Cats"/>
    <category term="dogs"/>
  </entry>
  <entry xml:lang="fr" xml:base="https://other.example.net/fr/">
    <id>tag:example.org,2024:2</id>
    <title type="text">Deuxième</title>
    <link rel="alternate" type="application/pdf" href="doc.pdf"/>
    <link rel="alternate" type="text/html" href="article"/>
    <author><name>Entry Author</name><uri>/people/entry</uri></author>
    <content type="text">a &lt; b</content>
  </entry>
</feed>)";

TEST(FeedParserTest, Atom10) {
  ParsedFeed feed = MustParse(kAtom10);
  EXPECT_EQ(feed.format, "atom1.0");
  EXPECT_EQ(feed.title, "Blog of Things");
  EXPECT_EQ(feed.description, "Thoughts");
  EXPECT_EQ(feed.link, "https://blog.example.org/");
  EXPECT_EQ(feed.language, "en-US");
  EXPECT_EQ(Rfc3339(feed.updated), "2024-05-13T12:00:00Z");
  ASSERT_EQ(feed.items.size(), 2u);

  const ParsedItem& first = feed.items[0];
  EXPECT_EQ(first.id, "tag:example.org,2024:1");
  EXPECT_FALSE(first.id_is_permalink);
  EXPECT_EQ(first.title, "Plain & simple");
  EXPECT_EQ(first.link, "https://blog.example.org/posts/1");
  EXPECT_EQ(Rfc3339(first.published), "2024-05-13T08:30:00Z");
  EXPECT_EQ(Rfc3339(first.updated), "2024-05-13T10:00:00Z");
  EXPECT_EQ(first.summary, "<p>Short</p>");
  // xhtml content: the inner div's markup, whitespace between inline
  // elements kept.
  EXPECT_EQ(first.content, "<p>Hello <b>world</b> <i>again</i></p>");
  EXPECT_THAT(first.categories, ElementsAre("cats", "dogs"));
  ASSERT_EQ(first.enclosures.size(), 1u);
  EXPECT_EQ(first.enclosures[0].url, "https://blog.example.org/media/1.ogg");
  EXPECT_EQ(first.enclosures[0].length, 777);
  // Inherited from the feed (RFC 4287 4.2.1).
  ASSERT_EQ(first.authors.size(), 1u);
  EXPECT_EQ(first.authors[0].name, "Feed Author");
  EXPECT_EQ(first.language, "en-US");

  const ParsedItem& second = feed.items[1];
  EXPECT_EQ(second.title, "Deuxième");
  EXPECT_EQ(second.language, "fr");
  // The text/html alternate wins; xml:base on the entry applies.
  EXPECT_EQ(second.link, "https://other.example.net/fr/article");
  ASSERT_EQ(second.authors.size(), 1u);
  EXPECT_EQ(second.authors[0].name, "Entry Author");
  EXPECT_EQ(second.authors[0].uri, "https://other.example.net/people/entry");
  // Text content is escaped into HTML.
  EXPECT_EQ(second.content, "a &lt; b");
}

TEST(FeedParserTest, Atom03) {
  ParsedFeed feed = MustParse(R"(<feed version="0.3"
      xmlns="http://purl.org/atom/ns#">
    <title>Old Atom</title>
    <link rel="alternate" type="text/html" href="http://old.example.com/"/>
    <tagline>Legacy</tagline>
    <modified>2004-05-13T12:00:00Z</modified>
    <entry>
      <title>Entry</title>
      <link rel="alternate" type="text/html" href="http://old.example.com/1"/>
      <id>tag:old.example.com,2004:1</id>
      <issued>2004-05-13T09:30:00Z</issued>
      <modified>2004-05-13T10:30:00Z</modified>
      <content type="text/html" mode="escaped">&lt;p&gt;Hi&lt;/p&gt;</content>
    </entry></feed>)");
  EXPECT_EQ(feed.format, "atom0.3");
  EXPECT_EQ(feed.title, "Old Atom");
  EXPECT_EQ(feed.description, "Legacy");
  EXPECT_EQ(Rfc3339(feed.updated), "2004-05-13T12:00:00Z");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.items[0].link, "http://old.example.com/1");
  EXPECT_EQ(Rfc3339(feed.items[0].published), "2004-05-13T09:30:00Z");
  EXPECT_EQ(Rfc3339(feed.items[0].updated), "2004-05-13T10:30:00Z");
  EXPECT_EQ(feed.items[0].content, "<p>Hi</p>");
}

TEST(FeedParserTest, Rss10Rdf) {
  ParsedFeed feed = MustParse(R"(<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="http://rdf.example.com/">
    <title>RDF Site</title>
    <link>http://rdf.example.com/</link>
    <description>RSS 1.0</description>
    <dc:language>ja</dc:language>
    <dc:date>2024-05-13T00:00:00+09:00</dc:date>
  </channel>
  <item rdf:about="http://rdf.example.com/a">
    <title>Item A</title>
    <link>http://rdf.example.com/a</link>
    <dc:date>2024-05-13T09:00:00+09:00</dc:date>
    <dc:subject>News</dc:subject>
  </item>
</rdf:RDF>)");
  EXPECT_EQ(feed.format, "rss1.0");
  EXPECT_EQ(feed.title, "RDF Site");
  EXPECT_EQ(feed.language, "ja");
  EXPECT_EQ(Rfc3339(feed.updated), "2024-05-12T15:00:00Z");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.items[0].id, "http://rdf.example.com/a");
  EXPECT_EQ(feed.items[0].link, "http://rdf.example.com/a");
  EXPECT_EQ(Rfc3339(feed.items[0].published), "2024-05-13T00:00:00Z");
  EXPECT_THAT(feed.items[0].categories, ElementsAre("News"));
}

TEST(FeedParserTest, Rss090And091) {
  ParsedFeed old = MustParse(R"(<rdf:RDF
      xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
      xmlns="http://my.netscape.com/rdf/simple/0.9/">
    <channel><title>Netscape</title><link>http://ns.example.com/</link>
    </channel>
    <item><title>Old item</title><link>http://ns.example.com/1</link></item>
  </rdf:RDF>)");
  EXPECT_EQ(old.format, "rss0.90");
  ASSERT_EQ(old.items.size(), 1u);
  EXPECT_EQ(old.items[0].title, "Old item");

  ParsedFeed v091 = MustParse(R"(<!DOCTYPE rss PUBLIC
    "-//Netscape Communications//DTD RSS 0.91//EN"
    "http://my.netscape.com/publish/formats/rss-0.91.dtd">
  <rss version="0.91"><channel><title>Userland</title>
    <language>en-us</language>
    <item><title>Caf&eacute;</title><link>http://u.example.com/1</link>
    <description>d</description></item></channel></rss>)");
  EXPECT_EQ(v091.format, "rss0.91");
  ASSERT_EQ(v091.items.size(), 1u);
  EXPECT_EQ(v091.items[0].title, "Café");
}

TEST(FeedParserTest, RelativeLinksUseXmlBaseThenFeedLinkThenFetchedUrl) {
  // No channel link: the fetched URL is the base.
  ParsedFeed fetched = MustParse(R"(<rss version="2.0"><channel><item>
      <link>../posts/1?a=b</link></item></channel></rss>)",
                                 "https://host.example/feeds/rss.xml");
  ASSERT_EQ(fetched.items.size(), 1u);
  EXPECT_EQ(fetched.items[0].link, "https://host.example/posts/1?a=b");

  // xml:base on the item beats the channel link.
  ParsedFeed base = MustParse(R"(<rss version="2.0"><channel>
      <link>https://site.example/</link>
      <item xml:base="https://cdn.example/x/"><link>y</link></item>
      <item><link>z</link></item></channel></rss>)");
  ASSERT_EQ(base.items.size(), 2u);
  EXPECT_EQ(base.items[0].link, "https://cdn.example/x/y");
  EXPECT_EQ(base.items[1].link, "https://site.example/z");

  // A relative xml:base resolves against the enclosing one.
  ParsedFeed nested = MustParse(R"(<feed xmlns="http://www.w3.org/2005/Atom"
      xml:base="https://a.example/one/"><entry xml:base="two/">
      <link href="three"/></entry></feed>)");
  ASSERT_EQ(nested.items.size(), 1u);
  EXPECT_EQ(nested.items[0].link, "https://a.example/one/two/three");
}

TEST(FeedParserTest, UndeclaredHtmlEntitiesDecodedWithWarning) {
  ParsedFeed feed = MustParse(R"(<rss version="2.0"><channel>
<title>A&nbsp;B</title>
<item><title>caf&eacute; &rsquo;n&rsquo; &hellip; &euro;5</title>
<description>x&mdash;y</description></item></channel></rss>)");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.title, "A B");  // nbsp collapses like a space in titles
  EXPECT_EQ(feed.items[0].title, "café ’n’ … €5");
  EXPECT_EQ(feed.items[0].summary, "x—y");
  EXPECT_TRUE(HasWarning(feed, "line 2: undeclared entity &nbsp; decoded"));
  EXPECT_TRUE(HasWarning(feed, "line 3: undeclared entity &eacute; decoded"));
}

TEST(FeedParserTest, UnescapedAmpersandsEscaped) {
  ParsedFeed feed = MustParse(R"(<rss version="2.0"><channel>
<title>Q&A</title>
<item><title>Tom & Jerry &unknown; &#169; &#xA9;</title>
<link>https://ex.com/?a=1&b=2</link></item></channel></rss>)");
  EXPECT_EQ(feed.title, "Q&A");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.items[0].title, "Tom & Jerry &unknown; © ©");
  EXPECT_EQ(feed.items[0].link, "https://ex.com/?a=1&b=2");
  EXPECT_TRUE(HasWarning(feed, "line 2: unescaped '&' escaped"));
}

TEST(FeedParserTest, EntitiesInsideCdataUntouched) {
  ParsedFeed feed = MustParse(R"(<rss version="2.0"><channel><item>
<description><![CDATA[a &nbsp; b & c]]></description>
</item></channel></rss>)");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.items[0].summary, "a &nbsp; b & c");
  EXPECT_THAT(feed.warnings, IsEmpty());
}

TEST(FeedParserTest, DoubleEscapedHtmlTitle) {
  ParsedFeed feed = MustParse(R"(<rss version="2.0"><channel><item>
<title>&amp;lt;b&amp;gt;Bold&amp;lt;/b&amp;gt; AT&amp;amp;T</title>
</item></channel></rss>)");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.items[0].title, "Bold AT&T");
}

TEST(FeedParserTest, UnescapedHtmlInDescriptionKeptAsMarkup) {
  ParsedFeed feed = MustParse(R"(<rss version="2.0"><channel><item>
<description>Intro <b>bold</b> end</description>
</item></channel></rss>)");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.items[0].summary, "Intro <b>bold</b> end");
}

TEST(FeedParserTest, ControlCharactersDropped) {
  std::string body =
      "<rss version=\"2.0\"><channel><item><title>a\x01"
      "b\x0c"
      "c</title></item></channel></rss>";
  ParsedFeed feed = MustParse(body);
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.items[0].title, "abc");
  EXPECT_TRUE(HasWarning(feed, "control character 0x01 dropped"));
}

TEST(FeedParserTest, TrailingGarbageAfterRootIgnored) {
  ParsedFeed feed = MustParse(
      "<rss version=\"2.0\"><channel><item><title>t</title></item></channel>"
      "</rss>\n<!-- ad --></div><script>x()</script></body>");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_TRUE(HasWarning(feed, "content after </rss> ignored"));
}

TEST(FeedParserTest, LeadingWhitespaceBeforeDeclarationAccepted) {
  ParsedFeed feed = MustParse(
      "\n\n  <?xml version=\"1.0\"?><rss version=\"2.0\"><channel>"
      "<title>t</title></channel></rss>");
  EXPECT_EQ(feed.title, "t");
}

TEST(FeedParserTest, MalformedXmlErrorNamesUrlLineAndColumn) {
  ParseOptions options;
  options.feed_url = "https://bad.example/feed";
  absl::StatusOr<ParsedFeed> feed = ParseFeed(
      "<rss>\n<channel>\n  <title>x</title><!x>\n</channel></rss>", options);
  ASSERT_FALSE(feed.ok());
  EXPECT_EQ(feed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(feed.status().message(), HasSubstr("https://bad.example/feed"));
  EXPECT_THAT(feed.status().message(), HasSubstr("line 3, column"));
}

TEST(FeedParserTest, NotAFeedIsAnError) {
  absl::StatusOr<ParsedFeed> html =
      ParseFeed("<html><body>hi</body></html>", ParseOptions{});
  ASSERT_FALSE(html.ok());
  EXPECT_EQ(html.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(html.status().message(), HasSubstr("<html>"));
  absl::StatusOr<ParsedFeed> empty = ParseFeed("", ParseOptions{});
  EXPECT_FALSE(empty.ok());
  absl::StatusOr<ParsedFeed> text = ParseFeed("just text", ParseOptions{});
  EXPECT_FALSE(text.ok());
}

TEST(FeedParserTest, DoctypeAndInternalEntitiesNeverExpanded) {
  // A billion-laughs style internal subset and an external entity: neither
  // may be expanded; the references stay literal text.
  ParsedFeed feed = MustParse(R"(<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY xxe SYSTEM "file:///etc/passwd">
]>
<rss version="2.0"><channel><item><title>&lol2; &xxe;</title>
</item></channel></rss>)");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.items[0].title, "&lol2; &xxe;");
  EXPECT_THAT(feed.items[0].title, ::testing::Not(HasSubstr("root:")));
}

TEST(FeedParserTest, DocumentSizeLimit) {
  ParseOptions options;
  options.feed_url = "https://big.example/";
  options.max_document_bytes = 100;
  absl::StatusOr<ParsedFeed> feed = ParseFeed(std::string(101, ' '), options);
  ASSERT_FALSE(feed.ok());
  EXPECT_EQ(feed.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(feed.status().message(), HasSubstr("https://big.example/"));
}

TEST(FeedParserTest, DepthLimit) {
  std::string body = "<rss version=\"2.0\"><channel>";
  for (int i = 0; i < 300; ++i) body += "<x>";
  for (int i = 0; i < 300; ++i) body += "</x>";
  body += "</channel></rss>";
  absl::StatusOr<ParsedFeed> feed = ParseFeed(body, ParseOptions{});
  ASSERT_FALSE(feed.ok());
  EXPECT_EQ(feed.status().code(), absl::StatusCode::kResourceExhausted);
  ParseOptions deep;
  deep.max_depth = 1000;
  EXPECT_TRUE(ParseFeed(body, deep).ok());
}

TEST(FeedParserTest, ItemAndFieldLimits) {
  std::string body = "<rss version=\"2.0\"><channel>";
  for (int i = 0; i < 10; ++i) {
    body += absl::StrCat("<item><title>", i, "</title><description>",
                         std::string(100, 'x'), "é</description></item>");
  }
  body += "</channel></rss>";
  ParseOptions options;
  options.max_items = 3;
  options.max_field_bytes = 101;  // cuts inside the two-byte "é"
  absl::StatusOr<ParsedFeed> feed = ParseFeed(body, options);
  ASSERT_TRUE(feed.ok()) << feed.status();
  ASSERT_EQ(feed->items.size(), 3u);
  EXPECT_EQ(feed->items[2].title, "2");
  EXPECT_EQ(feed->items[0].summary, std::string(100, 'x'));
  EXPECT_TRUE(HasWarning(*feed, "more than 3 items"));
  EXPECT_TRUE(HasWarning(*feed, "truncated"));
}

TEST(FeedParserTest, NeverCrashesOnMangledInput) {
  // Every prefix of a real-looking feed, and a few hostile shapes: each must
  // either parse or fail cleanly.
  std::string feed_text = kAtom10;
  for (size_t i = 0; i < feed_text.size(); i += 7) {
    absl::StatusOr<ParsedFeed> r = ParseFeed(feed_text.substr(0, i), {});
    (void)r;
  }
  for (std::string_view hostile :
       {std::string_view("<"), std::string_view("<?xml"),
        std::string_view("<![CDATA["), std::string_view("&"),
        std::string_view("<rss><channel><item>&#xFFFFFFFF;&#0;</item>"),
        std::string_view("\xFF\xFE<\0r\0", 6), std::string_view("\0\0\0", 3)}) {
    absl::StatusOr<ParsedFeed> r = ParseFeed(hostile, {});
    (void)r;
  }
  SUCCEED();
}

TEST(FeedParserTest, UnparseableDateLeavesFieldEmpty) {
  ParsedFeed feed = MustParse(R"(<rss version="2.0"><channel><item>
<title>t</title><pubDate>sometime last week</pubDate></item></channel></rss>)");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_FALSE(feed.items[0].published.has_value());
}

}  // namespace
}  // namespace newsfeed::ingest

namespace newsfeed::ingest {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(FeedParserErrorTest, ErrorPositionCorrectAfterRepairs) {
  // The entity forces a repaired copy that is parsed in place; the error
  // position must still refer to the document as written.
  absl::StatusOr<ParsedFeed> feed = ParseFeed(
      "<rss>\n<channel>&nbsp;\n  <title>x</title><!x>\n</channel></rss>", {});
  ASSERT_FALSE(feed.ok());
  EXPECT_THAT(feed.status().message(), HasSubstr("line 3, column"));
}

TEST(FeedParserErrorTest, EntitiesInCommentsAndDoctypeUntouched) {
  absl::StatusOr<ParsedFeed> feed = ParseFeed(
      "<!DOCTYPE rss><rss version=\"2.0\"><!-- a & b &nbsp; --><channel>"
      "<title>t</title></channel></rss>",
      {});
  ASSERT_TRUE(feed.ok()) << feed.status();
  EXPECT_THAT(feed->warnings, IsEmpty());
}

}  // namespace
}  // namespace newsfeed::ingest

namespace newsfeed::ingest {
namespace {

// Resolution as RFC 3986 section 5.4 examples, through xml:base.
std::string Resolve(std::string_view base, std::string_view ref) {
  absl::StatusOr<ParsedFeed> feed =
      ParseFeed(absl::StrCat("<rss version=\"2.0\"><channel><item xml:base=\"",
                             std::string(base), "\"><link>", std::string(ref),
                             "</link></item></channel></rss>"),
                {});
  if (!feed.ok() || feed->items.empty()) return "error";
  return feed->items[0].link;
}

TEST(FeedParserUrlTest, Rfc3986Examples) {
  const std::string base = "http://a/b/c/d;p?q";
  EXPECT_EQ(Resolve(base, "g"), "http://a/b/c/g");
  EXPECT_EQ(Resolve(base, "g/"), "http://a/b/c/g/");
  EXPECT_EQ(Resolve(base, "/g"), "http://a/g");
  EXPECT_EQ(Resolve(base, "//g"), "http://g");
  EXPECT_EQ(Resolve(base, "?y"), "http://a/b/c/d;p?y");
  EXPECT_EQ(Resolve(base, "g?y"), "http://a/b/c/g?y");
  EXPECT_EQ(Resolve(base, "#s"), "http://a/b/c/d;p?q#s");
  EXPECT_EQ(Resolve(base, "g#s"), "http://a/b/c/g#s");
  EXPECT_EQ(Resolve(base, "./g"), "http://a/b/c/g");
  EXPECT_EQ(Resolve(base, "../g"), "http://a/b/g");
  EXPECT_EQ(Resolve(base, "../../g"), "http://a/g");
  EXPECT_EQ(Resolve(base, "https://other/x"), "https://other/x");
  EXPECT_EQ(Resolve("https://h.example", "x"), "https://h.example/x");
}

// ---- Limits on what a peer controls (found or motivated by fuzzing) ------

bool AnyWarning(const ParsedFeed& feed, std::string_view needle) {
  for (const std::string& w : feed.warnings) {
    if (w.find(needle) != std::string::npos) return true;
  }
  return false;
}

TEST(FeedParserLimitsTest, PerItemListsAreCapped) {
  std::string items;
  for (int i = 0; i < 10; ++i) {
    absl::StrAppend(&items, "<category>c", i, "</category><enclosure url=\"/e",
                    i, "\"/><author>a", i, "@x.example</author>");
  }
  ParseOptions options;
  options.feed_url = "https://x.example/feed";
  options.max_list_entries = 3;
  absl::StatusOr<ParsedFeed> feed =
      ParseFeed(absl::StrCat("<rss version=\"2.0\"><channel><item>", items,
                             "</item></channel></rss>"),
                options);
  ASSERT_TRUE(feed.ok()) << feed.status();
  ASSERT_EQ(feed->items.size(), 1u);
  EXPECT_EQ(feed->items[0].categories.size(), 3u);
  EXPECT_EQ(feed->items[0].enclosures.size(), 3u);
  EXPECT_EQ(feed->items[0].authors.size(), 3u);
  EXPECT_TRUE(AnyWarning(*feed, "the rest dropped"));
}

TEST(FeedParserLimitsTest, FeedAuthorsCopiedIntoEntriesWithinOutputBudget) {
  // 100 feed-level authors times 3000 entries used to become 300,000
  // ParsedAuthor copies from 60 KB of input.
  std::string doc = "<feed xmlns=\"http://www.w3.org/2005/Atom\">";
  for (int i = 0; i < 100; ++i)
    absl::StrAppend(&doc, "<author><name>n</name></author>");
  for (int i = 0; i < 3000; ++i) doc += "<entry/>";
  doc += "</feed>";
  absl::StatusOr<ParsedFeed> feed = ParseFeed(doc, {});
  ASSERT_TRUE(feed.ok()) << feed.status();
  size_t copies = 0;
  for (const ParsedItem& item : feed->items) copies += item.authors.size();
  EXPECT_GT(copies, 0u);
  EXPECT_LT(copies * sizeof(ParsedAuthor), 8 * doc.size() + (2 << 20));
  EXPECT_TRUE(AnyWarning(*feed, "would exceed"));
}

TEST(FeedParserLimitsTest, OutputBudgetDropsLaterItems) {
  ParseOptions options;
  options.max_output_bytes = 250;
  std::string items;
  for (int i = 0; i < 10; ++i) {
    absl::StrAppend(&items, "<item><title>", std::string(50, 'a' + i),
                    "</title></item>");
  }
  absl::StatusOr<ParsedFeed> feed = ParseFeed(
      absl::StrCat("<rss version=\"2.0\"><channel>", items, "</channel></rss>"),
      options);
  ASSERT_TRUE(feed.ok()) << feed.status();
  EXPECT_EQ(feed->items.size(), 5u);
  EXPECT_TRUE(AnyWarning(*feed, "would exceed 250 bytes"));
}

TEST(FeedParserLimitsTest, OverlongUrlsDropped) {
  ParseOptions options;
  options.feed_url = "https://x.example/feed";
  options.max_url_bytes = 64;
  absl::StatusOr<ParsedFeed> feed = ParseFeed(
      absl::StrCat("<rss version=\"2.0\"><channel><item xml:base=\"/",
                   std::string(100, 'b'), "/\"><link>", std::string(100, 'l'),
                   "</link><guid isPermaLink=\"false\">g</guid></item>"
                   "<item><link>short</link></item></channel></rss>"),
      options);
  ASSERT_TRUE(feed.ok()) << feed.status();
  ASSERT_EQ(feed->items.size(), 2u);
  EXPECT_EQ(feed->items[0].link, "");
  EXPECT_EQ(feed->items[1].link, "https://x.example/short");
  EXPECT_TRUE(AnyWarning(*feed, "URL longer than 64 bytes dropped"));
}

TEST(FeedParserLimitsTest, NamespaceDeclarationsCapped) {
  std::string decls;
  for (int i = 0; i < 400; ++i)
    absl::StrAppend(&decls, " xmlns:p", i, "=\"urn:", i, "\"");
  absl::StatusOr<ParsedFeed> feed = ParseFeed(
      absl::StrCat("<rss version=\"2.0\"", decls,
                   "><channel><item><title>t</title></item></channel></rss>"),
      {});
  ASSERT_TRUE(feed.ok()) << feed.status();
  ASSERT_EQ(feed->items.size(), 1u);
  EXPECT_EQ(feed->items[0].title, "t");
  EXPECT_TRUE(AnyWarning(*feed, "namespace declarations"));
}

TEST(FeedParserLimitsTest, UnclosedAngleBracketsInTitleAreLinear) {
  // "<a<a<a..." searched for '>' once per '<': quadratic before.
  std::string title;
  for (int i = 0; i < 200000; ++i) title += "&lt;a";
  absl::StatusOr<ParsedFeed> feed =
      ParseFeed(absl::StrCat("<rss version=\"2.0\"><channel><item><title>",
                             title, "</title></item></channel></rss>"),
                {});
  ASSERT_TRUE(feed.ok()) << feed.status();
  ASSERT_EQ(feed->items.size(), 1u);
  EXPECT_EQ(feed->items[0].title.size(), 400000u);
}

TEST(FeedParserLimitsTest, AmpersandsWithoutSemicolonInTitleAreLinear) {
  // Each '&' of a title searched the rest of it for a ';': a 1.6 MB title
  // of "&&&..." or "&amp&amp..." took 22 s. A reference still needs its
  // ';' within 40 bytes of the '&', as before.
  const std::string amps(1000000, '&');
  std::string legacy;
  for (int i = 0; i < 200000; ++i) legacy += "&amp";
  const std::string near = "&#" + std::string(36, '0') + "65;";  // ';' at 40
  const std::string far = "&#" + std::string(37, '0') + "65;";   // ';' at 41
  absl::StatusOr<ParsedFeed> feed =
      ParseFeed(absl::StrCat("<rss version=\"2.0\"><channel><item><title>",
                             amps, "</title></item><item><title>", legacy,
                             "</title></item><item><title>", amps, "&eacute; ",
                             near, " ", far, "</title></item></channel></rss>"),
                {});
  ASSERT_TRUE(feed.ok()) << feed.status();
  ASSERT_EQ(feed->items.size(), 3u);
  EXPECT_EQ(feed->items[0].title, amps);
  EXPECT_EQ(feed->items[1].title, legacy);  // no ';': not references
  EXPECT_EQ(feed->items[2].title, absl::StrCat(amps, "\u00e9 A ", far));
}

// Case classes from feedparser's and gofeed's suites, with our own inputs.

ParsedItem OnlyItem(std::string_view body) {
  ParsedFeed feed = MustParse(body);
  EXPECT_EQ(feed.items.size(), 1u);
  return feed.items.empty() ? ParsedItem{} : feed.items[0];
}

std::string RssItem(std::string_view inner) {
  return absl::StrCat("<rss version=\"2.0\"><channel><title>c</title><item>",
                      std::string(inner), "</item></channel></rss>");
}

std::string AtomEntry(std::string_view inner) {
  return absl::StrCat(
      "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>f</title><entry>",
      std::string(inner), "</entry></feed>");
}

TEST(FeedCompatTest, GuidPermalinkIsLinkFallback) {
  ParsedItem item = OnlyItem(
      RssItem("<guid>\n  https://example.com/a/1  \n</guid><title>t</title>"));
  EXPECT_EQ(item.id, "https://example.com/a/1");
  EXPECT_EQ(item.link, "https://example.com/a/1");
  item = OnlyItem(
      RssItem("<guid isPermaLink=\"false\">https://example.com/x</guid>"));
  EXPECT_EQ(item.link, "");
  EXPECT_FALSE(item.id_is_permalink);
}

TEST(FeedCompatTest, LinkWhitespaceTrimmed) {
  ParsedItem item = OnlyItem(RssItem("<link>\n   /a/2\n  </link>"));
  EXPECT_EQ(item.link, "https://example.com/a/2");
}

TEST(FeedCompatTest, AtomAlternateLinkPreferred) {
  ParsedItem item = OnlyItem(
      AtomEntry("<link rel=\"self\" href=\"https://example.com/self\"/>"
                "<link rel=\"edit\" href=\"https://example.com/edit\"/>"
                "<link rel=\"alternate\" type=\"text/html\" "
                "href=\"https://example.com/html\"/>"));
  EXPECT_EQ(item.link, "https://example.com/html");
  item = OnlyItem(
      AtomEntry("<link rel=\"replies\" href=\"https://example.com/c\"/>"
                "<link href=\"https://example.com/norel\"/>"));
  EXPECT_EQ(item.link, "https://example.com/norel");
}

TEST(FeedCompatTest, NestedRelativeXmlBase) {
  ParsedFeed feed = MustParse(
      "<feed xmlns=\"http://www.w3.org/2005/Atom\" "
      "xml:base=\"http://example.org/root/\"><title>f</title>"
      "<link href=\"index.html\"/>"
      "<entry xml:base=\"sub/\"><link href=\"page.html\"/>"
      "<content type=\"xhtml\" xml:base=\"deeper/\"><div "
      "xmlns=\"http://www.w3.org/1999/xhtml\">x</div></content></entry>"
      "</feed>");
  EXPECT_EQ(feed.link, "http://example.org/root/index.html");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.items[0].link, "http://example.org/root/sub/page.html");
}

TEST(FeedCompatTest, AtomTextConstructs) {
  ParsedItem item = OnlyItem(
      AtomEntry("<title type=\"text\">AT&amp;T &lt;3 you</title>"
                "<summary type=\"html\">&lt;b&gt;bold&lt;/b&gt;</summary>"));
  EXPECT_EQ(item.title, "AT&T <3 you");
  EXPECT_EQ(item.summary, "<b>bold</b>");
  item = OnlyItem(
      AtomEntry("<title type=\"html\">A &lt;em&gt;big&lt;/em&gt; day</title>"));
  EXPECT_EQ(item.title, "A big day");
  item = OnlyItem(AtomEntry(
      "<title type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\">"
      "An <b>x</b> title</div></title>"));
  EXPECT_EQ(item.title, "An x title");
}

TEST(FeedCompatTest, AtomContentTypes) {
  ParsedItem item = OnlyItem(AtomEntry(
      "<content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\">"
      "<p>Hi <a href=\"/x\">there</a></p></div></content>"));
  EXPECT_THAT(item.content, HasSubstr("<p>Hi <a"));
  EXPECT_THAT(item.content, Not(HasSubstr("<div")));
  item = OnlyItem(AtomEntry("<content type=\"text\">1 &lt; 2</content>"));
  EXPECT_EQ(item.content, "1 &lt; 2");
}

TEST(FeedCompatTest, Atom03Base64Content) {
  ParsedItem item = OnlyItem(
      "<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><entry>"
      "<content type=\"text/html\" mode=\"base64\">PHA+SGk8L3A+</content>"
      "</entry></feed>");
  EXPECT_EQ(item.content, "<p>Hi</p>");
}

TEST(FeedCompatTest, Atom10NonTextMediaTypeIsBase64) {
  // RFC 4287 4.1.3.3: a type that is neither text/* nor XML means base64.
  ParsedFeed feed = MustParse(
      "<feed xmlns=\"http://www.w3.org/2005/Atom\">"
      "<title type=\"application/octet-stream\">V2VhdGhlciA8dG9kYXk+</title>"
      "<entry><title>Forecast</title>"
      "<summary type=\"application/octet-stream\">"
      "U3Vubnkgc3BlbGxzICYgc2hvd2Vycw==</summary>"
      "<content type=\"application/octet-stream\">"
      "U3Vubnkgc3BlbGxzICYgc2hvd2Vycw==</content></entry>"
      "<entry><title>Picture</title>"
      "<content type=\"image/png\">iVBORwAB</content></entry>"
      "</feed>");
  EXPECT_EQ(feed.title, "Weather <today>");
  ASSERT_EQ(feed.items.size(), 2u);
  EXPECT_EQ(feed.items[0].summary, "Sunny spells & showers");
  EXPECT_EQ(feed.items[0].content, "Sunny spells &amp; showers");
  // Binary content is not text for a reader.
  EXPECT_EQ(feed.items[1].content, "");
}

TEST(FeedCompatTest, AtomHtmlContentInXhtmlDivWrapper) {
  ParsedItem item = OnlyItem(
      "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry>"
      "<content type=\"html\">\n  <div xmlns=\"http://www.w3.org/1999/xhtml\">"
      "&lt;em&gt;Tide&lt;/em&gt; tables</div>\n</content></entry></feed>");
  EXPECT_EQ(item.content, "<em>Tide</em> tables");
  // A div with markup in it is naked HTML, kept as markup.
  item = OnlyItem(
      "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry>"
      "<content type=\"html\"><div xmlns=\"http://www.w3.org/1999/xhtml\">"
      "<em>Tide</em> &amp; time</div></content></entry></feed>");
  EXPECT_THAT(item.content, HasSubstr("<em>Tide</em> &amp; time"));
}

TEST(FeedCompatTest, AtomPersonWithoutNameIsNotItsMarkup) {
  ParsedFeed feed = MustParse(
      "<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\">"
      "<entry><author><homepage>http://pia.example/</homepage>"
      "<email>pia@example.org</email></author></entry>"
      "<entry><author><homepage>http://pia.example/</homepage></author>"
      "</entry>"
      "<entry><author>Pia Paulsen</author></entry></feed>");
  ASSERT_EQ(feed.items.size(), 3u);
  ASSERT_EQ(feed.items[0].authors.size(), 1u);
  EXPECT_EQ(feed.items[0].authors[0].name, "");
  EXPECT_EQ(feed.items[0].authors[0].email, "pia@example.org");
  EXPECT_EQ(feed.items[0].authors[0].uri, "http://pia.example/");
  // Only a URI: nothing the name and e-mail fields could hold.
  EXPECT_THAT(feed.items[1].authors, IsEmpty());
  ASSERT_EQ(feed.items[2].authors.size(), 1u);
  EXPECT_EQ(feed.items[2].authors[0].name, "Pia Paulsen");
}

TEST(FeedCompatTest, AtomRelativeIdResolvesAgainstXmlBaseOnly) {
  ParsedFeed feed = MustParse(
      "<feed xmlns=\"http://www.w3.org/2005/Atom\" "
      "xml:base=\"http://notes.example/2023/\">"
      "<entry><id>entries/7</id></entry>"
      "<entry><id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id></entry>"
      "</feed>");
  ASSERT_EQ(feed.items.size(), 2u);
  EXPECT_EQ(feed.items[0].id, "http://notes.example/2023/entries/7");
  EXPECT_EQ(feed.items[1].id, "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a");
  // Without xml:base the feed's own URL is no base for an id.
  feed = MustParse(
      "<feed xmlns=\"http://www.w3.org/2005/Atom\">"
      "<entry><id>entries/7</id></entry></feed>");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.items[0].id, "entries/7");
}

TEST(FeedCompatTest, RssAuthorEmailNameForms) {
  ParsedItem item =
      OnlyItem(RssItem("<author>jo@example.com (Jo Doe)</author>"));
  ASSERT_EQ(item.authors.size(), 1u);
  EXPECT_EQ(item.authors[0].name, "Jo Doe");
  EXPECT_EQ(item.authors[0].email, "jo@example.com");
  item = OnlyItem(RssItem("<author>Jo Doe &lt;jo@example.com&gt;</author>"));
  ASSERT_EQ(item.authors.size(), 1u);
  EXPECT_EQ(item.authors[0].name, "Jo Doe");
  EXPECT_EQ(item.authors[0].email, "jo@example.com");
  item = OnlyItem(RssItem("<author>jo@example.com</author>"));
  ASSERT_EQ(item.authors.size(), 1u);
  EXPECT_EQ(item.authors[0].email, "jo@example.com");
}

TEST(FeedCompatTest, UndeclaredWellKnownPrefixes) {
  ParsedItem item = OnlyItem(
      RssItem("<title>t</title><dc:creator>Ann</dc:creator>"
              "<dc:date>2024-05-13T09:30:00Z</dc:date>"
              "<content:encoded><![CDATA[<p>full</p>]]></content:encoded>"));
  ASSERT_EQ(item.authors.size(), 1u);
  EXPECT_EQ(item.authors[0].name, "Ann");
  EXPECT_EQ(Rfc3339(item.published), "2024-05-13T09:30:00Z");
  EXPECT_EQ(item.content, "<p>full</p>");
}

TEST(FeedCompatTest, CategoryDomainAndAtomLabel) {
  ParsedItem item = OnlyItem(
      RssItem("<category domain=\"http://example.com/t\">Tech</category>"
              "<category>  News </category>"));
  EXPECT_THAT(item.categories, ElementsAre("Tech", "News"));
  item = OnlyItem(AtomEntry(
      "<category term=\"go\" label=\"Go\"/><category label=\"OnlyLabel\"/>"));
  EXPECT_THAT(item.categories, ElementsAre("go", "OnlyLabel"));
}

TEST(FeedCompatTest, EnclosuresWithLengthAndType) {
  ParsedItem item = OnlyItem(RssItem(
      "<enclosure url=\"/e.mp3\" length=\"12345\" type=\"audio/mpeg\"/>"));
  ASSERT_EQ(item.enclosures.size(), 1u);
  EXPECT_EQ(item.enclosures[0].url, "https://example.com/e.mp3");
  EXPECT_EQ(item.enclosures[0].length, 12345);
  EXPECT_EQ(item.enclosures[0].type, "audio/mpeg");
  item = OnlyItem(RssItem(
      "<enclosure url=\"/e.mp3\" length=\"unknown\" type=\"audio/mpeg\"/>"));
  ASSERT_EQ(item.enclosures.size(), 1u);
  EXPECT_EQ(item.enclosures[0].length, 0);
  item = OnlyItem(
      AtomEntry("<link rel=\"enclosure\" href=\"https://example.com/v.mp4\" "
                "length=\"99\" type=\"video/mp4\"/>"));
  ASSERT_EQ(item.enclosures.size(), 1u);
  EXPECT_EQ(item.enclosures[0].length, 99);
}

TEST(FeedCompatTest, AtomWithoutNamespaceAndRssWithoutVersion) {
  ParsedFeed feed = MustParse(
      "<feed><title>f</title><entry><title>e</title>"
      "<link href=\"https://example.com/e\"/></entry></feed>");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.items[0].link, "https://example.com/e");
  feed = MustParse(
      "<rss><channel><title>c</title><item><title>i</title></item>"
      "</channel></rss>");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.items[0].title, "i");
}

TEST(FeedCompatTest, GarbageBeforeDeclaration) {
  ParsedFeed feed = MustParse(
      "<br />\n<b>Warning</b>: something in x.php on line 3<br />\n"
      "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>"
      "<item><title>i</title></item></channel></rss>");
  EXPECT_EQ(feed.title, "t");
  EXPECT_EQ(feed.items.size(), 1u);
}

TEST(FeedCompatTest, BomThenWhitespace) {
  ParsedFeed feed = MustParse(
      "\xEF\xBB\xBF\n<?xml version=\"1.0\" encoding=\"utf-8\"?>"
      "<rss version=\"2.0\"><channel><title>t\xC3\xA9</title></channel></rss>");
  EXPECT_EQ(feed.title, "t\xC3\xA9");
}

TEST(FeedCompatTest, UnclosedElementInsideItemStillYieldsItems) {
  ParsedFeed feed = MustParse(
      "<rss version=\"2.0\"><channel><title>c</title>"
      "<item><title>one</title><description>a <br> b</description></item>"
      "<item><title>two</title><link>https://example.com/2</link></item>"
      "</channel></rss>");
  ASSERT_EQ(feed.items.size(), 2u);
  EXPECT_EQ(feed.items[0].title, "one");
  EXPECT_EQ(feed.items[1].link, "https://example.com/2");
}

TEST(FeedCompatTest, Windows1252BytesDeclaredLatin1) {
  ParsedFeed feed = MustParse(
      "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"
      "<rss version=\"2.0\"><channel><title>\x93quoted\x94 caf\xE9"
      "</title></channel></rss>");
  EXPECT_EQ(feed.title, "\xE2\x80\x9Cquoted\xE2\x80\x9D caf\xC3\xA9");
}

TEST(FeedCompatTest, Utf16WithoutBomUsesDeclaration) {
  std::string ascii =
      "<?xml version=\"1.0\" encoding=\"UTF-16LE\"?><rss version=\"2.0\">"
      "<channel><title>wide</title></channel></rss>";
  std::string body;
  for (char c : ascii) {
    body.push_back(c);
    body.push_back('\0');
  }
  EXPECT_EQ(MustParse(body).title, "wide");
}

TEST(FeedCompatTest, ItunesAndMediaFallbacks) {
  ParsedItem item = OnlyItem(
      "<rss version=\"2.0\" "
      "xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\" "
      "xmlns:media=\"http://search.yahoo.com/mrss/\"><channel><item>"
      "<itunes:author>Pod Host</itunes:author>"
      "<itunes:summary>Pod summary</itunes:summary>"
      "<media:group><media:content url=\"https://example.com/m.mp4\" "
      "type=\"video/mp4\" fileSize=\"77\"/>"
      "<media:thumbnail url=\"https://example.com/t.jpg\"/></media:group>"
      "</item></channel></rss>");
  ASSERT_EQ(item.authors.size(), 1u);
  EXPECT_EQ(item.authors[0].name, "Pod Host");
  EXPECT_EQ(item.summary, "Pod summary");
  ASSERT_EQ(item.enclosures.size(), 1u);
  EXPECT_EQ(item.enclosures[0].length, 77);
  EXPECT_EQ(item.thumbnail_url, "https://example.com/t.jpg");
}

TEST(FeedCompatTest, Rss091UserlandTextinputAndImageNotItems) {
  ParsedFeed feed = MustParse(
      "<rss version=\"0.91\"><channel><title>c</title>"
      "<image><title>img</title><url>https://example.com/i.png</url>"
      "<link>https://example.com/</link></image>"
      "<textinput><title>Search</title><link>https://example.com/s</link>"
      "</textinput><link>https://example.com/home</link>"
      "<item><title>i</title></item></channel></rss>");
  EXPECT_EQ(feed.title, "c");
  EXPECT_EQ(feed.link, "https://example.com/home");
  EXPECT_EQ(feed.items.size(), 1u);
}

TEST(FeedCompatTest, MismatchedAndStrayEndTagsRepaired) {
  ParsedFeed feed = MustParse(
      "<rss version=\"2.0\"><channel><title>c</titel>"
      "<item><title>one</item>"
      "<item><title>two</title></b></item></channel></rss>");
  EXPECT_EQ(feed.title, "c");
  ASSERT_EQ(feed.items.size(), 2u);
  EXPECT_EQ(feed.items[0].title, "one");
  EXPECT_EQ(feed.items[1].title, "two");
  EXPECT_TRUE(HasWarning(feed, "tags do not nest"));
}

TEST(FeedCompatTest, UnclosedTagsAtEndOfTruncatedFeedClosed) {
  ParsedFeed feed = MustParse(
      "<rss version=\"2.0\"><channel><title>c</title>"
      "<item><title>one</title></item><item><title>tw");
  ASSERT_EQ(feed.items.size(), 2u);
  EXPECT_EQ(feed.items[1].title, "tw");
}

TEST(FeedCompatTest, TagSoupRepairIsLinear) {
  // Many stray end tags and bogus declarations in a document that does not
  // parse: the balancer must stay linear and bounded.
  std::string body = "<rss version=\"2.0\"><channel><title>t</titel>";
  for (int i = 0; i < 20000; ++i) body += "</x><br>";
  body += "</channel></rss>";
  absl::Time start = absl::Now();
  absl::StatusOr<ParsedFeed> feed = ParseFeed(body, ParseOptions{});
  EXPECT_TRUE(feed.ok()) << feed.status();
  // Bogus declarations are beyond repair, but must not be quadratic.
  std::string bogus = "<rss><channel><title>t</titel>";
  for (int i = 0; i < 20000; ++i) bogus += "<!y>";
  feed = ParseFeed(bogus, ParseOptions{});
  EXPECT_FALSE(feed.ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(FeedCompatTest, AtomSourceElementDoesNotLeakIntoEntry) {
  ParsedItem item = OnlyItem(AtomEntry(
      "<source><title>Origin</title><link href=\"https://origin.example/\"/>"
      "<author><name>Src</name></author><id>tag:src</id>"
      "<updated>2001-01-01T00:00:00Z</updated></source>"
      "<title>Mine</title><id>tag:mine</id>"
      "<link href=\"https://example.com/mine\"/>"
      "<updated>2024-05-13T09:30:00Z</updated>"));
  EXPECT_EQ(item.title, "Mine");
  EXPECT_EQ(item.id, "tag:mine");
  EXPECT_EQ(item.link, "https://example.com/mine");
  EXPECT_EQ(Rfc3339(item.updated), "2024-05-13T09:30:00Z");
  EXPECT_TRUE(item.authors.empty() || item.authors[0].name != "Src");
}

TEST(FeedCompatTest, Windows1252NumericReferences) {
  // &#146; and friends name C1 controls, but every publisher that writes
  // them means the windows-1252 character.
  ParsedItem item = OnlyItem(
      RssItem("<title>It&#146;s &#147;on&#148; &#150; &#x80;5</title>"));
  EXPECT_EQ(item.title,
            "It\xE2\x80\x99s \xE2\x80\x9Con\xE2\x80\x9D \xE2\x80\x93 "
            "\xE2\x82\xAC"
            "5");
}

TEST(FeedCompatTest, CdataTitleWithMarkup) {
  ParsedItem item =
      OnlyItem(RssItem("<title><![CDATA[A <b>bold</b> &amp; move]]></title>"));
  EXPECT_EQ(item.title, "A bold & move");
}

TEST(FeedCompatTest, ItemXmlLangIsLanguage) {
  ParsedFeed feed = MustParse(
      "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en\">"
      "<title>f</title><entry xml:lang=\"fr\"><title>e</title></entry>"
      "<entry><title>g</title></entry></feed>");
  EXPECT_EQ(feed.language, "en");
  ASSERT_EQ(feed.items.size(), 2u);
  EXPECT_EQ(feed.items[0].language, "fr");
  EXPECT_EQ(feed.items[1].language, "en");
}

TEST(FeedCompatTest, EnclosureWithoutUrlIgnored) {
  ParsedItem item =
      OnlyItem(RssItem("<enclosure length=\"1\" type=\"audio/mpeg\"/>"));
  EXPECT_TRUE(item.enclosures.empty());
}

TEST(FeedCompatTest, EncodingNameAliases) {
  for (const char* name :
       {"utf8", "latin1", "cp1252", "win-1252", "x-cp1252", "ISO_8859-1"}) {
    std::string body =
        absl::StrCat("<?xml version=\"1.0\" encoding=\"", name,
                     "\"?><rss version=\"2.0\"><channel><title>caf\xE9</title>"
                     "</channel></rss>");
    if (std::string_view(name) == "utf8") {
      body =
          "<?xml version=\"1.0\" encoding=\"utf8\"?><rss version=\"2.0\">"
          "<channel><title>caf\xC3\xA9</title></channel></rss>";
    }
    EXPECT_EQ(MustParse(body).title, "caf\xC3\xA9") << name;
  }
}

TEST(FeedCompatTest, BogusDefaultNamespaceOnRssRoot) {
  ParsedFeed feed = MustParse(
      "<rss xmlns=\"https://example.org/rss-spec.html\" version=\"2.0\">"
      "<channel><title>c</title><link>https://example.com/</link>"
      "<item><title>i</title><link>https://example.com/i</link>"
      "<pubDate>Fri, 22 Dec 2023 01:04:55 +0200</pubDate></item>"
      "</channel></rss>");
  EXPECT_EQ(feed.title, "c");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.items[0].link, "https://example.com/i");
  EXPECT_EQ(Rfc3339(feed.items[0].published), "2023-12-21T23:04:55Z");
}

TEST(FeedCompatTest, NamespaceUriWithWhitespaceAndOddCase) {
  ParsedItem item = OnlyItem(
      "<rss version=\"2.0\" xmlns:it=\" "
      "http://www.itunes.com/DTDs/PodCast-1.0.dtd\""
      " xmlns:d=\"http://purl.org/dc/elements/1.1\"><channel><item>"
      "<it:author>Host</it:author><d:subject>S</d:subject>"
      "</item></channel></rss>");
  ASSERT_EQ(item.authors.size(), 1u);
  EXPECT_EQ(item.authors[0].name, "Host");
  EXPECT_THAT(item.categories, ElementsAre("S"));
}

TEST(FeedCompatTest, LegacyEntityWithoutSemicolonNotDecoded) {
  ParsedFeed feed = MustParse(
      "<rss version=\"2.0\"><channel><title>?a=1&copy=2;b=x &amp; y"
      "</title></channel></rss>");
  EXPECT_EQ(feed.title, "?a=1&copy=2;b=x & y");
}

TEST(FeedCompatTest, ItemsOutsideChannel) {
  ParsedFeed feed = MustParse(
      "<rss version=\"0.92\"><channel><title>c</title></channel>"
      "<item><title>stray</title><link>https://example.com/s</link></item>"
      "</rss>");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.items[0].title, "stray");
}

TEST(FeedCompatTest, AtomLinkAlternateInRssItem) {
  ParsedItem item = OnlyItem(
      "<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\">"
      "<channel><item><atom:link rel=\"alternate\" "
      "href=\"https://example.com/alt\"/></item></channel></rss>");
  EXPECT_EQ(item.link, "https://example.com/alt");
}

TEST(FeedCompatTest, RssItemWithAtomUpdated) {
  ParsedItem item = OnlyItem(
      "<rss version=\"2.0\" xmlns:a10=\"http://www.w3.org/2005/Atom\">"
      "<channel><item><a10:updated>2024-05-13T09:30:00Z</a10:updated>"
      "</item></channel></rss>");
  EXPECT_EQ(Rfc3339(item.updated), "2024-05-13T09:30:00Z");
}

TEST(FeedCompatTest, UppercaseRssElementNames) {
  ParsedFeed feed = MustParse(
      "<RSS version=\"0.91\"><CHANNEL><TITLE>c</TITLE>"
      "<ITEM><TITLE>i</TITLE><LINK>https://example.com/i</LINK></ITEM>"
      "</CHANNEL></RSS>");
  EXPECT_EQ(feed.title, "c");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.items[0].link, "https://example.com/i");
}

TEST(FeedCompatTest, XmlBaseAppliesToUrlAttributes) {
  ParsedItem item = OnlyItem(
      "<rss version=\"2.0\" xmlns:media=\"http://search.yahoo.com/mrss/\">"
      "<channel xml:base=\"https://cdn.example/base/\"><item "
      "xml:base=\"items/\"><link>page.html</link>"
      "<enclosure url=\"a.mp3\" type=\"audio/mpeg\" length=\"1\"/>"
      "<media:thumbnail url=\"t.jpg\"/></item></channel></rss>");
  EXPECT_EQ(item.link, "https://cdn.example/base/items/page.html");
  ASSERT_EQ(item.enclosures.size(), 1u);
  EXPECT_EQ(item.enclosures[0].url, "https://cdn.example/base/items/a.mp3");
  EXPECT_EQ(item.thumbnail_url, "https://cdn.example/base/items/t.jpg");
}

TEST(FeedCompatTest, ProtocolRelativeAndRootRelativeLinks) {
  ParsedItem item = OnlyItem(RssItem("<link>//cdn.example/x</link>"));
  EXPECT_EQ(item.link, "https://cdn.example/x");
  item = OnlyItem(RssItem("<link>../up?q=1#f</link>"));
  EXPECT_EQ(item.link, "https://example.com/up?q=1#f");
}

TEST(FeedCompatTest, BareAmpersandInAttribute) {
  ParsedItem item = OnlyItem(RssItem(
      "<enclosure url=\"https://example.com/a?b=1&c=2\" type=\"x/y\"/>"));
  ASSERT_EQ(item.enclosures.size(), 1u);
  EXPECT_EQ(item.enclosures[0].url, "https://example.com/a?b=1&c=2");
}

TEST(FeedCompatTest, BareLessThanInText) {
  ParsedItem item = OnlyItem(RssItem("<title>1 < 2 and 3 <4</title>"));
  EXPECT_EQ(item.title, "1 < 2 and 3 <4");
}

TEST(FeedCompatTest, UnquotedAttributeValues) {
  ParsedItem item = OnlyItem(RssItem(
      "<enclosure url=https://example.com/a.mp3 length=5 type=audio/mpeg />"
      "<title>t</title>"));
  ASSERT_EQ(item.enclosures.size(), 1u);
  EXPECT_EQ(item.enclosures[0].url, "https://example.com/a.mp3");
  EXPECT_EQ(item.enclosures[0].length, 5);
  EXPECT_EQ(item.title, "t");
}

TEST(FeedCompatTest, RssLinkWithHrefAttribute) {
  ParsedItem item = OnlyItem(
      RssItem("<link href=\"https://example.com/h\"/><title>t</title>"));
  EXPECT_EQ(item.link, "https://example.com/h");
}

TEST(FeedCompatTest, MediaTitleAndDescriptionAsFallbacks) {
  ParsedItem item = OnlyItem(
      "<rss version=\"2.0\" xmlns:media=\"http://search.yahoo.com/mrss/\">"
      "<channel><item><media:title>MT</media:title>"
      "<media:description>MD</media:description>"
      "<link>https://example.com/m</link></item></channel></rss>");
  EXPECT_EQ(item.title, "MT");
  EXPECT_EQ(item.summary, "MD");
}

TEST(FeedCompatTest, EmptyLinkIsNotTheFeedUrl) {
  ParsedItem item =
      OnlyItem(RssItem("<link>  </link><guid>https://example.com/g</guid>"
                       "<link>https://example.com/second</link>"));
  EXPECT_EQ(item.link, "https://example.com/second");
  item = OnlyItem(RssItem("<link></link><guid>https://example.com/g</guid>"));
  EXPECT_EQ(item.link, "https://example.com/g");
}

TEST(FeedParserTest, RelativeUrlsInHtmlResolvedAgainstXmlBase) {
  ParsedFeed feed = MustParse(R"(<feed xmlns="http://www.w3.org/2005/Atom"
      xml:base="https://site.example/blog/">
    <subtitle type="html">&lt;a href="about"&gt;about&lt;/a&gt;</subtitle>
    <entry>
      <summary type="html" xml:base="/notes/">&lt;img src='pic.png'&gt;
        &lt;a href=#top&gt;top&lt;/a&gt;</summary>
      <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">
        <a href="post.html">one</a> <a href="https://other.example/x">two</a>
        <a href="mailto:me@example.com">mail</a></div></content>
    </entry>
    <entry>
      <summary type="text">see href="x"</summary>
    </entry>
  </feed>)");
  EXPECT_EQ(feed.description,
            R"(<a href="https://site.example/blog/about">about</a>)");
  ASSERT_EQ(feed.items.size(), 2u);
  EXPECT_THAT(feed.items[0].summary,
              HasSubstr("<img src='https://site.example/notes/pic.png'>"));
  EXPECT_THAT(feed.items[0].summary,
              HasSubstr("<a href=https://site.example/notes/#top>"));
  EXPECT_THAT(feed.items[0].content,
              HasSubstr(R"(<a href="https://site.example/blog/post.html">)"));
  EXPECT_THAT(feed.items[0].content,
              HasSubstr(R"(<a href="https://other.example/x">)"));
  EXPECT_THAT(feed.items[0].content,
              HasSubstr(R"(<a href="mailto:me@example.com">)"));
  // Plain text is not HTML: nothing in it is a URL to resolve.
  EXPECT_EQ(feed.items[1].summary, R"(see href="x")");
}

TEST(FeedParserTest, RelativeUrlsInRssDescriptionAndContent) {
  ParsedFeed feed = MustParse(R"(<rss version="2.0"
      xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
    <link>https://site.example/</link>
    <item>
      <description><![CDATA[<a href="/a">a</a>]]></description>
      <content:encoded><![CDATA[<img src="img/b.png" alt="b">]]></content:encoded>
    </item></channel></rss>)");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.items[0].summary, R"(<a href="https://site.example/a">a</a>)");
  EXPECT_EQ(feed.items[0].content,
            R"(<img src="https://site.example/img/b.png" alt="b">)");
}

TEST(FeedParserTest, AtomLinkWithoutHrefOrWithEmptyHref) {
  ParsedFeed feed = MustParse(R"(<feed xmlns="http://www.w3.org/2005/Atom"
      xml:base="https://site.example/feed">
    <link rel="self" href=""/>
    <link rel="alternate" type="text/html" href=""/>
    <entry>
      <link rel="enclosure" type="audio/mpeg">https://cdn.example/a.mp3</link>
      <link rel="alternate" type="text/html">https://site.example/post</link>
    </entry>
  </feed>)");
  EXPECT_EQ(feed.link, "https://site.example/feed");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.items[0].link, "https://site.example/post");
  ASSERT_EQ(feed.items[0].enclosures.size(), 1u);
  EXPECT_EQ(feed.items[0].enclosures[0].url, "https://cdn.example/a.mp3");
}

TEST(FeedParserTest, ChannelDefinitionFormat) {
  ParsedFeed feed = MustParse(R"(<!-- old IE channel -->
<CHANNEL HREF="https://site.example/" LASTMOD="2024-05-13T09:30:00+02:00">
  <TITLE>Site</TITLE><ABSTRACT>What is new</ABSTRACT>
  <ITEM HREF="news/1.html" LASTMOD="2024-05-12T08:00:00Z">
    <TITLE>First</TITLE><ABSTRACT>One</ABSTRACT>
  </ITEM>
</CHANNEL>)");
  EXPECT_EQ(feed.format, "cdf");
  EXPECT_EQ(feed.title, "Site");
  EXPECT_EQ(feed.link, "https://site.example/");
  EXPECT_EQ(feed.description, "What is new");
  EXPECT_EQ(Rfc3339(feed.updated), "2024-05-13T07:30:00Z");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.items[0].title, "First");
  EXPECT_EQ(feed.items[0].link, "https://site.example/news/1.html");
  EXPECT_EQ(feed.items[0].summary, "One");
  EXPECT_EQ(Rfc3339(feed.items[0].updated), "2024-05-12T08:00:00Z");
}

TEST(FeedParserTest, UnterminatedRootEndTagAtEndOfDocument) {
  ParsedFeed feed = MustParse(
      "<rss version=\"2.0\"><channel><item>"
      "<link>https://site.example/get?a=1&amp;b=2</link>"
      "</item></channel></rss\n");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.items[0].link, "https://site.example/get?a=1&b=2");
  EXPECT_TRUE(HasWarning(feed, "unterminated </rss>"));
}

TEST(FeedParserTest, RssFullTextAlternativesKeywordsAndDctermsModified) {
  ParsedFeed feed = MustParse(R"(<rss version="2.0"
      xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
      xmlns:xhtml="http://www.w3.org/1999/xhtml"
      xmlns:dcterms="http://purl.org/dc/terms/"><channel>
    <dcterms:modified>2024-05-13T09:30:00Z</dcterms:modified>
    <item><xhtml:body><xhtml:p>Full <xhtml:b>text</xhtml:b></xhtml:p></xhtml:body>
      <itunes:keywords>news, tech ,, audio</itunes:keywords></item>
    <item><fullitem>&lt;p&gt;Old full text&lt;/p&gt;</fullitem></item>
  </channel></rss>)");
  EXPECT_EQ(Rfc3339(feed.updated), "2024-05-13T09:30:00Z");
  ASSERT_EQ(feed.items.size(), 2u);
  EXPECT_THAT(feed.items[0].content, HasSubstr("Full "));
  EXPECT_THAT(feed.items[0].content, HasSubstr("text</xhtml:b>"));
  EXPECT_THAT(feed.items[0].categories, ElementsAre("news", "tech", "audio"));
  EXPECT_EQ(feed.items[1].content, "<p>Old full text</p>");
}

TEST(FeedParserTest, XmlLangWithUnderscoreReadAsLanguageTag) {
  ParsedFeed feed = MustParse(R"(<feed xmlns="http://www.w3.org/2005/Atom"
      xml:lang="en_US"><entry xml:lang="pt_BR"/></feed>)");
  EXPECT_EQ(feed.language, "en-US");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.items[0].language, "pt-BR");
}

TEST(FeedParserTest, AtomFeedWithRssStyleItemElements) {
  ParsedFeed feed = MustParse(R"(<feed xmlns="http://www.w3.org/2005/Atom">
    <item><title>One</title><link href="https://site.example/1"/></item>
    <entry><title>Two</title></entry>
  </feed>)");
  ASSERT_EQ(feed.items.size(), 2u);
  EXPECT_EQ(feed.items[0].title, "One");
  EXPECT_EQ(feed.items[0].link, "https://site.example/1");
  EXPECT_EQ(feed.items[1].title, "Two");
}

TEST(FeedParserTest, EntitiesDeclaredInTheInternalSubsetAreExpanded) {
  ParsedFeed feed = MustParse(R"(<!-- generated -->
<!DOCTYPE rss [
  <!ENTITY site "Example &amp; Co">
  <!ENTITY path 'C:\data\new'>
  <!ENTITY ext SYSTEM "https://evil.example/x">
  <!ENTITY lol "&site;&site;">
  <!ENTITY % param "x">
]>
<rss version="2.0"><channel><title>&site;</title>
  <item><guid isPermaLink="false">&path;</guid>
    <description><![CDATA[&site; stays]]></description>
    <title>&ext;&lol;</title></item>
</channel></rss>)");
  EXPECT_EQ(feed.title, "Example & Co");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.items[0].id, R"(C:\data\new)");
  EXPECT_EQ(feed.items[0].summary, "&site; stays");
  // External and nested entities are never expanded.
  EXPECT_EQ(feed.items[0].title, "&ext;&lol;");
  EXPECT_TRUE(HasWarning(feed, "declared in the DOCTYPE expanded"));
}

TEST(FeedParserTest, InternalEntityExpansionIsBounded) {
  std::string value(4000, 'x');
  std::string body = absl::StrCat("<!DOCTYPE rss [<!ENTITY big \"", value,
                                  "\">]><rss><channel><title>");
  for (int i = 0; i < 2000; ++i) body += "&big;";
  body += "</title></channel></rss>";
  absl::StatusOr<ParsedFeed> feed = ParseFeed(body, ParseOptions{});
  ASSERT_TRUE(feed.ok()) << feed.status();
  EXPECT_TRUE(HasWarning(*feed, "stopped at the size limit"));
  EXPECT_LT(feed->title.size(), body.size() + (size_t{2} << 20));
}

TEST(FeedParserTest, RssAuthorNameAndAddressInAnyOrder) {
  ParsedFeed feed = MustParse(R"(<rss version="2.0"><channel>
    <item><author>Jane Doe (jane@example.com)</author></item>
    <item><author>Jane Doe jane@example.com</author></item>
    <item><author>Jane Doe &lt;mailto:jane@example.com&gt;</author></item>
    <item><author>Jane Doe, jane@example.com</author></item>
    <item><author>(Jane Doe)</author></item>
    <item><author>jane@localhost</author></item>
  </channel></rss>)");
  ASSERT_EQ(feed.items.size(), 6u);
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(feed.items[i].authors.size(), 1u) << i;
    EXPECT_EQ(feed.items[i].authors[0].name, "Jane Doe") << i;
    EXPECT_EQ(feed.items[i].authors[0].email, "jane@example.com") << i;
  }
  // Without an address nothing is taken apart.
  EXPECT_EQ(feed.items[4].authors[0].name, "(Jane Doe)");
  EXPECT_EQ(feed.items[5].authors[0].name, "jane@localhost");
}

TEST(FeedParserTest, PreAtomNamespacesReadAsAtom) {
  for (const char* ns :
       {"http://purl.org/echo/", "http://purl.org/pie/",
        "http://example.com/necho", "http://example.com/newformat#"}) {
    ParsedFeed feed = MustParse(absl::StrCat(
        "<feed version=\"0.3\" xmlns=\"", ns,
        "\"><title>Echo</title><entry><title>One</title></entry></feed>"));
    EXPECT_EQ(feed.format, "atom0.3") << ns;
    EXPECT_EQ(feed.title, "Echo") << ns;
    ASSERT_EQ(feed.items.size(), 1u) << ns;
    EXPECT_EQ(feed.items[0].title, "One") << ns;
  }
}

TEST(FeedParserTest, RssCoreNamesMatchedIgnoringCase) {
  ParsedFeed feed = MustParse(R"(<rss version="2.0"><channel>
    <TiTlE>Mixed</TiTlE><lastbuilddate>Mon, 13 May 2024 09:30:00 GMT</lastbuilddate>
    <ITEM><Title>One</Title><pubdate>Mon, 13 May 2024 08:00:00 GMT</pubdate>
      <GUID ispermalink="false">urn:1</GUID></ITEM>
  </channel></rss>)");
  EXPECT_EQ(feed.title, "Mixed");
  EXPECT_EQ(Rfc3339(feed.updated), "2024-05-13T09:30:00Z");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.items[0].title, "One");
  EXPECT_EQ(Rfc3339(feed.items[0].published), "2024-05-13T08:00:00Z");
  EXPECT_EQ(feed.items[0].id, "urn:1");
  EXPECT_FALSE(feed.items[0].id_is_permalink);
}

TEST(FeedParserTest, UpperCaseRssPubDateIsRead) {
  ParsedFeed feed = MustParse(
      "<RSS VERSION=\"0.91\"><CHANNEL><ITEM><TITLE>T</TITLE>"
      "<PUBDATE>Mon, 13 May 2024 08:00:00 GMT</PUBDATE></ITEM>"
      "</CHANNEL></RSS>");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(Rfc3339(feed.items[0].published), "2024-05-13T08:00:00Z");
}

TEST(FeedParserTest, ItunesItemCategoriesAndSubcategories) {
  ParsedFeed feed = MustParse(R"(<rss version="2.0"
      xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>
    <item><itunes:category text="Technology">
      <itunes:category text="Gadgets"/></itunes:category></item>
  </channel></rss>)");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_THAT(feed.items[0].categories, ElementsAre("Technology", "Gadgets"));
}

TEST(FeedParserTest, AtomCategoryInsideRssItem) {
  ParsedFeed feed = MustParse(R"(<rss version="2.0"
      xmlns:atom="http://www.w3.org/2005/Atom"><channel><item>
    <category>plain</category><atom:category term="atomterm"/>
  </item></channel></rss>)");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_THAT(feed.items[0].categories, ElementsAre("plain", "atomterm"));
}

TEST(FeedParserTest, ChannelDescriptionFallsBackToDcThenItunes) {
  ParsedFeed dc = MustParse(R"(<rss version="2.0"
      xmlns:dc="http://purl.org/dc/elements/1.1/"
      xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>
    <itunes:summary>Show notes</itunes:summary>
    <dc:description>From DC</dc:description></channel></rss>)");
  EXPECT_EQ(dc.description, "From DC");
  ParsedFeed itunes = MustParse(R"(<rss version="2.0"
      xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>
    <itunes:summary>Show notes</itunes:summary>
    <itunes:subtitle>Short</itunes:subtitle></channel></rss>)");
  EXPECT_EQ(itunes.description, "Show notes");
  ParsedFeed own = MustParse(R"(<rss version="2.0"
      xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>
    <itunes:subtitle>Short</itunes:subtitle>
    <description>Own</description></channel></rss>)");
  EXPECT_EQ(own.description, "Own");
}

TEST(FeedParserTest, AtomContentAndSummaryInsideRssItem) {
  ParsedFeed feed = MustParse(R"(<rss version="2.0"
      xmlns:atom="http://www.w3.org/2005/Atom"><channel>
    <item><atom:content type="html">&lt;p&gt;Body&lt;/p&gt;</atom:content>
      <atom:summary>Short</atom:summary></item>
    <item><description>Own</description><atom:summary>Short</atom:summary>
      <atom:content type="text">a &lt; b</atom:content></item>
  </channel></rss>)");
  ASSERT_EQ(feed.items.size(), 2u);
  EXPECT_EQ(feed.items[0].content, "<p>Body</p>");
  EXPECT_EQ(feed.items[0].summary, "Short");
  EXPECT_EQ(feed.items[1].summary, "Own");
  EXPECT_EQ(feed.items[1].content, "a &lt; b");
}

TEST(FeedParserTest, DcDateAlsoStandsInForTheUpdateTime) {
  ParsedFeed feed = MustParse(R"(<rss version="2.0"
      xmlns:dc="http://purl.org/dc/elements/1.1/"
      xmlns:dcterms="http://purl.org/dc/terms/"><channel>
    <item><dc:date>2024-05-13T09:30:00Z</dc:date></item>
    <item><pubDate>Mon, 13 May 2024 08:00:00 GMT</pubDate>
      <dc:date>2024-05-13T09:30:00Z</dc:date>
      <dcterms:modified>2024-05-14T00:00:00Z</dcterms:modified></item>
    <item><dcterms:created>2024-05-13T09:30:00Z</dcterms:created></item>
  </channel></rss>)");
  ASSERT_EQ(feed.items.size(), 3u);
  EXPECT_EQ(Rfc3339(feed.items[0].published), "2024-05-13T09:30:00Z");
  EXPECT_EQ(Rfc3339(feed.items[0].updated), "2024-05-13T09:30:00Z");
  EXPECT_EQ(Rfc3339(feed.items[1].published), "2024-05-13T08:00:00Z");
  EXPECT_EQ(Rfc3339(feed.items[1].updated), "2024-05-14T00:00:00Z");
  EXPECT_EQ(Rfc3339(feed.items[2].published), "2024-05-13T09:30:00Z");
  EXPECT_EQ(Rfc3339(feed.items[2].updated), "none");
}

}  // namespace
}  // namespace newsfeed::ingest
