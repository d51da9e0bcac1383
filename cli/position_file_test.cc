#include "cli/position_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace newsfeed::cli {
namespace {

class PositionFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "newsfeed-pos-XXXXXX")
            .string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = (dir_ / "position").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(PositionFileTest, MissingFileMeansNoPosition) {
  absl::StatusOr<std::optional<uint64_t>> position = ReadPosition(path_);
  ASSERT_TRUE(position.ok()) << position.status();
  EXPECT_FALSE(position->has_value());
}

TEST_F(PositionFileTest, WriteThenReadAndOverwrite) {
  ASSERT_TRUE(WritePosition(path_, 42).ok());
  EXPECT_EQ(**ReadPosition(path_), 42u);
  ASSERT_TRUE(WritePosition(path_, 18446744073709551615ull).ok());
  EXPECT_EQ(**ReadPosition(path_), 18446744073709551615ull);
  // No temporary file is left behind.
  EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp"));
  std::ifstream in(path_);
  std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(content, "18446744073709551615\n");
}

TEST_F(PositionFileTest, ToleratesSurroundingWhitespace) {
  std::ofstream(path_) << "  17 \n\n";
  EXPECT_EQ(**ReadPosition(path_), 17u);
}

TEST_F(PositionFileTest, GarbageIsDataLossNotAFreshStart) {
  std::ofstream(path_) << "seventeen\n";
  absl::StatusOr<std::optional<uint64_t>> position = ReadPosition(path_);
  ASSERT_FALSE(position.ok());
  EXPECT_EQ(position.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(position.status().message().find(path_), std::string::npos);
}

TEST_F(PositionFileTest, UnwritableDirectoryFails) {
  absl::Status status = WritePosition((dir_ / "no/such/dir/pos").string(), 1);
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace newsfeed::cli
