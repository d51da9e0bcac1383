// SubscriptionHub is the live fan-out of the query-service: it keeps every
// open Subscribe stream fed, first from the store (replay and catch-up), then
// with new articles as the store writer commits them.
//
// Every subscription is served by sequence number, so replay, live delivery
// and catch-up after a slow phase are the same operation: "changes after my
// position that match my filter". That is what makes the handover gap-free
// and duplicate-free, and what lets a slow client fall behind without being
// dropped or slowing anyone else: its queue, bounded in messages and in
// bytes (and all queues together in bytes), just stops being refilled until
// it drains. A stream ended by the hub tells the client where to resume: the
// last position whose messages were all handed to the transport, never one
// merely queued. The hub keeps the most recent commits in memory, so a
// subscriber that keeps up (and has no full-text filter) is matched there
// without a store read; everyone else reads the store.
//
// The hub owns one thread (the pump) that does every store read for
// subscriptions, so nothing blocks inside a gRPC reaction.
//
// Thread-safe: every public method may be called from any thread.
//
//   auto hub = SubscriptionHub::Create(store, clock, HubOptions{});
//   auto subscription = (*hub)->Subscribe(request, writer);   // in a reactor
//   (*hub)->OnStored(latest_sequence);                          // by the
//   writer
#ifndef QUERY_SERVICE_HUB_SUBSCRIPTION_HUB_H_
#define QUERY_SERVICE_HUB_SUBSCRIPTION_HUB_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock/clock.h"
#include "common/metrics/metrics.h"
#include "newsfeed/v1/query.pb.h"
#include "query-service/filter/filter.h"
#include "query-service/store/article_store.h"
#include "query-service/writer/store_writer.h"

namespace newsfeed::query {

// The transport end of one subscription (the gRPC reactor). Both methods are
// called with the subscription's lock held and must not block; gRPC's
// StartWrite and Finish qualify.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  // Starts writing `encoded`, a serialized SubscribeResponse. It is shared
  // with other streams and must not be changed; the writer may keep its
  // reference for as long as the transport needs the bytes. Called only
  // when no other write is in flight. `more_follow`: another message is
  // queued behind this one, so the transport may hold this one back and
  // send both together.
  virtual void WriteMessage(std::shared_ptr<const std::string> encoded,
                            bool more_follow) = 0;
  // Ends the stream. Called at most once.
  virtual void FinishStream(const absl::Status& status) = 0;
};

// Largest SubscribeRequest.max_articles_per_response accepted.
inline constexpr uint32_t kMaxArticlesPerResponse = 1000;

struct HubOptions {
  // Open subscriptions beyond which Subscribe fails with RESOURCE_EXHAUSTED.
  size_t max_subscribers = 10000;
  // Open subscriptions of one peer (client address, without its port)
  // beyond which its Subscribe fails with RESOURCE_EXHAUSTED. Default 256.
  size_t max_subscribers_per_peer = 256;
  // Messages buffered per subscriber; a subscriber with a full buffer is
  // refilled from the store once it drains. Default 64.
  size_t queue_capacity = 64;
  // A batch message (max_articles_per_response > 1) ends before it would
  // pass this many bytes, to stay under clients' 4 MiB default. Default
  // 3.5 MiB.
  size_t max_message_bytes = (size_t{7} << 20) / 2;
  // Bytes buffered per subscriber: a refill stops at this bound (it always
  // queues at least one article). With the transport's own buffers, a
  // client that never reads holds under 1 MB. Default 512 KiB.
  size_t queue_capacity_bytes = size_t{512} << 10;
  // Bytes buffered over all subscribers: past it no subscriber is refilled
  // until writes drain. Default 256 MiB.
  size_t total_queue_bytes = size_t{256} << 20;
  // Articles read from the store per refill. Default 64.
  int read_batch = 64;
  // A heartbeat is sent when a stream has been idle this long. Default 15 s.
  absl::Duration heartbeat_interval = absl::Seconds(15);
  // Subscribe from an after_sequence past the latest commit is OUT_OF_RANGE.
  // Right for one store writer whose commits the hub sees as they happen;
  // replicas following a shared database may lag behind a position another
  // replica handed out, so they turn it off. Default on.
  bool refuse_positions_past_latest = true;
  // Recent changes kept in memory for subscribers that keep up. Default 4096.
  size_t recent_capacity = 4096;
  // Limits on a subscription's filter (values per dimension, text length).
  FilterLimits filter_limits;
  // Where to export stats() as gauges (newsfeed_subscribers, ...). nullptr
  // (the default): no metrics. Must outlive the hub.
  metrics::Registry* metrics = nullptr;
};

// A snapshot of the hub, for metrics.
struct HubStats {
  // Subscriptions not yet detached.
  size_t subscribers = 0;
  // The latest sequence committed to the store.
  uint64_t latest_sequence = 0;
  // latest_sequence minus the lowest position of an open subscription: how
  // far the slowest subscriber is behind (0 without subscribers).
  uint64_t max_lag = 0;
  // Messages queued for sending, over all subscriptions.
  size_t buffered_messages = 0;
  // Their bytes (a message shared by several streams counts once each).
  size_t buffered_bytes = 0;
};

class SubscriptionHub;

// One open subscription. Shared by the hub's pump and the stream's reactor.
class Subscription {
 public:
  // The reactor's last write finished. ok == false: the stream is broken.
  void OnWriteDone(bool ok);
  // The client went away or the deadline passed.
  void OnCancel();
  // The reactor is done; the hub never touches its StreamWriter again.
  void Detach();

  // Latest sequence examined for this subscription (for tests and logs).
  uint64_t position() const;
  // Latest sequence up to which every matching article was handed to the
  // transport: where the client resumes without a gap.
  uint64_t sent_position() const;

 private:
  friend class SubscriptionHub;
  // An encoded SubscribeResponse{article} and the article's sequence.
  struct EncodedArticle {
    std::shared_ptr<const std::string> bytes;
    uint64_t sequence;
  };
  // A message waiting to be written; once it is, the client holds every
  // match up to `through`.
  struct Queued {
    std::shared_ptr<const std::string> bytes;
    uint64_t through;
  };

  Subscription(SubscriptionHub& hub, newsfeed::v1::ArticleFilter filter,
               uint64_t position, size_t articles_per_message,
               StreamWriter* writer, std::string peer, absl::Time now);

  void EnqueueLocked(std::shared_ptr<const std::string> encoded,
                     uint64_t through) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Queues `articles`, one per message or in batches of
  // articles_per_message_.
  void EnqueueArticlesLocked(std::vector<EncodedArticle> articles)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Everything up to `examined` was looked at and what matched is queued.
  void AdvanceLocked(uint64_t examined) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes the front message (written or abandoned).
  void PopFrontLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EndLocked(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // After a refill: true when the subscription is still behind `latest` and
  // has room for more; behind with a full queue, it waits for OnWriteDone.
  bool StillLaggingLocked(uint64_t latest) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool ActiveLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return writer_ != nullptr && !finished_;
  }

  SubscriptionHub& hub_;
  const newsfeed::v1::ArticleFilter filter_;
  const CompiledFilter matcher_;
  // 1: one article per message; more: SubscribeResponse.articles batches.
  const size_t articles_per_message_;
  // The client's address without its port, for per-peer limits.
  const std::string peer_;

  mutable absl::Mutex mu_;
  StreamWriter* writer_ ABSL_GUARDED_BY(mu_);
  // Serialized SubscribeResponses; those of recent changes are shared by
  // every subscription they match.
  std::deque<Queued> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  // Behind the latest commit with a full queue: OnWriteDone wakes the pump
  // once the queue has drained to half.
  bool awaiting_room_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t position_ ABSL_GUARDED_BY(mu_);
  uint64_t sent_position_ ABSL_GUARDED_BY(mu_);
  absl::Time last_sent_ ABSL_GUARDED_BY(mu_);
};

class SubscriptionHub final : public ChangeListener {
 public:
  // `store` and `clock` are borrowed and must outlive the hub. Reads the
  // store's latest sequence; fails with the store's error. Starts the pump.
  static absl::StatusOr<std::unique_ptr<SubscriptionHub>> Create(
      ArticleStore& store, Clock& clock, const HubOptions& options);

  SubscriptionHub(const SubscriptionHub&) = delete;
  SubscriptionHub& operator=(const SubscriptionHub&) = delete;
  // Calls Shutdown and joins the pump.
  ~SubscriptionHub() override;

  // Opens a subscription of `peer` (the client's address without its port)
  // writing to `writer` (borrowed until Detach). Sends a first heartbeat at
  // once so the client knows the stream is live. INVALID_ARGUMENT for a bad
  // filter (naming the field), RESOURCE_EXHAUSTED when max_subscribers are
  // open or max_subscribers_per_peer of this peer, UNAVAILABLE after
  // Shutdown.
  absl::StatusOr<std::shared_ptr<Subscription>> Subscribe(
      const newsfeed::v1::SubscribeRequest& request, StreamWriter* writer,
      std::string peer = "");

  // ChangeListener: the store now holds changes up to `latest_sequence`,
  // `changed` among them.
  void OnStored(uint64_t latest_sequence,
                std::vector<newsfeed::v1::Article> changed) override;
  // ChangeListener: subscribers behind `removed_through` can no longer be
  // served from memory; they read the store, which ends their streams with
  // OUT_OF_RANGE and the position to resume from.
  void OnChangesLost(uint64_t removed_through) override;

  // Ends every stream with UNAVAILABLE carrying its resume position (its
  // sent_position) and refuses new subscriptions. Idempotent.
  void Shutdown();

  // Subscriptions not yet detached.
  size_t subscriber_count() const;
  HubStats stats() const;

 private:
  friend class Subscription;
  SubscriptionHub(ArticleStore& store, Clock& clock, const HubOptions& options,
                  uint64_t latest_sequence);

  // A stored change as the fan-out needs it: matched and encoded once, when
  // it is stored, and shared by every subscription it matches.
  struct ChangeForFanOut {
    ArticleMatchKeys keys;
    std::string encoded;  // SubscribeResponse{article}
  };
  struct RecentChange {
    uint64_t sequence;
    std::shared_ptr<const ChangeForFanOut> change;
  };
  // The pump's copy of the recent changes, brought up to date once per
  // round (only what is new is copied), so that matching runs without the
  // hub's lock.
  struct RecentSnapshot {
    // Positions below this are not covered: those subscribers read the store.
    uint64_t floor = 0;
    // Every change after `floor` up to the round's latest, ascending.
    std::deque<RecentChange> changes;
  };

  void Wake();
  void RunPump();
  // Refills one subscription, from `recent` when it covers its position,
  // else from the store; true when it still lags.
  bool Refill(Subscription& subscription, uint64_t latest,
              const RecentSnapshot& recent);

  ArticleStore& store_;
  Clock& clock_;
  const HubOptions options_;

  mutable absl::Mutex mu_;
  std::vector<std::shared_ptr<Subscription>> subscriptions_
      ABSL_GUARDED_BY(mu_);
  uint64_t latest_sequence_ ABSL_GUARDED_BY(mu_);
  // Every change with a sequence above recent_floor_ that the store still
  // holds is in recent_, ascending.
  std::deque<RecentChange> recent_ ABSL_GUARDED_BY(mu_);
  uint64_t recent_floor_ ABSL_GUARDED_BY(mu_);
  bool dirty_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  // Touched by the pump thread only.
  RecentSnapshot pump_recent_;

  // Bytes queued over all subscriptions (total_queue_bytes).
  std::atomic<size_t> buffered_bytes_{0};

  std::vector<metrics::CallbackRegistration> metric_registrations_;
  std::thread pump_;
};

}  // namespace newsfeed::query

#endif  // QUERY_SERVICE_HUB_SUBSCRIPTION_HUB_H_
