// The configured feed list reaches a real state file: the YAML list and an
// OPML file, all of it or (for a bad file) none of the file.
#include "ingest-service/feeds/configured_feeds.h"

#include <stdlib.h>

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ingest-service/state/ingest_state.h"

namespace newsfeed::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ConfiguredFeedsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "configured_feeds_XXXXXX";
    ASSERT_NE(mkdtemp(dir_.data()), nullptr);
    IngestStateOptions options;
    options.data_dir = dir_;
    auto state = IngestState::Open(options);
    ASSERT_TRUE(state.ok()) << state.status();
    state_ = std::move(*state);
  }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  const absl::Time now_ = absl::FromUnixSeconds(1767225600);
  std::string dir_;
  std::unique_ptr<IngestState> state_;
};

TEST_F(ConfiguredFeedsTest, AddsTheListAndTheOpmlFileWithLabels) {
  const std::string opml = Write("feeds.opml", R"(<?xml version="1.0"?>
<opml version="2.0"><head><title>t</title></head><body>
  <outline text="Regulators">
    <outline type="rss" text="SEC press releases" xmlUrl="https://sec.example/press.rss"/>
  </outline>
  <outline type="rss" text="Both" xmlUrl="https://both.example/feed"/>
</body></opml>
)");
  ASSERT_TRUE(
      AddConfiguredFeeds(*state_, {"https://both.example/feed"}, opml, now_)
          .ok());
  auto feeds = state_->ListFeeds();
  ASSERT_TRUE(feeds.ok());
  ASSERT_EQ(feeds->size(), 2u);
  auto sec = state_->GetFeed("https://sec.example/press.rss");
  ASSERT_TRUE(sec.ok());
  EXPECT_EQ(sec->title, "SEC press releases");
  EXPECT_THAT(sec->labels, ElementsAre("Regulators"));
  // A restart adds nothing twice.
  ASSERT_TRUE(AddConfiguredFeeds(*state_, {}, opml, now_).ok());
  EXPECT_EQ(*state_->CountFeeds(), 2);
}

TEST_F(ConfiguredFeedsTest, ABadFileNamesItsLineAndAddsNothingOfIt) {
  const std::string opml = Write("bad.opml", R"(<?xml version="1.0"?>
<opml version="2.0"><body>
  <outline type="rss" text="fine" xmlUrl="https://fine.example/feed"/>
  <outline type="rss" text="bad" xmlUrl="gopher://bad.example/feed"/>
</body></opml>
)");
  absl::Status status = AddConfiguredFeeds(*state_, {}, opml, now_);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("feeds_opml: " + opml + ":4: xmlUrl"));
  EXPECT_EQ(*state_->CountFeeds(), 0);

  absl::Status missing =
      AddConfiguredFeeds(*state_, {}, dir_ + "/missing.opml", now_);
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.message(), HasSubstr("feeds_opml"));
}

}  // namespace
}  // namespace newsfeed::ingest
