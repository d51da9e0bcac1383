#include "common/server/grpc_server.h"

#include <grpcpp/grpcpp.h>

#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"

namespace newsfeed::rpc {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

HealthCheckResponse::ServingStatus Check(const std::string& address,
                                         const std::string& service = "") {
  auto channel =
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto stub = Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) return HealthCheckResponse::UNKNOWN;
  return response.status();
}

TEST(GrpcServerTest, PicksFreePortAndAnswersHealth) {
  ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.service_names = {"newsfeed.v1.Example"};
  auto server = GrpcServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_GT((*server)->port(), 0);
  EXPECT_EQ((*server)->address(),
            "127.0.0.1:" + std::to_string((*server)->port()));
  EXPECT_EQ(Check((*server)->address()), HealthCheckResponse::SERVING);
  EXPECT_EQ(Check((*server)->address(), "newsfeed.v1.Example"),
            HealthCheckResponse::SERVING);
  (*server)->SetServing(false);
  EXPECT_EQ(Check((*server)->address()), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Check((*server)->address(), "newsfeed.v1.Example"),
            HealthCheckResponse::NOT_SERVING);
  (*server)->Shutdown(absl::Seconds(1));
}

// A client cannot hold more streams on one connection than
// max_concurrent_streams: the next call waits until one ends.
TEST(GrpcServerTest, StreamsPerConnectionAreCapped) {
  ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.max_concurrent_streams = 2;
  auto server = GrpcServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = grpc::CreateChannel((*server)->address(),
                                     grpc::InsecureChannelCredentials());
  auto stub = Health::NewStub(channel);
  HealthCheckRequest request;
  grpc::ClientContext watch_contexts[2];
  std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> watches[2];
  for (int i = 0; i < 2; ++i) {
    watches[i] = stub->Watch(&watch_contexts[i], request);
    HealthCheckResponse first;
    ASSERT_TRUE(watches[i]->Read(&first));  // the stream is open
    EXPECT_EQ(first.status(), HealthCheckResponse::SERVING);
  }
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::milliseconds(500));
    HealthCheckResponse response;
    EXPECT_EQ(stub->Check(&context, request, &response).error_code(),
              grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  watch_contexts[0].TryCancel();
  EXPECT_EQ(watches[0]->Finish().error_code(), grpc::StatusCode::CANCELLED);
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
    HealthCheckResponse response;
    EXPECT_TRUE(stub->Check(&context, request, &response).ok());
  }
  watch_contexts[1].TryCancel();
  (void)watches[1]->Finish();
  (*server)->Shutdown(absl::Seconds(1));
}

TEST(GrpcServerTest, UnbindableAddressIsUnavailable) {
  ServerOptions options;
  options.listen_address = "256.1.1.1:1";
  auto server = GrpcServer::Start(options);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kUnavailable);
}

TEST(GrpcServerTest, MissingTlsFileIsInvalidArgument) {
  ServerOptions options;
  options.tls_cert_file = "/nonexistent/cert.pem";
  options.tls_key_file = "/nonexistent/key.pem";
  auto server = GrpcServer::Start(options);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace newsfeed::rpc
