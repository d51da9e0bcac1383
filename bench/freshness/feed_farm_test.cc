#include "bench/freshness/feed_farm.h"

#include <httplib.h>

#include <string>

#include "gtest/gtest.h"

namespace newsfeed::bench {
namespace {

// No item appears during the test: every feed's mean gap is ~a century.
FeedFarmOptions QuietFarm() {
  FeedFarmOptions options;
  options.feeds = 3;
  options.time_scale = 1;
  options.median_gap_seconds = 3e9;
  options.min_gap_seconds = 3e9;
  options.gap_sigma = 0.1;
  options.threads = 2;
  return options;
}

TEST(FeedFarmTest, ServesRssWithValidatorsAndAnswers304) {
  absl::StatusOr<std::unique_ptr<FeedFarm>> farm =
      FeedFarm::Create(QuietFarm());
  ASSERT_TRUE(farm.ok()) << farm.status();
  httplib::Client client((*farm)->base_url());

  httplib::Result first = client.Get("/feed/1.xml");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  EXPECT_NE(first->body.find("<rss version=\"2.0\">"), std::string::npos);
  EXPECT_NE(first->body.find("<guid"), std::string::npos);
  std::string etag = first->get_header_value("ETag");
  std::string modified = first->get_header_value("Last-Modified");
  ASSERT_FALSE(etag.empty());
  ASSERT_FALSE(modified.empty());

  httplib::Result by_etag =
      client.Get("/feed/1.xml", {{"If-None-Match", etag}});
  ASSERT_TRUE(by_etag);
  EXPECT_EQ(by_etag->status, 304);
  httplib::Result by_date =
      client.Get("/feed/1.xml", {{"If-Modified-Since", modified}});
  ASSERT_TRUE(by_date);
  EXPECT_EQ(by_date->status, 304);
  httplib::Result stale =
      client.Get("/feed/1.xml", {{"If-None-Match", "\"other\""}});
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 200);

  httplib::Result missing = client.Get("/feed/3.xml");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);

  FeedFarmCounts counts = (*farm)->Counts();
  EXPECT_EQ(counts.requests, 4u);
  EXPECT_EQ(counts.ok, 2u);
  EXPECT_EQ(counts.not_modified, 2u);
  EXPECT_EQ(counts.new_items, 0u);
  EXPECT_TRUE((*farm)->Appearances().empty());
}

TEST(FeedFarmTest, RejectsInvalidOptions) {
  FeedFarmOptions options = QuietFarm();
  options.feeds = 0;
  EXPECT_FALSE(FeedFarm::Create(options).ok());
}

}  // namespace
}  // namespace newsfeed::bench
