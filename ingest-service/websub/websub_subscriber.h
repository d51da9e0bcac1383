// WebSub subscriber: subscribes feeds at their WebSub hubs (W3C
// Recommendation, 2018-01-23), answers the hubs' verification requests and
// accepts their signed content deliveries on an HTTP listener
// (libmicrohttpd), and keeps the subscriptions in a small SQLite file so
// that a restarted service keeps accepting deliveries and renewing leases.
//
//   WebSubOptions options;
//   options.public_base_url = "https://ingest.example.com";
//   options.db_path = data_dir + "/websub.db";
//   auto subscriber = WebSubSubscriber::Start(options, handler);
//   (*subscriber)->Subscribe("feed-1", "https://ex.com/feed", "https://hub");
//   // ...and every minute or so (or let the subscriber's own thread do it):
//   (*subscriber)->Tick();
//
// Bad input (unknown callback, verification for a topic or mode that was
// not requested, unsigned or forged content, oversized bodies, floods) is
// refused with an HTTP status, one log line and a metric
// (newsfeed_websub_callbacks_total{kind,outcome}); nothing reaches the
// DeliveryHandler. Also exported: newsfeed_websub_hub_requests_total
// {mode,outcome} and, updated by Tick, newsfeed_websub_subscriptions{state}.
#ifndef INGEST_SERVICE_WEBSUB_WEBSUB_SUBSCRIBER_H_
#define INGEST_SERVICE_WEBSUB_WEBSUB_SUBSCRIBER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock/clock.h"
#include "common/metrics/metrics.h"

namespace newsfeed::ingest {

// The hub and self links of an HTTP `Link` header (RFC 8288).
struct LinkHeaderLinks {
  // Targets of every link whose rel list contains "hub", in header order,
  // without duplicates. As written: relative references are not resolved.
  std::vector<std::string> hubs;
  // Target of the first link whose rel list contains "self"; empty if none.
  std::string self;
};

// Parses one Link header value, e.g.
//   <https://hub.example/>; rel="hub", <https://ex.com/feed>; rel="self"
// Several links per value, quoted or bare parameter values, several
// relation types per rel ("hub self"), case-insensitive relation types and
// commas or semicolons inside quotes are handled. Malformed links are
// skipped; never fails.
LinkHeaderLinks ParseLinkHeaderHubs(absl::string_view header_value);

struct WebSubOptions {
  // Base URL the hubs reach the listener at (through a reverse proxy, say);
  // callbacks are <public_base_url>/websub/<opaque id>. Empty means WebSub
  // is off: Start refuses it, so the caller skips Start. Required.
  std::string public_base_url;
  // Address the listener binds ("host:port", "[::1]:port"); port 0 picks a
  // free port (see address()). Default: loopback, any port.
  std::string listen = "127.0.0.1:0";
  // SQLite file holding the subscriptions, created with mode 0600. Empty:
  // in memory only (tests). Default: empty.
  std::string db_path;
  // Lease asked of the hub (hub.lease_seconds). Hubs may grant another.
  // Default: 7 days.
  absl::Duration lease = absl::Hours(24 * 7);
  // A verified subscription is renewed once this much, or a tenth of the
  // granted lease, whichever is more, remains. Default: 1 hour.
  absl::Duration renew_before = absl::Hours(1);
  // A subscribe request not verified within this counts as failed and is
  // retried with exponential backoff (retry_min_backoff doubling up to
  // retry_max_backoff). Defaults: 10 minutes; 1 minute to 6 hours.
  absl::Duration verify_timeout = absl::Minutes(10);
  absl::Duration retry_min_backoff = absl::Minutes(1);
  absl::Duration retry_max_backoff = absl::Hours(6);
  // Timeout of one request to a hub (connect + transfer). Default: 30 s.
  absl::Duration hub_request_timeout = absl::Seconds(30);
  // Content deliveries larger than this are refused with 413. Default: 4 MiB.
  size_t max_body_bytes = 4 << 20;
  // Deliveries accepted per callback per second (a token bucket holding
  // one second's worth); beyond it 429. Default: 10.
  int max_deliveries_per_second = 10;
  // Connections the listener serves at once; further ones are refused.
  // Default: 256.
  int max_connections = 256;
  // Seconds a connection may stay idle (e.g. a body trickling in) before the
  // listener closes it. Default: 30 s.
  absl::Duration idle_timeout = absl::Seconds(30);
  // Listener threads (the DeliveryHandler runs on them). Default: 2.
  int threads = 2;
  // As the fetcher's option of the same name: hubs on loopback, private or
  // otherwise non-public addresses are refused unless this is true (tests).
  bool allow_private_networks = false;
  // How often the subscriber's own thread calls Tick(); zero: no thread, the
  // caller calls Tick() (tests with a FakeClock). Default: 1 minute.
  absl::Duration tick_interval = absl::Minutes(1);
  // Hub requests one Tick() sends at most (they go one after the other);
  // the rest wait for the next Tick. Default: 200.
  int max_hub_requests_per_tick = 200;
  // Not owned; must outlive the subscriber. nullptr: no metrics / the real
  // clock.
  metrics::Registry* metrics = nullptr;
  Clock* clock = nullptr;
};

// What State() reports for display (FeedAdmin, ListFeeds).
struct WebSubState {
  enum class Status {
    kPending,        // subscribe request sent, verification awaited
    kVerified,       // the hub confirmed; deliveries accepted
    kDenied,         // the hub denied the subscription (see last_error)
    kFailed,         // hub request or verification failed; will retry
    kExpired,        // lease ended before a renewal was verified
    kUnsubscribing,  // unsubscribe sent; deliveries refused
  };
  Status status = Status::kPending;
  std::string topic;
  std::string hub;
  std::string callback_url;
  // When the hub's lease ends; InfinitePast before the first verification.
  absl::Time lease_expiry = absl::InfinitePast();
  // When the next subscribe (renewal or retry) is due; InfiniteFuture if
  // none is scheduled.
  absl::Time next_attempt = absl::InfiniteFuture();
  // Content deliveries handed to the handler / refused, since start.
  absl::Time last_delivery = absl::InfinitePast();
  uint64_t deliveries = 0;
  uint64_t rejections = 0;
  // The last failure (hub response, denial reason, timeout); empty if none.
  std::string last_error;
};

// "pending", "verified", "denied", "failed", "expired", "unsubscribing".
absl::string_view WebSubStatusName(WebSubState::Status status);

// Called for each verified, signature-checked content delivery with the
// subscription's feed id, the raw body and its Content-Type. OK answers the
// hub 2xx; INVALID_ARGUMENT (content that is not a feed) 400; any other
// error 500, so the hub retries later. Runs on a
// listener thread; may be called concurrently.
using WebSubDeliveryHandler = std::function<absl::Status(
    const std::string& feed_id, std::string body, std::string content_type)>;

// Thread-safe: every method may be called from any thread.
class WebSubSubscriber {
 public:
  // Opens (or creates) the subscriptions file, binds the listener and, if
  // tick_interval > 0, starts the renewal thread. Subscriptions found in
  // the file are served at once; due renewals go out on the first Tick.
  // INVALID_ARGUMENT for an empty public_base_url or a malformed listen
  // address or option; UNAVAILABLE when the address cannot be bound;
  // INTERNAL when the file cannot be opened or read.
  static absl::StatusOr<std::unique_ptr<WebSubSubscriber>> Start(
      const WebSubOptions& options, WebSubDeliveryHandler handler);

  // Stops the listener (waiting for running handlers) and the thread.
  ~WebSubSubscriber();
  WebSubSubscriber(const WebSubSubscriber&) = delete;
  WebSubSubscriber& operator=(const WebSubSubscriber&) = delete;

  // Subscribes `feed_id` to `topic_url` at `hub_url`: keeps the
  // subscription (fresh callback id and random secret) and POSTs
  // hub.mode=subscribe to the hub. Idempotent: for a feed already
  // subscribed (pending or verified) to the same topic at the same hub it
  // returns OK and sends nothing; a changed topic or hub replaces the
  // subscription. The subscription is kept even when the hub request fails
  // (it is retried with backoff by Tick). OK when the hub accepted the
  // request (2xx); INVALID_ARGUMENT for an empty feed id or a non-http(s)
  // URL; UNAVAILABLE when the hub could not be reached, was refused by the
  // private-network guard or answered otherwise (message names the hub);
  // INTERNAL when the file cannot be written.
  absl::Status Subscribe(const std::string& feed_id,
                         const std::string& topic_url,
                         const std::string& hub_url);

  // Ends `feed_id`'s subscription: deliveries are refused at once and, if
  // the hub ever verified it, hub.mode=unsubscribe is sent (the record is
  // dropped when the hub verifies that, or after verify_timeout). OK also
  // when the hub could not be reached (the lease then just runs out);
  // NOT_FOUND for an unknown feed; INTERNAL when the file cannot be written.
  absl::Status Unsubscribe(const std::string& feed_id);

  // The subscription of `feed_id`; NOT_FOUND if there is none.
  absl::StatusOr<WebSubState> State(const std::string& feed_id) const;

  // Feed ids with a subscription, sorted.
  std::vector<std::string> FeedIds() const;

  // Does what time makes due: pending requests past verify_timeout become
  // failed; failed, expired and soon-to-end subscriptions are (re)sent to
  // their hubs; leases past their end become expired; stale unsubscribes
  // are dropped. Hub requests are sent without holding the lock. Returns
  // the number of hub requests sent.
  int Tick();

  // The bound listener, "host:port".
  const std::string& address() const;

 private:
  struct Impl;
  explicit WebSubSubscriber(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace newsfeed::ingest

#endif  // INGEST_SERVICE_WEBSUB_WEBSUB_SUBSCRIBER_H_
