// PgFeedRegistry is the FeedRegistry several ingest-service instances share
// in one PostgreSQL database (state.engine: postgres). Feeds, their fetch
// state (validators, backoff, schedule) and the seen items live in
// PostgreSQL, so every instance reads the same state.
//
// Leases. DueFeeds claims due feeds in one statement
// (UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING ...),
// recording this instance's id and an expiry (now + lease_duration) on each
// row; a feed whose lease has not expired is never handed to another
// instance. SaveFeed writes back only while this instance is still the lease
// owner, and clears the lease. An instance that dies (kill -9) keeps its
// leases until they expire; then any other instance claims those feeds. An
// instance that outlives its lease (a fetch longer than lease_duration) may
// lose the feed to another instance; its SaveFeed then fails with
// FAILED_PRECONDITION and writes nothing. lease_duration must therefore
// exceed the longest fetch (fetcher.total_timeout).
//
// Time. Leases and schedules use the `now` the caller passes (its Clock),
// never the database's now(), so tests drive them with a FakeClock; the
// instances' clocks must agree to well within lease_duration.
//
// Delivery is at least once. The outbox stays in each instance's own SQLite
// file (IngestState), which PostgreSQL cannot join in one transaction, so the
// poller queues new articles in the local outbox first and marks them seen
// here afterwards (MarkSeen). A crash in between, or two instances racing on
// one feed after a lease expired, delivers an article twice; query-service
// stores articles idempotently by id, so it is stored once. The opposite
// order could mark an article seen that no outbox holds, and lose it.
//
// Schema: tables ingest_feeds, ingest_seen and ingest_schema_version, created
// and migrated by Open under a PostgreSQL advisory lock, so instances
// starting together do not race. FAILED_PRECONDITION when the database's
// schema is newer than this binary.
//
// Thread-safe: one connection behind a mutex. A broken connection is
// reopened by the next call.
//
//   auto feeds = PgFeedRegistry::Open({.postgres_url = "host=db dbname=nf",
//                                      .instance_id = "ingest-1"});
//   auto due = (*feeds)->DueFeeds(clock.Now(), 100);
#ifndef INGEST_SERVICE_FEEDS_PG_FEED_REGISTRY_H_
#define INGEST_SERVICE_FEEDS_PG_FEED_REGISTRY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ingest-service/feeds/feed_registry.h"

namespace newsfeed::ingest {

struct PgFeedRegistryOptions {
  // libpq connection string, key=value ("host=db dbname=newsfeed") or URI
  // ("postgresql://user@db/newsfeed"). Required.
  std::string postgres_url;
  // This instance's name in the leases it holds; must differ between
  // instances that run at the same time (hostname:pid does). Required.
  std::string instance_id;
  // How long a feed claimed by DueFeeds stays leased to this instance if
  // SaveFeed does not release it first. Must be positive. Default 2 minutes.
  absl::Duration lease_duration = absl::Minutes(2);
  // How long Open waits for an unreachable server (it may be starting next
  // to the service), retrying with growing pauses. Zero: one attempt.
  absl::Duration connect_timeout = absl::ZeroDuration();
};

class PgFeedRegistry final : public FeedRegistry {
 public:
  // Connects, then creates or migrates the schema. INVALID_ARGUMENT for
  // missing or bad options; UNAVAILABLE when the server cannot be reached
  // within connect_timeout;
  // FAILED_PRECONDITION for a schema newer than this binary; INTERNAL for
  // other database errors.
  static absl::StatusOr<std::unique_ptr<PgFeedRegistry>> Open(
      const PgFeedRegistryOptions& options);

  PgFeedRegistry(const PgFeedRegistry&) = delete;
  PgFeedRegistry& operator=(const PgFeedRegistry&) = delete;
  ~PgFeedRegistry() override;

  // FeedRegistry; see feed_registry.h. In addition every method returns
  // UNAVAILABLE when the database cannot be reached (the next call
  // reconnects) and INTERNAL for other database errors.
  absl::StatusOr<FeedRecord> AddFeed(const std::string& url,
                                     absl::Time now) override;
  absl::StatusOr<std::vector<FeedRecord>> AddFeeds(
      const std::vector<NewFeed>& feeds, absl::Time now) override;
  absl::Status EnsureFeed(const std::string& url, absl::Time now) override;
  absl::Status RemoveFeed(const std::string& id_or_url) override;
  absl::StatusOr<FeedRecord> GetFeed(const std::string& id_or_url) override;
  absl::StatusOr<std::vector<FeedRecord>> ListFeedsAfter(
      const std::string& after_url, int limit) override;
  absl::StatusOr<int64_t> CountFeeds() override;
  absl::StatusOr<std::vector<FeedRecord>> DueFeeds(absl::Time now,
                                                   int limit) override;
  absl::Status SaveFeed(const FeedRecord& feed) override;
  absl::Status SavePostingRate(const FeedRecord& feed) override;
  absl::Status ReleaseFeed(const std::string& id) override;
  absl::StatusOr<int> PollSoon(const std::string& id_or_url,
                               absl::Time now) override;
  absl::StatusOr<absl::Time> NextDue() override;
  absl::StatusOr<std::vector<bool>> Unseen(
      const std::vector<newsfeed::v1::Article>& articles) override;
  absl::StatusOr<int> MarkSeen(
      const std::string& feed_id,
      const std::vector<newsfeed::v1::Article>& articles) override;

  // The instance that holds a lease on the feed and until when; an empty
  // owner when nobody does. NOT_FOUND for an unknown feed. For tests and
  // operators.
  struct Lease {
    std::string owner;
    absl::Time until = absl::InfinitePast();
  };
  absl::StatusOr<Lease> GetLease(const std::string& id_or_url);

 private:
  struct Impl;
  explicit PgFeedRegistry(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace newsfeed::ingest

#endif  // INGEST_SERVICE_FEEDS_PG_FEED_REGISTRY_H_
