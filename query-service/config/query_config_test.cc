#include "query-service/config/query_config.h"

#include <stdlib.h>

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsfeed::query {
namespace {

using ::testing::HasSubstr;

std::string WriteConfig(const std::string& yaml) {
  std::string dir = ::testing::TempDir() + "query_config_XXXXXX";
  EXPECT_NE(mkdtemp(dir.data()), nullptr);
  const std::string path = dir + "/query-service.yaml";
  std::ofstream(path) << yaml;
  return path;
}

TEST(QueryConfigTest, SampleConfigLoadsWithTheStoreDefaults) {
  auto config =
      LoadQueryConfig(NEWSFEED_SOURCE_DIR "/deploy/config/query-service.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  const StoreOptions defaults;
  EXPECT_EQ(config->store_engine, "sqlite");
  EXPECT_EQ(config->store.relevance_scan_matches,
            defaults.relevance_scan_matches);
  EXPECT_EQ(config->store.relevance_max_matches,
            defaults.relevance_max_matches);
  EXPECT_EQ(config->store.facet_max_matches, defaults.facet_max_matches);
  EXPECT_EQ(config->store.checkpoint_pages, defaults.checkpoint_pages);
}

TEST(QueryConfigTest, StoreBoundsAreConfigurable) {
  auto config = LoadQueryConfig(
      WriteConfig("search:\n  relevance_scan_matches: 50000\n"
                  "  relevance_max_matches: 200\n  facet_max_matches: 10000\n"
                  "store:\n  checkpoint_pages: 1024\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->store.relevance_scan_matches, 50000);
  EXPECT_EQ(config->store.relevance_max_matches, 200);
  EXPECT_EQ(config->store.facet_max_matches, 10000);
  EXPECT_EQ(config->store.checkpoint_pages, 1024);
}

TEST(QueryConfigTest, OutOfRangeBoundNamesTheKey) {
  auto config =
      LoadQueryConfig(WriteConfig("search:\n  relevance_scan_matches: 0\n"));
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(config.status().message(),
              HasSubstr("search.relevance_scan_matches"));
}

}  // namespace
}  // namespace newsfeed::query
