#include "query-service/hub/subscription_hub.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"

namespace newsfeed::query {
namespace {

using newsfeed::v1::ArticleFilter;
using newsfeed::v1::SubscribeRequest;
using newsfeed::v1::SubscribeResponse;

google::protobuf::Timestamp ToProto(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
      absl::ToUnixNanos(t));
}

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixNanos(
      google::protobuf::util::TimeUtil::TimestampToNanoseconds(t));
}

SubscribeResponse Heartbeat(uint64_t position, absl::Time now) {
  SubscribeResponse message;
  message.mutable_heartbeat()->set_latest_sequence(position);
  *message.mutable_heartbeat()->mutable_server_time() = ToProto(now);
  return message;
}

}  // namespace

// --- Subscription ---------------------------------------------------------

Subscription::Subscription(SubscriptionHub& hub, ArticleFilter filter,
                           uint64_t position, StreamWriter* writer,
                           absl::Time now)
    : hub_(hub),
      filter_(std::move(filter)),
      writer_(writer),
      position_(position),
      last_sent_(now) {}

uint64_t Subscription::position() const {
  absl::MutexLock lock(&mu_);
  return position_;
}

void Subscription::EnqueueLocked(SubscribeResponse message) {
  if (!ActiveLocked()) return;
  queue_.push_back(std::move(message));
  if (!write_in_flight_) {
    write_in_flight_ = true;
    writer_->WriteMessage(&queue_.front());
  }
}

void Subscription::EndLocked(const absl::Status& status) {
  if (writer_ == nullptr || finished_) return;
  finished_ = true;
  writer_->FinishStream(status);
}

void Subscription::OnWriteDone(bool ok) {
  bool wake = false;
  {
    absl::MutexLock lock(&mu_);
    write_in_flight_ = false;
    if (!queue_.empty()) queue_.pop_front();
    if (!ok) {
      EndLocked(absl::CancelledError("subscriber stream broken"));
      return;
    }
    if (!ActiveLocked()) return;
    if (!queue_.empty()) {
      write_in_flight_ = true;
      writer_->WriteMessage(&queue_.front());
    }
    // Room again: let the pump refill if this subscriber lags.
    wake = queue_.size() < hub_.options_.queue_capacity / 2 + 1;
  }
  if (wake) hub_.Wake();
}

void Subscription::OnCancel() {
  absl::MutexLock lock(&mu_);
  EndLocked(absl::CancelledError("subscriber went away"));
}

void Subscription::Detach() {
  {
    absl::MutexLock lock(&mu_);
    writer_ = nullptr;
    queue_.clear();
  }
  hub_.Wake();  // so the pump drops it from its list
}

// --- SubscriptionHub ------------------------------------------------------

absl::StatusOr<std::unique_ptr<SubscriptionHub>> SubscriptionHub::Create(
    ArticleStore& store, Clock& clock, const HubOptions& options) {
  absl::StatusOr<uint64_t> latest = store.LatestSequence();
  if (!latest.ok()) return latest.status();
  auto hub = std::unique_ptr<SubscriptionHub>(
      new SubscriptionHub(store, clock, options, *latest));
  if (metrics::Registry* registry = options.metrics; registry != nullptr) {
    SubscriptionHub* h = hub.get();
    hub->metric_registrations_.push_back(registry->AddCallbackGauge(
        "newsfeed_subscribers", "Open Subscribe streams.",
        [h] { return static_cast<double>(h->stats().subscribers); }));
    hub->metric_registrations_.push_back(registry->AddCallbackGauge(
        "newsfeed_latest_sequence",
        "The latest sequence number committed to the store.",
        [h] { return static_cast<double>(h->stats().latest_sequence); }));
    hub->metric_registrations_.push_back(registry->AddCallbackGauge(
        "newsfeed_subscription_lag_max",
        "Sequence numbers the slowest open subscription is behind the "
        "latest commit.",
        [h] { return static_cast<double>(h->stats().max_lag); }));
    hub->metric_registrations_.push_back(registry->AddCallbackGauge(
        "newsfeed_subscription_buffered_messages",
        "Messages queued for sending over all Subscribe streams.",
        [h] { return static_cast<double>(h->stats().buffered_messages); }));
  }
  return hub;
}

SubscriptionHub::SubscriptionHub(ArticleStore& store, Clock& clock,
                                 const HubOptions& options,
                                 uint64_t latest_sequence)
    : store_(store),
      clock_(clock),
      options_(options),
      latest_sequence_(latest_sequence),
      recent_floor_(latest_sequence) {
  pump_ = std::thread([this] { RunPump(); });
}

SubscriptionHub::~SubscriptionHub() {
  metric_registrations_.clear();
  Shutdown();
  pump_.join();
}

absl::StatusOr<std::shared_ptr<Subscription>> SubscriptionHub::Subscribe(
    const SubscribeRequest& request, StreamWriter* writer) {
  if (absl::Status s = ValidateFilter(request.filter(), options_.filter_limits);
      !s.ok()) {
    return s;
  }
  ArticleFilter filter = request.filter();
  absl::MutexLock lock(&mu_);
  if (stopping_) {
    return absl::UnavailableError("query-service is shutting down");
  }
  size_t open = 0;
  for (const auto& s : subscriptions_) {
    absl::MutexLock sub_lock(&s->mu_);
    if (s->writer_ != nullptr) ++open;
  }
  if (open >= options_.max_subscribers) {
    return absl::ResourceExhaustedError(
        absl::StrCat("too many subscribers (", open, " open, limit ",
                     options_.max_subscribers, "); retry later"));
  }
  uint64_t position = latest_sequence_;
  switch (request.start_case()) {
    case SubscribeRequest::kAfterSequence:
      position = request.after_sequence();
      break;
    case SubscribeRequest::kSinceTime: {
      // Replay from the beginning of what is stored, restricted to articles
      // published since the requested time.
      position = 0;
      const absl::Time since = FromProto(request.since_time());
      if (!filter.has_published_after() ||
          FromProto(filter.published_after()) < since) {
        *filter.mutable_published_after() = request.since_time();
      }
      break;
    }
    case SubscribeRequest::START_NOT_SET:
      break;
  }
  const absl::Time now = clock_.Now();
  auto subscription = std::shared_ptr<Subscription>(
      new Subscription(*this, std::move(filter), position, writer, now));
  {
    absl::MutexLock sub_lock(&subscription->mu_);
    subscription->EnqueueLocked(Heartbeat(position, now));
  }
  subscriptions_.push_back(subscription);
  if (position < latest_sequence_) dirty_ = true;
  return subscription;
}

void SubscriptionHub::OnStored(uint64_t latest_sequence,
                               std::vector<newsfeed::v1::Article> changed) {
  // An article stored twice in one commit keeps only its last sequence in
  // the store; keep only that one here too.
  absl::flat_hash_map<std::string, size_t> last_index;
  for (size_t i = 0; i < changed.size(); ++i) last_index[changed[i].id()] = i;
  absl::MutexLock lock(&mu_);
  for (size_t i = 0; i < changed.size(); ++i) {
    if (last_index[changed[i].id()] != i) continue;
    const uint64_t sequence = changed[i].sequence();
    if (sequence <= recent_floor_ ||
        (!recent_.empty() && sequence <= recent_.back().sequence)) {
      continue;
    }
    recent_.push_back(RecentChange{
        sequence,
        std::make_shared<const newsfeed::v1::Article>(std::move(changed[i]))});
  }
  while (recent_.size() > options_.recent_capacity) {
    recent_floor_ = recent_.front().sequence;
    recent_.pop_front();
  }
  latest_sequence_ = std::max(latest_sequence_, latest_sequence);
  dirty_ = true;
}

void SubscriptionHub::OnChangesLost(uint64_t removed_through) {
  absl::MutexLock lock(&mu_);
  if (removed_through <= recent_floor_) return;
  while (!recent_.empty() && recent_.front().sequence <= removed_through) {
    recent_.pop_front();
  }
  recent_floor_ = removed_through;
  latest_sequence_ = std::max(latest_sequence_, removed_through);
  dirty_ = true;
}

std::optional<std::vector<SubscriptionHub::RecentChange>>
SubscriptionHub::RecentAfter(uint64_t position) {
  absl::MutexLock lock(&mu_);
  if (position < recent_floor_) return std::nullopt;
  auto first = std::upper_bound(
      recent_.begin(), recent_.end(), position,
      [](uint64_t p, const RecentChange& c) { return p < c.sequence; });
  return std::vector<RecentChange>(first, recent_.end());
}

void SubscriptionHub::Wake() {
  absl::MutexLock lock(&mu_);
  dirty_ = true;
}

void SubscriptionHub::Shutdown() {
  absl::MutexLock lock(&mu_);
  if (stopping_) return;
  stopping_ = true;
  for (const auto& s : subscriptions_) {
    absl::MutexLock sub_lock(&s->mu_);
    s->EndLocked(absl::UnavailableError(
        absl::StrCat("query-service shutting down; resume with after_sequence=",
                     s->position_)));
  }
}

size_t SubscriptionHub::subscriber_count() const {
  absl::MutexLock lock(&mu_);
  size_t open = 0;
  for (const auto& s : subscriptions_) {
    absl::MutexLock sub_lock(&s->mu_);
    if (s->writer_ != nullptr) ++open;
  }
  return open;
}

HubStats SubscriptionHub::stats() const {
  HubStats stats;
  absl::MutexLock lock(&mu_);
  stats.latest_sequence = latest_sequence_;
  uint64_t lowest = latest_sequence_;
  for (const auto& s : subscriptions_) {
    absl::MutexLock sub_lock(&s->mu_);
    if (s->writer_ == nullptr) continue;
    ++stats.subscribers;
    lowest = std::min(lowest, s->position_);
    stats.buffered_messages += s->queue_.size();
  }
  stats.max_lag = latest_sequence_ - lowest;
  return stats;
}

bool SubscriptionHub::Refill(Subscription& subscription, uint64_t latest) {
  uint64_t position;
  size_t room;
  {
    absl::MutexLock lock(&subscription.mu_);
    if (!subscription.ActiveLocked()) return false;
    position = subscription.position_;
    if (position >= latest) return false;
    if (subscription.queue_.size() >= options_.queue_capacity) {
      return false;  // OnWriteDone wakes the pump when there is room again
    }
    room = options_.queue_capacity - subscription.queue_.size();
  }
  const size_t limit = std::min<size_t>(room, options_.read_batch);

  // Fast path: the subscriber keeps up, so its next changes are in memory.
  // Full-text filters need the store's index.
  if (subscription.filter_.text().empty()) {
    if (std::optional<std::vector<RecentChange>> recent =
            RecentAfter(position)) {
      std::vector<SubscribeResponse> matches;
      uint64_t examined = position;
      for (const RecentChange& change : *recent) {
        if (matches.size() == limit) break;
        examined = change.sequence;
        if (MatchesExceptText(subscription.filter_, *change.article)) {
          SubscribeResponse message;
          *message.mutable_article() = *change.article;
          matches.push_back(std::move(message));
        }
      }
      if (recent->empty() || examined == recent->back().sequence) {
        // Everything up to `latest` as this pump round saw it was examined.
        examined = std::max(examined, latest);
      }
      absl::MutexLock lock(&subscription.mu_);
      for (SubscribeResponse& message : matches) {
        subscription.EnqueueLocked(std::move(message));
      }
      if (!matches.empty()) subscription.last_sent_ = clock_.Now();
      subscription.position_ = std::max(subscription.position_, examined);
      return subscription.position_ < latest &&
             subscription.queue_.size() < options_.queue_capacity;
    }
  }

  // The store read runs with no lock held: writes to this stream go on.
  absl::StatusOr<ChangeBatch> batch = store_.ReadChanges(
      position, subscription.filter_, static_cast<int>(limit));
  absl::MutexLock lock(&subscription.mu_);
  if (!batch.ok()) {
    subscription.EndLocked(batch.status());
    return false;
  }
  for (newsfeed::v1::Article& article : batch->articles) {
    SubscribeResponse message;
    *message.mutable_article() = std::move(article);
    subscription.EnqueueLocked(std::move(message));
  }
  if (!batch->articles.empty()) subscription.last_sent_ = clock_.Now();
  subscription.position_ = std::max(position, batch->scanned_through);
  return subscription.position_ < latest &&
         subscription.queue_.size() < options_.queue_capacity;
}

void SubscriptionHub::RunPump() {
  for (;;) {
    std::vector<std::shared_ptr<Subscription>> subscriptions;
    uint64_t latest;
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(
          absl::Condition(
              +[](SubscriptionHub* h) ABSL_EXCLUSIVE_LOCKS_REQUIRED(h->mu_) {
                return h->dirty_ || h->stopping_;
              },
              this),
          std::min(options_.heartbeat_interval, absl::Seconds(1)));
      if (stopping_) return;
      dirty_ = false;
      // Drop detached subscriptions; the reactor is gone.
      subscriptions_.erase(
          std::remove_if(subscriptions_.begin(), subscriptions_.end(),
                         [](const std::shared_ptr<Subscription>& s) {
                           absl::MutexLock sub_lock(&s->mu_);
                           return s->writer_ == nullptr;
                         }),
          subscriptions_.end());
      subscriptions = subscriptions_;
      latest = latest_sequence_;
    }
    bool lagging = false;
    for (const auto& subscription : subscriptions) {
      lagging |= Refill(*subscription, latest);
      const absl::Time now = clock_.Now();
      absl::MutexLock lock(&subscription->mu_);
      if (subscription->queue_.empty() &&
          now - subscription->last_sent_ >= options_.heartbeat_interval) {
        subscription->last_sent_ = now;
        subscription->EnqueueLocked(Heartbeat(subscription->position_, now));
      }
    }
    if (lagging) Wake();
  }
}

}  // namespace newsfeed::query
