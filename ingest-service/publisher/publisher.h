// Publisher delivers the outbox to query-service: it streams batches over
// ArticleIngest.Publish, removes each batch from the outbox only when
// query-service acknowledges it, and resends whatever was not acknowledged
// after a broken stream (at-least-once; the store's idempotent upsert absorbs
// duplicates). An article query-service refuses (its acknowledgement lists
// it as rejected, e.g. a field over query-service's size limit) is moved to
// the state's dead letters with the reason, so one bad article never stops
// delivery. While query-service is down it reconnects with exponential
// backoff; the poller keeps filling the outbox meanwhile.
//
// Owns one thread (the delivery loop) with a blocking gRPC stream.
//
// Thread-safe: Wake may be called from any thread.
#ifndef INGEST_SERVICE_PUBLISHER_PUBLISHER_H_
#define INGEST_SERVICE_PUBLISHER_PUBLISHER_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/tls.h"
#include "common/metrics/metrics.h"
#include "ingest-service/state/ingest_state.h"

namespace newsfeed::ingest {

struct PublisherOptions {
  // query-service address, e.g. "127.0.0.1:50051" or "dns:///query:50051".
  std::string query_address = "127.0.0.1:50051";
  // Articles per PublishRequest (query-service accepts at most 500).
  int batch_articles = 200;
  // Batches sent ahead of their acknowledgement: as many as query-service
  // takes in flight per stream (IngestOptions::max_batches_in_flight), so its
  // writer finds the next batches queued when a commit ends and joins them.
  int max_unacked_batches = 8;
  // Reconnect delays: doubled per failed attempt, from min to max.
  absl::Duration min_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(30);
  // Names this producer in query-service logs.
  std::string producer = "ingest-service";
  // TLS towards query-service: a CA file turns it on; a client certificate
  // and key add mutual TLS.
  auth::ClientTlsFiles tls;
  // When set, sent as the bearer token query-service's auth.publish_token
  // expects.
  std::string token;
  // Called on the delivery thread after each acknowledged batch with the
  // total delivered since start (metrics, tests). Must not block.
  std::function<void(int64_t delivered)> on_delivered;
  // Where to count delivered articles and broken streams and show whether a
  // stream is up (newsfeed_articles_delivered_total, ...). nullptr (the
  // default): no metrics. Must outlive the publisher.
  metrics::Registry* metrics = nullptr;
};

struct PublisherStats {
  int64_t delivered = 0;   // articles acknowledged
  int64_t rejected = 0;    // articles refused, kept in the dead letters
  int64_t reconnects = 0;  // streams that broke
  std::string last_error;  // empty while delivering fine
};

class Publisher {
 public:
  // `state` is borrowed and must outlive the publisher. Starts the thread.
  Publisher(IngestState& state, const PublisherOptions& options);
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;
  // Cancels the stream in flight and joins; unacknowledged articles stay in
  // the outbox for the next start.
  ~Publisher();

  // New articles are in the outbox.
  void Wake();
  PublisherStats stats() const;

 private:
  struct Metrics;

  void Run();
  // One stream session; returns when it broke or on stop.
  grpc::Status Session();
  // Waits for a wake-up, stop or `timeout`; true when stopping.
  bool WaitForWork(absl::Duration timeout);

  IngestState& state_;
  const PublisherOptions options_;
  std::shared_ptr<grpc::Channel> channel_;  // null: credentials_error_
  std::string credentials_error_;

  mutable absl::Mutex mu_;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* active_context_ ABSL_GUARDED_BY(mu_) = nullptr;
  PublisherStats stats_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Metrics> metrics_;  // null without options.metrics
  std::thread thread_;
};

}  // namespace newsfeed::ingest

#endif  // INGEST_SERVICE_PUBLISHER_PUBLISHER_H_
