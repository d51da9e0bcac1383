// Listen addresses as the configuration spells them ("host:port",
// "[ipv6]:port", ":port" for every interface), for the HTTP listeners that
// bind their own sockets (gRPC parses its own).
//
// Thread-safe: pure functions.
#ifndef COMMON_NET_LISTEN_ADDRESS_H_
#define COMMON_NET_LISTEN_ADDRESS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace newsfeed::net {

struct HostPort {
  std::string host;  // without brackets; "0.0.0.0" for ":port"
  int port = 0;      // 0: any free port
};

// INVALID_ARGUMENT naming `what` (e.g. "metrics listen address") and the
// address when it has no port, a bad port, or an unbracketed IPv6 host.
absl::StatusOr<HostPort> ParseListenAddress(absl::string_view address,
                                            absl::string_view what);

// "host:port", bracketing an IPv6 host.
std::string JoinHostPort(absl::string_view host, int port);

}  // namespace newsfeed::net

#endif  // COMMON_NET_LISTEN_ADDRESS_H_
