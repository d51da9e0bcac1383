#include "query-service/hub/subscription_hub.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/util/time_util.h"
#include "google/protobuf/wire_format_lite.h"

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

std::shared_ptr<const std::string> Heartbeat(uint64_t position,
                                             absl::Time now) {
  SubscribeResponse message;
  message.mutable_heartbeat()->set_latest_sequence(position);
  *message.mutable_heartbeat()->mutable_server_time() = ToProto(now);
  return std::make_shared<const std::string>(message.SerializeAsString());
}

// The first change in `changes` (ascending by sequence) after `position`.
template <typename Changes>
auto FirstAfter(const Changes& changes, uint64_t position) {
  return std::upper_bound(
      changes.begin(), changes.end(), position,
      [](uint64_t p, const auto& change) { return p < change.sequence; });
}

// SubscribeResponse{articles: ArticleBatch{articles: [...]}} from encoded
// SubscribeResponse{article} messages, without decoding them: both put an
// Article in field 1, so each is already an encoded ArticleBatch element.
std::string EncodeBatch(const std::vector<std::string_view>& articles) {
  size_t length = 0;
  for (std::string_view a : articles) length += a.size();
  using google::protobuf::internal::WireFormatLite;
  using google::protobuf::io::CodedOutputStream;
  const uint32_t tag =
      WireFormatLite::MakeTag(SubscribeResponse::kArticlesFieldNumber,
                              WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
  uint8_t header[16];  // a varint tag (1 byte here) and a varint length (<= 10)
  uint8_t* end = CodedOutputStream::WriteVarint32ToArray(tag, header);
  end = CodedOutputStream::WriteVarint64ToArray(length, end);
  std::string out;
  out.reserve(static_cast<size_t>(end - header) + length);
  out.append(reinterpret_cast<const char*>(header), end - header);
  for (std::string_view a : articles) out.append(a);
  return out;
}

std::string EncodeArticle(newsfeed::v1::Article article) {
  SubscribeResponse message;
  *message.mutable_article() = std::move(article);
  return message.SerializeAsString();
}

}  // namespace

// --- Subscription ---------------------------------------------------------

Subscription::Subscription(SubscriptionHub& hub, ArticleFilter filter,
                           uint64_t position, size_t articles_per_message,
                           StreamWriter* writer, std::string peer,
                           absl::Time now)
    : hub_(hub),
      filter_(std::move(filter)),
      matcher_(filter_),
      articles_per_message_(articles_per_message),
      peer_(std::move(peer)),
      writer_(writer),
      position_(position),
      sent_position_(position),
      last_sent_(now) {}

uint64_t Subscription::position() const {
  absl::MutexLock lock(&mu_);
  return position_;
}

uint64_t Subscription::sent_position() const {
  absl::MutexLock lock(&mu_);
  return sent_position_;
}

void Subscription::EnqueueLocked(std::shared_ptr<const std::string> encoded,
                                 uint64_t through) {
  if (!ActiveLocked()) return;
  queued_bytes_ += encoded->size();
  hub_.buffered_bytes_ += encoded->size();
  queue_.push_back(Queued{std::move(encoded), through});
  if (!write_in_flight_) {
    write_in_flight_ = true;
    writer_->WriteMessage(queue_.front().bytes, queue_.size() > 1);
  }
}

void Subscription::EnqueueArticlesLocked(std::vector<EncodedArticle> articles) {
  if (articles_per_message_ <= 1) {
    for (EncodedArticle& article : articles) {
      EnqueueLocked(std::move(article.bytes), article.sequence);
    }
    return;
  }
  // A batch ends at articles_per_message_ articles, or before it would pass
  // max_message_bytes (a client's default limit is 4 MiB).
  size_t begin = 0;
  while (begin < articles.size()) {
    size_t end = begin;
    size_t bytes = 0;
    std::vector<std::string_view> parts;
    while (end < articles.size() && end - begin < articles_per_message_ &&
           (end == begin || bytes + articles[end].bytes->size() <=
                                hub_.options_.max_message_bytes)) {
      bytes += articles[end].bytes->size();
      parts.push_back(*articles[end].bytes);
      ++end;
    }
    EnqueueLocked(std::make_shared<const std::string>(EncodeBatch(parts)),
                  articles[end - 1].sequence);
    begin = end;
  }
}

void Subscription::AdvanceLocked(uint64_t examined) {
  position_ = std::max(position_, examined);
  // What did not match needs no delivery: once the messages queued before
  // it are written, the client holds everything up to here.
  if (queue_.empty()) {
    sent_position_ = std::max(sent_position_, position_);
  } else {
    queue_.back().through = std::max(queue_.back().through, position_);
  }
}

void Subscription::PopFrontLocked() {
  const size_t size = queue_.front().bytes->size();
  queued_bytes_ -= size;
  hub_.buffered_bytes_ -= size;
  queue_.pop_front();
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
    if (!queue_.empty()) {
      if (ok) sent_position_ = std::max(sent_position_, queue_.front().through);
      PopFrontLocked();
    }
    if (!ok) {
      EndLocked(absl::CancelledError("subscriber stream broken"));
      return;
    }
    if (!ActiveLocked()) return;
    if (!queue_.empty()) {
      write_in_flight_ = true;
      writer_->WriteMessage(queue_.front().bytes, queue_.size() > 1);
    }
    // Room again for a subscriber the pump left lagging behind a full
    // queue. Those that keep up are refilled as commits arrive; waking the
    // pump for every write of theirs would keep it spinning.
    if (awaiting_room_ &&
        queue_.size() < hub_.options_.queue_capacity / 2 + 1 &&
        queued_bytes_ <= hub_.options_.queue_capacity_bytes / 2) {
      awaiting_room_ = false;
      wake = true;
    }
  }
  if (wake) hub_.Wake();
}

bool Subscription::StillLaggingLocked(uint64_t latest) {
  if (position_ >= latest) return false;
  if (queue_.size() < hub_.options_.queue_capacity &&
      queued_bytes_ < hub_.options_.queue_capacity_bytes) {
    return true;
  }
  awaiting_room_ = true;
  return false;
}

void Subscription::OnCancel() {
  absl::MutexLock lock(&mu_);
  EndLocked(absl::CancelledError("subscriber went away"));
}

void Subscription::Detach() {
  {
    absl::MutexLock lock(&mu_);
    writer_ = nullptr;
    while (!queue_.empty()) PopFrontLocked();
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
    hub->metric_registrations_.push_back(registry->AddCallbackGauge(
        "newsfeed_subscription_buffered_bytes",
        "Bytes of messages queued for sending over all Subscribe streams.",
        [h] { return static_cast<double>(h->stats().buffered_bytes); }));
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
    const SubscribeRequest& request, StreamWriter* writer, std::string peer) {
  if (absl::Status s = ValidateFilter(request.filter(), options_.filter_limits);
      !s.ok()) {
    return s;
  }
  if (request.max_articles_per_response() > kMaxArticlesPerResponse) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_articles_per_response: ", request.max_articles_per_response(),
        ", at most ", kMaxArticlesPerResponse, " allowed"));
  }
  ArticleFilter filter = request.filter();
  absl::MutexLock lock(&mu_);
  if (stopping_) {
    return absl::UnavailableError("query-service is shutting down");
  }
  size_t open = 0, open_by_peer = 0;
  for (const auto& s : subscriptions_) {
    absl::MutexLock sub_lock(&s->mu_);
    if (s->writer_ == nullptr) continue;
    ++open;
    if (s->peer_ == peer) ++open_by_peer;
  }
  if (open >= options_.max_subscribers) {
    return absl::ResourceExhaustedError(
        absl::StrCat("too many subscribers (", open, " open, limit ",
                     options_.max_subscribers, "); retry later"));
  }
  if (!peer.empty() && open_by_peer >= options_.max_subscribers_per_peer) {
    return absl::ResourceExhaustedError(
        absl::StrCat("too many subscriptions from ", peer, " (", open_by_peer,
                     " open, limit ", options_.max_subscribers_per_peer,
                     " per client address); close one or retry later"));
  }
  uint64_t position = latest_sequence_;
  switch (request.start_case()) {
    case SubscribeRequest::kAfterSequence:
      position = request.after_sequence();
      // Positions only ever come from this store, so one past its end is
      // from another store or one that was reset: following from there
      // would skip everything up to it without a word.
      if (options_.refuse_positions_past_latest &&
          position > latest_sequence_) {
        return absl::OutOfRangeError(absl::StrCat(
            "after_sequence ", position, " is past the latest stored sequence ",
            latest_sequence_,
            " (a position saved from another store, or before the store was "
            "reset?); resume with after_sequence=",
            latest_sequence_, " or lower"));
      }
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
      new Subscription(*this, std::move(filter), position,
                       std::max<size_t>(1, request.max_articles_per_response()),
                       writer, std::move(peer), now));
  {
    absl::MutexLock sub_lock(&subscription->mu_);
    subscription->EnqueueLocked(Heartbeat(position, now), position);
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
  // Match keys and messages are built here, outside the hub's lock, once per
  // change rather than once per subscriber.
  std::vector<RecentChange> fresh;
  fresh.reserve(changed.size());
  for (size_t i = 0; i < changed.size(); ++i) {
    if (last_index[changed[i].id()] != i) continue;
    const uint64_t sequence = changed[i].sequence();
    auto change = std::make_shared<ChangeForFanOut>();
    change->keys = ArticleMatchKeys::Of(changed[i]);
    change->encoded = EncodeArticle(std::move(changed[i]));
    fresh.push_back(RecentChange{sequence, std::move(change)});
  }
  absl::MutexLock lock(&mu_);
  for (RecentChange& change : fresh) {
    if (change.sequence <= recent_floor_ ||
        (!recent_.empty() && change.sequence <= recent_.back().sequence)) {
      continue;
    }
    recent_.push_back(std::move(change));
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
                     s->sent_position_)));
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
    stats.buffered_bytes += s->queued_bytes_;
  }
  stats.max_lag = latest_sequence_ - lowest;
  return stats;
}

bool SubscriptionHub::Refill(Subscription& subscription, uint64_t latest,
                             const RecentSnapshot& recent) {
  uint64_t position;
  size_t room, byte_room;
  {
    absl::MutexLock lock(&subscription.mu_);
    if (!subscription.ActiveLocked()) return false;
    position = subscription.position_;
    if (position >= latest) return false;
    if (subscription.queue_.size() >= options_.queue_capacity ||
        subscription.queued_bytes_ >= options_.queue_capacity_bytes) {
      // OnWriteDone wakes the pump when there is room again.
      subscription.awaiting_room_ = true;
      return false;
    }
    // Over the total, nobody is refilled; the next pump round (at most a
    // second away) looks again.
    const size_t total = buffered_bytes_.load();
    if (total >= options_.total_queue_bytes) return false;
    room = options_.queue_capacity - subscription.queue_.size();
    byte_room =
        std::min(options_.queue_capacity_bytes - subscription.queued_bytes_,
                 options_.total_queue_bytes - total);
  }
  // Articles to queue in this refill: room's worth of messages, and no more
  // than one store read (or one full batch) at a time.
  const size_t per_message = subscription.articles_per_message_;
  const size_t limit = std::min(
      room * per_message, std::max<size_t>(options_.read_batch, per_message));

  // Fast path: the subscriber keeps up, so its next changes are in memory.
  // Full-text filters need the store's index.
  if (subscription.filter_.text().empty() && position >= recent.floor) {
    std::vector<Subscription::EncodedArticle> matches;
    size_t bytes = 0;
    uint64_t examined = position;
    auto it = FirstAfter(recent.changes, position);
    for (; it != recent.changes.end() && matches.size() < limit &&
           bytes < byte_room;
         ++it) {
      examined = it->sequence;
      if (subscription.matcher_.Matches(it->change->keys)) {
        // Shares the change's ownership; points at its encoding.
        matches.push_back({std::shared_ptr<const std::string>(
                               it->change, &it->change->encoded),
                           it->sequence});
        bytes += it->change->encoded.size();
      }
    }
    if (it == recent.changes.end()) {
      // Everything up to `latest` as this pump round saw it was examined.
      examined = std::max(examined, latest);
    }
    absl::MutexLock lock(&subscription.mu_);
    const bool sent = !matches.empty();
    subscription.EnqueueArticlesLocked(std::move(matches));
    if (sent) subscription.last_sent_ = clock_.Now();
    subscription.AdvanceLocked(examined);
    return subscription.StillLaggingLocked(latest);
  }

  // The store read runs with no lock held: writes to this stream go on.
  absl::StatusOr<ChangeBatch> batch = store_.ReadChanges(
      position, subscription.filter_, static_cast<int>(limit));
  absl::MutexLock lock(&subscription.mu_);
  if (!batch.ok()) {
    subscription.EndLocked(batch.status());
    return false;
  }
  std::vector<Subscription::EncodedArticle> articles;
  articles.reserve(batch->articles.size());
  uint64_t examined = std::max(position, batch->scanned_through);
  size_t bytes = 0;
  for (newsfeed::v1::Article& article : batch->articles) {
    if (bytes >= byte_room) {
      // The rest is read again once the queue drains.
      examined = articles.back().sequence;
      break;
    }
    const uint64_t sequence = article.sequence();
    articles.push_back(
        {std::make_shared<const std::string>(EncodeArticle(std::move(article))),
         sequence});
    bytes += articles.back().bytes->size();
  }
  const bool sent = !articles.empty();
  subscription.EnqueueArticlesLocked(std::move(articles));
  if (sent) subscription.last_sent_ = clock_.Now();
  subscription.AdvanceLocked(examined);
  return subscription.StillLaggingLocked(latest);
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
      uint64_t lowest = latest_sequence_;
      subscriptions_.erase(
          std::remove_if(subscriptions_.begin(), subscriptions_.end(),
                         [&lowest](const std::shared_ptr<Subscription>& s) {
                           absl::MutexLock sub_lock(&s->mu_);
                           if (s->writer_ == nullptr) return true;
                           lowest = std::min(lowest, s->position_);
                           return false;
                         }),
          subscriptions_.end());
      subscriptions = subscriptions_;
      latest = latest_sequence_;
      // Bring the pump's copy up to date. Positions only grow, so what is at
      // or below the lowest one will not be read from memory again.
      RecentSnapshot& recent = pump_recent_;
      recent.floor = std::max({recent.floor, recent_floor_, lowest});
      while (!recent.changes.empty() &&
             recent.changes.front().sequence <= recent.floor) {
        recent.changes.pop_front();
      }
      const uint64_t copied_through = recent.changes.empty()
                                          ? recent.floor
                                          : recent.changes.back().sequence;
      for (auto it = FirstAfter(recent_, copied_through); it != recent_.end();
           ++it) {
        recent.changes.push_back(*it);
      }
    }
    bool lagging = false;
    for (const auto& subscription : subscriptions) {
      lagging |= Refill(*subscription, latest, pump_recent_);
    }
    const absl::Time now = clock_.Now();
    for (const auto& subscription : subscriptions) {
      absl::MutexLock lock(&subscription->mu_);
      if (subscription->queue_.empty() &&
          now - subscription->last_sent_ >= options_.heartbeat_interval) {
        subscription->last_sent_ = now;
        subscription->EnqueueLocked(Heartbeat(subscription->position_, now),
                                    subscription->position_);
      }
    }
    if (lagging) Wake();
  }
}

}  // namespace newsfeed::query
