#include "cli/app.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/fake_services.h"
#include "common/auth/test_certs.h"
#include "common/auth/tls.h"

namespace newsfeed::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

const absl::Time kNow = absl::FromUnixSeconds(1715592600);

class AppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = testing::TestServer::Start({&query_, &admin_});
    UnsetEnvironment();
  }
  void TearDown() override { UnsetEnvironment(); }
  static void UnsetEnvironment() {
    for (const char* name :
         {"NEWSFEED_QUERY_ADDR", "NEWSFEED_INGEST_ADDR", "NEWSFEED_TLS_CA",
          "NEWSFEED_TLS_CERT", "NEWSFEED_TLS_KEY"}) {
      ::unsetenv(name);
    }
  }

  int Run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    args.insert(args.begin(), "newsfeed");
    std::vector<const char*> argv;
    for (const std::string& a : args) argv.push_back(a.c_str());
    return RunCommandLine(static_cast<int>(argv.size()), argv.data(), in_, out_,
                          err_, {}, clock_);
  }

  testing::FakeQueryService query_;
  testing::FakeFeedAdmin admin_;
  std::unique_ptr<testing::TestServer> server_;
  FakeClock clock_{kNow};
  std::istringstream in_;
  std::ostringstream out_, err_;
};

TEST_F(AppTest, HelpListsEverySubcommandAndGlobalOption) {
  EXPECT_EQ(Run({"--help"}), 0);
  for (const char* word :
       {"search", "get", "facets", "subscribe", "feeds", "health", "--query",
        "--ingest", "--timeout", "--json", "--tls-ca", "--token"}) {
    EXPECT_THAT(out_.str(), HasSubstr(word)) << word;
  }
}

TEST_F(AppTest, SubcommandHelpExplainsItsOptions) {
  EXPECT_EQ(Run({"search", "--help"}), 0);
  for (const char* word :
       {"--company", "--not-country", "--all-topics", "--text", "--since",
        "--min-amount", "--relevance", "--all-pages", "--page-token"}) {
    EXPECT_THAT(out_.str(), HasSubstr(word)) << word;
  }
  EXPECT_EQ(Run({"subscribe", "--help"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("--position-file"));
  EXPECT_THAT(out_.str(), HasSubstr("--after-seq"));
  EXPECT_EQ(Run({"feeds", "--help"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("add"));
}

TEST_F(AppTest, UsageErrorsExitTwoWithOneLinePrefix) {
  EXPECT_EQ(Run({}), 2);
  EXPECT_THAT(err_.str(), StartsWith("newsfeed: "));
  EXPECT_EQ(Run({"search", "--bogus"}), 2);
  EXPECT_THAT(err_.str(), StartsWith("newsfeed: "));
  EXPECT_EQ(Run({"get"}), 2);
  EXPECT_EQ(Run({"search", "--since", "whenever"}), 2);
  EXPECT_THAT(err_.str(), StartsWith("newsfeed: --since: invalid time"));
  EXPECT_EQ(Run({"subscribe", "--after-seq", "3", "--since", "1h"}), 2);
  EXPECT_EQ(Run({"--timeout", "-1", "search"}), 2);
  EXPECT_TRUE(query_.search_requests().empty());
}

TEST_F(AppTest, RepeatedAndCommaSeparatedFilterFlags) {
  EXPECT_EQ(Run({"search",
                 "--query",
                 server_->address(),
                 "--company",
                 "Microsoft",
                 "--company",
                 "Alphabet, Inc.",
                 "--country",
                 "fr,de",
                 "--not-country",
                 "US",
                 "--all-topics",
                 "ai",
                 "--all-topics",
                 "cloud",
                 "--language",
                 "en",
                 "--text",
                 "data center",
                 "--min-amount",
                 "1e9",
                 "--currency",
                 "EUR",
                 "--limit",
                 "3"}),
            0)
      << err_.str();
  ASSERT_EQ(query_.search_requests().size(), 1u);
  const v1::SearchRequest r = query_.search_requests()[0];
  EXPECT_THAT(r.filter().companies().any_of(),
              ElementsAre("Microsoft", "Alphabet, Inc."));
  EXPECT_THAT(r.filter().countries().any_of(), ElementsAre("FR", "DE"));
  EXPECT_THAT(r.filter().countries().none_of(), ElementsAre("US"));
  EXPECT_THAT(r.filter().topics().all_of(), ElementsAre("ai", "cloud"));
  EXPECT_THAT(r.filter().languages().any_of(), ElementsAre("en"));
  EXPECT_EQ(r.filter().text(), "data center");
  EXPECT_EQ(r.filter().min_amount(), 1e9);
  EXPECT_EQ(r.filter().amount_currency(), "EUR");
  EXPECT_EQ(r.page_size(), 3);
  EXPECT_THAT(err_.str(), IsEmpty());
}

TEST_F(AppTest, AddressFromEnvironmentAndGlobalFlagsAfterSubcommand) {
  ::setenv("NEWSFEED_QUERY_ADDR", server_->address().c_str(), 1);
  EXPECT_EQ(Run({"search", "--json", "--token", "t0k"}), 0) << err_.str();
  EXPECT_THAT(query_.authorizations(), ElementsAre("Bearer t0k"));
  ::setenv("NEWSFEED_INGEST_ADDR", server_->address().c_str(), 1);
  EXPECT_EQ(Run({"feeds", "add", "https://x.example/feed"}), 0) << err_.str();
  EXPECT_EQ(out_.str(), "added feed-1  https://x.example/feed\n");
  EXPECT_EQ(Run({"feeds", "poll"}), 0) << err_.str();
  EXPECT_EQ(Run({"feeds", "remove", "feed-1"}), 0) << err_.str();
  EXPECT_THAT(admin_.polled_ids(), ElementsAre(""));
  EXPECT_THAT(admin_.removed_ids(), ElementsAre("feed-1"));
}

// The container images set NEWSFEED_TLS_CA so that the CLI inside (their
// healthcheck, `exec ... newsfeed feeds`) reaches the TLS-only ports.
TEST_F(AppTest, TlsRootFromEnvironment) {
  const auth::TestCerts certs = auth::MakeTestCerts();
  ASSERT_FALSE(certs.dir.empty());
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      auth::MakeServerCredentials({.cert_file = certs.server_cert(),
                                   .key_file = certs.server_key(),
                                   .client_ca_file = ""});
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  std::unique_ptr<testing::TestServer> tls_server =
      testing::TestServer::Start({&query_}, *credentials);

  EXPECT_EQ(Run({"--timeout", "5", "health", tls_server->address()}), 1)
      << "plaintext must not reach a TLS-only port";
  ::setenv("NEWSFEED_TLS_CA", certs.ca().c_str(), 1);
  EXPECT_EQ(Run({"--timeout", "5", "health", tls_server->address()}), 0)
      << err_.str();
  EXPECT_EQ(out_.str(), "SERVING\n");
  EXPECT_EQ(Run({"--timeout", "5", "health", server_->address()}), 1)
      << "TLS must not fall back to plaintext";
  // An address list names no host: the certificate's name is given.
  const std::string list = "ipv4:" + tls_server->address();
  EXPECT_EQ(
      Run({"--timeout", "5", "--tls-server-name", "localhost", "health", list}),
      0)
      << err_.str();
  EXPECT_EQ(Run({"--timeout", "5", "--tls-server-name", "elsewhere.example",
                 "health", list}),
            1);
  ::setenv("NEWSFEED_TLS_CA", (certs.dir + "/missing.pem").c_str(), 1);
  EXPECT_EQ(Run({"health", tls_server->address()}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("missing.pem"));
}

TEST_F(AppTest, UnreachableServiceExitsOneWithAddress) {
  const std::string address = testing::UnusedAddress();
  EXPECT_EQ(Run({"--query", address, "get", "a1"}), 1);
  EXPECT_THAT(
      err_.str(),
      StartsWith("newsfeed: cannot reach query-service at " + address + ": "));
  const std::string err = err_.str();
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

TEST_F(AppTest, HealthExitCodeFollowsServingStatus) {
  EXPECT_EQ(Run({"health", server_->address()}), 0) << err_.str();
  EXPECT_EQ(out_.str(), "SERVING\n");
  server_->SetServing(false);
  EXPECT_EQ(Run({"--query", server_->address(), "health"}), 1);
  EXPECT_EQ(out_.str(), "NOT_SERVING\n");
  EXPECT_THAT(err_.str(), StartsWith("newsfeed: "));
}

TEST_F(AppTest, SubscribeMaxAndAfterSeq) {
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    query_.AppendToLog(testing::MakeArticle(absl::StrCat("a", seq), seq,
                                            absl::StrCat("T", seq)));
  }
  query_.SetSubscribeTail(0, /*hold_open=*/true);
  EXPECT_EQ(Run({"--query", server_->address(), "subscribe", "--after-seq", "1",
                 "--max", "1", "--topic", "ai"}),
            0)
      << err_.str();
  EXPECT_EQ(out_.str(), "2  2024-05-13 09:32  T2\n");
  ASSERT_EQ(query_.subscribe_requests().size(), 1u);
  EXPECT_EQ(query_.subscribe_requests()[0].after_sequence(), 1u);
}

}  // namespace
}  // namespace newsfeed::cli
