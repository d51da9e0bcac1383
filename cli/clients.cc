#include "cli/clients.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/auth/bearer_token.h"
#include "common/auth/tls.h"
#include "common/rpc/status.h"

namespace newsfeed::cli {
absl::StatusOr<Connection> Connection::Open(std::string service_name,
                                            const ConnectionOptions& options) {
  if (options.address.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no address given for ", service_name));
  }
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      auth::MakeChannelCredentials({.ca_file = options.tls_ca_file,
                                    .cert_file = options.tls_cert_file,
                                    .key_file = options.tls_key_file});
  if (!credentials.ok()) return credentials.status();
  // Replicas behind one DNS name (or an "ipv4:a,b" list): round_robin sends
  // each call to a live one.
  grpc::ChannelArguments args;
  args.SetLoadBalancingPolicyName("round_robin");
  // An exported feed list of 100,000 feeds passes the 4 MiB default.
  args.SetMaxReceiveMessageSize(64 << 20);
  if (!options.tls_server_name.empty()) {
    args.SetSslTargetNameOverride(options.tls_server_name);
  }
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(options.address, *credentials, args);
  return Connection(std::move(service_name), options, std::move(channel));
}

void Connection::Prepare(grpc::ClientContext* context,
                         bool with_deadline) const {
  if (!options_.token.empty()) {
    context->AddMetadata("authorization", auth::BearerHeader(options_.token));
  }
  if (with_deadline) {
    context->set_deadline(absl::ToChronoTime(absl::Now() + options_.timeout));
  }
}

absl::Status Connection::Convert(const grpc::Status& grpc_status,
                                 absl::string_view rpc) const {
  absl::Status status = rpc::FromGrpcStatus(grpc_status);
  if (status.ok()) return status;
  if (options_.stop.stop_requested()) {
    return absl::CancelledError(absl::StrCat(rpc, ": interrupted"));
  }
  std::string message;
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
      message = absl::StrCat("cannot reach ", service_name_, " at ",
                             options_.address, ": ", status.message());
      break;
    case absl::StatusCode::kDeadlineExceeded:
      message = absl::StrCat(service_name_, " at ", options_.address, ": ", rpc,
                             " timed out after ",
                             absl::FormatDuration(options_.timeout), ": ",
                             status.message());
      break;
    default:
      message = absl::StrCat(rpc, ": ", status.message());
  }
  return absl::Status(status.code(), message);
}

// QueryClient ---------------------------------------------------------------

absl::StatusOr<QueryClient> QueryClient::Create(
    const ConnectionOptions& options) {
  absl::StatusOr<Connection> connection =
      Connection::Open("query-service", options);
  if (!connection.ok()) return connection.status();
  return QueryClient(*std::move(connection));
}

absl::StatusOr<v1::SearchResponse> QueryClient::Search(
    const v1::SearchRequest& request) {
  grpc::ClientContext context;
  connection_.Prepare(&context, /*with_deadline=*/true);
  std::stop_callback cancel(connection_.stop(), [&] { context.TryCancel(); });
  v1::SearchResponse response;
  grpc::Status status = stub_->Search(&context, request, &response);
  if (!status.ok()) return connection_.Convert(status, "Search");
  return response;
}

absl::StatusOr<v1::Article> QueryClient::GetArticle(const std::string& id) {
  grpc::ClientContext context;
  connection_.Prepare(&context, /*with_deadline=*/true);
  std::stop_callback cancel(connection_.stop(), [&] { context.TryCancel(); });
  v1::GetArticleRequest request;
  request.set_id(id);
  v1::Article response;
  grpc::Status status = stub_->GetArticle(&context, request, &response);
  if (!status.ok()) return connection_.Convert(status, "GetArticle");
  return response;
}

absl::StatusOr<v1::FacetsResponse> QueryClient::Facets(
    const v1::FacetsRequest& request) {
  grpc::ClientContext context;
  connection_.Prepare(&context, /*with_deadline=*/true);
  std::stop_callback cancel(connection_.stop(), [&] { context.TryCancel(); });
  v1::FacetsResponse response;
  grpc::Status status = stub_->Facets(&context, request, &response);
  if (!status.ok()) return connection_.Convert(status, "Facets");
  return response;
}

absl::Status QueryClient::Subscribe(const v1::SubscribeRequest& request,
                                    const EventHandler& on_event) {
  const std::stop_token& stop = connection_.stop();
  grpc::ClientContext context;
  // A stream lives as long as it is wanted: no deadline. Without
  // wait_for_ready an unreachable service still fails fast with UNAVAILABLE.
  connection_.Prepare(&context, /*with_deadline=*/false);
  // TryCancel is thread-safe and, before the call starts, cancels it at start.
  std::stop_callback cancel_on_stop(stop, [&context] { context.TryCancel(); });

  std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>> reader =
      stub_->Subscribe(&context, request);
  v1::SubscribeResponse event;
  absl::Status handler_status;
  bool stopped_by_handler = false;
  while (reader->Read(&event)) {
    absl::StatusOr<bool> keep_going = on_event(event);
    if (!keep_going.ok() || !*keep_going) {
      if (!keep_going.ok()) {
        handler_status = keep_going.status();
      } else {
        stopped_by_handler = true;
      }
      context.TryCancel();
      // Drain whatever is already buffered; the cancel ends the stream.
      while (reader->Read(&event)) {
      }
      break;
    }
  }
  grpc::Status status = reader->Finish();
  if (!handler_status.ok()) return handler_status;
  if (stopped_by_handler || stop.stop_requested()) return absl::OkStatus();
  return connection_.Convert(status, "Subscribe");
}

// FeedAdminClient -----------------------------------------------------------

absl::StatusOr<FeedAdminClient> FeedAdminClient::Create(
    const ConnectionOptions& options) {
  absl::StatusOr<Connection> connection =
      Connection::Open("ingest-service", options);
  if (!connection.ok()) return connection.status();
  return FeedAdminClient(*std::move(connection));
}

absl::StatusOr<v1::ListFeedsResponse> FeedAdminClient::ListFeeds() {
  v1::ListFeedsResponse all;
  v1::ListFeedsRequest request;
  request.set_page_size(1000);
  // Every page; a server repeating a token would loop forever.
  for (int page = 0; page < 100000; ++page) {
    grpc::ClientContext context;
    connection_.Prepare(&context, /*with_deadline=*/true);
    std::stop_callback cancel(connection_.stop(), [&] { context.TryCancel(); });
    v1::ListFeedsResponse response;
    grpc::Status status = stub_->ListFeeds(&context, request, &response);
    if (!status.ok()) return connection_.Convert(status, "ListFeeds");
    for (v1::FeedStatus& feed : *response.mutable_feeds()) {
      *all.add_feeds() = std::move(feed);
    }
    if (response.next_page_token().empty() ||
        response.next_page_token() == request.page_token()) {
      break;
    }
    request.set_page_token(response.next_page_token());
  }
  return all;
}

absl::StatusOr<v1::FeedStatus> FeedAdminClient::AddFeed(
    const std::string& url) {
  grpc::ClientContext context;
  connection_.Prepare(&context, /*with_deadline=*/true);
  std::stop_callback cancel(connection_.stop(), [&] { context.TryCancel(); });
  v1::AddFeedRequest request;
  request.set_url(url);
  v1::FeedStatus response;
  grpc::Status status = stub_->AddFeed(&context, request, &response);
  if (!status.ok()) return connection_.Convert(status, "AddFeed");
  return response;
}

absl::Status FeedAdminClient::RemoveFeed(const std::string& id) {
  grpc::ClientContext context;
  connection_.Prepare(&context, /*with_deadline=*/true);
  std::stop_callback cancel(connection_.stop(), [&] { context.TryCancel(); });
  v1::RemoveFeedRequest request;
  request.set_id(id);
  v1::RemoveFeedResponse response;
  return connection_.Convert(stub_->RemoveFeed(&context, request, &response),
                             "RemoveFeed");
}

absl::StatusOr<v1::ImportFeedsResponse> FeedAdminClient::ImportFeeds(
    std::string opml, bool dry_run) {
  grpc::ClientContext context;
  connection_.Prepare(&context, /*with_deadline=*/true);
  std::stop_callback cancel(connection_.stop(), [&] { context.TryCancel(); });
  v1::ImportFeedsRequest request;
  request.set_opml(std::move(opml));
  request.set_dry_run(dry_run);
  v1::ImportFeedsResponse response;
  grpc::Status status = stub_->ImportFeeds(&context, request, &response);
  if (!status.ok()) return connection_.Convert(status, "ImportFeeds");
  return response;
}

absl::StatusOr<std::string> FeedAdminClient::ExportFeeds() {
  grpc::ClientContext context;
  connection_.Prepare(&context, /*with_deadline=*/true);
  std::stop_callback cancel(connection_.stop(), [&] { context.TryCancel(); });
  v1::ExportFeedsResponse response;
  grpc::Status status =
      stub_->ExportFeeds(&context, v1::ExportFeedsRequest(), &response);
  if (!status.ok()) return connection_.Convert(status, "ExportFeeds");
  return std::move(*response.mutable_opml());
}

absl::StatusOr<int> FeedAdminClient::PollNow(const std::string& id) {
  grpc::ClientContext context;
  connection_.Prepare(&context, /*with_deadline=*/true);
  std::stop_callback cancel(connection_.stop(), [&] { context.TryCancel(); });
  v1::PollNowRequest request;
  request.set_id(id);
  v1::PollNowResponse response;
  grpc::Status status = stub_->PollNow(&context, request, &response);
  if (!status.ok()) return connection_.Convert(status, "PollNow");
  return response.queued();
}

absl::StatusOr<v1::ListDeadLettersResponse> FeedAdminClient::ListDeadLetters() {
  v1::ListDeadLettersResponse all;
  v1::ListDeadLettersRequest request;
  request.set_page_size(1000);
  do {
    grpc::ClientContext context;
    connection_.Prepare(&context, /*with_deadline=*/true);
    std::stop_callback cancel(connection_.stop(), [&] { context.TryCancel(); });
    v1::ListDeadLettersResponse page;
    grpc::Status status = stub_->ListDeadLetters(&context, request, &page);
    if (!status.ok()) return connection_.Convert(status, "ListDeadLetters");
    for (v1::DeadLetter& letter : *page.mutable_dead_letters()) {
      *all.add_dead_letters() = std::move(letter);
    }
    request.set_before_id(page.next_before_id());
  } while (request.before_id() != 0);
  return all;
}

absl::StatusOr<int> FeedAdminClient::ReplayDeadLetters(
    const std::vector<int64_t>& ids) {
  grpc::ClientContext context;
  connection_.Prepare(&context, /*with_deadline=*/true);
  std::stop_callback cancel(connection_.stop(), [&] { context.TryCancel(); });
  v1::ReplayDeadLettersRequest request;
  for (int64_t id : ids) request.add_ids(id);
  v1::ReplayDeadLettersResponse response;
  grpc::Status status = stub_->ReplayDeadLetters(&context, request, &response);
  if (!status.ok()) return connection_.Convert(status, "ReplayDeadLetters");
  return response.replayed();
}

// HealthClient --------------------------------------------------------------

absl::StatusOr<HealthClient> HealthClient::Create(
    const ConnectionOptions& options, std::string service_label) {
  absl::StatusOr<Connection> connection =
      Connection::Open(std::move(service_label), options);
  if (!connection.ok()) return connection.status();
  return HealthClient(*std::move(connection));
}

absl::StatusOr<grpc::health::v1::HealthCheckResponse::ServingStatus>
HealthClient::Check(const std::string& service) {
  grpc::ClientContext context;
  connection_.Prepare(&context, /*with_deadline=*/true);
  std::stop_callback cancel(connection_.stop(), [&] { context.TryCancel(); });
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub_->Check(&context, request, &response);
  if (!status.ok()) return connection_.Convert(status, "Health/Check");
  return response.status();
}

}  // namespace newsfeed::cli
