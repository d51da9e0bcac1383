// Poller is the ingest-service's fetch loop: it claims the feeds that are due
// from the FeedRegistry, fetches them all at once through the FeedFetcher,
// and turns each response into new articles (parse, normalize, tag) queued
// in the durable outbox. It also decides when each feed is polled next: the
// feed's own interval, its ttl or Cache-Control, Retry-After (which pauses
// the whole host), and exponential backoff with jitter after errors (never
// giving up; only 410 Gone disables a feed).
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
#include "ingest-service/state/ingest_state.h"
#include "ingest-service/tagger/tagger.h"

namespace newsfeed::ingest {

struct PollerOptions {
  // Interval between polls of a feed that states none. Default 15 minutes.
  absl::Duration default_interval = absl::Minutes(15);
  // Bounds on any interval (feed ttl, Cache-Control, configuration).
  absl::Duration min_interval = absl::Minutes(1);
  absl::Duration max_interval = absl::Hours(24);
  // First retry delay after an error, doubled per consecutive failure (with
  // +-20% jitter) up to max_backoff.
  absl::Duration min_backoff = absl::Minutes(1);
  absl::Duration max_backoff = absl::Hours(6);
  // Delay after 429/503 without a Retry-After header.
  absl::Duration default_retry_after = absl::Minutes(5);
  // Validators are dropped for one fetch this often, in case a server's
  // ETag or Last-Modified never changes. Default 24 hours.
  absl::Duration unconditional_every = absl::Hours(24);
  // Feeds fetched in one round. Default 1000.
  int max_feeds_per_round = 1000;
  // Limits for parsing each document.
  ParseOptions parse;
  // Each article is cut to these before it is queued (query-service
  // refuses larger ones).
  ArticleLimits article_limits;
  // Threads that parse, normalize and tag fetched documents. Default 2.
  int parse_threads = 2;
  // CPU time (of the worker thread, not wall time) a document may take to
  // be parsed, normalized and tagged, per MiB of it (a smaller document gets
  // one MiB's worth); past it the document is refused as a parse error of
  // its feed. Ordinary feeds take about 1% of it. Default 1 s per MiB.
  absl::Duration document_cpu_budget = absl::Seconds(1);
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
  // After a 304 or an ingested document: the next poll at the interval.
  void RecordSuccess(FeedRecord& feed, const FetchResult& result,
                     absl::Time now);
  // Queues the new or changed `fresh` articles and marks them seen.
  absl::StatusOr<int> Record(const std::string& feed_id,
                             const std::vector<newsfeed::v1::Article>& fresh);
  // Writes the feed back (releasing its lease), logging failures.
  void Save(const FeedRecord& feed);
  // Returns the number of articles queued, or the error of the document;
  // `parse_failed` tells a document that did not parse from a state error.
  absl::StatusOr<int> Ingest(FeedRecord& feed, const FetchResult& result,
                             bool* parse_failed);
  void RecordFailure(FeedRecord& feed, const std::string& error,
                     absl::Time now);
  absl::Duration Backoff(int failures);
  absl::Duration Clamp(absl::Duration d) const;

  FeedRegistry& feeds_;
  IngestState& outbox_;
  FeedFetcher& fetcher_;
  const Tagger& tagger_;
  Clock& clock_;
  const PollerOptions options_;
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
