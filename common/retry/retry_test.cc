// Copyright newsfeed authors.
#include "common/retry/retry.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsfeed {
namespace {

using ::testing::HasSubstr;

TEST(RetryWhileUnavailableTest, RetriesUntilTheAttemptSucceeds) {
  int calls = 0;
  absl::Status s = RetryWhileUnavailable("db", absl::Minutes(5), [&] {
    ++calls;
    return calls < 3 ? absl::UnavailableError("refused") : absl::OkStatus();
  });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(calls, 3);
}

TEST(RetryWhileUnavailableTest, OtherErrorsAreReturnedAtOnce) {
  int calls = 0;
  absl::Status s = RetryWhileUnavailable("db", absl::Minutes(5), [&] {
    ++calls;
    return absl::PermissionDeniedError("bad password");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(calls, 1);
}

TEST(RetryWhileUnavailableTest, ZeroTimeoutMeansOneAttempt) {
  int calls = 0;
  absl::Status s = RetryWhileUnavailable("db", absl::ZeroDuration(), [&] {
    ++calls;
    return absl::UnavailableError("refused");
  });
  EXPECT_EQ(s, absl::UnavailableError("refused"));
  EXPECT_EQ(calls, 1);
}

TEST(RetryWhileUnavailableTest, GivesUpAfterTheTimeoutSayingSo) {
  int calls = 0;
  absl::Status s = RetryWhileUnavailable("db", absl::Milliseconds(300), [&] {
    ++calls;
    return absl::UnavailableError("refused");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()), HasSubstr("refused (gave up after"));
  EXPECT_GE(calls, 2);
}

}  // namespace
}  // namespace newsfeed
