#include "cli/fake_services.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace newsfeed::cli::testing {

// Writes a fixed list of events one at a time (the next StartWrite from
// OnWriteDone), then finishes or waits for cancellation. Never blocks in a
// reaction; Finish is called exactly once.
class FakeQueryService::SubscribeWriter final
    : public grpc::ServerWriteReactor<v1::SubscribeResponse> {
 public:
  SubscribeWriter(FakeQueryService* service,
                  std::vector<v1::SubscribeResponse> events, bool hold_open)
      : service_(service), events_(std::move(events)), hold_open_(hold_open) {
    Next();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      FinishOnce(grpc::Status::CANCELLED);
      return;
    }
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
    }
    Next();
  }

  void OnCancel() override {
    bool finish_now;
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
      finish_now = !writing_;
    }
    if (finish_now) FinishOnce(grpc::Status::CANCELLED);
  }

  void OnDone() override { delete this; }

 private:
  void Next() {
    enum { kWrite, kFinish, kHold, kNothing } what;
    const v1::SubscribeResponse* event = nullptr;
    {
      absl::MutexLock lock(&mu_);
      if (finished_ || cancelled_) {
        what = cancelled_ ? kFinish : kNothing;
      } else if (index_ < events_.size()) {
        what = kWrite;
        event = &events_[index_++];
        writing_ = true;
      } else {
        what = hold_open_ ? kHold : kFinish;
      }
    }
    switch (what) {
      case kWrite:
        StartWrite(event);
        break;
      case kFinish:
        FinishOnce(cancelled_now() ? grpc::Status::CANCELLED
                                   : grpc::Status::OK);
        break;
      case kHold:
        service_->StreamHeld();
        break;
      case kNothing:
        break;
    }
  }

  bool cancelled_now() {
    absl::MutexLock lock(&mu_);
    return cancelled_;
  }

  void FinishOnce(const grpc::Status& status) {
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      finished_ = true;
    }
    Finish(status);
  }

  FakeQueryService* const service_;
  const std::vector<v1::SubscribeResponse> events_;
  const bool hold_open_;
  absl::Mutex mu_;
  size_t index_ ABSL_GUARDED_BY(mu_) = 0;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

void FakeQueryService::SetSearchPage(const std::string& token,
                                     v1::SearchResponse page) {
  absl::MutexLock lock(&mu_);
  search_pages_[token] = std::move(page);
}

void FakeQueryService::SetSearchStatus(grpc::Status status) {
  absl::MutexLock lock(&mu_);
  search_status_ = std::move(status);
}

void FakeQueryService::AddArticle(v1::Article article) {
  absl::MutexLock lock(&mu_);
  std::string id = article.id();
  articles_[id] = std::move(article);
}

void FakeQueryService::SetFacets(v1::FacetsResponse facets) {
  absl::MutexLock lock(&mu_);
  facets_ = std::move(facets);
}

void FakeQueryService::AppendToLog(v1::Article article) {
  absl::MutexLock lock(&mu_);
  log_.push_back(std::move(article));
}

void FakeQueryService::SetSubscribeTail(uint64_t heartbeat_sequence,
                                        bool hold_open) {
  absl::MutexLock lock(&mu_);
  heartbeat_sequence_ = heartbeat_sequence;
  hold_open_ = hold_open;
}

void FakeQueryService::AwaitHeldStreams(int n) {
  absl::MutexLock lock(&mu_);
  struct Arg {
    const int* held;
    int n;
  } arg{&held_streams_, n};
  mu_.Await(absl::Condition(
      +[](Arg* a) { return *a->held >= a->n; }, &arg));
}

void FakeQueryService::StreamHeld() {
  absl::MutexLock lock(&mu_);
  ++held_streams_;
}

std::vector<v1::SearchRequest> FakeQueryService::search_requests() const {
  absl::MutexLock lock(&mu_);
  return search_requests_;
}
std::vector<v1::FacetsRequest> FakeQueryService::facets_requests() const {
  absl::MutexLock lock(&mu_);
  return facets_requests_;
}
std::vector<v1::SubscribeRequest> FakeQueryService::subscribe_requests() const {
  absl::MutexLock lock(&mu_);
  return subscribe_requests_;
}
std::vector<std::string> FakeQueryService::get_requests() const {
  absl::MutexLock lock(&mu_);
  return get_requests_;
}
std::vector<std::string> FakeQueryService::authorizations() const {
  absl::MutexLock lock(&mu_);
  return authorizations_;
}

void FakeQueryService::RecordAuthorization(
    grpc::CallbackServerContext* context) {
  auto it = context->client_metadata().find("authorization");
  authorizations_.push_back(
      it == context->client_metadata().end()
          ? std::string()
          : std::string(it->second.data(), it->second.size()));
}

grpc::ServerUnaryReactor* FakeQueryService::Search(
    grpc::CallbackServerContext* context, const v1::SearchRequest* request,
    v1::SearchResponse* response) {
  grpc::Status status;
  {
    absl::MutexLock lock(&mu_);
    RecordAuthorization(context);
    search_requests_.push_back(*request);
    status = search_status_;
    if (auto it = search_pages_.find(request->page_token());
        it != search_pages_.end()) {
      *response = it->second;
    }
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

grpc::ServerUnaryReactor* FakeQueryService::GetArticle(
    grpc::CallbackServerContext* context, const v1::GetArticleRequest* request,
    v1::Article* response) {
  grpc::Status status;
  {
    absl::MutexLock lock(&mu_);
    RecordAuthorization(context);
    get_requests_.push_back(request->id());
    if (auto it = articles_.find(request->id()); it != articles_.end()) {
      *response = it->second;
    } else {
      status = grpc::Status(grpc::StatusCode::NOT_FOUND,
                            absl::StrCat("no article with id ", request->id()));
    }
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

grpc::ServerUnaryReactor* FakeQueryService::Facets(
    grpc::CallbackServerContext* context, const v1::FacetsRequest* request,
    v1::FacetsResponse* response) {
  {
    absl::MutexLock lock(&mu_);
    RecordAuthorization(context);
    facets_requests_.push_back(*request);
    *response = facets_;
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerWriteReactor<v1::SubscribeResponse>* FakeQueryService::Subscribe(
    grpc::CallbackServerContext* context, const v1::SubscribeRequest* request) {
  std::vector<v1::SubscribeResponse> events;
  bool hold_open;
  {
    absl::MutexLock lock(&mu_);
    RecordAuthorization(context);
    subscribe_requests_.push_back(*request);
    const uint64_t after =
        request->has_after_sequence() ? request->after_sequence() : 0;
    // Like the real service: batches of max_articles_per_response when the
    // client asks for more than one.
    const uint32_t per_message = request->max_articles_per_response();
    for (const v1::Article& article : log_) {
      if (article.sequence() <= after) continue;
      if (per_message <= 1) {
        v1::SubscribeResponse event;
        *event.mutable_article() = article;
        events.push_back(std::move(event));
        continue;
      }
      if (events.empty() || !events.back().has_articles() ||
          events.back().articles().articles_size() >=
              static_cast<int>(per_message)) {
        events.emplace_back().mutable_articles();
      }
      *events.back().mutable_articles()->add_articles() = article;
    }
    if (heartbeat_sequence_ != 0) {
      v1::SubscribeResponse event;
      event.mutable_heartbeat()->set_latest_sequence(heartbeat_sequence_);
      event.mutable_heartbeat()->mutable_server_time()->set_seconds(1715592600);
      events.push_back(std::move(event));
    }
    hold_open = hold_open_;
  }
  return new SubscribeWriter(this, std::move(events), hold_open);
}

// FakeFeedAdmin ---------------------------------------------------------------

void FakeFeedAdmin::AddListedFeed(v1::FeedStatus feed) {
  absl::MutexLock lock(&mu_);
  feeds_.push_back(std::move(feed));
}

std::vector<std::string> FakeFeedAdmin::added_urls() const {
  absl::MutexLock lock(&mu_);
  return added_urls_;
}
std::vector<std::string> FakeFeedAdmin::removed_ids() const {
  absl::MutexLock lock(&mu_);
  return removed_ids_;
}
std::vector<std::string> FakeFeedAdmin::polled_ids() const {
  absl::MutexLock lock(&mu_);
  return polled_ids_;
}

bool FakeFeedAdmin::KnownLocked(const std::string& id_or_url) const {
  for (const v1::FeedStatus& feed : feeds_) {
    if (feed.id() == id_or_url || feed.url() == id_or_url) return true;
  }
  return false;
}

grpc::ServerUnaryReactor* FakeFeedAdmin::ListFeeds(
    grpc::CallbackServerContext* context, const v1::ListFeedsRequest*,
    v1::ListFeedsResponse* response) {
  {
    absl::MutexLock lock(&mu_);
    for (const v1::FeedStatus& feed : feeds_) *response->add_feeds() = feed;
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* FakeFeedAdmin::AddFeed(
    grpc::CallbackServerContext* context, const v1::AddFeedRequest* request,
    v1::FeedStatus* response) {
  grpc::Status status;
  {
    absl::MutexLock lock(&mu_);
    added_urls_.push_back(request->url());
    if (KnownLocked(request->url())) {
      status = grpc::Status(
          grpc::StatusCode::ALREADY_EXISTS,
          absl::StrCat("feed ", request->url(), " already exists"));
    } else {
      response->set_id(absl::StrCat("feed-", feeds_.size() + 1));
      response->set_url(request->url());
      response->set_enabled(true);
      feeds_.push_back(*response);
    }
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

grpc::ServerUnaryReactor* FakeFeedAdmin::RemoveFeed(
    grpc::CallbackServerContext* context, const v1::RemoveFeedRequest* request,
    v1::RemoveFeedResponse*) {
  grpc::Status status;
  {
    absl::MutexLock lock(&mu_);
    removed_ids_.push_back(request->id());
    if (!KnownLocked(request->id())) {
      status = grpc::Status(grpc::StatusCode::NOT_FOUND,
                            absl::StrCat("no feed ", request->id()));
    }
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

grpc::ServerUnaryReactor* FakeFeedAdmin::PollNow(
    grpc::CallbackServerContext* context, const v1::PollNowRequest* request,
    v1::PollNowResponse* response) {
  grpc::Status status;
  {
    absl::MutexLock lock(&mu_);
    polled_ids_.push_back(request->id());
    if (request->id().empty()) {
      response->set_queued(static_cast<int>(feeds_.size()));
    } else if (KnownLocked(request->id())) {
      response->set_queued(1);
    } else {
      status = grpc::Status(grpc::StatusCode::NOT_FOUND,
                            absl::StrCat("no feed ", request->id()));
    }
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

void FakeFeedAdmin::SetImportResponse(v1::ImportFeedsResponse response) {
  absl::MutexLock lock(&mu_);
  import_response_ = std::move(response);
}

std::vector<v1::ImportFeedsRequest> FakeFeedAdmin::import_requests() const {
  absl::MutexLock lock(&mu_);
  return import_requests_;
}

void FakeFeedAdmin::SetExportedOpml(std::string opml) {
  absl::MutexLock lock(&mu_);
  exported_opml_ = std::move(opml);
}

grpc::ServerUnaryReactor* FakeFeedAdmin::ImportFeeds(
    grpc::CallbackServerContext* context, const v1::ImportFeedsRequest* request,
    v1::ImportFeedsResponse* response) {
  {
    absl::MutexLock lock(&mu_);
    import_requests_.push_back(*request);
    *response = import_response_;
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* FakeFeedAdmin::ExportFeeds(
    grpc::CallbackServerContext* context, const v1::ExportFeedsRequest*,
    v1::ExportFeedsResponse* response) {
  {
    absl::MutexLock lock(&mu_);
    response->set_opml(exported_opml_);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

// TestServer ------------------------------------------------------------------

std::unique_ptr<TestServer> TestServer::Start(
    const std::vector<grpc::Service*>& services,
    std::shared_ptr<grpc::ServerCredentials> credentials) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", std::move(credentials), &port);
  for (grpc::Service* service : services) builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) std::abort();
  return std::unique_ptr<TestServer>(
      new TestServer(std::move(server), absl::StrCat("127.0.0.1:", port)));
}

TestServer::~TestServer() {
  // A zero deadline cancels held-open streams instead of waiting for them.
  server_->Shutdown(std::chrono::system_clock::now());
  server_->Wait();
}

void TestServer::SetServing(bool serving) {
  server_->GetHealthCheckService()->SetServingStatus(serving);
}

void TestServer::SetServing(const std::string& service, bool serving) {
  server_->GetHealthCheckService()->SetServingStatus(service, serving);
}

std::string UnusedAddress() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (fd < 0 ||
      ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::abort();
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return absl::StrCat("127.0.0.1:", ntohs(addr.sin_port));
}

v1::Article MakeArticle(const std::string& id, uint64_t sequence,
                        const std::string& title) {
  v1::Article article;
  article.set_id(id);
  article.set_sequence(sequence);
  article.set_title(title);
  // 2024-05-13 09:30:00 UTC.
  article.mutable_published_time()->set_seconds(
      1715592600 + static_cast<int64_t>(sequence) * 60);
  return article;
}

}  // namespace newsfeed::cli::testing
