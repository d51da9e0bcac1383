#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "ingest-service/parser/feed_parser.h"

namespace newsfeed::ingest {
namespace {

TEST(FeedJsonTest, FullContract) {
  ParseOptions options;
  options.feed_url = "https://example.com/feed";
  absl::StatusOr<ParsedFeed> feed = ParseFeed(
      R"(<rss version="2.0"><channel><title>T</title>
<link>https://example.com/</link><description>D</description>
<language>en</language><lastBuildDate>Mon, 13 May 2024 09:30:00 GMT</lastBuildDate>
<item><guid isPermaLink="false">g1</guid><title>Item "one"</title>
<link>/a</link><description>S\x</description>
<author>a@example.com (A)</author><category>c1</category>
<pubDate>Mon, 13 May 2024 09:30:00 GMT</pubDate>
<enclosure url="/e.mp3" type="audio/mpeg" length="10"/></item>
<item><title>two</title></item>
</channel></rss>)",
      options);
  ASSERT_TRUE(feed.ok()) << feed.status();
  EXPECT_EQ(
      FeedToJson(*feed),
      R"({"feed":{"title":"T","link":"https://example.com/",)"
      R"("description":"D","language":"en",)"
      R"("updated":"2024-05-13T09:30:00Z"},"items":[)"
      R"({"id":"g1","title":"Item \"one\"","link":"https://example.com/a",)"
      R"("summary":"S\\x","authors":[{"name":"A","email":"a@example.com"}],)"
      R"("categories":["c1"],"published":"2024-05-13T09:30:00Z",)"
      R"("enclosures":[{"url":"https://example.com/e.mp3",)"
      R"("type":"audio/mpeg","length":10}]},)"
      R"({"title":"two"}]})");
}

TEST(FeedJsonTest, EscapesControlCharactersAndPassesUtf8) {
  ParsedFeed feed;
  feed.title = std::string("a\x01\tb\n\"\\ é\x7f", 11);
  EXPECT_EQ(FeedToJson(feed),
            "{\"feed\":{\"title\":\"a\\u0001\\tb\\n\\\"\\\\ é\\u007f\"},"
            "\"items\":[]}");
}

TEST(FeedJsonTest, EmptyFeed) {
  EXPECT_EQ(FeedToJson(ParsedFeed{}), R"({"feed":{},"items":[]})");
}

}  // namespace
}  // namespace newsfeed::ingest
