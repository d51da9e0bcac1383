// Poller is the ingest-service's fetch loop: it claims the feeds that are due
// from the FeedRegistry, fetches them all at once through the FeedFetcher,
// and turns each response into new articles (parse, normalize, tag) queued
// in the durable outbox. It also decides when each feed is polled next:
// after a success as the PollingPolicy says (the feed's posting rate, its
// ttl, Cache-Control, skipHours/skipDays), after 429/503 at Retry-After
// (which pauses the whole host), and after errors with exponential backoff
// and jitter (never giving up; only 410 Gone disables a feed).
//
// With a WebSubSubscriber, the hubs a fetched document names (in the feed
// or its HTTP Link header) are subscribed to, a feed whose subscription is
// verified is polled only as a safety net, and IngestPushed takes the
// hub's deliveries through the same parse, normalize, tag, dedup and outbox
// path as fetched documents.
//
// When the registry is the outbox's own file (IngestState), new articles are
// marked seen and queued in one transaction. With a shared registry
// (PgFeedRegistry) they are queued in the local outbox first and marked seen
// in the registry afterwards: at least once, see pg_feed_registry.h. A
// result whose lease was lost meanwhile (SaveFeed: FAILED_PRECONDITION) is
// dropped; the instance that took the feed over owns its state now.
//
// Documents are parsed, normalized and tagged on a few parse workers, not on
// the fetch loop, so that a large or hostile document never holds up the
// fetches of other feeds; each document has a CPU-time budget, and one over
// it is a parse error of its feed only (nothing of it is queued). A round
// ends when its last document is processed.
//
// Owns one thread (the fetch loop) and options.parse_threads parse workers.
// PollOnce is also usable without the fetch thread, for tests with a
// FakeClock.
//
// Thread-safe: Wake may be called from any thread.
#ifndef INGEST_SERVICE_SCHEDULER_POLLER_H_
#define INGEST_SERVICE_SCHEDULER_POLLER_H_

#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/article/article_limits.h"
#include "common/clock/clock.h"
#include "common/metrics/metrics.h"
#include "ingest-service/feeds/feed_registry.h"
#include "ingest-service/fetcher/feed_fetcher.h"
#include "ingest-service/parser/feed_parser.h"
#include "ingest-service/polling_policy/polling_policy.h"
#include "ingest-service/state/ingest_state.h"
#include "ingest-service/tagger/tagger.h"
#include "ingest-service/websub/websub_subscriber.h"

namespace newsfeed::ingest {

struct PollerOptions {
  // When a feed is polled after a success: fixed or adaptive, bounds,
  // jitter (see polling_policy.h).
  PollingPolicyOptions schedule;
  // First retry delay after an error, doubled per consecutive failure (with
  // +-20% jitter) up to max_backoff.
  absl::Duration min_backoff = absl::Minutes(1);
  absl::Duration max_backoff = absl::Hours(6);
  // Delay after 429/503 without a Retry-After header.
  absl::Duration default_retry_after = absl::Minutes(5);
  // Validators are dropped for one fetch this often, in case a server's
  // ETag or Last-Modified never changes. Default 24 hours.
  absl::Duration unconditional_every = absl::Hours(24);
  // Feeds never fetched before (at start, after a bulk AddFeeds or OPML
  // import) have their first poll, which reads the feed's whole backlog,
  // spread evenly over this window instead of all at once, each at its own
  // offset (a hash of its id, so the same after a restart). Feeds fetched
  // before are never delayed, and neither are a round's new feeds when they
  // are at most first_poll_burst (an AddFeed, a few PollNow). 0: off.
  // Defaults: 60 s, 16 feeds.
  absl::Duration first_poll_spread = absl::Seconds(60);
  int first_poll_burst = 16;
  // Feeds fetched in one round. Default 1000.
  int max_feeds_per_round = 1000;
  // The fetch loop starts a round at most this often (unless woken):
  // rounds have a fixed cost (a registry query, waiting for the slowest
  // fetch and document), so thousands of feeds due at scattered instants
  // are fetched in batches rather than one round each, at the price of a
  // poll up to this much late. Default 250 ms.
  absl::Duration round_window = absl::Milliseconds(250);
  // Limits for parsing each document.
  ParseOptions parse;
  // Each article is cut to these before it is queued (query-service
  // refuses larger ones).
  ArticleLimits article_limits;
  // Threads that parse, normalize and tag fetched documents. Default 2.
  int parse_threads = 2;
  // Fetched documents waiting for a parse thread hold at most this many
  // bytes; beyond it the fetch loop waits (a single larger document still
  // passes alone). Default 32 MiB.
  size_t max_queued_document_bytes = size_t{32} << 20;
  // CPU time (of the worker thread, not wall time) a document may take to
  // be parsed, normalized and tagged, per MiB of it (a smaller document gets
  // one MiB's worth); past it the document is refused as a parse error of
  // its feed. Ordinary feeds take about 1% of it. Default 1 s per MiB.
  absl::Duration document_cpu_budget = absl::Seconds(1);
  // Subscribes feeds at the hubs they name and tells which feeds are
  // pushed; nullptr (the default): no WebSub. Must outlive the poller.
  WebSubSubscriber* websub = nullptr;
  // Where to count fetches by outcome, fetch latency, items parsed and
  // articles tagged and queued (newsfeed_fetches_total, ...). nullptr (the
  // default): no metrics. Must outlive the poller.
  metrics::Registry* metrics = nullptr;
};

class Poller {
 public:
  // Everything is borrowed and must outlive the poller. `feeds` is the feed
  // list (possibly `outbox` itself); `outbox` takes the new articles.
  // `on_queued` runs on the fetch thread after articles were queued (to
  // wake the publisher).
  Poller(FeedRegistry& feeds, IngestState& outbox, FeedFetcher& fetcher,
         const Tagger& tagger, Clock& clock, const PollerOptions& options,
         std::function<void()> on_queued);
  // Single instance: the feed list and the outbox in one file.
  Poller(IngestState& state, FeedFetcher& fetcher, const Tagger& tagger,
         Clock& clock, const PollerOptions& options,
         std::function<void()> on_queued)
      : Poller(state, state, fetcher, tagger, clock, options,
               std::move(on_queued)) {}
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;
  // Stops and joins the fetch thread if it was started.
  ~Poller();

  // Starts the fetch loop thread.
  void Start();
  // Makes the loop look for due feeds now (after AddFeed or PollNow).
  void Wake();
  // Fetches and processes every feed due now, once. Returns the number of
  // feeds fetched; an error only when the state file fails.
  absl::StatusOr<int> PollOnce();

  // A WebSub content delivery for `feed_id` (see WebSubDeliveryHandler):
  // parsed, normalized, tagged and queued like a fetched document, new or
  // changed items only. Returns the number of articles queued. NOT_FOUND for
  // a feed no longer in the registry; INVALID_ARGUMENT (naming the feed) for
  // a body that is not a feed; other errors when the state file fails.
  // New items update the feed's posting rate (mean gap, last new item)
  // as polled ones do; its fetch state (validators, schedule: the safety
  // poll) is left alone. May be called from any thread.
  absl::StatusOr<int> IngestPushed(const std::string& feed_id,
                                   const std::string& body,
                                   const std::string& content_type);
  // The WebSub subscription of `feed_id`; nullopt when it has none or
  // WebSub is off.
  std::optional<WebSubState> PushState(const std::string& feed_id) const;
  // Ends `feed_id`'s WebSub subscription, if any, after the feed was removed
  // from the registry; the hub is told on a parse worker, not the caller's
  // thread.
  void FeedRemoved(const std::string& feed_id);

 private:
  struct Metrics;
  class Workers;

  void Run();
  bool StopRequested();
  // Fetch thread: takes a fetch's outcome, handing a document to the parse
  // workers.
  void HandleResult(FeedRecord& feed, absl::StatusOr<FetchResult> result,
                    absl::Time started);
  // Parse worker: ingests a fetched document and finishes the feed's round.
  void HandleDocument(FeedRecord& feed, const FetchResult& result);
  // After a 304 or an ingested document: the next poll as the policy says.
  void RecordSuccess(FeedRecord& feed, FetchEvidence evidence, absl::Time now);
  // Subscribes to (or leaves) the hubs a fetched document names.
  void UpdatePush(const FeedRecord& feed, const ParsedFeed& parsed,
                  const FetchResult& result);
  // Parses, normalizes, tags and queues a document's new items.
  struct Ingested {
    ParsedFeed parsed;
    int queued = 0;
  };
  absl::StatusOr<Ingested> ParseAndQueue(const FeedRecord& feed,
                                         const std::string& body,
                                         const std::string& url,
                                         const std::string& charset,
                                         bool* parse_failed);
  // Queues the new or changed `fresh` articles and marks them seen.
  absl::StatusOr<int> Record(const std::string& feed_id,
                             const std::vector<newsfeed::v1::Article>& fresh);
  // The round's never-fetched feeds due now whose spread first poll
  // (first_poll_spread) is later: rescheduled to it and saved, and removed
  // from `due`.
  void SpreadFirstPolls(std::vector<FeedRecord>& due, absl::Time now);
  // Writes the feed back (releasing its lease), logging failures.
  void Save(const FeedRecord& feed);
  // Returns what the document told the schedule, or its error;
  // `parse_failed` tells a document that did not parse from a state error.
  absl::StatusOr<FetchEvidence> Ingest(FeedRecord& feed,
                                       const FetchResult& result,
                                       bool* parse_failed);
  void RecordFailure(FeedRecord& feed, const std::string& error,
                     absl::Time now);
  absl::Duration Backoff(int failures);
  // Uniform in [-1, 1], for the schedule's jitter.
  double JitterDraw();

  FeedRegistry& feeds_;
  IngestState& outbox_;
  FeedFetcher& fetcher_;
  const Tagger& tagger_;
  Clock& clock_;
  const PollerOptions options_;
  const PollingPolicy policy_;
  std::function<void()> on_queued_;
  absl::Mutex random_mu_;
  std::mt19937_64 random_ ABSL_GUARDED_BY(random_mu_);
  // Hosts that answered 429/503: none of their feeds is fetched before the
  // time given. Fetch thread only.
  absl::flat_hash_map<std::string, absl::Time> host_paused_until_;
  std::unique_ptr<Metrics> metrics_;  // null without options.metrics
  std::unique_ptr<Workers> workers_;

  absl::Mutex mu_;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace newsfeed::ingest

#endif  // INGEST_SERVICE_SCHEDULER_POLLER_H_
