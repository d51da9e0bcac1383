// The query-service over real gRPC on 127.0.0.1:0 with a real SQLite store:
// publish, search, get, facets and subscribe as a client sees them.
#include "query-service/service/query_service.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <stdlib.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/auth/bearer_token.h"
#include "common/auth/test_certs.h"
#include "common/auth/tls.h"
#include "common/server/grpc_server.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "newsfeed/v1/ingest.grpc.pb.h"
#include "newsfeed/v1/query.grpc.pb.h"
#include "query-service/server/query_server.h"
#include "query-service/store/forwarding_article_store.h"
#include "query-service/store/sqlite_store.h"

namespace newsfeed::query {
namespace {

using newsfeed::v1::Article;
using ::testing::HasSubstr;

Article MakeArticle(const std::string& id, const std::string& company,
                    const std::string& country, const std::string& topic,
                    int64_t published) {
  Article a;
  a.set_id(id);
  a.set_title("Story " + id + " about " + company);
  a.set_content_text("Body of " + id);
  a.set_content_hash("hash-" + id);
  a.set_feed_id("feed-1");
  a.mutable_published_time()->set_seconds(published);
  auto* c = a.add_companies();
  c->set_id("id:" + company);
  c->set_name(company);
  a.add_countries()->set_code(country);
  a.add_topics()->set_id(topic);
  return a;
}

class QueryServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = ::testing::TempDir() + "query_service_XXXXXX";
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    QueryConfig config;
    config.store.data_dir = dir;
    config.server.listen_address = "127.0.0.1:0";
    config.hub.heartbeat_interval = absl::Hours(1);
    config.shutdown_grace = absl::Seconds(1);
    config.metrics_listen = "127.0.0.1:0";
    auto server = QueryServer::Start(config, RealClock::Instance());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    channel_ = grpc::CreateChannel(server_->address(),
                                   grpc::InsecureChannelCredentials());
    query_ = newsfeed::v1::QueryService::NewStub(channel_);
    ingest_ = newsfeed::v1::ArticleIngest::NewStub(channel_);
  }

  // Publishes batches over one stream and returns the acknowledgements.
  std::vector<newsfeed::v1::PublishResponse> Publish(
      const std::vector<std::vector<Article>>& batches, grpc::Status* status) {
    grpc::ClientContext context;
    auto stream = ingest_->Publish(&context);
    uint64_t id = 1;
    for (const auto& batch : batches) {
      newsfeed::v1::PublishRequest request;
      request.set_batch_id(id++);
      for (const Article& a : batch) *request.add_articles() = a;
      stream->Write(request);
    }
    stream->WritesDone();
    std::vector<newsfeed::v1::PublishResponse> acks;
    newsfeed::v1::PublishResponse ack;
    while (stream->Read(&ack)) acks.push_back(ack);
    *status = stream->Finish();
    return acks;
  }

  // GET /metrics from the server's metrics endpoint.
  std::string ScrapeMetrics() {
    httplib::Client client(absl::StrCat("http://", server_->metrics_address()));
    httplib::Result result = client.Get("/metrics");
    EXPECT_TRUE(result) << httplib::to_string(result.error());
    if (!result) return "";
    EXPECT_EQ(result->status, 200);
    return result->body;
  }

  std::unique_ptr<QueryServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<newsfeed::v1::QueryService::Stub> query_;
  std::unique_ptr<newsfeed::v1::ArticleIngest::Stub> ingest_;
};

// A real SQLite store whose Search waits, once armed, until the test
// releases it: a slow query or a PostgreSQL round trip.
class SlowSearchStore final : public ForwardingArticleStore {
 public:
  explicit SlowSearchStore(std::unique_ptr<ArticleStore> real)
      : ForwardingArticleStore(*real), real_(std::move(real)) {}
  void Arm() { armed_ = true; }
  absl::Notification entered, release;

  absl::StatusOr<newsfeed::v1::SearchResponse> Search(
      const newsfeed::v1::SearchRequest& request) override {
    if (armed_.exchange(false)) {
      entered.Notify();
      release.WaitForNotification();
    }
    return ForwardingArticleStore::Search(request);
  }

 private:
  std::unique_ptr<ArticleStore> real_;
  std::atomic<bool> armed_{false};
};

// Reads wait on the service's reader threads, never in gRPC's reactions:
// while a search is slow, other reads queue up to a bound and the rest are
// refused at once, and the health service still answers.
TEST(QueryServiceReadersTest, SlowReadsQueueBoundedOffTheReaction) {
  std::string dir = ::testing::TempDir() + "query_readers_XXXXXX";
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  StoreOptions store_options;
  store_options.data_dir = dir;
  auto sqlite = SqliteStore::Open(store_options);
  ASSERT_TRUE(sqlite.ok()) << sqlite.status();
  SlowSearchStore store(std::move(*sqlite));
  ASSERT_TRUE(store.Upsert({MakeArticle("a1", "Acme", "FR", "ai", 1000)}).ok());
  HubOptions hub_options;
  hub_options.heartbeat_interval = absl::Hours(1);
  auto hub = SubscriptionHub::Create(store, RealClock::Instance(), hub_options);
  ASSERT_TRUE(hub.ok()) << hub.status();
  QueryServiceOptions service_options;
  service_options.reader_threads = 1;
  service_options.max_waiting_reads = 1;
  QueryServiceImpl service(store, **hub, service_options);
  rpc::ServerOptions server_options;
  server_options.services = {&service};
  server_options.service_names = {
      newsfeed::v1::QueryService::service_full_name()};
  auto server = rpc::GrpcServer::Start(server_options);
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = grpc::CreateChannel((*server)->address(),
                                     grpc::InsecureChannelCredentials());
  auto stub = newsfeed::v1::QueryService::NewStub(channel);

  store.Arm();
  struct Call {
    grpc::ClientContext context;
    newsfeed::v1::SearchRequest request;
    newsfeed::v1::SearchResponse response;
    grpc::Status status;
  };
  Call calls[3];
  absl::Mutex mu;
  std::vector<Call*> answered;
  for (Call& call : calls) {
    Call* c = &call;
    stub->async()->Search(&c->context, &c->request, &c->response,
                          [&mu, &answered, c](grpc::Status status) {
                            absl::MutexLock lock(&mu);
                            c->status = std::move(status);
                            answered.push_back(c);
                          });
    if (c == &calls[0]) store.entered.WaitForNotification();
  }
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](std::vector<Call*>* a) { return !a->empty(); }, &answered));
    ASSERT_EQ(answered.size(), 1u);
    EXPECT_EQ(answered[0]->status.error_code(),
              grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_THAT(answered[0]->status.error_message(),
                HasSubstr("Search: 1 reads are waiting for the store"));
  }
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext health_context;
  grpc::health::v1::HealthCheckResponse serving;
  EXPECT_TRUE(health->Check(&health_context, {}, &serving).ok());
  EXPECT_EQ(serving.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  store.release.Notify();
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(
      +[](std::vector<Call*>* a) { return a->size() == 3; }, &answered));
  for (int i = 1; i < 3; ++i) {
    EXPECT_TRUE(answered[i]->status.ok())
        << answered[i]->status.error_message();
    ASSERT_EQ(answered[i]->response.articles_size(), 1);
    EXPECT_EQ(answered[i]->response.articles(0).id(), "a1");
  }
}

TEST_F(QueryServiceTest, PublishedArticlesAreSearchableAndAcknowledgedInOrder) {
  grpc::Status status;
  auto acks = Publish({{MakeArticle("a1", "Microsoft", "FR", "ai", 1000),
                        MakeArticle("a2", "Apple", "US", "earnings", 2000)},
                       {MakeArticle("a1", "Microsoft", "FR", "ai", 1000)}},
                      &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[0].batch_id(), 1u);
  EXPECT_EQ(acks[0].stored(), 2);
  EXPECT_EQ(acks[1].batch_id(), 2u);
  EXPECT_EQ(acks[1].unchanged(), 1);  // the duplicate is absorbed

  grpc::ClientContext context;
  newsfeed::v1::SearchRequest request;
  request.mutable_filter()->mutable_companies()->add_any_of("microsoft");
  request.mutable_filter()->mutable_countries()->add_any_of("FR");
  newsfeed::v1::SearchResponse response;
  ASSERT_TRUE(query_->Search(&context, request, &response).ok());
  ASSERT_EQ(response.articles_size(), 1);
  EXPECT_EQ(response.articles(0).id(), "a1");
  EXPECT_GT(response.articles(0).sequence(), 0u);

  grpc::ClientContext get_context;
  newsfeed::v1::GetArticleRequest get;
  get.set_id("a2");
  Article article;
  ASSERT_TRUE(query_->GetArticle(&get_context, get, &article).ok());
  EXPECT_EQ(article.companies(0).name(), "Apple");

  grpc::ClientContext facets_context;
  newsfeed::v1::FacetsRequest facets;
  newsfeed::v1::FacetsResponse facets_response;
  ASSERT_TRUE(query_->Facets(&facets_context, facets, &facets_response).ok());
  EXPECT_EQ(facets_response.total(), 2);
}

TEST_F(QueryServiceTest, BadRequestsNameTheField) {
  grpc::ClientContext context;
  newsfeed::v1::SearchRequest request;
  request.set_page_size(100000);
  newsfeed::v1::SearchResponse response;
  grpc::Status status = query_->Search(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("page_size"));

  grpc::ClientContext get_context;
  newsfeed::v1::GetArticleRequest get;
  get.set_id("missing");
  Article article;
  EXPECT_EQ(query_->GetArticle(&get_context, get, &article).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // A 10 KB id is refused without being echoed back.
  grpc::ClientContext long_id_context;
  get.set_id(std::string(10000, 'x'));
  grpc::Status long_id = query_->GetArticle(&long_id_context, get, &article);
  EXPECT_EQ(long_id.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(long_id.error_message(), HasSubstr("id: 10000 bytes"));
  EXPECT_LT(long_id.error_message().size(), 100u);

  // An article that cannot be stored is left out of its batch, named in
  // the acknowledgement with the reason; the rest of the batch is stored.
  grpc::Status publish_status;
  Article no_id = MakeArticle("", "X", "FR", "ai", 1);
  Article fine = MakeArticle("fine-1", "Fine story", "FR", "ai", 1);
  Article huge = MakeArticle("huge-1", "Huge story", "FR", "ai", 2);
  huge.set_content_html("<p>" + std::string(15 << 20, 'x') + "</p>");
  auto acks = Publish({{no_id, fine, huge}}, &publish_status);
  ASSERT_TRUE(publish_status.ok()) << publish_status.error_message();
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].stored(), 1);
  ASSERT_EQ(acks[0].rejected_size(), 2);
  EXPECT_EQ(acks[0].rejected(0).index(), 0);
  EXPECT_THAT(acks[0].rejected(0).reason(), HasSubstr("articles[0].id"));
  EXPECT_EQ(acks[0].rejected(1).index(), 2);
  EXPECT_EQ(acks[0].rejected(1).id(), "huge-1");
  EXPECT_THAT(acks[0].rejected(1).reason(),
              HasSubstr("articles[2].content_html: 15728647 bytes"));
  // A batch over the batch bound still ends the stream.
  grpc::Status too_many;
  std::vector<Article> many;
  for (int i = 0; i < 501; ++i) {
    many.push_back(MakeArticle(absl::StrCat("m", i), "X", "FR", "ai", i));
  }
  Publish({many}, &too_many);
  EXPECT_EQ(too_many.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(too_many.error_message(), HasSubstr("501 in one batch"));
  grpc::ClientContext search_context;
  newsfeed::v1::SearchRequest everything;
  newsfeed::v1::SearchResponse found;
  ASSERT_TRUE(query_->Search(&search_context, everything, &found).ok());
  std::vector<std::string> ids;
  for (const Article& a : found.articles()) ids.push_back(a.id());
  EXPECT_THAT(ids, ::testing::ElementsAre("fine-1"));
}

TEST_F(QueryServiceTest, SubscribeReplaysThenFollowsWithoutGapOrDuplicate) {
  grpc::Status status;
  Publish({{MakeArticle("old-fr", "Microsoft", "FR", "ai", 1000),
            MakeArticle("old-us", "Apple", "US", "ai", 1001)}},
          &status);
  ASSERT_TRUE(status.ok());

  grpc::ClientContext context;
  newsfeed::v1::SubscribeRequest request;
  request.mutable_filter()->mutable_countries()->add_any_of("FR");
  request.set_after_sequence(0);
  auto reader = query_->Subscribe(&context, request);
  newsfeed::v1::SubscribeResponse message;
  std::vector<std::string> ids;
  std::vector<uint64_t> sequences;
  auto next_article = [&] {
    while (reader->Read(&message)) {
      if (message.has_article()) {
        ids.push_back(message.article().id());
        sequences.push_back(message.article().sequence());
        return true;
      }
    }
    return false;
  };
  ASSERT_TRUE(next_article());  // replayed
  EXPECT_EQ(ids.back(), "old-fr");

  Publish({{MakeArticle("new-us", "Apple", "US", "ai", 2000),
            MakeArticle("new-fr", "Mistral AI", "FR", "ai", 2001)}},
          &status);
  ASSERT_TRUE(next_article());  // live
  EXPECT_EQ(ids.back(), "new-fr");
  EXPECT_LT(sequences[0], sequences[1]);

  // A changed article is delivered again with a new sequence.
  Article changed = MakeArticle("old-fr", "Microsoft", "FR", "ai", 1000);
  changed.set_content_hash("hash-changed");
  Publish({{changed}}, &status);
  ASSERT_TRUE(next_article());
  EXPECT_EQ(ids.back(), "old-fr");
  EXPECT_GT(sequences[2], sequences[1]);

  // Shutdown ends the stream with UNAVAILABLE and a resume position.
  server_->Shutdown();
  while (reader->Read(&message)) {
  }
  grpc::Status end = reader->Finish();
  EXPECT_EQ(end.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(end.error_message(), HasSubstr("after_sequence="));
}

TEST_F(QueryServiceTest, MetricsEndpointCountsStoredArticlesAndRpcs) {
  ASSERT_FALSE(server_->metrics_address().empty());
  grpc::Status status;
  Publish({{MakeArticle("m1", "Microsoft", "FR", "ai", 1000),
            MakeArticle("m2", "Apple", "US", "ai", 1001)},
           {MakeArticle("m1", "Microsoft", "FR", "ai", 1000)}},
          &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  Article changed = MakeArticle("m2", "Apple", "US", "ai", 1001);
  changed.set_content_hash("hash-m2-v2");
  Publish({{changed}}, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();

  grpc::ClientContext search_context;
  newsfeed::v1::SearchResponse search_response;
  ASSERT_TRUE(query_
                  ->Search(&search_context, newsfeed::v1::SearchRequest(),
                           &search_response)
                  .ok());
  grpc::ClientContext get_context;
  newsfeed::v1::GetArticleRequest get;
  get.set_id("missing");
  Article article;
  EXPECT_EQ(query_->GetArticle(&get_context, get, &article).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // A live subscriber: its first message (a heartbeat) means it is open.
  grpc::ClientContext subscribe_context;
  auto reader =
      query_->Subscribe(&subscribe_context, newsfeed::v1::SubscribeRequest());
  newsfeed::v1::SubscribeResponse message;
  ASSERT_TRUE(reader->Read(&message));

  const std::string text = ScrapeMetrics();
  EXPECT_THAT(text, HasSubstr("# TYPE newsfeed_articles_stored_total counter\n"
                              "newsfeed_articles_stored_total{result="
                              "\"inserted\"} 2\n"
                              "newsfeed_articles_stored_total{result="
                              "\"unchanged\"} 1\n"
                              "newsfeed_articles_stored_total{result="
                              "\"updated\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("\nnewsfeed_latest_sequence 3\n"));
  EXPECT_THAT(text, HasSubstr("\nnewsfeed_subscribers 1\n"));
  // Three batches, committed in one to three transactions (batches that
  // queue up behind a commit are committed together).
  EXPECT_THAT(text,
              ::testing::ContainsRegex(
                  "\nnewsfeed_store_write_duration_seconds_count [123]\n"));
  EXPECT_THAT(text, HasSubstr("\nnewsfeed_query_rpc_duration_seconds_count{"
                              "method=\"Search\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("\nnewsfeed_query_rpc_duration_seconds_count{"
                              "method=\"GetArticle\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("\nnewsfeed_query_rpc_errors_total{method="
                              "\"GetArticle\",code=\"NOT_FOUND\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("\nnewsfeed_subscription_lag_max "));
  EXPECT_THAT(text, HasSubstr("\nnewsfeed_store_writer_queued_batches 0\n"));

  subscribe_context.TryCancel();
  while (reader->Read(&message)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(QueryServiceTest, SubscribeSendsBatchesWhenAsked) {
  grpc::Status status;
  std::vector<Article> articles;
  for (int i = 0; i < 30; ++i) {
    articles.push_back(
        MakeArticle(absl::StrCat("fr-", i), "Microsoft", "FR", "ai", 1000 + i));
  }
  Publish({articles}, &status);
  ASSERT_TRUE(status.ok());

  grpc::ClientContext context;
  newsfeed::v1::SubscribeRequest request;
  request.mutable_filter()->mutable_countries()->add_any_of("FR");
  request.set_after_sequence(0);
  request.set_max_articles_per_response(8);
  auto reader = query_->Subscribe(&context, request);
  newsfeed::v1::SubscribeResponse message;
  std::vector<std::string> ids;
  uint64_t last_sequence = 0;
  int batches = 0;
  while (ids.size() < 30 && reader->Read(&message)) {
    EXPECT_FALSE(message.has_article());
    if (!message.has_articles()) continue;
    ++batches;
    EXPECT_LE(message.articles().articles_size(), 8);
    for (const Article& a : message.articles().articles()) {
      EXPECT_GT(a.sequence(), last_sequence);
      last_sequence = a.sequence();
      ids.push_back(a.id());
    }
  }
  ASSERT_EQ(ids.size(), 30u);
  EXPECT_EQ(ids.front(), "fr-0");
  EXPECT_EQ(ids.back(), "fr-29");
  EXPECT_GE(batches, 4);  // 30 articles, at most 8 per message
  EXPECT_LT(batches, 30);
  context.TryCancel();
  while (reader->Read(&message)) {
  }
  reader->Finish();
}

TEST_F(QueryServiceTest, SubscribeWithUndecodableRequestIsInvalidArgument) {
  // Subscribe reads its request itself (a raw method), so bytes that are not
  // a SubscribeRequest get the service's error, not the transport's.
  grpc::GenericStub generic(channel_);
  grpc::ClientContext context;
  grpc::CompletionQueue cq;
  const std::string garbage =
      "\x0a\xff\xff\xff\xff\x0f";  // field 1, bad length
  grpc::Slice slice(garbage);
  grpc::ByteBuffer request(&slice, 1);
  auto call =
      generic.PrepareCall(&context, "/newsfeed.v1.QueryService/Subscribe", &cq);
  void* tag = nullptr;
  bool ok = false;
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(cq.Next(&tag, &ok));
  call->WriteLast(request, grpc::WriteOptions(), reinterpret_cast<void*>(2));
  ASSERT_TRUE(cq.Next(&tag, &ok));
  grpc::ByteBuffer response;
  call->Read(&response, reinterpret_cast<void*>(3));
  ASSERT_TRUE(cq.Next(&tag, &ok));
  EXPECT_FALSE(ok);  // no message: the stream ends
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(4));
  ASSERT_TRUE(cq.Next(&tag, &ok));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("SubscribeRequest"));
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

TEST_F(QueryServiceTest, SubscribeWithBadFilterIsInvalidArgument) {
  grpc::ClientContext context;
  newsfeed::v1::SubscribeRequest request;
  for (int i = 0; i < 1000; ++i) {
    request.mutable_filter()->mutable_companies()->add_any_of(
        absl::StrCat("c", i));
  }
  auto reader = query_->Subscribe(&context, request);
  newsfeed::v1::SubscribeResponse message;
  while (reader->Read(&message)) {
  }
  grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("companies"));
}

}  // namespace
}  // namespace newsfeed::query

namespace newsfeed::query {
namespace {

// query-service with mutual TLS and both tokens, as deploy/ can run it.
class SecuredQueryServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    certs_ = auth::MakeTestCerts();
    ASSERT_FALSE(certs_.dir.empty());
    std::string dir = ::testing::TempDir() + "query_secured_XXXXXX";
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    QueryConfig config;
    config.store.data_dir = dir;
    config.server.listen_address = "127.0.0.1:0";
    config.server.tls_cert_file = certs_.server_cert();
    config.server.tls_key_file = certs_.server_key();
    config.server.tls_client_ca_file = certs_.ca();
    config.ingest.publish_token = "publish-token";
    config.read_token = "read-token";
    config.hub.heartbeat_interval = absl::Hours(1);
    config.shutdown_grace = absl::Seconds(1);
    auto server = QueryServer::Start(config, RealClock::Instance());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    auto credentials =
        auth::MakeChannelCredentials({.ca_file = certs_.ca(),
                                      .cert_file = certs_.client_cert(),
                                      .key_file = certs_.client_key()});
    ASSERT_TRUE(credentials.ok()) << credentials.status();
    channel_ = grpc::CreateChannel(server_->address(), *credentials);
  }

  grpc::Status Publish(const std::string& token) {
    auto stub = newsfeed::v1::ArticleIngest::NewStub(channel_);
    grpc::ClientContext context;
    if (!token.empty()) {
      context.AddMetadata("authorization", auth::BearerHeader(token));
    }
    auto stream = stub->Publish(&context);
    newsfeed::v1::PublishRequest request;
    request.set_batch_id(1);
    *request.add_articles() = MakeArticle("s1", "Microsoft", "FR", "ai", 1000);
    stream->Write(request);
    stream->WritesDone();
    newsfeed::v1::PublishResponse ack;
    while (stream->Read(&ack)) {
    }
    return stream->Finish();
  }

  grpc::Status Search(const std::string& token,
                      newsfeed::v1::SearchResponse* response) {
    auto stub = newsfeed::v1::QueryService::NewStub(channel_);
    grpc::ClientContext context;
    if (!token.empty()) {
      context.AddMetadata("authorization", auth::BearerHeader(token));
    }
    return stub->Search(&context, newsfeed::v1::SearchRequest(), response);
  }

  auth::TestCerts certs_;
  std::unique_ptr<QueryServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(SecuredQueryServiceTest, PublishNeedsThePublishToken) {
  grpc::Status status = Publish("");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("Publish: needs a token"));
  status = Publish("read-token");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("wrong token"));

  newsfeed::v1::SearchResponse response;
  ASSERT_TRUE(Search("read-token", &response).ok());
  EXPECT_EQ(response.articles_size(), 0);  // nothing got in

  ASSERT_TRUE(Publish("publish-token").ok());
  ASSERT_TRUE(Search("read-token", &response).ok());
  ASSERT_EQ(response.articles_size(), 1);
  EXPECT_EQ(response.articles(0).id(), "s1");
}

TEST_F(SecuredQueryServiceTest, ReadsNeedTheReadTokenButHealthDoesNot) {
  newsfeed::v1::SearchResponse response;
  grpc::Status status = Search("", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("Search"));

  auto query = newsfeed::v1::QueryService::NewStub(channel_);
  grpc::ClientContext subscribe_context;
  auto reader =
      query->Subscribe(&subscribe_context, newsfeed::v1::SubscribeRequest());
  newsfeed::v1::SubscribeResponse message;
  EXPECT_FALSE(reader->Read(&message));
  status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("Subscribe"));

  // Probes need no token.
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext health_context;
  grpc::health::v1::HealthCheckResponse health_response;
  ASSERT_TRUE(health
                  ->Check(&health_context,
                          grpc::health::v1::HealthCheckRequest(),
                          &health_response)
                  .ok());
  EXPECT_EQ(health_response.status(),
            grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(SecuredQueryServiceTest, ClientWithoutCertificateIsRefused) {
  auto credentials = auth::MakeChannelCredentials(
      {.ca_file = certs_.ca(), .cert_file = "", .key_file = ""});
  ASSERT_TRUE(credentials.ok());
  auto stub = newsfeed::v1::QueryService::NewStub(
      grpc::CreateChannel(server_->address(), *credentials));
  grpc::ClientContext context;
  context.AddMetadata("authorization", auth::BearerHeader("read-token"));
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  newsfeed::v1::SearchResponse response;
  EXPECT_EQ(stub->Search(&context, newsfeed::v1::SearchRequest(), &response)
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace newsfeed::query
