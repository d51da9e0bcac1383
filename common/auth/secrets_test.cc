// Token files and the owner-only rule, on real files in a temporary
// directory.
#include "common/auth/secrets.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "common/auth/test_certs.h"
#include "common/auth/tls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsfeed::auth {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

std::string TempDir() {
  std::string dir = ::testing::TempDir() + "secrets_XXXXXX";
  EXPECT_NE(mkdtemp(dir.data()), nullptr);
  return dir;
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(SecretsTest, MakesARandomOwnerOnlyTokenOnceAndReadsItAfter) {
  const std::string path = TempDir() + "/publish-token";
  absl::StatusOr<std::string> first = LoadOrCreateToken("auth.x", path);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(*first, MatchesRegex("[0-9a-f]{64}"));
  EXPECT_EQ(ModeOf(path), 0600u);
  absl::StatusOr<std::string> again = LoadOrCreateToken("auth.x", path);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *first);
  // Another file, another token.
  absl::StatusOr<std::string> other =
      LoadOrCreateToken("auth.x", TempDir() + "/publish-token");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(*other, *first);
}

TEST(SecretsTest, ReadsAnOperatorsTokenAndRefusesBadFiles) {
  const std::string dir = TempDir();
  const std::string path = dir + "/token";
  std::ofstream(path) << "  s3cret-token \n";
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  EXPECT_EQ(*ReadTokenFile("--token-file", path), "s3cret-token");

  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  absl::Status shared =
      LoadOrCreateToken("auth.admin_token_file", path).status();
  EXPECT_EQ(shared.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(shared.message(), HasSubstr("auth.admin_token_file"));
  EXPECT_THAT(shared.message(), HasSubstr("0644"));
  EXPECT_THAT(shared.message(), HasSubstr("chmod 600"));

  const std::string empty = dir + "/empty";
  std::ofstream(empty) << "\n";
  ASSERT_EQ(chmod(empty.c_str(), 0600), 0);
  EXPECT_THAT(ReadTokenFile("--token-file", empty).status().message(),
              HasSubstr("empty"));
  EXPECT_EQ(ReadTokenFile("--token-file", dir + "/missing").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      LoadOrCreateToken("auth.x", dir + "/no/such/dir/token").status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(SecretsTest, TlsKeysReadableByOthersAreRefused) {
  TestCerts certs = MakeTestCerts();
  ASSERT_FALSE(certs.dir.empty());
  EXPECT_EQ(ModeOf(certs.server_key()), 0600u);
  EXPECT_TRUE(
      MakeServerCredentials({certs.server_cert(), certs.server_key(), ""})
          .ok());
  ASSERT_EQ(chmod(certs.server_key().c_str(), 0640), 0);
  absl::Status server =
      MakeServerCredentials({certs.server_cert(), certs.server_key(), ""})
          .status();
  EXPECT_EQ(server.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(server.message(), HasSubstr("tls.key_file"));
  ASSERT_EQ(chmod(certs.client_key().c_str(), 0644), 0);
  absl::Status client = MakeChannelCredentials({certs.ca(), certs.client_cert(),
                                                certs.client_key()})
                            .status();
  EXPECT_THAT(client.message(), HasSubstr("readable by group or others"));
}

TEST(SecretsTest, LoopbackOnlyListenAddresses) {
  for (const char* address :
       {"127.0.0.1:50051", "127.0.0.2:0", "[::1]:50051", "localhost:50051",
        "LOCALHOST:1", "unix:/run/newsfeed.sock"}) {
    EXPECT_TRUE(IsLoopbackOnly(address)) << address;
  }
  for (const char* address : {"0.0.0.0:50051", "[::]:50051", "10.0.0.5:50051",
                              ":50051", "query:50051", "[2001:db8::1]:1"}) {
    EXPECT_FALSE(IsLoopbackOnly(address)) << address;
  }
}

}  // namespace
}  // namespace newsfeed::auth
