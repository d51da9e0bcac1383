// FeedAdmin on the callback API: lists feeds with their polling status and
// adds, removes or re-polls them without a restart (changes persist in the
// FeedRegistry, shared by every instance with state.engine: postgres).
// Reactions only check the caller and the request; the registry calls (a
// database round trip with state.engine: postgres, one lookup per feed and a
// transaction for an OPML import) run on the service's own thread, in
// arrival order, so gRPC's threads never wait on them. What a client may ask
// is bounded: calls waiting for that thread, ListFeeds pages, the number of
// feeds, and PollNow's rate (a token bucket), since each forces fetches.
//
// Thread-safe: gRPC calls the handlers from its own threads.
#ifndef INGEST_SERVICE_ADMIN_FEED_ADMIN_SERVICE_H_
#define INGEST_SERVICE_ADMIN_FEED_ADMIN_SERVICE_H_

#include <cstddef>
#include <functional>

#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/bearer_token.h"
#include "common/clock/clock.h"
#include "common/work_queue/work_queue.h"
#include "ingest-service/feeds/feed_registry.h"
#include "ingest-service/scheduler/poller.h"
#include "ingest-service/state/ingest_state.h"
#include "newsfeed/v1/feeds.grpc.pb.h"

namespace newsfeed::ingest {

// The FeedStatus view of a stored feed.
// `push`: the feed's WebSub subscription, if it has one.
newsfeed::v1::FeedStatus ToFeedStatus(const FeedRecord& feed,
                                      const WebSubState* push = nullptr);

struct FeedAdminOptions {
  // AddFeed fails with RESOURCE_EXHAUSTED once this many feeds exist.
  int64_t max_feeds = 100000;
  // PollNow calls allowed at once, and the time that earns one more.
  int poll_now_burst = 10;
  absl::Duration poll_now_every = absl::Seconds(1);
  // The outbox whose dead letters ListDeadLetters and ReplayDeadLetters
  // serve; borrowed. nullptr: those calls are UNIMPLEMENTED.
  IngestState* outbox = nullptr;
  // Called after dead letters went back to the outbox (to wake the
  // publisher).
  std::function<void()> on_replayed;
  // Calls waiting for the registry thread; more are RESOURCE_EXHAUSTED.
  size_t max_waiting_calls = 256;
};

class FeedAdminService final : public newsfeed::v1::FeedAdmin::CallbackService {
 public:
  // All borrowed; must outlive the service. AddFeed, RemoveFeed and PollNow
  // are UNAUTHENTICATED unless they pass `admin_gate`, ListFeeds unless it
  // passes `read_gate`.
  FeedAdminService(FeedRegistry& state, Poller& poller, Clock& clock,
                   auth::TokenGate admin_gate = {},
                   auth::TokenGate read_gate = {},
                   const FeedAdminOptions& options = {})
      : state_(state),
        poller_(poller),
        clock_(clock),
        admin_gate_(std::move(admin_gate)),
        read_gate_(std::move(read_gate)),
        options_(options),
        poll_now_tokens_(options.poll_now_burst),
        poll_now_refilled_(clock.Now()),
        registry_calls_(options.max_waiting_calls) {}

  grpc::ServerUnaryReactor* ListFeeds(
      grpc::CallbackServerContext* context,
      const newsfeed::v1::ListFeedsRequest* request,
      newsfeed::v1::ListFeedsResponse* response) override;
  grpc::ServerUnaryReactor* AddFeed(
      grpc::CallbackServerContext* context,
      const newsfeed::v1::AddFeedRequest* request,
      newsfeed::v1::FeedStatus* response) override;
  grpc::ServerUnaryReactor* RemoveFeed(
      grpc::CallbackServerContext* context,
      const newsfeed::v1::RemoveFeedRequest* request,
      newsfeed::v1::RemoveFeedResponse* response) override;
  grpc::ServerUnaryReactor* PollNow(
      grpc::CallbackServerContext* context,
      const newsfeed::v1::PollNowRequest* request,
      newsfeed::v1::PollNowResponse* response) override;
  grpc::ServerUnaryReactor* ImportFeeds(
      grpc::CallbackServerContext* context,
      const newsfeed::v1::ImportFeedsRequest* request,
      newsfeed::v1::ImportFeedsResponse* response) override;
  grpc::ServerUnaryReactor* ExportFeeds(
      grpc::CallbackServerContext* context,
      const newsfeed::v1::ExportFeedsRequest* request,
      newsfeed::v1::ExportFeedsResponse* response) override;
  grpc::ServerUnaryReactor* ListDeadLetters(
      grpc::CallbackServerContext* context,
      const newsfeed::v1::ListDeadLettersRequest* request,
      newsfeed::v1::ListDeadLettersResponse* response) override;
  grpc::ServerUnaryReactor* ReplayDeadLetters(
      grpc::CallbackServerContext* context,
      const newsfeed::v1::ReplayDeadLettersRequest* request,
      newsfeed::v1::ReplayDeadLettersResponse* response) override;

 private:
  FeedRegistry& state_;
  Poller& poller_;
  Clock& clock_;
  // Answers the call with what `work` returns, run on registry_calls_;
  // RESOURCE_EXHAUSTED naming `method` at once when too many calls wait.
  grpc::ServerUnaryReactor* Defer(grpc::CallbackServerContext* context,
                                  absl::string_view method,
                                  absl::AnyInvocable<absl::Status() &&> work);
  // OK when a PollNow call may proceed now (taking a token).
  absl::Status TakePollNowToken();
  absl::Status Import(const newsfeed::v1::ImportFeedsRequest& request,
                      newsfeed::v1::ImportFeedsResponse& response);

  const auth::TokenGate admin_gate_;
  const auth::TokenGate read_gate_;
  const FeedAdminOptions options_;
  absl::Mutex mu_;
  double poll_now_tokens_ ABSL_GUARDED_BY(mu_);
  absl::Time poll_now_refilled_ ABSL_GUARDED_BY(mu_);
  // Last: destroyed first, running the calls it accepted while the members
  // above still exist.
  WorkQueue registry_calls_;
};

}  // namespace newsfeed::ingest

#endif  // INGEST_SERVICE_ADMIN_FEED_ADMIN_SERVICE_H_
