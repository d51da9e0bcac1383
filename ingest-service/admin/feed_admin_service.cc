#include "ingest-service/admin/feed_admin_service.h"

#include <algorithm>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/log/log.h"
#include "common/rpc/status.h"
#include "google/protobuf/util/time_util.h"
#include "ingest-service/opml/opml.h"

namespace newsfeed::ingest {
namespace {

constexpr int kDefaultPageSize = 500;
constexpr int kMaxPageSize = 1000;
// URLs are at most 2048 bytes (CheckFeedUrl).
constexpr size_t kMaxTokenBytes = 2048;

void SetTime(absl::Time t, google::protobuf::Timestamp* out) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return;
  *out = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
      absl::ToUnixMicros(t));
}

grpc::ServerUnaryReactor* Finish(grpc::ServerUnaryReactor* reactor,
                                 const absl::Status& status) {
  reactor->Finish(rpc::ToGrpcStatus(status));
  return reactor;
}

grpc::ServerUnaryReactor* Respond(grpc::CallbackServerContext* context,
                                  const absl::Status& status) {
  return Finish(context->DefaultReactor(), status);
}

}  // namespace

newsfeed::v1::FeedStatus ToFeedStatus(const FeedRecord& feed,
                                      const WebSubState* push) {
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
  for (const std::string& label : feed.labels) status.add_labels(label);
  status.set_interval_reason(feed.interval_reason);
  status.set_mean_gap_seconds(absl::ToDoubleSeconds(feed.mean_gap));
  if (push != nullptr) {
    newsfeed::v1::PushStatus& out = *status.mutable_push();
    out.set_state(std::string(WebSubStatusName(push->status)));
    out.set_hub(push->hub);
    out.set_topic(push->topic);
    SetTime(push->lease_expiry, out.mutable_lease_expiry_time());
    out.set_deliveries(static_cast<int64_t>(push->deliveries));
    out.set_rejections(static_cast<int64_t>(push->rejections));
    SetTime(push->last_delivery, out.mutable_last_delivery_time());
    out.set_last_error(push->last_error);
  }
  return status;
}

grpc::ServerUnaryReactor* FeedAdminService::ListFeeds(
    grpc::CallbackServerContext* context,
    const newsfeed::v1::ListFeedsRequest* request,
    newsfeed::v1::ListFeedsResponse* response) {
  if (absl::Status s = read_gate_.Check(*context, "ListFeeds"); !s.ok()) {
    return Respond(context, s);
  }
  if (request->page_size() < 0 || request->page_size() > kMaxPageSize) {
    return Respond(context, absl::InvalidArgumentError(absl::StrCat(
                                "page_size: ", request->page_size(),
                                ", must be between 0 and ", kMaxPageSize)));
  }
  const int page_size =
      request->page_size() == 0 ? kDefaultPageSize : request->page_size();
  // The token is the last URL of the previous page, base64 so that it is
  // opaque and safe in any transport.
  std::string after_url;
  if (!request->page_token().empty() &&
      (request->page_token().size() > 4 * kMaxTokenBytes ||
       !absl::WebSafeBase64Unescape(request->page_token(), &after_url))) {
    return Respond(context, absl::InvalidArgumentError(
                                "page_token: not a token ListFeeds issued"));
  }
  return Defer(
      context, "ListFeeds",
      [this, after_url = std::move(after_url), page_size,
       response]() -> absl::Status {
        absl::StatusOr<std::vector<FeedRecord>> feeds =
            state_.ListFeedsAfter(after_url, page_size + 1);
        if (!feeds.ok()) return feeds.status();
        const bool more = static_cast<int>(feeds->size()) > page_size;
        if (more) feeds->resize(page_size);
        for (const FeedRecord& feed : *feeds) {
          const std::optional<WebSubState> push = poller_.PushState(feed.id);
          *response->add_feeds() = ToFeedStatus(feed, push ? &*push : nullptr);
        }
        if (more) {
          response->set_next_page_token(
              absl::WebSafeBase64Escape(feeds->back().url));
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* FeedAdminService::AddFeed(
    grpc::CallbackServerContext* context,
    const newsfeed::v1::AddFeedRequest* request,
    newsfeed::v1::FeedStatus* response) {
  if (absl::Status s = admin_gate_.Check(*context, "AddFeed"); !s.ok()) {
    return Respond(context, s);
  }
  if (absl::Status s = FeedRegistry::CheckFeedUrl(request->url()); !s.ok()) {
    return Respond(context, s);
  }
  return Defer(context, "AddFeed", [this, request, response]() -> absl::Status {
    absl::StatusOr<int64_t> count = state_.CountFeeds();
    if (!count.ok()) return count.status();
    if (*count >= options_.max_feeds) {
      return absl::ResourceExhaustedError(
          absl::StrCat("feeds: ", *count, " configured, at most ",
                       options_.max_feeds, " (admin.max_feeds); remove some"));
    }
    absl::StatusOr<FeedRecord> feed =
        state_.AddFeed(request->url(), clock_.Now());
    if (!feed.ok()) return feed.status();
    *response = ToFeedStatus(*feed);
    poller_.Wake();
    return absl::OkStatus();
  });
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
  return Defer(context, "RemoveFeed", [this, request] {
    // The id, for a feed named by URL.
    absl::StatusOr<FeedRecord> feed = state_.GetFeed(request->id());
    absl::Status removed = state_.RemoveFeed(request->id());
    if (removed.ok() && feed.ok()) poller_.FeedRemoved(feed->id);
    return removed;
  });
}

grpc::ServerUnaryReactor* FeedAdminService::PollNow(
    grpc::CallbackServerContext* context,
    const newsfeed::v1::PollNowRequest* request,
    newsfeed::v1::PollNowResponse* response) {
  if (absl::Status s = admin_gate_.Check(*context, "PollNow"); !s.ok()) {
    return Respond(context, s);
  }
  if (absl::Status s = TakePollNowToken(); !s.ok()) return Respond(context, s);
  return Defer(context, "PollNow", [this, request, response] {
    absl::StatusOr<int> queued = state_.PollSoon(request->id(), clock_.Now());
    if (queued.ok()) {
      response->set_queued(*queued);
      poller_.Wake();
    }
    return queued.status();
  });
}

grpc::ServerUnaryReactor* FeedAdminService::ImportFeeds(
    grpc::CallbackServerContext* context,
    const newsfeed::v1::ImportFeedsRequest* request,
    newsfeed::v1::ImportFeedsResponse* response) {
  if (absl::Status s = admin_gate_.Check(*context, "ImportFeeds"); !s.ok()) {
    return Respond(context, s);
  }
  return Defer(context, "ImportFeeds", [this, request, response] {
    absl::Status status = Import(*request, *response);
    if (!status.ok()) {
      log::Warning("feeds: OPML import refused: %s",
                   log::EscapeControls(std::string(status.message())));
      response->Clear();
    }
    return status;
  });
}

absl::Status FeedAdminService::Import(
    const newsfeed::v1::ImportFeedsRequest& request,
    newsfeed::v1::ImportFeedsResponse& response) {
  absl::StatusOr<OpmlDocument> document = ParseOpml(request.opml());
  if (!document.ok()) return document.status();
  std::vector<OpmlProblem> errors;
  for (const OpmlProblem& problem : document->problems) {
    if (problem.error) errors.push_back(problem);
  }
  std::vector<NewFeed> to_add;
  for (const OpmlFeed& feed : document->feeds) {
    if (absl::Status s = FeedRegistry::CheckFeedUrl(feed.url); !s.ok()) {
      errors.push_back(
          {feed.line,
           absl::StrCat("xmlUrl ", absl::StripPrefix(s.message(), "url: "))});
      continue;
    }
    absl::StatusOr<FeedRecord> known = state_.GetFeed(feed.url);
    if (known.ok()) {
      response.set_already_present(response.already_present() + 1);
      auto* problem = response.add_problems();
      problem->set_line(feed.line);
      problem->set_message(absl::StrCat("xmlUrl \"", feed.url.substr(0, 200),
                                        "\": already polled as feed ",
                                        known->id, "; left as it is"));
      continue;
    }
    if (!absl::IsNotFound(known.status())) return known.status();
    to_add.push_back({feed.url, feed.title, feed.labels});
  }
  if (!errors.empty()) {
    std::sort(errors.begin(), errors.end(),
              [](const OpmlProblem& a, const OpmlProblem& b) {
                return a.line < b.line;
              });
    // Enough to fix the file in one go, bounded for the status message.
    constexpr size_t kListed = 20;
    std::string listed;
    for (size_t i = 0; i < errors.size() && i < kListed; ++i) {
      absl::StrAppend(&listed, i == 0 ? "" : "; ", "line ", errors[i].line,
                      ": ", errors[i].message);
    }
    if (errors.size() > kListed) {
      absl::StrAppend(&listed, "; and ", errors.size() - kListed, " more");
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "OPML: ", errors.size(), errors.size() == 1 ? " problem" : " problems",
        ", nothing imported: ", listed));
  }
  for (const OpmlProblem& problem : document->problems) {
    auto* reported = response.add_problems();
    reported->set_line(problem.line);
    reported->set_message(problem.message);
  }
  std::sort(response.mutable_problems()->begin(),
            response.mutable_problems()->end(),
            [](const auto& a, const auto& b) { return a.line() < b.line(); });
  absl::StatusOr<int64_t> count = state_.CountFeeds();
  if (!count.ok()) return count.status();
  if (*count + static_cast<int64_t>(to_add.size()) > options_.max_feeds) {
    return absl::ResourceExhaustedError(
        absl::StrCat("feeds: ", *count, " configured and ", to_add.size(),
                     " to import, at most ", options_.max_feeds,
                     " (admin.max_feeds); nothing imported"));
  }
  if (request.dry_run()) {
    for (const NewFeed& feed : to_add) {
      *response.add_added() = ToFeedStatus(NewFeedRecord(feed, clock_.Now()));
    }
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<FeedRecord>> added =
      state_.AddFeeds(to_add, clock_.Now());
  if (!added.ok()) return added.status();
  for (const FeedRecord& feed : *added)
    *response.add_added() = ToFeedStatus(feed);
  // Added by another instance between the lookup and the transaction.
  response.set_already_present(
      response.already_present() +
      static_cast<int32_t>(to_add.size() - added->size()));
  if (!added->empty()) {
    log::Info("feeds: imported %d feeds from OPML", added->size());
    poller_.Wake();
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* FeedAdminService::ExportFeeds(
    grpc::CallbackServerContext* context,
    const newsfeed::v1::ExportFeedsRequest*,
    newsfeed::v1::ExportFeedsResponse* response) {
  if (absl::Status s = read_gate_.Check(*context, "ExportFeeds"); !s.ok()) {
    return Respond(context, s);
  }
  return Defer(context, "ExportFeeds", [this, response]() -> absl::Status {
    absl::StatusOr<std::vector<FeedRecord>> feeds = state_.ListFeeds();
    if (!feeds.ok()) return feeds.status();
    std::vector<OpmlFeed> listed;
    listed.reserve(feeds->size());
    for (FeedRecord& feed : *feeds) {
      OpmlFeed entry;
      entry.url = std::move(feed.url);
      entry.title = std::move(feed.title);
      entry.labels = std::move(feed.labels);
      listed.push_back(std::move(entry));
    }
    response->set_opml(WriteOpml("newsfeed feeds", listed));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* FeedAdminService::ListDeadLetters(
    grpc::CallbackServerContext* context,
    const newsfeed::v1::ListDeadLettersRequest* request,
    newsfeed::v1::ListDeadLettersResponse* response) {
  if (absl::Status s = read_gate_.Check(*context, "ListDeadLetters"); !s.ok()) {
    return Respond(context, s);
  }
  if (options_.outbox == nullptr) {
    return Respond(context, absl::UnimplementedError(
                                "dead letters: this instance has no outbox"));
  }
  if (request->page_size() < 0 || request->page_size() > kMaxPageSize) {
    return Respond(context, absl::InvalidArgumentError(absl::StrCat(
                                "page_size: ", request->page_size(),
                                ", must be between 0 and ", kMaxPageSize)));
  }
  const int page_size = request->page_size() == 0 ? 100 : request->page_size();
  return Defer(
      context, "ListDeadLetters",
      [this, request, response, page_size]() -> absl::Status {
        absl::StatusOr<std::vector<IngestState::DeadLetter>> letters =
            options_.outbox->DeadLetters(page_size + 1, request->before_id());
        if (!letters.ok()) return letters.status();
        const bool more = static_cast<int>(letters->size()) > page_size;
        if (more) letters->resize(page_size);
        for (const IngestState::DeadLetter& letter : *letters) {
          newsfeed::v1::DeadLetter& out = *response->add_dead_letters();
          out.set_id(letter.id);
          out.set_article_id(letter.article.id());
          out.set_feed_id(letter.article.feed_id());
          out.set_title(letter.article.title().substr(0, 300));
          out.set_url(letter.article.url().substr(0, 2048));
          out.set_reason(letter.reason.substr(0, 1000));
          SetTime(letter.rejected, out.mutable_rejected_time());
          out.set_bytes(letter.bytes);
        }
        if (more) response->set_next_before_id(letters->back().id);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* FeedAdminService::ReplayDeadLetters(
    grpc::CallbackServerContext* context,
    const newsfeed::v1::ReplayDeadLettersRequest* request,
    newsfeed::v1::ReplayDeadLettersResponse* response) {
  if (absl::Status s = admin_gate_.Check(*context, "ReplayDeadLetters");
      !s.ok()) {
    return Respond(context, s);
  }
  if (options_.outbox == nullptr) {
    return Respond(context, absl::UnimplementedError(
                                "dead letters: this instance has no outbox"));
  }
  if (request->ids_size() == 0 || request->ids_size() > kMaxPageSize) {
    return Respond(context,
                   absl::InvalidArgumentError(absl::StrCat(
                       "ids: ", request->ids_size(),
                       " given, must be between 1 and ", kMaxPageSize)));
  }
  return Defer(context, "ReplayDeadLetters",
               [this, request, response]() -> absl::Status {
                 absl::StatusOr<int> replayed =
                     options_.outbox->ReplayDeadLetters(
                         {request->ids().begin(), request->ids().end()});
                 if (!replayed.ok()) return replayed.status();
                 response->set_replayed(*replayed);
                 if (*replayed > 0 && options_.on_replayed)
                   options_.on_replayed();
                 return absl::OkStatus();
               });
}

grpc::ServerUnaryReactor* FeedAdminService::Defer(
    grpc::CallbackServerContext* context, absl::string_view method,
    absl::AnyInvocable<absl::Status() &&> work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const bool queued =
      registry_calls_.Post([reactor, work = std::move(work)]() mutable {
        Finish(reactor, std::move(work)());
      });
  if (queued) return reactor;
  return Finish(reactor, absl::ResourceExhaustedError(absl::StrCat(
                             method, ": ", options_.max_waiting_calls,
                             " FeedAdmin calls are waiting for the feed "
                             "registry; retry later")));
}

absl::Status FeedAdminService::TakePollNowToken() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_.Now();
  if (options_.poll_now_every > absl::ZeroDuration() &&
      now > poll_now_refilled_) {
    poll_now_tokens_ = std::min<double>(
        options_.poll_now_burst,
        poll_now_tokens_ + absl::FDivDuration(now - poll_now_refilled_,
                                              options_.poll_now_every));
  }
  poll_now_refilled_ = std::max(poll_now_refilled_, now);
  if (poll_now_tokens_ < 1) {
    const absl::Duration wait =
        (1 - poll_now_tokens_) * options_.poll_now_every;
    return absl::ResourceExhaustedError(absl::StrCat(
        "PollNow: called too often; retry in ",
        absl::FormatDuration(absl::Ceil(wait, absl::Milliseconds(1)))));
  }
  poll_now_tokens_ -= 1;
  return absl::OkStatus();
}

}  // namespace newsfeed::ingest
