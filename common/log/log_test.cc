#include "common/log/log.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsfeed::log {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;

// A feed title that tries to forge a second log line and to drive the
// terminal showing the log.
constexpr char kHostile[] =
    "feed title\n2026-01-01T00:00:00.000Z ERROR forged\x1b[31m\x07\xc2\x9b";

TEST(LogTest, TextLinesEscapeControlCharacters) {
  SetFormat(Format::kText);
  ::testing::internal::CaptureStderr();
  Warning("feed %s: bad", kHostile);
  const std::string line = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
  EXPECT_EQ(line.find('\x1b'), std::string::npos);
  EXPECT_EQ(line.find('\x07'), std::string::npos);
  EXPECT_EQ(line.find("\xc2\x9b"), std::string::npos);
  EXPECT_THAT(line, HasSubstr("feed title\\n2026-01-01T00:00:00.000Z ERROR "
                              "forged\\x1b[31m\\x07\\u009b: bad"));
  EXPECT_THAT(line, EndsWith("\n"));
}

TEST(LogTest, JsonLinesEscapeControlCharacters) {
  SetFormat(Format::kJson);
  ::testing::internal::CaptureStderr();
  Error("feed %s", kHostile);
  const std::string line = ::testing::internal::GetCapturedStderr();
  SetFormat(Format::kText);
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
  EXPECT_THAT(line, HasSubstr("\\u001b[31m\\u0007\\u009b"));
}

TEST(LogTest, EscapeControlsKeepsOtherText) {
  EXPECT_EQ(EscapeControls("Café €5 bn, 東京 \\ ok"), "Café €5 bn, 東京 \\ ok");
  EXPECT_EQ(EscapeControls("a\tb\rc\x7f"), "a\\tb\\rc\\x7f");
}

}  // namespace
}  // namespace newsfeed::log
