#include "query-service/service/query_service.h"

#include <deque>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/rpc/status.h"
#include "common/text/utf8.h"

namespace newsfeed::query {
namespace {

using newsfeed::v1::Article;
using newsfeed::v1::PublishRequest;
using newsfeed::v1::PublishResponse;
using newsfeed::v1::RejectedArticle;
using rpc::ToGrpcStatus;

// Unary methods, indexes into QueryServiceImpl::Metrics::latency.
enum Method { kSearch, kGetArticle, kFacets, kMethodCount };
// Article ids are 32-character hashes from ingest-service; other publishers
// may send their own, up to the length Publish accepts.
constexpr size_t kMaxArticleIdBytes = ArticleLimits{}.max_id_bytes;
constexpr const char* kMethodNames[kMethodCount] = {"Search", "GetArticle",
                                                    "Facets"};

// Counts a failed RPC in newsfeed_query_rpc_errors_total (when exported).
void CountError(metrics::CounterFamily* errors, const char* method,
                const absl::Status& status) {
  if (errors == nullptr || status.ok()) return;
  errors->WithLabels({method, absl::StatusCodeToString(status.code())})
      .Increment();
}

// A streaming call refused before it started (e.g. by a token gate).
template <typename Reactor>
class RejectedStream final : public Reactor {
 public:
  explicit RejectedStream(const absl::Status& status) {
    this->Finish(ToGrpcStatus(status));
  }
  void OnDone() override { delete this; }
};

// The client's address without its port: "ipv4:10.0.0.7:51234" ->
// "ipv4:10.0.0.7", "ipv6:[::1]:5000" -> "ipv6:[::1]". Per-peer limits count
// connections from one host together.
std::string PeerAddress(const std::string& peer) {
  if (peer.rfind("ipv4:", 0) != 0 && peer.rfind("ipv6:", 0) != 0) return peer;
  const size_t colon = peer.rfind(':');
  const size_t bracket = peer.rfind(']');
  if (colon == std::string::npos || colon < 5 ||
      (bracket != std::string::npos && colon < bracket)) {
    return peer;
  }
  return peer.substr(0, colon);
}

// Bridges one Subscribe stream to its hub Subscription. The stream is raw
// (grpc::ByteBuffer): the hub encodes each change once and every stream it
// matches sends those bytes.
class SubscribeReactor final
    : public grpc::ServerWriteReactor<grpc::ByteBuffer>,
      public StreamWriter {
 public:
  SubscribeReactor(SubscriptionHub& hub,
                   const newsfeed::v1::SubscribeRequest& request,
                   std::string peer, metrics::CounterFamily* errors) {
    absl::StatusOr<std::shared_ptr<Subscription>> subscription =
        hub.Subscribe(request, this, std::move(peer));
    if (!subscription.ok()) {
      CountError(errors, "Subscribe", subscription.status());
      Finish(ToGrpcStatus(subscription.status()));
      return;
    }
    subscription_ = std::move(*subscription);
  }

  void WriteMessage(std::shared_ptr<const std::string> encoded,
                    bool more_follow) override {
    // The slice holds a reference to the shared bytes: a buffered write
    // completes before the transport has sent them.
    auto* owner = new std::shared_ptr<const std::string>(std::move(encoded));
    grpc::Slice slice(const_cast<char*>((*owner)->data()), (*owner)->size(),
                      &ReleaseEncoded, owner);
    buffer_ = grpc::ByteBuffer(&slice, 1);
    // A buffered write completes at once and goes out with the next
    // unbuffered one: one flush per burst instead of one per article.
    grpc::WriteOptions options;
    if (more_follow) options.set_buffer_hint();
    StartWrite(&buffer_, options);
  }
  void FinishStream(const absl::Status& status) override {
    Finish(ToGrpcStatus(status));
  }

  void OnWriteDone(bool ok) override {
    if (subscription_) subscription_->OnWriteDone(ok);
  }
  void OnCancel() override {
    if (subscription_) subscription_->OnCancel();
  }
  void OnDone() override {
    if (subscription_) subscription_->Detach();
    delete this;
  }

 private:
  static void ReleaseEncoded(void* owner) {
    delete static_cast<std::shared_ptr<const std::string>*>(owner);
  }

  std::shared_ptr<Subscription> subscription_;
  grpc::ByteBuffer buffer_;  // the write in flight
};

// One Publish stream: reads batches, hands them to the StoreWriter, writes an
// acknowledgement per batch in order once it is committed.
class PublishReactor final
    : public grpc::ServerBidiReactor<PublishRequest, PublishResponse> {
 public:
  PublishReactor(StoreWriter& writer, const IngestOptions& options,
                 std::string peer)
      : writer_(writer), options_(options), peer_(std::move(peer)) {
    absl::MutexLock lock(&mu_);
    reading_ = true;
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    reading_ = false;
    if (finished_) return;
    if (!ok) {  // the producer half-closed (or the stream broke)
      read_side_closed_ = true;
      MaybeFinishLocked();
      return;
    }
    if (absl::Status s = ValidatePublishBatch(request_, options_); !s.ok()) {
      log::Warning("publish from %s rejected: %s", peer_, s.ToString());
      FinishLocked(s);
      return;
    }
    const uint64_t batch_id = request_.batch_id();
    std::vector<Article> articles;
    articles.reserve(request_.articles_size());
    std::vector<RejectedArticle> rejected;
    for (int i = 0; i < request_.articles_size(); ++i) {
      if (absl::Status s = ValidatePublishedArticle(request_, i, options_);
          !s.ok()) {
        log::Warning("publish from %s: article %s left out: %s", peer_,
                     log::EscapeControls(std::string(
                         text::Utf8Prefix(request_.articles(i).id(), 256))),
                     s.message());
        RejectedArticle& entry = rejected.emplace_back();
        entry.set_index(i);
        entry.set_id(
            std::string(text::Utf8Prefix(request_.articles(i).id(), 256)));
        entry.set_reason(std::string(s.message()));
        continue;
      }
      articles.push_back(std::move(*request_.mutable_articles(i)));
    }
    request_.Clear();
    ++in_flight_;
    // Submitted even when every article was left out: acknowledgements
    // keep batch order through the writer.
    writer_.Submit(std::move(articles),
                   [this, batch_id, rejected = std::move(rejected)](
                       absl::StatusOr<UpsertResult> result) mutable {
                     OnStored(batch_id, std::move(result), std::move(rejected));
                   });
    if (in_flight_ < options_.max_batches_in_flight) {
      reading_ = true;
      StartRead(&request_);
    }
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    acks_.pop_front();
    if (!ok) {
      FinishLocked(absl::CancelledError("producer stream broken"));
      return;
    }
    WriteNextLocked();
    MaybeFinishLocked();
  }

  void OnDone() override {
    // The StoreWriter may still hold callbacks into this reactor; the last
    // of OnDone and those callbacks deletes it, so OnDone never waits.
    bool last;
    {
      absl::MutexLock lock(&mu_);
      done_ = true;
      last = in_flight_ == 0;
    }
    if (last) delete this;
  }

 private:
  void OnStored(uint64_t batch_id, absl::StatusOr<UpsertResult> result,
                std::vector<RejectedArticle> rejected) {
    bool last;
    {
      absl::MutexLock lock(&mu_);
      --in_flight_;
      last = done_ && in_flight_ == 0;
      if (!last) {
        AcknowledgeLocked(batch_id, std::move(result), std::move(rejected));
      }
    }
    if (last) delete this;
  }

  void AcknowledgeLocked(uint64_t batch_id, absl::StatusOr<UpsertResult> result,
                         std::vector<RejectedArticle> rejected)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    if (!result.ok()) {
      log::Error("storing batch %d from %s failed: %s", batch_id, peer_,
                 result.status().ToString());
      FinishLocked(result.status());
      return;
    }
    PublishResponse ack;
    ack.set_batch_id(batch_id);
    ack.set_stored(result->stored);
    ack.set_unchanged(result->unchanged);
    ack.set_latest_sequence(result->latest_sequence);
    for (RejectedArticle& entry : rejected) {
      *ack.add_rejected() = std::move(entry);
    }
    acks_.push_back(std::move(ack));
    WriteNextLocked();
    if (!reading_ && !read_side_closed_ &&
        in_flight_ < options_.max_batches_in_flight) {
      reading_ = true;
      StartRead(&request_);
    }
  }

  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || acks_.empty() || finished_) return;
    writing_ = true;
    StartWrite(&acks_.front());
  }

  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (read_side_closed_ && in_flight_ == 0 && acks_.empty() && !writing_) {
      FinishLocked(absl::OkStatus());
    }
  }

  void FinishLocked(const absl::Status& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    Finish(ToGrpcStatus(status));
  }

  StoreWriter& writer_;
  const IngestOptions options_;
  const std::string peer_;

  absl::Mutex mu_;
  PublishRequest request_ ABSL_GUARDED_BY(mu_);
  std::deque<PublishResponse> acks_ ABSL_GUARDED_BY(mu_);
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool read_side_closed_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

absl::Status ValidatePublishBatch(const PublishRequest& request,
                                  const IngestOptions& options) {
  if (request.articles_size() > options.max_batch_articles) {
    return absl::InvalidArgumentError(absl::StrCat(
        "articles: ", request.articles_size(), " in one batch, at most ",
        options.max_batch_articles, " allowed"));
  }
  return absl::OkStatus();
}

absl::Status ValidatePublishedArticle(const PublishRequest& request, int index,
                                      const IngestOptions& options) {
  const Article& article = request.articles(index);
  if (article.id().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "articles[", index, "].id: empty (title \"",
        std::string(text::Utf8Prefix(article.title(), 80)), "\")"));
  }
  return CheckArticle(article, options.limits,
                      absl::StrCat("articles[", index, "]"));
}

struct QueryServiceImpl::Metrics {
  explicit Metrics(metrics::Registry& registry)
      : errors(&registry.AddCounterFamily(
            "newsfeed_query_rpc_errors_total",
            "QueryService RPCs that failed, by method and gRPC status code.",
            {"method", "code"})) {
    metrics::HistogramFamily& family = registry.AddHistogramFamily(
        "newsfeed_query_rpc_duration_seconds",
        "Time to answer a unary QueryService RPC, by method.", {"method"},
        metrics::LatencyBuckets());
    for (int m = 0; m < kMethodCount; ++m) {
      latency[m] = &family.WithLabels({kMethodNames[m]});
    }
  }

  metrics::CounterFamily* errors;
  metrics::Histogram* latency[kMethodCount];
};

QueryServiceImpl::QueryServiceImpl(ArticleStore& store, SubscriptionHub& hub,
                                   const QueryServiceOptions& options)
    : store_(store),
      hub_(hub),
      read_gate_(options.read_token),
      metrics_(options.metrics == nullptr
                   ? nullptr
                   : std::make_unique<Metrics>(*options.metrics)),
      readers_(options.max_waiting_reads, options.reader_threads) {}

QueryServiceImpl::~QueryServiceImpl() = default;

grpc::ServerUnaryReactor* QueryServiceImpl::Respond(
    grpc::CallbackServerContext* context, int method,
    const metrics::Stopwatch& stopwatch, const absl::Status& status) {
  return Respond(context->DefaultReactor(), method, stopwatch, status);
}

grpc::ServerUnaryReactor* QueryServiceImpl::Respond(
    grpc::ServerUnaryReactor* reactor, int method,
    const metrics::Stopwatch& stopwatch, const absl::Status& status) {
  if (metrics_ != nullptr) {
    metrics_->latency[method]->Observe(stopwatch.ElapsedSeconds());
    CountError(metrics_->errors, kMethodNames[method], status);
  }
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

grpc::ServerUnaryReactor* QueryServiceImpl::Read(
    grpc::CallbackServerContext* context, int method,
    metrics::Stopwatch stopwatch, absl::AnyInvocable<absl::Status() &&> read) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const bool queued = readers_.Post(
      [this, reactor, method, stopwatch, read = std::move(read)]() mutable {
        Respond(reactor, method, stopwatch, std::move(read)());
      });
  if (queued) return reactor;
  return Respond(reactor, method, stopwatch,
                 absl::ResourceExhaustedError(absl::StrCat(
                     kMethodNames[method], ": ", readers_.queued(),
                     " reads are waiting for the store; retry later")));
}

grpc::ServerUnaryReactor* QueryServiceImpl::Search(
    grpc::CallbackServerContext* context,
    const newsfeed::v1::SearchRequest* request,
    newsfeed::v1::SearchResponse* response) {
  const metrics::Stopwatch stopwatch;
  if (absl::Status s = read_gate_.Check(*context, "Search"); !s.ok()) {
    return Respond(context, kSearch, stopwatch, s);
  }
  return Read(context, kSearch, stopwatch, [this, request, response] {
    absl::StatusOr<newsfeed::v1::SearchResponse> result =
        store_.Search(*request);
    if (result.ok()) *response = std::move(*result);
    return result.status();
  });
}

grpc::ServerUnaryReactor* QueryServiceImpl::GetArticle(
    grpc::CallbackServerContext* context,
    const newsfeed::v1::GetArticleRequest* request, Article* response) {
  const metrics::Stopwatch stopwatch;
  if (absl::Status s = read_gate_.Check(*context, "GetArticle"); !s.ok()) {
    return Respond(context, kGetArticle, stopwatch, s);
  }
  if (request->id().empty()) {
    return Respond(context, kGetArticle, stopwatch,
                   absl::InvalidArgumentError("id: empty"));
  }
  // No stored article has a longer id (Publish refuses them), and the
  // not-found message would echo a peer's megabytes back.
  if (request->id().size() > kMaxArticleIdBytes) {
    return Respond(context, kGetArticle, stopwatch,
                   absl::InvalidArgumentError(absl::StrCat(
                       "id: ", request->id().size(), " bytes, longer than ",
                       kMaxArticleIdBytes)));
  }
  return Read(context, kGetArticle, stopwatch, [this, request, response] {
    absl::StatusOr<Article> result = store_.Get(request->id());
    if (result.ok()) *response = std::move(*result);
    return result.status();
  });
}

grpc::ServerUnaryReactor* QueryServiceImpl::Facets(
    grpc::CallbackServerContext* context,
    const newsfeed::v1::FacetsRequest* request,
    newsfeed::v1::FacetsResponse* response) {
  const metrics::Stopwatch stopwatch;
  if (absl::Status s = read_gate_.Check(*context, "Facets"); !s.ok()) {
    return Respond(context, kFacets, stopwatch, s);
  }
  return Read(context, kFacets, stopwatch, [this, request, response] {
    absl::StatusOr<newsfeed::v1::FacetsResponse> result =
        store_.Facets(*request);
    if (result.ok()) *response = std::move(*result);
    return result.status();
  });
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* QueryServiceImpl::Subscribe(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw_request) {
  using Rejected = RejectedStream<grpc::ServerWriteReactor<grpc::ByteBuffer>>;
  if (absl::Status s = read_gate_.Check(*context, "Subscribe"); !s.ok()) {
    if (metrics_ != nullptr) CountError(metrics_->errors, "Subscribe", s);
    return new Rejected(s);
  }
  newsfeed::v1::SubscribeRequest request;
  grpc::ByteBuffer copy(*raw_request);  // Deserialize consumes its input
  if (!grpc::SerializationTraits<newsfeed::v1::SubscribeRequest>::Deserialize(
           &copy, &request)
           .ok()) {
    const absl::Status s = absl::InvalidArgumentError(
        "request: not a valid newsfeed.v1.SubscribeRequest");
    if (metrics_ != nullptr) CountError(metrics_->errors, "Subscribe", s);
    return new Rejected(s);
  }
  return new SubscribeReactor(hub_, request, PeerAddress(context->peer()),
                              metrics_ == nullptr ? nullptr : metrics_->errors);
}

grpc::ServerBidiReactor<PublishRequest, PublishResponse>*
ArticleIngestImpl::Publish(grpc::CallbackServerContext* context) {
  if (absl::Status s = publish_gate_.Check(*context, "Publish"); !s.ok()) {
    log::Warning("ingest: refused a Publish stream from %s: %s",
                 context->peer(), s.message());
    return new RejectedStream<
        grpc::ServerBidiReactor<PublishRequest, PublishResponse>>(s);
  }
  return new PublishReactor(writer_, options_, context->peer());
}

}  // namespace newsfeed::query
