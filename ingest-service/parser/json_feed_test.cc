#include "ingest-service/parser/json_feed.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ingest-service/parser/feed_parser.h"

namespace newsfeed::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Rfc3339(const std::optional<absl::Time>& t) {
  return t ? FormatRfc3339(*t) : "none";
}

TEST(JsonFeedTest, Version11Feed) {
  ParseOptions options;
  options.feed_url = "https://site.example/feed.json";
  absl::StatusOr<ParsedFeed> feed = ParseFeed(R"(
  {"version": "https://jsonfeed.org/version/1.1",
   "title": "My  Site", "home_page_url": "https://site.example/",
   "description": "Notes", "language": "en-GB",
   "authors": [{"name": "Site Owner"}],
   "items": [
     {"id": "1", "url": "posts/1", "title": "First &amp; best",
      "content_html": "<p>Hello</p>", "summary": "Hi",
      "date_published": "2024-05-13T09:30:00+02:00",
      "date_modified": "2024-05-14T00:00:00Z",
      "authors": [{"name": "Jane", "url": "mailto:jane@example.com"}],
      "tags": ["a", "b", "a"],
      "attachments": [{"url": "https://cdn.example/1.mp3",
                       "mime_type": "audio/mpeg", "size_in_bytes": 1234}]},
     {"id": 2, "external_url": "https://elsewhere.example/x",
      "content_text": "a < b"}
   ]})",
                                              options);
  ASSERT_TRUE(feed.ok()) << feed.status();
  EXPECT_EQ(feed->format, "json1.1");
  EXPECT_EQ(feed->title, "My Site");
  EXPECT_EQ(feed->link, "https://site.example/");
  EXPECT_EQ(feed->description, "Notes");
  EXPECT_EQ(feed->language, "en-GB");
  ASSERT_EQ(feed->items.size(), 2u);
  const ParsedItem& first = feed->items[0];
  EXPECT_EQ(first.id, "1");
  EXPECT_EQ(first.link, "https://site.example/posts/1");
  EXPECT_EQ(first.title, "First & best");
  EXPECT_EQ(first.content, "<p>Hello</p>");
  EXPECT_EQ(first.summary, "Hi");
  EXPECT_EQ(Rfc3339(first.published), "2024-05-13T07:30:00Z");
  EXPECT_EQ(Rfc3339(first.updated), "2024-05-14T00:00:00Z");
  ASSERT_EQ(first.authors.size(), 1u);
  EXPECT_EQ(first.authors[0].name, "Jane");
  EXPECT_EQ(first.authors[0].email, "jane@example.com");
  EXPECT_THAT(first.categories, ElementsAre("a", "b"));
  ASSERT_EQ(first.enclosures.size(), 1u);
  EXPECT_EQ(first.enclosures[0].url, "https://cdn.example/1.mp3");
  EXPECT_EQ(first.enclosures[0].type, "audio/mpeg");
  EXPECT_EQ(first.enclosures[0].length, 1234);
  const ParsedItem& second = feed->items[1];
  EXPECT_EQ(second.id, "2");
  EXPECT_EQ(second.link, "https://elsewhere.example/x");
  EXPECT_EQ(second.content, "a &lt; b");
  ASSERT_EQ(second.authors.size(), 1u);  // the feed's
  EXPECT_EQ(second.authors[0].name, "Site Owner");
}

TEST(JsonFeedTest, WebSubHubsAndFeedUrl) {
  ParseOptions options;
  options.feed_url = "https://site.example/feed.json";
  absl::StatusOr<ParsedFeed> feed = ParseFeed(R"(
  {"version": "https://jsonfeed.org/version/1.1", "title": "t",
   "feed_url": "https://site.example/feed.json",
   "hubs": [{"type": "rssCloud", "url": "https://cloud.example/"},
            {"type": "WebSub", "url": "https://hub.example/"},
            {"type": "websub"}, 3],
   "items": []})",
                                              options);
  ASSERT_TRUE(feed.ok()) << feed.status();
  EXPECT_THAT(feed->hubs, testing::ElementsAre("https://hub.example/"));
  EXPECT_EQ(feed->self_url, "https://site.example/feed.json");
}

TEST(JsonFeedTest, Version1SingleAuthorAndBom) {
  absl::StatusOr<ParsedFeed> feed = ParseFeed(
      "\xEF\xBB\xBF {\"version\": \"https://jsonfeed.org/version/1\","
      "\"items\": [{\"id\": \"x\", \"author\": {\"name\": \"Ann\"}}]}",
      ParseOptions{});
  ASSERT_TRUE(feed.ok()) << feed.status();
  EXPECT_EQ(feed->format, "json1.0");
  ASSERT_EQ(feed->items.size(), 1u);
  ASSERT_EQ(feed->items[0].authors.size(), 1u);
  EXPECT_EQ(feed->items[0].authors[0].name, "Ann");
}

TEST(JsonFeedTest, NonStringIdsAndMailtoParameters) {
  absl::StatusOr<ParsedFeed> feed = ParseFeed(
      R"({"items": [{"id": 0.1}, {"id": 100}, {"id": true}, {"id": null},
          {"id": " x "}, {"id": {"a": 1}},
          {"id": "m", "author": {"url": "mailto:a@example.com?subject=Hi"}}]})",
      ParseOptions{});
  ASSERT_TRUE(feed.ok()) << feed.status();
  ASSERT_EQ(feed->items.size(), 7u);
  EXPECT_EQ(feed->items[0].id, "0.1");
  EXPECT_EQ(feed->items[1].id, "100");
  EXPECT_EQ(feed->items[2].id, "true");
  EXPECT_EQ(feed->items[3].id, "null");
  EXPECT_EQ(feed->items[4].id, "x");
  EXPECT_EQ(feed->items[5].id, "");
  ASSERT_EQ(feed->items[6].authors.size(), 1u);
  EXPECT_EQ(feed->items[6].authors[0].email, "a@example.com");
}

TEST(JsonFeedTest, TooManyValuesRefusedBeforeParsing) {
  ParseOptions options;
  options.max_items = 10;
  std::string body = "{\"items\": [";
  for (int i = 0; i < 20000; ++i) body += "[],";
  body += "[]]}";
  absl::StatusOr<ParsedFeed> feed = ParseFeed(body, options);
  EXPECT_EQ(feed.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(JsonFeedTest, DeepNestingRefusedBeforeParsing) {
  // protobuf's parser caps nested objects at 100 but not arrays, and its
  // time grows with the square of their depth: 100,000 nested arrays
  // (200 KB) took 527 s.
  ParseOptions options;
  options.feed_url = "https://site.example/feed.json";
  const std::string head =
      R"({"version": "https://jsonfeed.org/version/1.1", "items": [], "x": )";
  absl::StatusOr<ParsedFeed> feed = ParseFeed(
      head + std::string(100000, '[') + std::string(100000, ']') + "}",
      options);
  EXPECT_EQ(feed.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(feed.status().message(),
              HasSubstr("feed https://site.example/feed.json: JSON arrays and "
                        "objects nested deeper than 100 (at byte 165)"));
  // Arrays and objects count together.
  std::string mixed = head;
  for (int i = 0; i < 50; ++i) mixed += R"([{"a": )";
  mixed += "1";
  for (int i = 0; i < 50; ++i) mixed += "}]";
  feed = ParseFeed(mixed + "}", options);
  EXPECT_EQ(feed.status().code(), absl::StatusCode::kResourceExhausted);
  // 100 deep passes the check (and fails in protobuf, which cannot hold
  // that deep a Struct).
  feed = ParseFeed(head + std::string(99, '[') + std::string(99, ']') + "}",
                   options);
  EXPECT_EQ(feed.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(JsonFeedTest, BracketsInStringsDoNotCountAsNesting) {
  const std::string brackets(150, '[');
  absl::StatusOr<ParsedFeed> feed = ParseFeed(
      absl::StrCat(
          R"({"version": "https://jsonfeed.org/version/1", "title": ")",
          brackets, R"(\"{{", "home_page_url": "C:\\",)",
          R"( "items": [{"id": "1", "title": ')", brackets, R"(\'{{"'}]})"),
      ParseOptions{});
  ASSERT_TRUE(feed.ok()) << feed.status();
  EXPECT_EQ(feed->title, brackets + "\"{{");
  ASSERT_EQ(feed->items.size(), 1u);
  EXPECT_EQ(feed->items[0].title, brackets + "'{{\"");
}

TEST(JsonFeedTest, NotAJsonFeed) {
  EXPECT_FALSE(ParseFeed("{\"title\": \"no items\"}", ParseOptions{}).ok());
  EXPECT_FALSE(ParseFeed("{not json", ParseOptions{}).ok());
  ParseOptions few;
  few.max_items = 1;
  absl::StatusOr<ParsedFeed> capped =
      ParseFeed("{\"items\": [{\"id\": \"1\"}, {\"id\": \"2\"}]}", few);
  ASSERT_TRUE(capped.ok()) << capped.status();
  EXPECT_EQ(capped->items.size(), 1u);
}

}  // namespace
}  // namespace newsfeed::ingest
