// Test support: a FeedRegistry that passes every call on to another one.
// A test derives from it and overrides only the calls it wants to slow down,
// fail or observe.
//
// Thread-safe as far as the registry it forwards to is.
#ifndef INGEST_SERVICE_FEEDS_FORWARDING_FEED_REGISTRY_H_
#define INGEST_SERVICE_FEEDS_FORWARDING_FEED_REGISTRY_H_

#include <string>
#include <vector>

#include "ingest-service/feeds/feed_registry.h"

namespace newsfeed::ingest {

class ForwardingFeedRegistry : public FeedRegistry {
 public:
  // `target` is borrowed and must outlive this registry.
  explicit ForwardingFeedRegistry(FeedRegistry& target) : target_(target) {}

  absl::StatusOr<FeedRecord> AddFeed(const std::string& url,
                                     absl::Time now) override {
    return target_.AddFeed(url, now);
  }
  absl::StatusOr<std::vector<FeedRecord>> AddFeeds(
      const std::vector<NewFeed>& feeds, absl::Time now) override {
    return target_.AddFeeds(feeds, now);
  }
  absl::Status EnsureFeed(const std::string& url, absl::Time now) override {
    return target_.EnsureFeed(url, now);
  }
  absl::Status RemoveFeed(const std::string& id_or_url) override {
    return target_.RemoveFeed(id_or_url);
  }
  absl::StatusOr<FeedRecord> GetFeed(const std::string& id_or_url) override {
    return target_.GetFeed(id_or_url);
  }
  absl::StatusOr<std::vector<FeedRecord>> ListFeedsAfter(
      const std::string& after_url, int limit) override {
    return target_.ListFeedsAfter(after_url, limit);
  }
  absl::StatusOr<int64_t> CountFeeds() override { return target_.CountFeeds(); }
  absl::StatusOr<std::vector<FeedRecord>> DueFeeds(absl::Time now,
                                                   int limit) override {
    return target_.DueFeeds(now, limit);
  }
  absl::Status SaveFeed(const FeedRecord& feed) override {
    return target_.SaveFeed(feed);
  }
  absl::Status SaveFeeds(const std::vector<FeedRecord>& feeds) override {
    return target_.SaveFeeds(feeds);
  }
  absl::Status SavePostingRate(const FeedRecord& feed) override {
    return target_.SavePostingRate(feed);
  }
  absl::Status ReleaseFeed(const std::string& id) override {
    return target_.ReleaseFeed(id);
  }
  absl::StatusOr<int> PollSoon(const std::string& id_or_url,
                               absl::Time now) override {
    return target_.PollSoon(id_or_url, now);
  }
  absl::StatusOr<absl::Time> NextDue() override { return target_.NextDue(); }
  absl::StatusOr<std::vector<bool>> Unseen(
      const std::vector<newsfeed::v1::Article>& articles) override {
    return target_.Unseen(articles);
  }
  absl::StatusOr<int> MarkSeen(
      const std::string& feed_id,
      const std::vector<newsfeed::v1::Article>& articles) override {
    return target_.MarkSeen(feed_id, articles);
  }

 private:
  FeedRegistry& target_;
};

}  // namespace newsfeed::ingest

#endif  // INGEST_SERVICE_FEEDS_FORWARDING_FEED_REGISTRY_H_
