#include "ingest-service/publisher/publisher.h"

#include <deque>
#include <utility>
#include <vector>

#include "common/auth/bearer_token.h"
#include "common/log/log.h"
#include "newsfeed/v1/ingest.grpc.pb.h"

namespace newsfeed::ingest {
struct Publisher::Metrics {
  explicit Metrics(metrics::Registry& registry)
      : delivered(&registry.AddCounter(
            "newsfeed_articles_delivered_total",
            "Articles acknowledged by query-service and removed from the "
            "outbox.")),
        stream_failures(&registry.AddCounter(
            "newsfeed_publisher_stream_failures_total",
            "Publish streams to query-service that broke or could not be "
            "opened (each is retried with backoff).")),
        rejected(&registry.AddCounter(
            "newsfeed_articles_rejected_total",
            "Articles query-service refused (e.g. a field over its size "
            "limit), moved from the outbox to the dead letters.")),
        connected(&registry.AddGauge(
            "newsfeed_publisher_connected",
            "1 while a Publish stream to query-service is open and working, "
            "else 0.")) {}

  metrics::Counter* delivered;
  metrics::Counter* stream_failures;
  metrics::Counter* rejected;
  metrics::Gauge* connected;
};

Publisher::Publisher(IngestState& state, const PublisherOptions& options)
    : state_(state),
      options_(options),
      metrics_(options.metrics == nullptr
                   ? nullptr
                   : std::make_unique<Metrics>(*options.metrics)) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
              static_cast<int>(absl::ToInt64Milliseconds(options.min_backoff)));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
              static_cast<int>(absl::ToInt64Milliseconds(options.max_backoff)));
  args.SetMaxSendMessageSize(16 << 20);
  // Several query-service replicas behind one DNS name (or an "ipv4:a,b"
  // list): spread streams over all of them, and a stream broken by a dead
  // replica reconnects to a live one.
  args.SetLoadBalancingPolicyName("round_robin");
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      auth::MakeChannelCredentials(options.tls);
  if (credentials.ok()) {
    channel_ =
        grpc::CreateCustomChannel(options.query_address, *credentials, args);
  } else {
    // Configuration checks the files first; this is a file that went away
    // since. Deliver nothing rather than fall back to plaintext.
    credentials_error_ = credentials.status().ToString();
  }
  thread_ = std::thread([this] { Run(); });
}

Publisher::~Publisher() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (active_context_ != nullptr) active_context_->TryCancel();
  }
  thread_.join();
}

void Publisher::Wake() {
  absl::MutexLock lock(&mu_);
  wake_ = true;
}

PublisherStats Publisher::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

bool Publisher::WaitForWork(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(
                           +[](Publisher* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(
                                p->mu_) { return p->wake_ || p->stopping_; },
                           this),
                       timeout);
  wake_ = false;
  return stopping_;
}

void Publisher::Run() {
  absl::Duration backoff = options_.min_backoff;
  for (;;) {
    absl::StatusOr<OutboxStats> pending = state_.GetOutboxStats();
    if (pending.ok() && pending->articles == 0) {
      if (WaitForWork(absl::Seconds(1))) return;
      continue;
    }
    grpc::Status status = Session();
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      if (status.ok()) {
        stats_.last_error.clear();
        backoff = options_.min_backoff;
        continue;
      }
      ++stats_.reconnects;
      stats_.last_error = status.error_message();
    }
    if (metrics_ != nullptr) metrics_->stream_failures->Increment();
    log::Warning(
        "delivery to query-service at %s interrupted: %s (code %d); "
        "retrying in %s, undelivered articles stay in the outbox",
        options_.query_address, status.error_message(),
        static_cast<int>(status.error_code()), absl::FormatDuration(backoff));
    if (WaitForWork(backoff)) return;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

grpc::Status Publisher::Session() {
  if (channel_ == nullptr) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "query_tls: " + credentials_error_);
  }
  auto stub = newsfeed::v1::ArticleIngest::NewStub(channel_);
  grpc::ClientContext context;
  if (!options_.token.empty()) {
    context.AddMetadata("authorization", auth::BearerHeader(options_.token));
  }
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return grpc::Status::CANCELLED;
    active_context_ = &context;
  }
  auto stream = stub->Publish(&context);

  struct Sent {
    uint64_t batch_id;
    std::vector<int64_t> outbox_ids;
  };
  std::deque<Sent> unacked;
  int64_t last_sent_id = 0;
  uint64_t next_batch_id = 1;
  bool broken = false;
  // The server ended the call: Finish returns its status (e.g. a refused
  // token) without cancelling, which would hide that status.
  bool server_closed = false;

  while (!broken) {
    // Fill the window.
    while (static_cast<int>(unacked.size()) < options_.max_unacked_batches) {
      absl::StatusOr<std::vector<OutboxEntry>> entries =
          state_.PeekOutbox(last_sent_id, options_.batch_articles);
      if (!entries.ok()) {
        log::Error("outbox: %s", entries.status().ToString());
        broken = true;
        break;
      }
      if (entries->empty()) break;
      newsfeed::v1::PublishRequest request;
      request.set_batch_id(next_batch_id);
      request.set_producer(options_.producer);
      Sent sent{next_batch_id++, {}};
      for (OutboxEntry& entry : *entries) {
        sent.outbox_ids.push_back(entry.id);
        *request.add_articles() = std::move(entry.article);
      }
      last_sent_id = sent.outbox_ids.back();
      if (!stream->Write(request)) {
        newsfeed::v1::PublishResponse unread;
        while (stream->Read(&unread)) {
        }
        broken = server_closed = true;
        break;
      }
      if (metrics_ != nullptr) metrics_->connected->Set(1);
      unacked.push_back(std::move(sent));
    }
    if (broken) break;
    if (unacked.empty()) {
      // Delivered everything; keep the stream open briefly for more, then
      // close it cleanly so an idle producer holds no stream.
      if (WaitForWork(absl::Seconds(5))) break;
      absl::StatusOr<OutboxStats> pending = state_.GetOutboxStats();
      if (pending.ok() && pending->articles > 0) continue;
      break;
    }
    newsfeed::v1::PublishResponse ack;
    if (!stream->Read(&ack)) {
      broken = server_closed = true;
      break;
    }
    if (ack.batch_id() != unacked.front().batch_id) {
      log::Error(
          "query-service acknowledged batch %d, expected %d; "
          "reconnecting",
          ack.batch_id(), unacked.front().batch_id);
      context.TryCancel();
      broken = true;
      break;
    }
    const std::vector<int64_t>& sent_ids = unacked.front().outbox_ids;
    std::vector<IngestState::Rejection> rejections;
    std::vector<bool> refused(sent_ids.size(), false);
    for (const newsfeed::v1::RejectedArticle& entry : ack.rejected()) {
      if (entry.index() < 0 ||
          static_cast<size_t>(entry.index()) >= sent_ids.size() ||
          refused[entry.index()]) {
        continue;  // not an article of this batch
      }
      refused[entry.index()] = true;
      rejections.push_back({sent_ids[entry.index()], entry.reason()});
      log::Warning(
          "query-service refused article %s: %s; kept in the dead letters "
          "(ingest.db), delivery goes on",
          log::EscapeControls(entry.id()), log::EscapeControls(entry.reason()));
    }
    std::vector<int64_t> accepted;
    accepted.reserve(sent_ids.size());
    for (size_t i = 0; i < sent_ids.size(); ++i) {
      if (!refused[i]) accepted.push_back(sent_ids[i]);
    }
    if (!rejections.empty()) {
      if (absl::Status s = state_.RejectOutbox(rejections); !s.ok()) {
        log::Error("outbox: %s", s.ToString());
      }
      if (metrics_ != nullptr) metrics_->rejected->Increment(rejections.size());
    }
    if (absl::Status s = state_.AckOutbox(accepted); !s.ok()) {
      log::Error("outbox: %s", s.ToString());
    }
    int64_t delivered;
    {
      absl::MutexLock lock(&mu_);
      stats_.delivered += static_cast<int64_t>(accepted.size());
      stats_.rejected += static_cast<int64_t>(rejections.size());
      delivered = stats_.delivered;
    }
    if (metrics_ != nullptr) metrics_->delivered->Increment(accepted.size());
    if (options_.on_delivered) options_.on_delivered(delivered);
    unacked.pop_front();
  }
  if (broken && !server_closed) {
    // Unread acknowledgements would make Finish wait.
    context.TryCancel();
  } else if (!broken) {
    stream->WritesDone();
  }
  grpc::Status status = stream->Finish();
  if (metrics_ != nullptr) metrics_->connected->Set(0);
  {
    absl::MutexLock lock(&mu_);
    active_context_ = nullptr;
  }
  if (broken && status.ok()) {
    status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "stream ended early");
  }
  return status;
}

}  // namespace newsfeed::ingest
