// Test doubles for cli_tests: small in-process implementations of
// QueryService and FeedAdmin (gRPC callback API) that record what they were
// asked, plus a server on 127.0.0.1:0 that also answers grpc.health.v1.
//
// Thread-safe: the services are called on gRPC threads while the test reads
// the recorded requests.
#ifndef CLI_FAKE_SERVICES_H_
#define CLI_FAKE_SERVICES_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "newsfeed/v1/feeds.grpc.pb.h"
#include "newsfeed/v1/query.grpc.pb.h"

namespace newsfeed::cli::testing {

class FakeQueryService final : public v1::QueryService::CallbackService {
 public:
  // Search answers with search_pages[request.page_token()] (empty response
  // when absent) or with search_status when it is not OK.
  void SetSearchPage(const std::string& token, v1::SearchResponse page);
  void SetSearchStatus(grpc::Status status);
  // GetArticle answers with the article of that id, else NOT_FOUND.
  void AddArticle(v1::Article article);
  void SetFacets(v1::FacetsResponse facets);
  // Subscribe replays the articles added with AppendToLog whose sequence is
  // above the request's after_sequence (all of them for since_time or no
  // start), then one heartbeat with `heartbeat_sequence` when non-zero, then
  // either ends the stream OK or, when `hold_open`, waits for cancellation.
  void AppendToLog(v1::Article article);
  void SetSubscribeTail(uint64_t heartbeat_sequence, bool hold_open);
  // Blocks until `n` Subscribe streams have written everything and are being
  // held open.
  void AwaitHeldStreams(int n);

  std::vector<v1::SearchRequest> search_requests() const;
  std::vector<v1::FacetsRequest> facets_requests() const;
  std::vector<v1::SubscribeRequest> subscribe_requests() const;
  std::vector<std::string> get_requests() const;
  // The "authorization" metadata of every call, in order.
  std::vector<std::string> authorizations() const;

  grpc::ServerUnaryReactor* Search(grpc::CallbackServerContext* context,
                                   const v1::SearchRequest* request,
                                   v1::SearchResponse* response) override;
  grpc::ServerUnaryReactor* GetArticle(grpc::CallbackServerContext* context,
                                       const v1::GetArticleRequest* request,
                                       v1::Article* response) override;
  grpc::ServerUnaryReactor* Facets(grpc::CallbackServerContext* context,
                                   const v1::FacetsRequest* request,
                                   v1::FacetsResponse* response) override;
  grpc::ServerWriteReactor<v1::SubscribeResponse>* Subscribe(
      grpc::CallbackServerContext* context,
      const v1::SubscribeRequest* request) override;

 private:
  class SubscribeWriter;
  void RecordAuthorization(grpc::CallbackServerContext* context)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StreamHeld();

  mutable absl::Mutex mu_;
  std::map<std::string, v1::SearchResponse> search_pages_ ABSL_GUARDED_BY(mu_);
  grpc::Status search_status_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, v1::Article> articles_ ABSL_GUARDED_BY(mu_);
  v1::FacetsResponse facets_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::Article> log_ ABSL_GUARDED_BY(mu_);
  uint64_t heartbeat_sequence_ ABSL_GUARDED_BY(mu_) = 0;
  bool hold_open_ ABSL_GUARDED_BY(mu_) = false;
  int held_streams_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<v1::SearchRequest> search_requests_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::FacetsRequest> facets_requests_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::SubscribeRequest> subscribe_requests_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> get_requests_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> authorizations_ ABSL_GUARDED_BY(mu_);
};

class FakeFeedAdmin final : public v1::FeedAdmin::CallbackService {
 public:
  // ListFeeds returns these. AddFeed: ALREADY_EXISTS for a listed URL,
  // otherwise a new FeedStatus with id "feed-<n>". RemoveFeed / PollNow:
  // NOT_FOUND unless the id or URL is listed; PollNow("") queues all.
  void AddListedFeed(v1::FeedStatus feed);

  std::vector<std::string> added_urls() const;
  std::vector<std::string> removed_ids() const;
  std::vector<std::string> polled_ids() const;
  // ImportFeeds answers `response` and records each request; ExportFeeds
  // answers `opml`.
  void SetImportResponse(v1::ImportFeedsResponse response);
  std::vector<v1::ImportFeedsRequest> import_requests() const;
  void SetExportedOpml(std::string opml);

  grpc::ServerUnaryReactor* ListFeeds(grpc::CallbackServerContext* context,
                                      const v1::ListFeedsRequest* request,
                                      v1::ListFeedsResponse* response) override;
  grpc::ServerUnaryReactor* AddFeed(grpc::CallbackServerContext* context,
                                    const v1::AddFeedRequest* request,
                                    v1::FeedStatus* response) override;
  grpc::ServerUnaryReactor* RemoveFeed(
      grpc::CallbackServerContext* context,
      const v1::RemoveFeedRequest* request,
      v1::RemoveFeedResponse* response) override;
  grpc::ServerUnaryReactor* PollNow(grpc::CallbackServerContext* context,
                                    const v1::PollNowRequest* request,
                                    v1::PollNowResponse* response) override;
  grpc::ServerUnaryReactor* ImportFeeds(
      grpc::CallbackServerContext* context,
      const v1::ImportFeedsRequest* request,
      v1::ImportFeedsResponse* response) override;
  grpc::ServerUnaryReactor* ExportFeeds(
      grpc::CallbackServerContext* context,
      const v1::ExportFeedsRequest* request,
      v1::ExportFeedsResponse* response) override;

 private:
  bool KnownLocked(const std::string& id_or_url) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::vector<v1::FeedStatus> feeds_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> added_urls_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> removed_ids_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> polled_ids_ ABSL_GUARDED_BY(mu_);
  v1::ImportFeedsResponse import_response_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::ImportFeedsRequest> import_requests_ ABSL_GUARDED_BY(mu_);
  std::string exported_opml_ ABSL_GUARDED_BY(mu_);
};

// A real gRPC server on 127.0.0.1:<free port> with the given services and the
// default health service (SERVING). Shuts down (cancelling open streams) when
// destroyed.
class TestServer {
 public:
  // Plaintext unless `credentials` say otherwise (e.g. TLS).
  static std::unique_ptr<TestServer> Start(
      const std::vector<grpc::Service*>& services,
      std::shared_ptr<grpc::ServerCredentials> credentials =
          grpc::InsecureServerCredentials());
  ~TestServer();

  const std::string& address() const { return address_; }
  // Health of every known service and of "" (the whole server).
  void SetServing(bool serving);
  // Health of one named service (which becomes known).
  void SetServing(const std::string& service, bool serving);

 private:
  TestServer(std::unique_ptr<grpc::Server> server, std::string address)
      : server_(std::move(server)), address_(std::move(address)) {}

  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

// "127.0.0.1:<port>" of a port that was bound and closed again, so nothing
// listens there.
std::string UnusedAddress();

// An article with the given id, sequence and title, published at 2024-05-13
// 09:30 UTC plus `sequence` minutes.
v1::Article MakeArticle(const std::string& id, uint64_t sequence,
                        const std::string& title);

}  // namespace newsfeed::cli::testing

#endif  // CLI_FAKE_SERVICES_H_
