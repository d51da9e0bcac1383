// Bearer-token access control at the gRPC boundary. A caller presents its
// token as call metadata `authorization: Bearer <token>` (what grpcurl's
// `-H`, the newsfeed CLI's --token and every gRPC library send); a handler
// asks its TokenGate whether the call may proceed before doing any work.
//
// A gate built from an empty token lets every call through, so access
// control is opt-in per gate (per group of methods: reads, writes, admin).
// Tokens travel in clear text unless the port serves TLS.
//
// Thread-safe: immutable after construction.
//
//   TokenGate admin(config.admin_token);
//   if (absl::Status s = admin.Check(*context, "AddFeed"); !s.ok())
//     return Respond(context, s);
#ifndef COMMON_AUTH_BEARER_TOKEN_H_
#define COMMON_AUTH_BEARER_TOKEN_H_

#include <grpcpp/server_context.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace newsfeed::auth {

class TokenGate {
 public:
  // Lets every call through.
  TokenGate() = default;
  // Requires `token` on every call; an empty token requires nothing.
  explicit TokenGate(std::string token) : token_(std::move(token)) {}

  // Whether calls must present a token.
  bool required() const { return !token_.empty(); }

  // OK when no token is required or `context` carries the right one.
  // UNAUTHENTICATED otherwise, naming `what` (the method or method group)
  // and whether the token was missing, malformed or wrong; the expected
  // token never appears in the message.
  absl::Status Check(const grpc::ServerContextBase& context,
                     absl::string_view what) const;

  // As Check, on the raw `authorization` metadata value (empty: absent).
  absl::Status CheckHeader(absl::string_view authorization,
                           absl::string_view what) const;

 private:
  std::string token_;
};

// The metadata value a client sends for `token`: "Bearer <token>".
std::string BearerHeader(absl::string_view token);

}  // namespace newsfeed::auth

#endif  // COMMON_AUTH_BEARER_TOKEN_H_
