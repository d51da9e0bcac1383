// Internal: the private-network guard. Decides whether the fetcher may
// connect to an IP address.
//
// Thread-safe: immutable after Create.
#ifndef INGEST_SERVICE_FETCHER_ADDRESS_GUARD_H_
#define INGEST_SERVICE_FETCHER_ADDRESS_GUARD_H_

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace newsfeed::ingest::internal {

// An IPv6 address; IPv4 addresses are held in v4-mapped form (::ffff:a.b.c.d).
using Ip6 = std::array<uint8_t, 16>;

// An address range: the first `prefix_len` bits of `base` (0..128).
struct IpNetwork {
  Ip6 base{};
  int prefix_len = 0;
  bool Contains(const Ip6& address) const;
};

// Parses "10.0.0.0/8", "fd00::/8" or a bare address (a /32 or /128). Host bits
// set below the prefix are ignored. INVALID_ARGUMENT otherwise.
absl::StatusOr<IpNetwork> ParseCidr(absl::string_view cidr);

// Parses a textual IPv4 or IPv6 address; nullopt when malformed.
std::optional<Ip6> ParseIp(absl::string_view text);

// The address of an AF_INET or AF_INET6 socket address; nullopt otherwise.
std::optional<Ip6> FromSockaddr(const sockaddr* address);

// "127.0.0.1" for v4-mapped addresses, "fe80::1" otherwise.
std::string FormatIp(const Ip6& address);

// True for loopback, private, shared, link-local, unspecified, multicast,
// broadcast and other reserved or non-routable addresses, including IPv4
// ones embedded in IPv6 (v4-mapped, v4-compatible, NAT64, 6to4).
bool IsNonPublic(const Ip6& address);

class AddressGuard {
 public:
  // INVALID_ARGUMENT for a malformed entry of `allowed_networks`.
  static absl::StatusOr<AddressGuard> Create(
      bool allow_private_networks,
      const std::vector<std::string>& allowed_networks);

  // True when a connection to `address` is permitted.
  bool Allows(const Ip6& address) const;

  // For a socket address about to be connected to (libcurl's
  // CURLOPT_OPENSOCKETFUNCTION): empty when Allows permits it, else the
  // address as text (FormatIp), or "non-IP address", for the error message.
  std::string Refusal(const sockaddr* address) const;

  // For a URL's host, before any DNS (as a proxy would be asked for it):
  // true when `host` ("example.com", "10.0.0.1", "[::1]") is an address
  // Allows permits, or a name that is not local by its form ("localhost",
  // "*.localhost", "*.local", "*.internal", "*.home.arpa", "*.lan", a name
  // without a dot). Names are allowed only by allow_private_networks.
  bool AllowsHost(absl::string_view host) const;

 private:
  AddressGuard(bool allow_all, std::vector<IpNetwork> allowed)
      : allow_all_(allow_all), allowed_(std::move(allowed)) {}

  bool allow_all_;
  std::vector<IpNetwork> allowed_;
};

}  // namespace newsfeed::ingest::internal

#endif  // INGEST_SERVICE_FETCHER_ADDRESS_GUARD_H_
