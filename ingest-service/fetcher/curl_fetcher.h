// CurlFetcher: the production FeedFetcher, built on the libcurl multi
// interface. One FetchAll call drives all its transfers from the calling
// thread; the fetcher starts no threads of its own (Debian's libcurl resolves
// names on a short-lived thread per lookup).
//
//   absl::StatusOr<std::unique_ptr<CurlFetcher>> fetcher =
//       CurlFetcher::Create(FetcherOptions{});
//   if (fetcher.ok()) (*fetcher)->FetchAll(requests, on_done);
#ifndef INGEST_SERVICE_FETCHER_CURL_FETCHER_H_
#define INGEST_SERVICE_FETCHER_CURL_FETCHER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock/clock.h"
#include "ingest-service/fetcher/feed_fetcher.h"

namespace newsfeed::ingest {

// Limits and policy for a CurlFetcher.
struct FetcherOptions {
  // Most transfers in flight at once, over all hosts. Default: 200.
  int max_concurrent = 200;
  // Most transfers in flight at once to one host name. Default: 4.
  int max_per_host = 4;
  // Least time between two requests starting to the same host name (also
  // across FetchAll calls and redirect hops). Default: 250 ms.
  absl::Duration min_host_gap = absl::Milliseconds(250);
  // Limit on establishing a connection (DNS, TCP, TLS). Default: 10 s.
  absl::Duration connect_timeout = absl::Seconds(10);
  // Limit on a whole fetch, redirect hops included. Default: 60 s.
  absl::Duration total_timeout = absl::Seconds(60);
  // A transfer slower than low_speed_bytes_per_second for low_speed_time is
  // aborted (UNAVAILABLE). Defaults: 100 bytes/s for 30 s. low_speed_time is
  // rounded up to whole seconds.
  int64_t low_speed_bytes_per_second = 100;
  absl::Duration low_speed_time = absl::Seconds(30);
  // Cap on the decoded body. Counted after decompression as bytes arrive, so
  // a compression bomb is stopped early (RESOURCE_EXHAUSTED). Default: 15 MiB.
  int64_t max_body_bytes = 15 << 20;
  // Most redirects followed per fetch (FAILED_PRECONDITION beyond). Default: 5.
  int max_redirects = 5;
  // Sent as User-Agent.
  std::string user_agent =
      "newsfeed/0.1 (+https://github.com/newsfeed/newsfeed)";
  // Proxy URL (e.g. "http://proxy:3128"). Empty: libcurl honours the usual
  // environment variables (http_proxy, https_proxy, no_proxy, ...). With a
  // proxy (configured or from the environment), the private-network guard
  // checks each URL's host before the proxy is asked for it: addresses as
  // below, and local names (localhost, *.local, *.internal, names without a
  // dot) are refused unless allow_private_networks. A public name that the
  // proxy resolves to a private address is the proxy's to refuse. The
  // connection to the proxy itself is checked like any other: allow its
  // network in allowed_networks.
  std::string proxy = {};
  // When false (the default), connections to loopback, private, shared
  // (100.64/10), link-local, unspecified, multicast and reserved addresses,
  // IPv4 and IPv6 (including v4-mapped, NAT64 and 6to4 forms), are refused
  // with PERMISSION_DENIED. The check is made on every address actually
  // connected to, after DNS, on every redirect hop.
  bool allow_private_networks = false;
  // CIDR ranges ("127.0.0.0/8", "fd00::/8", or a bare address) that the guard
  // lets through even when allow_private_networks is false. An IPv4 range
  // also matches the v4-mapped IPv6 form of its addresses.
  std::vector<std::string> allowed_networks = {};
  // Optional CA bundle (PEM file) used for verification in addition to the
  // system certificate directory. TLS peer and host verification are always
  // on.
  std::string ca_file = {};
  // Time source for the per-host gap, the total_timeout budget across
  // redirect hops and FetchResult::elapsed. nullptr: RealClock::Instance().
  // Must outlive the fetcher. (Transfer-level timeouts use libcurl's clock.)
  Clock* clock = nullptr;
};

// A FeedFetcher over the libcurl multi interface: connections (and the DNS
// cache) are kept across FetchAll calls.
//
// Thread-safe: concurrent FetchAll calls on one fetcher are serialised (one
// runs at a time, each driving its transfers from its own calling thread).
//
// Limitations: min_host_gap and max_per_host count host names, not
// addresses; with a proxy, names are checked by their form only (see
// FetcherOptions::proxy).
class CurlFetcher final : public FeedFetcher {
 public:
  // Returns a fetcher with the given options, or INVALID_ARGUMENT for a
  // malformed CIDR in allowed_networks or a non-positive limit.
  static absl::StatusOr<std::unique_ptr<CurlFetcher>> Create(
      const FetcherOptions& options);

  CurlFetcher(const CurlFetcher&) = delete;
  CurlFetcher& operator=(const CurlFetcher&) = delete;
  ~CurlFetcher() override;

  // See FeedFetcher::FetchAll.
  void FetchAll(const std::vector<FetchRequest>& requests,
                const std::function<void(
                    size_t index, absl::StatusOr<FetchResult> result)>& on_done,
                const std::function<bool()>& stop_requested = {}) override;

 private:
  struct State;
  explicit CurlFetcher(std::unique_ptr<State> state);

  std::unique_ptr<State> state_;
};

}  // namespace newsfeed::ingest

#endif  // INGEST_SERVICE_FETCHER_CURL_FETCHER_H_
