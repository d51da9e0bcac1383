// The HTTP/JSON API over real HTTP on 127.0.0.1:0, served by a real
// query-service (SQLite store, hub, gRPC) that articles reach through
// Publish: what curl, a browser or a script sees.
#include "query-service/http/http_api.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <stdlib.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/auth/test_certs.h"
#include "common/testing/sse_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "newsfeed/v1/http.pb.h"
#include "newsfeed/v1/ingest.grpc.pb.h"
#include "newsfeed/v1/query.grpc.pb.h"
#include "query-service/http/web_assets.h"
#include "query-service/server/query_server.h"

namespace newsfeed::query {
namespace {

using google::protobuf::util::JsonStringToMessage;
using google::protobuf::util::MessageDifferencer;
using newsfeed::testing::SseClient;
using newsfeed::testing::SseEvent;
using newsfeed::v1::Article;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

Article MakeArticle(const std::string& id, const std::string& company,
                    const std::string& country, const std::string& topic,
                    int64_t published) {
  Article a;
  a.set_id(id);
  a.set_title("Story " + id + " about " + company);
  a.set_content_text("Body of " + id +
                     " with caf\xC3\xA9 and \"quotes\"\nand a newline");
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

template <typename Message>
Message FromJson(const std::string& json) {
  Message message;
  auto status = JsonStringToMessage(json, &message);
  EXPECT_TRUE(status.ok()) << status << " in " << json;
  return message;
}

class HttpApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Start([](QueryConfig&) {});
  }

  template <typename Configure>
  void Start(Configure configure) {
    server_.reset();
    std::string dir = ::testing::TempDir() + "http_api_XXXXXX";
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    QueryConfig config;
    config.store.data_dir = dir;
    config.server.listen_address = "127.0.0.1:0";
    config.http.listen_address = "127.0.0.1:0";
    config.hub.heartbeat_interval = absl::Hours(1);
    config.shutdown_grace = absl::Seconds(2);
    config.metrics_listen = "127.0.0.1:0";
    configure(config);
    auto server = QueryServer::Start(config, RealClock::Instance());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    channel_ = grpc::CreateChannel(server_->address(),
                                   grpc::InsecureChannelCredentials());
    query_ = newsfeed::v1::QueryService::NewStub(channel_);
    ingest_ = newsfeed::v1::ArticleIngest::NewStub(channel_);
    http_ = std::make_unique<httplib::Client>(
        absl::StrCat("http://", server_->http_address()));
  }

  void Publish(const std::vector<Article>& articles) {
    grpc::ClientContext context;
    auto stream = ingest_->Publish(&context);
    newsfeed::v1::PublishRequest request;
    request.set_batch_id(++batch_id_);
    for (const Article& a : articles) *request.add_articles() = a;
    stream->Write(request);
    stream->WritesDone();
    newsfeed::v1::PublishResponse ack;
    while (stream->Read(&ack)) {
    }
    ASSERT_TRUE(stream->Finish().ok());
  }

  // GET `target`; fails the test when no response came.
  httplib::Result Get(const std::string& target,
                      const httplib::Headers& headers = {}) {
    httplib::Result result = http_->Get(target, headers);
    EXPECT_TRUE(result) << target << ": " << httplib::to_string(result.error());
    return result;
  }

  // The error of a failed request, checked to be a well-formed HttpError
  // with `http_status` in both places.
  newsfeed::v1::HttpErrorDetail ExpectError(const std::string& target,
                                            int http_status) {
    httplib::Result result = Get(target);
    if (!result) return {};
    EXPECT_EQ(result->status, http_status) << target << ": " << result->body;
    EXPECT_EQ(result->get_header_value("Content-Type"), "application/json");
    auto error = FromJson<newsfeed::v1::HttpError>(result->body);
    EXPECT_EQ(error.error().code(), http_status);
    return error.error();
  }

  std::unique_ptr<QueryServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<newsfeed::v1::QueryService::Stub> query_;
  std::unique_ptr<newsfeed::v1::ArticleIngest::Stub> ingest_;
  std::unique_ptr<httplib::Client> http_;
  uint64_t batch_id_ = 0;
};

TEST_F(HttpApiTest, SearchAnswersWhatGrpcAnswersAsProtoJson) {
  Publish({MakeArticle("a1", "Microsoft", "FR", "ai", 1000),
           MakeArticle("a2", "Apple", "US", "earnings", 2000),
           MakeArticle("a3", "Microsoft", "DE", "cloud", 3000)});

  httplib::Result result = Get("/v1/articles?company=microsoft&country=FR");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  EXPECT_EQ(result->get_header_value("Content-Type"), "application/json");
  auto over_http = FromJson<newsfeed::v1::SearchResponse>(result->body);

  grpc::ClientContext context;
  newsfeed::v1::SearchRequest request;
  request.mutable_filter()->mutable_companies()->add_any_of("microsoft");
  request.mutable_filter()->mutable_countries()->add_any_of("FR");
  newsfeed::v1::SearchResponse over_grpc;
  ASSERT_TRUE(query_->Search(&context, request, &over_grpc).ok());
  ASSERT_EQ(over_grpc.articles_size(), 1);
  EXPECT_TRUE(MessageDifferencer::Equals(over_http, over_grpc))
      << over_http.DebugString() << "\nvs\n"
      << over_grpc.DebugString();
  // The JSON mapping's names, not the proto's.
  EXPECT_THAT(result->body, HasSubstr("\"contentText\":"));
}

TEST_F(HttpApiTest, RepeatedParametersMeanAnyAllAndNone) {
  Article both = MakeArticle("both", "Microsoft", "FR", "ai", 1000);
  auto* amazon = both.add_companies();
  amazon->set_id("id:Amazon");
  amazon->set_name("Amazon");
  Publish({both, MakeArticle("ms", "Microsoft", "US", "ai", 2000),
           MakeArticle("apple", "Apple", "US", "ai", 3000)});
  auto ids = [&](const std::string& target) {
    std::vector<std::string> found;
    httplib::Result result = Get(target);
    if (!result) return found;
    EXPECT_EQ(result->status, 200) << result->body;
    const auto response = FromJson<newsfeed::v1::SearchResponse>(result->body);
    for (const Article& a : response.articles()) found.push_back(a.id());
    return found;
  };
  EXPECT_THAT(ids("/v1/articles?company=Apple&company=Amazon"),
              ElementsAre("apple", "both"));
  EXPECT_THAT(ids("/v1/articles?company.all=Microsoft&company.all=Amazon"),
              ElementsAre("both"));
  EXPECT_THAT(ids("/v1/articles?company=Microsoft&company.none=Amazon"),
              ElementsAre("ms"));
  EXPECT_THAT(ids("/v1/articles?country.none=US&topic=ai"),
              ElementsAre("both"));
  // Newest first, two per page, the token leading to the rest.
  httplib::Result first = Get("/v1/articles?topic=ai&page_size=2");
  ASSERT_TRUE(first);
  auto page = FromJson<newsfeed::v1::SearchResponse>(first->body);
  ASSERT_EQ(page.articles_size(), 2);
  ASSERT_FALSE(page.next_page_token().empty());
  EXPECT_THAT(ids("/v1/articles?topic=ai&page_size=2&page_token=" +
                  httplib::detail::encode_query_param(page.next_page_token())),
              ElementsAre("both"));
  EXPECT_THAT(ids("/v1/articles?published_after=1970-01-01T00:40:00Z"),
              ElementsAre("apple"));
}

TEST_F(HttpApiTest, ArticleAndFacetsAnswerAsOverGrpc) {
  Publish({MakeArticle("a1", "Microsoft", "FR", "ai", 1000),
           MakeArticle("a2", "Apple", "US", "earnings", 2000)});
  httplib::Result article = Get("/v1/articles/a2");
  ASSERT_TRUE(article);
  ASSERT_EQ(article->status, 200) << article->body;
  Article parsed = FromJson<Article>(article->body);
  EXPECT_EQ(parsed.companies(0).name(), "Apple");
  EXPECT_EQ(parsed.content_text(),
            MakeArticle("a2", "Apple", "US", "", 0).content_text());

  httplib::Result facets = Get("/v1/facets?topic.none=earnings&limit=5");
  ASSERT_TRUE(facets);
  ASSERT_EQ(facets->status, 200) << facets->body;
  grpc::ClientContext context;
  newsfeed::v1::FacetsRequest request;
  request.mutable_filter()->mutable_topics()->add_none_of("earnings");
  request.set_limit(5);
  newsfeed::v1::FacetsResponse over_grpc;
  ASSERT_TRUE(query_->Facets(&context, request, &over_grpc).ok());
  EXPECT_EQ(over_grpc.total(), 1);
  EXPECT_TRUE(MessageDifferencer::Equals(
      FromJson<newsfeed::v1::FacetsResponse>(facets->body), over_grpc));

  // HEAD answers like GET, without the body.
  httplib::Result head = http_->Head("/v1/articles/a2");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
}

TEST_F(HttpApiTest, BadRequestsGetJsonErrorsNamingTheParameter) {
  auto error = ExpectError("/v1/articles?compnay=Microsoft", 400);
  EXPECT_EQ(error.status(), "INVALID_ARGUMENT");
  EXPECT_THAT(error.message(), HasSubstr("unknown parameter \"compnay\""));
  EXPECT_THAT(error.message(), HasSubstr("company.none"));

  EXPECT_THAT(ExpectError("/v1/articles?page_size=ten", 400).message(),
              HasSubstr("page_size: \"ten\" is not a number"));
  // The store's own bound, named as over gRPC.
  EXPECT_THAT(ExpectError("/v1/articles?page_size=5000", 400).message(),
              HasSubstr("page_size"));
  EXPECT_THAT(ExpectError("/v1/articles?page_token=garbage", 400).message(),
              HasSubstr("page_token"));
  EXPECT_THAT(ExpectError("/v1/articles?order=oldest", 400).message(),
              HasSubstr("order: \"oldest\" is not newest or relevance"));
  EXPECT_THAT(
      ExpectError("/v1/articles?published_after=yesterday", 400).message(),
      HasSubstr("published_after: \"yesterday\" is not an RFC 3339 time"));
  EXPECT_THAT(ExpectError("/v1/articles?text=caf%FF", 400).message(),
              HasSubstr("text: not valid UTF-8"));
  EXPECT_THAT(ExpectError("/v1/articles?company=", 400).message(),
              HasSubstr("company: empty value"));
  EXPECT_THAT(ExpectError("/v1/articles?text=a&text=b", 400).message(),
              HasSubstr("text: given more than once"));
  EXPECT_THAT(ExpectError("/v1/facets?page_size=3", 400).message(),
              HasSubstr("unknown parameter \"page_size\""));
  EXPECT_THAT(ExpectError("/v1/stream?after_sequence=-1", 400).message(),
              HasSubstr("after_sequence"));

  auto missing = ExpectError("/v1/articles/nope", 404);
  EXPECT_EQ(missing.status(), "NOT_FOUND");
  auto long_id = ExpectError("/v1/articles/" + std::string(5000, 'x'), 400);
  EXPECT_THAT(long_id.message(), HasSubstr("id: 5000 bytes"));
  EXPECT_LT(long_id.message().size(), 100u);
  EXPECT_EQ(ExpectError("/v2/everything", 404).status(), "NOT_FOUND");

  httplib::Result post = http_->Post("/v1/articles", "{}", "application/json");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->get_header_value("Allow"), "GET, HEAD, OPTIONS");
  EXPECT_EQ(FromJson<newsfeed::v1::HttpError>(post->body).error().code(), 405);
}

TEST_F(HttpApiTest, StreamReplaysThenFollowsAsServerSentEvents) {
  Publish({MakeArticle("old-fr", "Microsoft", "FR", "ai", 1000),
           MakeArticle("old-us", "Apple", "US", "ai", 1001)});
  SseClient stream(server_->http_address(),
                   "/v1/stream?country=FR&after_sequence=0");
  ASSERT_EQ(stream.status(), 200);
  std::vector<SseEvent> replayed = stream.WaitForArticles(1);
  ASSERT_EQ(replayed.size(), 1u);
  Article first = FromJson<Article>(replayed[0].data);
  EXPECT_EQ(first.id(), "old-fr");
  EXPECT_EQ(replayed[0].id, absl::StrCat(first.sequence()));

  Publish({MakeArticle("new-us", "Apple", "US", "ai", 2000),
           MakeArticle("new-fr", "Mistral AI", "FR", "ai", 2001)});
  std::vector<SseEvent> all = stream.WaitForArticles(2);
  ASSERT_EQ(all.size(), 2u);
  Article live = FromJson<Article>(all[1].data);
  EXPECT_EQ(live.id(), "new-fr");
  EXPECT_EQ(live.content_text(),
            MakeArticle("new-fr", "", "", "", 0).content_text());
  EXPECT_EQ(all[1].id, absl::StrCat(live.sequence()));

  // The first event is a heartbeat with the position the stream starts
  // from, so a client can save a position before any article.
  std::vector<SseEvent> events = stream.WaitForEvents(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "heartbeat");
  EXPECT_EQ(events[0].id, "0");
}

TEST_F(HttpApiTest, LastEventIdResumesWithoutGapOrRepeat) {
  Publish({MakeArticle("s1", "Microsoft", "FR", "ai", 1000),
           MakeArticle("s2", "Microsoft", "FR", "ai", 1001),
           MakeArticle("s3", "Microsoft", "FR", "ai", 1002)});
  std::string resume_from;
  {
    SseClient stream(server_->http_address(), "/v1/stream?after_sequence=0");
    std::vector<SseEvent> articles = stream.WaitForArticles(2);
    ASSERT_GE(articles.size(), 2u);
    EXPECT_EQ(FromJson<Article>(articles[1].data).id(), "s2");
    resume_from = articles[1].id;
  }
  Publish({MakeArticle("s4", "Microsoft", "FR", "ai", 1003)});
  // As a browser reconnects: the original URL, and the header, which wins.
  SseClient resumed(server_->http_address(), "/v1/stream?after_sequence=0",
                    {{"Last-Event-ID", resume_from}});
  std::vector<SseEvent> rest = resumed.WaitForArticles(2);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(FromJson<Article>(rest[0].data).id(), "s3");
  EXPECT_EQ(FromJson<Article>(rest[1].data).id(), "s4");
}

TEST_F(HttpApiTest, ShutdownEndsStreamsWithTheirResumePosition) {
  Publish({MakeArticle("s1", "Microsoft", "FR", "ai", 1000)});
  SseClient stream(server_->http_address(), "/v1/stream?after_sequence=0");
  std::vector<SseEvent> articles = stream.WaitForArticles(1);
  ASSERT_EQ(articles.size(), 1u);
  server_->Shutdown();
  std::vector<SseEvent> events = stream.WaitForClose();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().type, "end");
  auto error = FromJson<newsfeed::v1::HttpError>(events.back().data);
  EXPECT_EQ(error.error().status(), "UNAVAILABLE");
  EXPECT_EQ(error.error().code(), 503);
  EXPECT_THAT(error.error().message(),
              HasSubstr(absl::StrCat("after_sequence=", articles[0].id)));
}

TEST_F(HttpApiTest, StreamsBeyondThePerClientLimitAreTooManyRequests) {
  Start([](QueryConfig& config) { config.hub.max_subscribers_per_peer = 1; });
  SseClient first(server_->http_address(), "/v1/stream");
  ASSERT_EQ(first.status(), 200);
  ASSERT_EQ(first.WaitForEvents(1).size(), 1u);  // subscribed
  SseClient second(server_->http_address(), "/v1/stream");
  EXPECT_EQ(second.status(), 429);
  auto error = FromJson<newsfeed::v1::HttpError>(second.error_body());
  EXPECT_EQ(error.error().status(), "RESOURCE_EXHAUSTED");
}

TEST_F(HttpApiTest, ReadTokenIsRequiredAsHeaderOrAccessToken) {
  Start([](QueryConfig& config) {
    config.read_token = config.http.read_token = "s3cret-token";
  });
  Publish({MakeArticle("a1", "Microsoft", "FR", "ai", 1000)});
  auto error = ExpectError("/v1/articles", 401);
  EXPECT_EQ(error.status(), "UNAUTHENTICATED");
  EXPECT_THAT(error.message(), Not(HasSubstr("s3cret")));
  httplib::Result refused = Get("/v1/articles");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->get_header_value("WWW-Authenticate"),
            "Bearer realm=\"newsfeed\"");
  EXPECT_EQ(ExpectError("/v1/articles?access_token=wrong", 401).status(),
            "UNAUTHENTICATED");

  httplib::Result with_header =
      Get("/v1/articles", {{"Authorization", "Bearer s3cret-token"}});
  ASSERT_TRUE(with_header);
  EXPECT_EQ(with_header->status, 200);
  httplib::Result with_param = Get("/v1/articles/a1?access_token=s3cret-token");
  ASSERT_TRUE(with_param);
  EXPECT_EQ(with_param->status, 200);
  SseClient stream(server_->http_address(),
                   "/v1/stream?after_sequence=0&access_token=s3cret-token");
  EXPECT_EQ(stream.WaitForArticles(1).size(), 1u);
  SseClient no_token(server_->http_address(), "/v1/stream");
  EXPECT_EQ(no_token.status(), 401);
}

TEST_F(HttpApiTest, CorsAllowsOnlyTheConfiguredOrigins) {
  Start([](QueryConfig& config) {
    config.http.cors_allowed_origins = {"https://dashboard.example"};
  });
  httplib::Result allowed =
      Get("/v1/articles", {{"Origin", "https://dashboard.example"}});
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->get_header_value("Access-Control-Allow-Origin"),
            "https://dashboard.example");
  httplib::Result other =
      Get("/v1/articles", {{"Origin", "https://evil.example"}});
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->has_header("Access-Control-Allow-Origin"));

  httplib::Result preflight = http_->Options(
      "/v1/stream", {{"Origin", "https://dashboard.example"},
                     {"Access-Control-Request-Method", "GET"},
                     {"Access-Control-Request-Headers", "authorization"}});
  ASSERT_TRUE(preflight);
  EXPECT_EQ(preflight->status, 204);
  EXPECT_THAT(preflight->get_header_value("Access-Control-Allow-Headers"),
              HasSubstr("Authorization"));
  EXPECT_THAT(preflight->get_header_value("Access-Control-Allow-Methods"),
              HasSubstr("GET"));
}

TEST_F(HttpApiTest, ServesHttpsWithTheGrpcPortsCertificate) {
  const auth::TestCerts certs = auth::MakeTestCerts();
  ASSERT_FALSE(certs.dir.empty());
  Start([&](QueryConfig& config) {
    config.http.tls_cert_file = certs.server_cert();
    config.http.tls_key_file = certs.server_key();
  });
  Publish({MakeArticle("a1", "Microsoft", "FR", "ai", 1000)});
  const std::string address = server_->http_address();
  httplib::SSLClient client("localhost",
                            std::stoi(address.substr(address.rfind(':') + 1)));
  client.set_ca_cert_path(certs.ca().c_str());
  client.enable_server_certificate_verification(true);
  httplib::Result result = client.Get("/v1/articles/a1");
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(FromJson<Article>(result->body).id(), "a1");
  // Plain HTTP on the TLS port gets no answer.
  httplib::Result plain = http_->Get("/v1/articles/a1");
  EXPECT_TRUE(!plain || plain->status != 200);
}

TEST_F(HttpApiTest, ServesTheLivePageAndTheApiDocumentLockedDown) {
  ASSERT_NE(FindWebAsset("/"), nullptr) << "web/index.html is not compiled in";
  for (const std::string path : {"/", "/index.html", "/openapi.yaml"}) {
    httplib::Result result = Get(path);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 200) << path;
    const WebAsset* asset = FindWebAsset(path);
    ASSERT_NE(asset, nullptr) << path;
    EXPECT_EQ(
        result->body,
        std::string(reinterpret_cast<const char*>(asset->data), asset->size));
    EXPECT_EQ(result->get_header_value("Content-Type"), asset->content_type);
    EXPECT_THAT(result->get_header_value("Content-Security-Policy"),
                HasSubstr("script-src 'self'"));
    EXPECT_EQ(result->get_header_value("X-Content-Type-Options"), "nosniff");
  }
  EXPECT_THAT(Get("/")->body, HasSubstr("<html"));
  EXPECT_THAT(Get("/openapi.yaml")->body, HasSubstr("openapi: 3.1"));
  // The page needs no token (it holds no data); the API still does.
  Start([](QueryConfig& config) {
    config.read_token = config.http.read_token = "s3cret-token";
  });
  EXPECT_EQ(Get("/")->status, 200);
  EXPECT_EQ(Get("/v1/articles")->status, 401);
}

TEST_F(HttpApiTest, MetricsCountRequestsByRouteAndStatus) {
  Get("/v1/articles");
  Get("/v1/articles/missing");
  httplib::Client metrics(absl::StrCat("http://", server_->metrics_address()));
  httplib::Result scraped = metrics.Get("/metrics");
  ASSERT_TRUE(scraped);
  EXPECT_THAT(scraped->body,
              HasSubstr("newsfeed_http_requests_total{route=\"articles\","
                        "code=\"200\"} 1"));
  EXPECT_THAT(scraped->body,
              HasSubstr("newsfeed_http_requests_total{route=\"article\","
                        "code=\"404\"} 1"));
}

}  // namespace
}  // namespace newsfeed::query
