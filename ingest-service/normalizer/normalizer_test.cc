#include "ingest-service/normalizer/normalizer.h"

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsfeed::ingest {
namespace {

using ::testing::ElementsAre;

TEST(CanonicalizeUrlTest, DropsTrackingParametersAndFragment) {
  EXPECT_EQ(CanonicalizeUrl("https://ex.com/a?utm_source=x&id=7&utm_Medium=y"
                            "&fbclid=1&gclid=2&mc_cid=3&mc_eid=4&b=2#top"),
            "https://ex.com/a?id=7&b=2");
  EXPECT_EQ(CanonicalizeUrl("https://ex.com/a?utm_source=x#frag"),
            "https://ex.com/a");
}

TEST(CanonicalizeUrlTest, LowerCasesSchemeAndHostNotPath) {
  EXPECT_EQ(CanonicalizeUrl("HTTPS://WWW.Example.COM/Path/To?Q=V"),
            "https://www.example.com/Path/To?Q=V");
}

TEST(CanonicalizeUrlTest, DropsDefaultPortKeepsOthers) {
  EXPECT_EQ(CanonicalizeUrl("http://ex.com:80/a"), "http://ex.com/a");
  EXPECT_EQ(CanonicalizeUrl("https://ex.com:443/a"), "https://ex.com/a");
  EXPECT_EQ(CanonicalizeUrl("https://ex.com:8443/a"), "https://ex.com:8443/a");
}

TEST(CanonicalizeUrlTest, EdgeCases) {
  EXPECT_EQ(CanonicalizeUrl(""), "");
  EXPECT_EQ(CanonicalizeUrl("  https://ex.com/x  "), "https://ex.com/x");
  // Not parseable by curl: trimmed, fragment dropped.
  EXPECT_EQ(CanonicalizeUrl("not a url#x"), "not a url");
  // Idempotent.
  std::string once = CanonicalizeUrl("HTTP://Ex.com:80/a?utm_x=1&k=v#f");
  EXPECT_EQ(CanonicalizeUrl(once), once);
}

TEST(StableHashTest, FixedValues) {
  // Pinned: ids stored in query-service depend on these never changing.
  EXPECT_EQ(StableHash128Hex({}), StableHash128Hex({}));
  EXPECT_EQ(StableHash128Hex({"a", "bc"}).size(), 32u);
  EXPECT_NE(StableHash128Hex({"a", "bc"}), StableHash128Hex({"ab", "c"}));
  EXPECT_EQ(StableHash128Hex({"guid", "feed-1", "urn:x"}),
            "7a2d564728206dec63631b23dfcefadc");
}

ParsedFeed Feed() {
  ParsedFeed feed;
  feed.title = "Example News";
  feed.language = "EN_us";
  return feed;
}

FeedContext Context() {
  return {"feed-1", "https://ex.com/feed.xml",
          absl::FromUnixSeconds(1715600000) + absl::Milliseconds(250)};
}

ParsedItem Item() {
  ParsedItem item;
  item.id = "urn:x";
  item.title = "Hello world";
  item.link = "https://Ex.com/story?utm_source=rss#c";
  item.summary = "<p>Short <b>summary</b></p>";
  item.content =
      "<p>Body <script>x()</script><a href=\"javascript:y\">z</a>"
      "</p>";
  item.authors.push_back({"Jane", "jane@ex.com", ""});
  item.categories = {"Tech", "AI"};
  item.published = absl::FromUnixSeconds(1715592600);
  item.updated = absl::FromUnixSeconds(1715596200);
  item.enclosures.push_back({"https://ex.com/a.mp3", "audio/mpeg", 42});
  return item;
}

TEST(NormalizeItemTest, FillsEveryField) {
  newsfeed::v1::Article a = NormalizeItem(Feed(), Item(), Context());
  EXPECT_EQ(a.id().size(), 32u);
  EXPECT_EQ(a.feed_id(), "feed-1");
  EXPECT_EQ(a.feed_url(), "https://ex.com/feed.xml");
  EXPECT_EQ(a.source_title(), "Example News");
  EXPECT_EQ(a.title(), "Hello world");
  EXPECT_EQ(a.url(), "https://ex.com/story");
  EXPECT_EQ(a.summary(), "Short summary");
  EXPECT_EQ(a.content_html(), "<p>Body <a>z</a></p>");
  EXPECT_EQ(a.content_text(), "Body z");
  ASSERT_EQ(a.authors_size(), 1);
  EXPECT_EQ(a.authors(0).name(), "Jane");
  EXPECT_EQ(a.authors(0).email(), "jane@ex.com");
  EXPECT_THAT(a.categories(), ElementsAre("Tech", "AI"));
  EXPECT_EQ(a.language(), "en-us");  // feed's, lower-cased, '_' -> '-'
  EXPECT_EQ(a.published_time().seconds(), 1715592600);
  EXPECT_EQ(a.updated_time().seconds(), 1715596200);
  EXPECT_EQ(a.fetched_time().seconds(), 1715600000);
  EXPECT_EQ(a.fetched_time().nanos(), 250000000);
  ASSERT_EQ(a.enclosures_size(), 1);
  EXPECT_EQ(a.enclosures(0).url(), "https://ex.com/a.mp3");
  EXPECT_EQ(a.enclosures(0).mime_type(), "audio/mpeg");
  EXPECT_EQ(a.enclosures(0).length(), 42);
  EXPECT_EQ(a.content_hash(), ContentHash(a));
  EXPECT_EQ(a.companies_size(), 0);  // tags are the tagger's job
}

TEST(NormalizeItemTest, MissingTimesStayUnset) {
  ParsedItem item = Item();
  item.published.reset();
  item.updated.reset();
  newsfeed::v1::Article a = NormalizeItem(Feed(), item, Context());
  EXPECT_FALSE(a.has_published_time());
  EXPECT_FALSE(a.has_updated_time());
  EXPECT_TRUE(a.has_fetched_time());
}

TEST(NormalizeItemTest, ItemLanguageWinsOverFeed) {
  ParsedItem item = Item();
  item.language = "FR-ca";
  EXPECT_EQ(NormalizeItem(Feed(), item, Context()).language(), "fr-ca");
}

TEST(NormalizeItemTest, SummaryHtmlUsedWhenNoContent) {
  ParsedItem item = Item();
  item.content.clear();
  newsfeed::v1::Article a = NormalizeItem(Feed(), item, Context());
  EXPECT_EQ(a.content_html(), "<p>Short <b>summary</b></p>");
  EXPECT_EQ(a.content_text(), "Short summary");
  item.summary = "Just text, no markup";
  a = NormalizeItem(Feed(), item, Context());
  EXPECT_EQ(a.content_html(), "");
  EXPECT_EQ(a.content_text(), "Just text, no markup");
  EXPECT_EQ(a.summary(), "Just text, no markup");
}

TEST(NormalizeItemTest, IdRule) {
  ParsedItem item = Item();
  // 1. Opaque guid: hash of feed id and guid; the URL does not matter.
  std::string by_guid = NormalizeItem(Feed(), item, Context()).id();
  EXPECT_EQ(by_guid, StableHash128Hex({"guid", "feed-1", "urn:x"}));
  item.link = "https://ex.com/moved";
  EXPECT_EQ(NormalizeItem(Feed(), item, Context()).id(), by_guid);
  // Unique across feeds.
  FeedContext other = Context();
  other.feed_id = "feed-2";
  EXPECT_NE(NormalizeItem(Feed(), item, other).id(), by_guid);
  // 2. Permalink guid or none: the canonical URL, so tracking noise in the
  //    link does not create a new article.
  item.id_is_permalink = true;
  item.link = "https://ex.com/story?utm_campaign=a";
  std::string by_url = NormalizeItem(Feed(), item, Context()).id();
  EXPECT_EQ(by_url, StableHash128Hex({"url", "https://ex.com/story"}));
  item.link = "https://EX.com/story#comments";
  EXPECT_EQ(NormalizeItem(Feed(), item, Context()).id(), by_url);
  // 4. Neither: title and published date.
  item.id.clear();
  item.link.clear();
  EXPECT_EQ(NormalizeItem(Feed(), item, Context()).id(),
            StableHash128Hex(
                {"title", "feed-1", "Hello world", "2024-05-13T09:30:00Z"}));
}

TEST(ContentHashTest, VersionedAndCoversEachPartAndItsBoundaries) {
  newsfeed::v1::Article a;
  a.set_title("T");
  a.set_url("https://ex.com/a");
  a.set_summary("S");
  a.set_content_html("<p>C</p>");
  const std::string hash = ContentHash(a);
  ASSERT_EQ(hash.size(), 35u);
  EXPECT_EQ(hash.substr(0, 3), "v2:");
  EXPECT_EQ(hash.find_first_not_of("0123456789abcdef", 3), std::string::npos);
  std::set<std::string> hashes = {hash};
  for (auto edit : std::vector<std::function<void(newsfeed::v1::Article&)>>{
           [](auto& x) { x.set_title("T2"); },
           [](auto& x) { x.set_url("https://ex.com/b"); },
           [](auto& x) { x.set_summary(""); },
           [](auto& x) { x.set_content_html("<p>C.</p>"); },
           // The same bytes split differently between two parts.
           [](auto& x) {
             x.set_title("TS");
             x.set_summary("");
           },
       }) {
    newsfeed::v1::Article b = a;
    edit(b);
    EXPECT_TRUE(hashes.insert(ContentHash(b)).second) << b.ShortDebugString();
  }
  EXPECT_EQ(ContentHash(a), hash);  // a pure function of the four fields
}

TEST(ContentHashTest, SameContentAcceptsTheHashBeforeVersion2) {
  newsfeed::v1::Article a = NormalizeItem(Feed(), Item(), Context());
  EXPECT_EQ(a.content_hash(), ContentHash(a));
  const std::string before_v2 =
      StableHash128Hex({a.title(), a.url(), a.summary(), a.content_html()});
  EXPECT_TRUE(SameContent(a, a.content_hash()));
  EXPECT_TRUE(SameContent(a, before_v2));
  newsfeed::v1::Article changed = a;
  changed.set_title("Another title");
  changed.set_content_hash(ContentHash(changed));
  EXPECT_FALSE(SameContent(changed, a.content_hash()));
  EXPECT_FALSE(SameContent(changed, before_v2));
  EXPECT_FALSE(SameContent(a, ""));
}

TEST(NormalizeItemTest, IdAndHashStableAcrossCalls) {
  newsfeed::v1::Article a = NormalizeItem(Feed(), Item(), Context());
  FeedContext later = Context();
  later.fetched_time += absl::Hours(1);
  newsfeed::v1::Article b = NormalizeItem(Feed(), Item(), later);
  EXPECT_EQ(a.id(), b.id());
  EXPECT_EQ(a.content_hash(), b.content_hash());
}

TEST(NormalizeItemTest, ContentHashChangesWithContent) {
  newsfeed::v1::Article base = NormalizeItem(Feed(), Item(), Context());
  ParsedItem edited = Item();
  edited.title = "Hello world (updated)";
  EXPECT_NE(NormalizeItem(Feed(), edited, Context()).content_hash(),
            base.content_hash());
  edited = Item();
  edited.content = "<p>Different body</p>";
  EXPECT_NE(NormalizeItem(Feed(), edited, Context()).content_hash(),
            base.content_hash());
  edited = Item();
  edited.summary = "Other summary";
  EXPECT_NE(NormalizeItem(Feed(), edited, Context()).content_hash(),
            base.content_hash());
  // Fields outside the hash (categories) do not count as a change.
  edited = Item();
  edited.categories.push_back("New");
  EXPECT_EQ(NormalizeItem(Feed(), edited, Context()).content_hash(),
            base.content_hash());
}

TEST(NormalizeItemTest, EndToEndFromParser) {
  ParseOptions options;
  options.feed_url = "https://ex.com/feed";
  absl::StatusOr<ParsedFeed> feed = ParseFeed(
      R"(<rss version="2.0"><channel><title>Site</title><language>de</language>
<item><title>T&auml;st</title><link>/p?fbclid=z</link>
<description>&lt;p&gt;S&amp;uuml;&lt;/p&gt;</description></item>
</channel></rss>)",
      options);
  ASSERT_TRUE(feed.ok()) << feed.status();
  ASSERT_EQ(feed->items.size(), 1u);
  newsfeed::v1::Article a = NormalizeItem(*feed, feed->items[0], Context());
  EXPECT_EQ(a.title(), "Täst");
  EXPECT_EQ(a.url(), "https://ex.com/p");
  EXPECT_EQ(a.summary(), "Sü");
  EXPECT_EQ(a.content_html(), "<p>Sü</p>");
  EXPECT_EQ(a.language(), "de");
  EXPECT_EQ(a.source_title(), "Site");
}

}  // namespace
}  // namespace newsfeed::ingest

namespace newsfeed::ingest {
namespace {

TEST(NormalizeItemTest, RelativeUrlsInContentResolvedAgainstItemLink) {
  ParsedFeed feed;
  ParsedItem item;
  item.link = "https://ex.com/2024/story.html";
  item.content =
      "<p><a href=\"../about\">a</a><img src=\"pic.jpg\">"
      "<a href=\"https://other.example/x\">b</a></p>";
  newsfeed::v1::Article a = NormalizeItem(feed, item, FeedContext{});
  EXPECT_EQ(a.content_html(),
            "<p><a href=\"https://ex.com/about\">a</a>"
            "<img src=\"https://ex.com/2024/pic.jpg\">"
            "<a href=\"https://other.example/x\">b</a></p>");
}

// CanonicalizeUrl skips libcurl for plain http(s) URLs; the result must be
// what libcurl's URL API gives.
TEST(CanonicalizeUrlTest, FastPathMatchesLibcurl) {
  static const char* const kHosts[] = {
      "example.com",      "Example.COM",     "a-b.example.co.uk",
      "127.0.0.1",        "example.com:443", "example.com:80",
      "example.com:8080", "u@example.com",   "xn--caf-dma.example",
      "example.com.",     "0x7f.1"};
  static const char* const kRests[] = {
      "",
      "/",
      "/a/b",
      "/a/b/",
      "/a/../b",
      "/a/./b",
      "/%7Euser/x%20y",
      "?utm_source=x",
      "/?a=1&utm_medium=y&b=2",
      "/p?UTM_Campaign=z#frag",
      "/p?",
      "/p?&&a=1&&",
      "/p?fbclid=1",
      "#only",
      "/p#",
      "/a b",
      "/cafÃ©",
      "/p;x=1/(y)*!$'+,",
      "/p?a=%zz",
      "/p?q=a:b@c/d?e",
      "/x?a=1#f?g=h",
  };
  for (const char* scheme : {"https://", "http://", "HTTPS://", "ftp://"}) {
    for (const char* host : kHosts) {
      for (const char* rest : kRests) {
        std::string url = std::string(scheme) + host + rest;
        for (const std::string& input : {url, "  " + url + "\n"}) {
          EXPECT_EQ(CanonicalizeUrl(input),
                    internal::CanonicalizeUrlWithCurl(input))
              << input;
        }
      }
    }
  }
}

}  // namespace
}  // namespace newsfeed::ingest
