#include "common/net/listen_address.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace newsfeed::net {

absl::StatusOr<HostPort> ParseListenAddress(absl::string_view address,
                                            absl::string_view what) {
  auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " \"", address, "\": ", why,
                     " (expected host:port, [ipv6]:port or :port)"));
  };
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) return invalid("no port");
  HostPort result;
  result.host = std::string(address.substr(0, colon));
  if (result.host.size() >= 2 && result.host.front() == '[' &&
      result.host.back() == ']') {
    result.host = result.host.substr(1, result.host.size() - 2);
  } else if (result.host.find(':') != std::string::npos) {
    return invalid("an IPv6 address must be in brackets");
  }
  if (result.host.empty()) result.host = "0.0.0.0";
  if (!absl::SimpleAtoi(address.substr(colon + 1), &result.port) ||
      result.port < 0 || result.port > 65535) {
    return invalid("bad port");
  }
  return result;
}

std::string JoinHostPort(absl::string_view host, int port) {
  return host.find(':') == absl::string_view::npos
             ? absl::StrCat(host, ":", port)
             : absl::StrCat("[", host, "]:", port);
}

}  // namespace newsfeed::net
