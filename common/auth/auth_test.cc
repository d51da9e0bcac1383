// Bearer tokens and TLS/mutual TLS on a real gRPC server on 127.0.0.1:0,
// with certificates made by scripts/make-certs.sh.
#include <grpcpp/grpcpp.h>

#include "common/auth/bearer_token.h"
#include "common/auth/test_certs.h"
#include "common/auth/tls.h"
#include "common/server/grpc_server.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"

namespace newsfeed::auth {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;

TEST(TokenGateTest, EmptyTokenLetsEveryCallThrough) {
  TokenGate gate;
  EXPECT_FALSE(gate.required());
  EXPECT_TRUE(gate.CheckHeader("", "Search").ok());
  EXPECT_TRUE(gate.CheckHeader("Bearer anything", "Search").ok());
}

TEST(TokenGateTest, RequiresTheRightBearerToken) {
  TokenGate gate("s3cret-token");
  EXPECT_TRUE(gate.required());
  EXPECT_TRUE(gate.CheckHeader("Bearer s3cret-token", "Publish").ok());
  EXPECT_TRUE(gate.CheckHeader("bearer s3cret-token", "Publish").ok());

  absl::Status missing = gate.CheckHeader("", "Publish");
  EXPECT_EQ(missing.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(missing.message(), HasSubstr("Publish: needs a token"));

  absl::Status malformed = gate.CheckHeader("Basic dXNlcjpwYXNz", "AddFeed");
  EXPECT_EQ(malformed.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(malformed.message(), HasSubstr("not \"Bearer <token>\""));

  for (const char* wrong : {"Bearer s3cret-toke", "Bearer s3cret-token2",
                            "Bearer S3CRET-TOKEN", "Bearer x"}) {
    absl::Status status = gate.CheckHeader(wrong, "Search");
    EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated) << wrong;
    EXPECT_THAT(status.message(), HasSubstr("wrong token"));
    EXPECT_THAT(status.message(), ::testing::Not(HasSubstr("s3cret")));
  }
}

TEST(TlsTest, MisconfigurationNamesTheOption) {
  absl::Status status =
      MakeServerCredentials(
          {.cert_file = "/x/cert.pem", .key_file = "", .client_ca_file = ""})
          .status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("together"));

  status = MakeServerCredentials(
               {.cert_file = "", .key_file = "", .client_ca_file = "/x/ca.pem"})
               .status();
  EXPECT_THAT(status.message(), HasSubstr("tls.client_ca_file"));

  status = MakeServerCredentials({.cert_file = "/nonexistent/cert.pem",
                                  .key_file = "/nonexistent/key.pem",
                                  .client_ca_file = ""})
               .status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("tls.cert_file: cannot read /nonexistent/cert.pem"));

  status = MakeChannelCredentials(
               {.ca_file = "", .cert_file = "/x/c.pem", .key_file = ""})
               .status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);

  // A file that is not PEM is refused up front, not at the first handshake.
  status = MakeChannelCredentials(
               {.ca_file = std::string(NEWSFEED_SOURCE_DIR) + "/README.md",
                .cert_file = "",
                .key_file = ""})
               .status();
  EXPECT_THAT(status.message(), HasSubstr("not a PEM file"));
}

class TlsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    certs_ = MakeTestCerts();
    ASSERT_FALSE(certs_.dir.empty());
  }

  void StartServer(bool mutual) {
    rpc::ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.tls_cert_file = certs_.server_cert();
    options.tls_key_file = certs_.server_key();
    if (mutual) options.tls_client_ca_file = certs_.ca();
    auto server = rpc::GrpcServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  // The health status through a channel with `files`, or the RPC's code.
  grpc::StatusCode Check(const ClientTlsFiles& files) {
    auto credentials = MakeChannelCredentials(files);
    EXPECT_TRUE(credentials.ok()) << credentials.status();
    if (!credentials.ok()) return grpc::StatusCode::INTERNAL;
    auto stub =
        Health::NewStub(grpc::CreateChannel(server_->address(), *credentials));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    HealthCheckResponse response;
    grpc::Status status =
        stub->Check(&context, HealthCheckRequest(), &response);
    if (status.ok()) {
      EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
    }
    return status.error_code();
  }

  void TearDown() override {
    if (server_) server_->Shutdown(absl::ZeroDuration());
  }

  TestCerts certs_;
  std::unique_ptr<rpc::GrpcServer> server_;
};

TEST_F(TlsServerTest, TlsPortServesClientsThatTrustItsCa) {
  StartServer(/*mutual=*/false);
  EXPECT_EQ(Check({.ca_file = certs_.ca(), .cert_file = "", .key_file = ""}),
            grpc::StatusCode::OK);
  // A plaintext client cannot talk to a TLS port.
  EXPECT_NE(Check({.ca_file = "", .cert_file = "", .key_file = ""}),
            grpc::StatusCode::OK);
}

TEST_F(TlsServerTest, MutualTlsRequiresAClientCertificateFromTheCa) {
  StartServer(/*mutual=*/true);
  EXPECT_EQ(Check({.ca_file = certs_.ca(),
                   .cert_file = certs_.client_cert(),
                   .key_file = certs_.client_key()}),
            grpc::StatusCode::OK);
  EXPECT_EQ(Check({.ca_file = certs_.ca(), .cert_file = "", .key_file = ""}),
            grpc::StatusCode::UNAVAILABLE);

  // A certificate from another CA is refused too.
  TestCerts other = MakeTestCerts();
  ASSERT_FALSE(other.dir.empty());
  EXPECT_EQ(Check({.ca_file = certs_.ca(),
                   .cert_file = other.client_cert(),
                   .key_file = other.client_key()}),
            grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace newsfeed::auth
