// FeedFarm: a loopback HTTP server that simulates N RSS 2.0 publishers for
// the freshness benchmark. Feed i is served at /feed/<i>.xml with ETag and
// Last-Modified (304 when unchanged). New items appear per feed at a
// heavy-tailed rate (log-normal mean gap: most feeds a few items per
// simulated day, a few every simulated minute), with simulated time running
// time_scale times faster than real time. The farm records when each item
// appeared (keyed by the item's link, which is also its guid) and counts
// requests, 200s and 304s.
//
// A share of the feeds (push_share) carries <atom:link rel="hub"> and
// rel="self" (and a Link header). The hub at /hub takes W3C WebSub
// subscribe/unsubscribe form POSTs (hub.mode, hub.topic, hub.callback,
// hub.lease_seconds, hub.secret), answers 202, verifies intent with a GET to
// the callback (accepted only when hub.challenge is echoed) and, on each new
// item of a subscribed feed, POSTs the feed document to every verified
// callback with X-Hub-Signature: sha256=<HMAC of the body with hub.secret>.
//
// Thread-safety: all public methods are safe to call from any thread.
#ifndef NEWSFEED_BENCH_FRESHNESS_FEED_FARM_H_
#define NEWSFEED_BENCH_FRESHNESS_FEED_FARM_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "absl/status/statusor.h"

namespace newsfeed::bench {

struct FeedFarmOptions {
  int feeds = 10000;
  // Simulated seconds per real second.
  double time_scale = 120;
  // Median over feeds of the mean simulated gap between new items, and the
  // log-normal sigma of that mean across feeds.
  double median_gap_seconds = 8 * 3600;
  double gap_sigma = 1.5;
  // Shortest mean gap any feed gets (simulated seconds).
  double min_gap_seconds = 60;
  uint64_t seed = 21;
  // Items each feed holds at start (uniform in [min, max]), the backlog its
  // first fetch reads. Feeds keep at most 50. Default 20-50.
  int min_initial_items = 20;
  int max_initial_items = 50;
  // Share of feeds (0-1) that name the farm's WebSub hub (/hub) and are
  // pushed to its verified subscribers.
  double push_share = 0.1;
  // Server worker threads. cpp-httplib holds a thread per open keep-alive
  // connection, so this must exceed the client's connections to the host
  // (ingest-service's fetcher.max_per_host) or requests starve.
  int threads = 96;
};

struct FeedFarmFeedCounts {
  uint64_t requests = 0;
  double mean_gap_seconds = 0;  // simulated
};

struct FeedFarmCounts {
  uint64_t requests = 0;
  uint64_t ok = 0;            // 200
  uint64_t not_modified = 0;  // 304
  uint64_t new_items = 0;     // items appeared since Start()
};

class FeedFarm {
 public:
  using Clock = std::chrono::steady_clock;

  // Binds 127.0.0.1:0, generates every feed's initial 20-50 items and starts
  // serving and the item generator. Fails when the socket cannot be bound or
  // the options are invalid.
  static absl::StatusOr<std::unique_ptr<FeedFarm>> Create(
      const FeedFarmOptions& options);

  // Stops the server and the generator.
  ~FeedFarm();

  FeedFarm(const FeedFarm&) = delete;
  FeedFarm& operator=(const FeedFarm&) = delete;

  // "http://127.0.0.1:<port>".
  std::string base_url() const;
  // URL of feed i.
  std::string FeedUrl(int i) const;

  // URL of the WebSub hub; whether feed i is served through it.
  std::string HubUrl() const;
  bool IsPushed(int i) const;

  // Adds a new item to feed i now (recorded like a generated one) and
  // pushes the feed to its subscribers when it is a pushed feed. Pushes and
  // subscription verifications run in order on one hub thread, so a push
  // queued after a verification started sees its outcome. For tests.
  void PublishNow(int i);

  // Totals since Create (items: new items appeared, initial ones excluded).
  FeedFarmCounts Counts() const;
  // Feed i's requests so far and its mean simulated gap between items.
  FeedFarmFeedCounts FeedCounts(int i) const;
  // Link -> real appearance time of every new item appeared so far.
  std::unordered_map<std::string, Clock::time_point> Appearances() const;

  class Impl;

 private:
  explicit FeedFarm(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace newsfeed::bench

#endif  // NEWSFEED_BENCH_FRESHNESS_FEED_FARM_H_
