// Conversion between absl::Status (used inside and between components) and
// grpc::Status (used only at the gRPC boundary). The codes have the same
// numeric values in both libraries.
//
// This is the one place where the two meet: handlers end with
// `reactor->Finish(newsfeed::rpc::ToGrpcStatus(status))`, clients return
// `newsfeed::rpc::FromGrpcStatus(grpc_status)`.
#ifndef COMMON_RPC_STATUS_H_
#define COMMON_RPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace newsfeed::rpc {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace newsfeed::rpc

#endif  // COMMON_RPC_STATUS_H_
