// The gRPC face of the query-service: QueryService (Search, GetArticle,
// Facets, Subscribe) and ArticleIngest (Publish), on the callback API.
//
// Handlers translate absl::Status to grpc::Status in one place
// (newsfeed::rpc::ToGrpcStatus). Unary reads (Search, GetArticle, Facets)
// run on the service's own reader threads: a search may take milliseconds
// and, with the PostgreSQL store, a network round trip or a wait for a free
// connection. Writes go to the StoreWriter thread and subscription reads to
// the hub's pump, so no reaction blocks.
//
// Thread-safe: gRPC calls the handlers from its own threads.
#ifndef QUERY_SERVICE_SERVICE_QUERY_SERVICE_H_
#define QUERY_SERVICE_SERVICE_QUERY_SERVICE_H_

#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "common/article/article_limits.h"
#include "common/auth/bearer_token.h"
#include "common/metrics/metrics.h"
#include "common/work_queue/work_queue.h"
#include "newsfeed/v1/ingest.grpc.pb.h"
#include "newsfeed/v1/query.grpc.pb.h"
#include "query-service/hub/subscription_hub.h"
#include "query-service/store/article_store.h"
#include "query-service/writer/store_writer.h"

namespace newsfeed::query {

struct QueryServiceOptions {
  // Where to record the latency of Search, GetArticle and Facets and the
  // errors of every QueryService RPC (newsfeed_query_rpc_*). nullptr (the
  // default): no metrics. Must outlive the service.
  metrics::Registry* metrics = nullptr;
  // When set, every QueryService RPC must carry it as a bearer token
  // (UNAUTHENTICATED otherwise).
  std::string read_token;
  // Threads running unary reads, and reads waiting for one; more are
  // RESOURCE_EXHAUSTED at once.
  int reader_threads = 4;
  size_t max_waiting_reads = 1024;
};

// Subscribe is a raw method (grpc::ByteBuffer in and out): the hub encodes
// each article once for every stream that sends it.
class QueryServiceImpl final
    : public newsfeed::v1::QueryService::WithRawCallbackMethod_Subscribe<
          newsfeed::v1::QueryService::CallbackService> {
 public:
  // `store` and `hub` are borrowed and must outlive the service.
  QueryServiceImpl(ArticleStore& store, SubscriptionHub& hub,
                   const QueryServiceOptions& options = {});
  ~QueryServiceImpl() override;

  grpc::ServerUnaryReactor* Search(
      grpc::CallbackServerContext* context,
      const newsfeed::v1::SearchRequest* request,
      newsfeed::v1::SearchResponse* response) override;
  grpc::ServerUnaryReactor* GetArticle(
      grpc::CallbackServerContext* context,
      const newsfeed::v1::GetArticleRequest* request,
      newsfeed::v1::Article* response) override;
  grpc::ServerUnaryReactor* Facets(
      grpc::CallbackServerContext* context,
      const newsfeed::v1::FacetsRequest* request,
      newsfeed::v1::FacetsResponse* response) override;
  // A serialized SubscribeRequest in; serialized SubscribeResponses out.
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Subscribe(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;

 private:
  struct Metrics;

  // Records the latency and outcome of a unary RPC, then finishes it.
  grpc::ServerUnaryReactor* Respond(grpc::CallbackServerContext* context,
                                    int method,
                                    const metrics::Stopwatch& stopwatch,
                                    const absl::Status& status);
  grpc::ServerUnaryReactor* Respond(grpc::ServerUnaryReactor* reactor,
                                    int method,
                                    const metrics::Stopwatch& stopwatch,
                                    const absl::Status& status);
  // Responds with what `read` returns, run on a reader thread; at once
  // with RESOURCE_EXHAUSTED when max_waiting_reads are waiting.
  grpc::ServerUnaryReactor* Read(grpc::CallbackServerContext* context,
                                 int method, metrics::Stopwatch stopwatch,
                                 absl::AnyInvocable<absl::Status() &&> read);

  ArticleStore& store_;
  SubscriptionHub& hub_;
  const auth::TokenGate read_gate_;
  std::unique_ptr<Metrics> metrics_;  // null without options.metrics
  // Last: destroyed first, finishing the reads it accepted while the
  // members above still exist.
  WorkQueue readers_;
};

struct IngestOptions {
  // Articles per PublishRequest; larger batches are INVALID_ARGUMENT.
  int max_batch_articles = 500;
  // Batches of one stream being stored at once; reading pauses beyond it.
  int max_batches_in_flight = 8;
  // When set, Publish streams must carry it as a bearer token.
  std::string publish_token;
  // Sizes of each published article (INVALID_ARGUMENT beyond).
  ArticleLimits limits;
};

class ArticleIngestImpl final
    : public newsfeed::v1::ArticleIngest::CallbackService {
 public:
  // `writer` is borrowed and must outlive the service.
  ArticleIngestImpl(StoreWriter& writer, const IngestOptions& options)
      : writer_(writer),
        options_(options),
        publish_gate_(options.publish_token) {}

  grpc::ServerBidiReactor<newsfeed::v1::PublishRequest,
                          newsfeed::v1::PublishResponse>*
  Publish(grpc::CallbackServerContext* context) override;

 private:
  StoreWriter& writer_;
  const IngestOptions options_;
  const auth::TokenGate publish_gate_;
};

// INVALID_ARGUMENT when a published batch breaks the batch bounds (the
// whole stream fails then).
absl::Status ValidatePublishBatch(const newsfeed::v1::PublishRequest& request,
                                  const IngestOptions& options);
// INVALID_ARGUMENT naming the article (index and id) and field when
// `request.articles(index)` cannot be stored as it is (it is rejected alone).
absl::Status ValidatePublishedArticle(
    const newsfeed::v1::PublishRequest& request, int index,
    const IngestOptions& options);

}  // namespace newsfeed::query

#endif  // QUERY_SERVICE_SERVICE_QUERY_SERVICE_H_
