#include "ingest-service/fetcher/address_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace newsfeed::ingest::internal {
namespace {

constexpr Ip6 kV4MappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

Ip6 MapV4(const uint8_t v4[4]) {
  Ip6 out = kV4MappedPrefix;
  std::memcpy(out.data() + 12, v4, 4);
  return out;
}

bool IsV4Mapped(const Ip6& a) {
  return std::memcmp(a.data(), kV4MappedPrefix.data(), 12) == 0;
}

// Ranges in v4-mapped form; the prefix lengths below are IPv4 lengths.
bool IsNonPublicV4(const uint8_t* v4) {
  struct Range {
    uint8_t a, b, c, d;
    int len;
  };
  static constexpr Range kRanges[] = {
      {0, 0, 0, 0, 8},       // "this network", unspecified
      {10, 0, 0, 0, 8},      // private
      {100, 64, 0, 0, 10},   // shared address space (CGNAT)
      {127, 0, 0, 0, 8},     // loopback
      {169, 254, 0, 0, 16},  // link-local (cloud metadata lives here)
      {172, 16, 0, 0, 12},   // private
      {192, 0, 0, 0, 24},    // IETF protocol assignments
      {192, 168, 0, 0, 16},  // private
      {198, 18, 0, 0, 15},   // benchmarking
      {224, 0, 0, 0, 4},     // multicast
      {240, 0, 0, 0, 4},     // reserved, broadcast
  };
  const uint32_t address = (uint32_t{v4[0]} << 24) | (uint32_t{v4[1]} << 16) |
                           (uint32_t{v4[2]} << 8) | uint32_t{v4[3]};
  for (const Range& r : kRanges) {
    const uint32_t base = (uint32_t{r.a} << 24) | (uint32_t{r.b} << 16) |
                          (uint32_t{r.c} << 8) | uint32_t{r.d};
    const uint32_t mask = ~uint32_t{0} << (32 - r.len);
    if ((address & mask) == base) return true;
  }
  return false;
}

bool HasPrefix(const Ip6& a, std::initializer_list<uint8_t> bytes, int bits) {
  IpNetwork n;
  std::copy(bytes.begin(), bytes.end(), n.base.begin());
  n.prefix_len = bits;
  return n.Contains(a);
}

}  // namespace

bool IpNetwork::Contains(const Ip6& address) const {
  int bits = prefix_len;
  for (int i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const uint8_t mask =
        bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((address[i] & mask) != (base[i] & mask)) return false;
  }
  return true;
}

std::optional<Ip6> ParseIp(absl::string_view text) {
  const std::string s(text);
  uint8_t v4[4];
  if (inet_pton(AF_INET, s.c_str(), v4) == 1) return MapV4(v4);
  Ip6 v6;
  if (inet_pton(AF_INET6, s.c_str(), v6.data()) == 1) return v6;
  return std::nullopt;
}

absl::StatusOr<IpNetwork> ParseCidr(absl::string_view cidr) {
  const size_t slash = cidr.find('/');
  const absl::string_view address_text = cidr.substr(0, slash);
  std::optional<Ip6> address = ParseIp(address_text);
  if (!address.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad network \"", cidr, "\": not an IP address"));
  }
  const bool v4 = address_text.find(':') == absl::string_view::npos;
  const int max_len = v4 ? 32 : 128;
  int len = max_len;
  if (slash != absl::string_view::npos) {
    if (!absl::SimpleAtoi(cidr.substr(slash + 1), &len) || len < 0 ||
        len > max_len) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad network \"", cidr, "\": prefix length"));
    }
  }
  IpNetwork network;
  network.base = *address;
  network.prefix_len = v4 ? len + 96 : len;
  return network;
}

std::optional<Ip6> FromSockaddr(const sockaddr* address) {
  if (address == nullptr) return std::nullopt;
  if (address->sa_family == AF_INET) {
    sockaddr_in in;
    std::memcpy(&in, address, sizeof(in));
    uint8_t v4[4];
    std::memcpy(v4, &in.sin_addr, 4);
    return MapV4(v4);
  }
  if (address->sa_family == AF_INET6) {
    sockaddr_in6 in6;
    std::memcpy(&in6, address, sizeof(in6));
    Ip6 out;
    std::memcpy(out.data(), &in6.sin6_addr, 16);
    return out;
  }
  return std::nullopt;
}

std::string FormatIp(const Ip6& address) {
  char buffer[INET6_ADDRSTRLEN] = {};
  if (IsV4Mapped(address)) {
    inet_ntop(AF_INET, address.data() + 12, buffer, sizeof(buffer));
  } else {
    inet_ntop(AF_INET6, address.data(), buffer, sizeof(buffer));
  }
  return buffer;
}

bool IsNonPublic(const Ip6& a) {
  if (IsV4Mapped(a)) return IsNonPublicV4(a.data() + 12);
  // ::/96: unspecified, loopback and the deprecated v4-compatible form.
  if (HasPrefix(a, {}, 96)) return true;
  // NAT64 (64:ff9b::/96): judge the embedded IPv4 address.
  if (HasPrefix(a, {0, 0x64, 0xff, 0x9b}, 96))
    return IsNonPublicV4(a.data() + 12);
  // 6to4 (2002::/16): the IPv4 address is in bytes 2..5.
  if (HasPrefix(a, {0x20, 0x02}, 16)) return IsNonPublicV4(a.data() + 2);
  return HasPrefix(a, {0, 0x64, 0xff, 0x9b, 0, 1}, 48) ||  // local NAT64
         HasPrefix(a, {0x01, 0x00}, 64) ||                 // discard-only
         HasPrefix(a, {0x20, 0x01, 0x0d, 0xb8}, 32) ||     // documentation
         HasPrefix(a, {0xfc}, 7) ||                        // unique local
         HasPrefix(a, {0xfe, 0x80}, 10) ||                 // link-local
         HasPrefix(a, {0xfe, 0xc0}, 10) ||                 // site-local
         HasPrefix(a, {0xff}, 8);                          // multicast
}

absl::StatusOr<AddressGuard> AddressGuard::Create(
    bool allow_private_networks,
    const std::vector<std::string>& allowed_networks) {
  std::vector<IpNetwork> allowed;
  for (const std::string& cidr : allowed_networks) {
    absl::StatusOr<IpNetwork> network = ParseCidr(cidr);
    if (!network.ok()) return network.status();
    allowed.push_back(*network);
  }
  return AddressGuard(allow_private_networks, std::move(allowed));
}

bool AddressGuard::AllowsHost(absl::string_view host) const {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (std::optional<Ip6> ip = ParseIp(host); ip.has_value()) {
    return Allows(*ip);
  }
  if (allow_all_) return true;
  while (absl::ConsumeSuffix(&host, ".")) {
  }
  const std::string name = absl::AsciiStrToLower(host);
  if (name.find('.') == std::string::npos) return false;  // "localhost"
  for (absl::string_view suffix :
       {".localhost", ".local", ".internal", ".home.arpa", ".lan"}) {
    if (absl::EndsWith(name, suffix)) return false;
  }
  return true;
}

bool AddressGuard::Allows(const Ip6& address) const {
  if (allow_all_ || !IsNonPublic(address)) return true;
  for (const IpNetwork& network : allowed_) {
    if (network.Contains(address)) return true;
  }
  return false;
}

std::string AddressGuard::Refusal(const sockaddr* address) const {
  std::optional<Ip6> ip = FromSockaddr(address);
  if (!ip.has_value()) return "non-IP address";
  return Allows(*ip) ? std::string() : FormatIp(*ip);
}

}  // namespace newsfeed::ingest::internal
