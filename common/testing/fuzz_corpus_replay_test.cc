// Replays every file of a fuzz corpus (seeds and the regression inputs the
// fuzzer found) through the fuzz entry point it is linked with, one test per
// file. Run under NEWSFEED_SANITIZE=ON this is the fuzzer's check without the
// fuzzer. The target names the corpus with NEWSFEED_FUZZ_CORPUS_DIR and the
// test instantiation with NEWSFEED_FUZZ_CORPUS_NAME, so that two fuzz targets'
// replays have different ctest names.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gtest/gtest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::filesystem::path CorpusDir() { return NEWSFEED_FUZZ_CORPUS_DIR; }

std::vector<std::string> CorpusFiles() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator(CorpusDir(), ec)) {
    if (entry.is_regular_file()) {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

class CorpusReplayTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CorpusReplayTest, RunsCleanly) {
  std::ifstream in(CorpusDir() / GetParam(), std::ios::binary);
  ASSERT_TRUE(in) << GetParam();
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  EXPECT_EQ(LLVMFuzzerTestOneInput(
                reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()),
            0);
}

// Test names may only hold [A-Za-z0-9_].
std::string TestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9');
    if (!ok) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(NEWSFEED_FUZZ_CORPUS_NAME, CorpusReplayTest,
                         ::testing::ValuesIn(CorpusFiles()), TestName);

TEST(CorpusReplay, CorpusIsPresent) {
  EXPECT_GE(CorpusFiles().size(), 10u) << CorpusDir();
}

}  // namespace
