#include "ingest-service/admin/feed_admin_service.h"

#include "common/rpc/status.h"
#include "google/protobuf/util/time_util.h"

namespace newsfeed::ingest {
namespace {

void SetTime(absl::Time t, google::protobuf::Timestamp* out) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return;
  *out = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
      absl::ToUnixMicros(t));
}

grpc::ServerUnaryReactor* Respond(grpc::CallbackServerContext* context,
                                  const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(rpc::ToGrpcStatus(status));
  return reactor;
}

}  // namespace

newsfeed::v1::FeedStatus ToFeedStatus(const FeedRecord& feed) {
  newsfeed::v1::FeedStatus status;
  status.set_id(feed.id);
  status.set_url(feed.url);
  status.set_title(feed.title);
  status.set_enabled(feed.enabled);
  SetTime(feed.last_attempt, status.mutable_last_attempt_time());
  SetTime(feed.last_success, status.mutable_last_success_time());
  status.set_last_http_status(feed.http_status);
  status.set_last_error(feed.last_error);
  status.set_consecutive_failures(feed.consecutive_failures);
  if (feed.enabled) SetTime(feed.next_poll, status.mutable_next_poll_time());
  status.set_items_seen(feed.items_seen);
  status.set_interval_seconds(absl::ToInt64Seconds(feed.interval));
  return status;
}

grpc::ServerUnaryReactor* FeedAdminService::ListFeeds(
    grpc::CallbackServerContext* context, const newsfeed::v1::ListFeedsRequest*,
    newsfeed::v1::ListFeedsResponse* response) {
  if (absl::Status s = read_gate_.Check(*context, "ListFeeds"); !s.ok()) {
    return Respond(context, s);
  }
  absl::StatusOr<std::vector<FeedRecord>> feeds = state_.ListFeeds();
  if (feeds.ok()) {
    for (const FeedRecord& feed : *feeds)
      *response->add_feeds() = ToFeedStatus(feed);
  }
  return Respond(context, feeds.status());
}

grpc::ServerUnaryReactor* FeedAdminService::AddFeed(
    grpc::CallbackServerContext* context,
    const newsfeed::v1::AddFeedRequest* request,
    newsfeed::v1::FeedStatus* response) {
  if (absl::Status s = admin_gate_.Check(*context, "AddFeed"); !s.ok()) {
    return Respond(context, s);
  }
  absl::StatusOr<FeedRecord> feed =
      state_.AddFeed(request->url(), clock_.Now());
  if (feed.ok()) {
    *response = ToFeedStatus(*feed);
    poller_.Wake();
  }
  return Respond(context, feed.status());
}

grpc::ServerUnaryReactor* FeedAdminService::RemoveFeed(
    grpc::CallbackServerContext* context,
    const newsfeed::v1::RemoveFeedRequest* request,
    newsfeed::v1::RemoveFeedResponse*) {
  if (absl::Status s = admin_gate_.Check(*context, "RemoveFeed"); !s.ok()) {
    return Respond(context, s);
  }
  if (request->id().empty()) {
    return Respond(context, absl::InvalidArgumentError("id: empty"));
  }
  return Respond(context, state_.RemoveFeed(request->id()));
}

grpc::ServerUnaryReactor* FeedAdminService::PollNow(
    grpc::CallbackServerContext* context,
    const newsfeed::v1::PollNowRequest* request,
    newsfeed::v1::PollNowResponse* response) {
  if (absl::Status s = admin_gate_.Check(*context, "PollNow"); !s.ok()) {
    return Respond(context, s);
  }
  absl::StatusOr<int> queued = state_.PollSoon(request->id(), clock_.Now());
  if (queued.ok()) {
    response->set_queued(*queued);
    poller_.Wake();
  }
  return Respond(context, queued.status());
}

}  // namespace newsfeed::ingest
