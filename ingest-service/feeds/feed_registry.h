// FeedRegistry is the ingest-service's feed list: every feed with its fetch
// state (validators, backoff, schedule), the items already seen, and which
// ingest-service instance may poll a feed right now (its lease).
//
// Two implementations:
//   - IngestState (ingest-service/state/ingest_state.h): the feed list in the
//     instance's own SQLite file; one instance, which trivially holds every
//     lease.
//   - PgFeedRegistry (ingest-service/feeds/pg_feed_registry.h): one feed list
//     in PostgreSQL shared by several instances, which lease the feeds they
//     poll so that no feed is polled twice.
//
// Time: every method that needs the time takes it as `now` from the caller's
// Clock; no implementation reads a clock of its own for scheduling or leases,
// so tests drive both with a FakeClock. Instances sharing a registry must
// therefore have clocks in step (NTP) to well within a lease duration.
//
// Thread-safe: implementations may be called from any thread.
//
//   FeedRegistry& feeds = ...;
//   auto due = feeds.DueFeeds(clock.Now(), 100);   // claims them
//   for (FeedRecord& f : *due) { ...; feeds.SaveFeed(f); }  // releases them
#ifndef INGEST_SERVICE_FEEDS_FEED_REGISTRY_H_
#define INGEST_SERVICE_FEEDS_FEED_REGISTRY_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "newsfeed/v1/article.pb.h"

namespace newsfeed::ingest {

// A feed and its fetch state.
struct FeedRecord {
  std::string id;   // stable, derived from the URL it was added with
  std::string url;  // current URL (updated by permanent redirects)
  std::string title;
  bool enabled = true;
  std::string etag;
  std::string last_modified;
  absl::Time last_attempt = absl::InfinitePast();
  absl::Time last_success = absl::InfinitePast();
  absl::Time last_unconditional = absl::InfinitePast();
  int http_status = 0;
  std::string last_error;
  int consecutive_failures = 0;
  absl::Time next_poll = absl::InfinitePast();
  int64_t items_seen = 0;
  // The schedule chosen after the last successful fetch (what ListFeeds
  // shows): the interval to the next poll, and why (see polling_policy.h).
  // 0 and empty before the first fetch.
  absl::Duration interval = absl::ZeroDuration();
  std::string interval_reason;
  // What the publisher states in the document: RSS ttl or
  // sy:updatePeriod/updateFrequency (0: none), and RSS skipHours (bits 0-23,
  // UTC) and skipDays (bits 0-6 from Monday).
  absl::Duration publisher_interval = absl::ZeroDuration();
  uint32_t skip_hours = 0;
  uint32_t skip_days = 0;
  // The feed's posting rate: smoothed time between new items (0: unknown)
  // and when the last new item was seen (InfinitePast: never).
  absl::Duration mean_gap = absl::ZeroDuration();
  absl::Time last_new_item = absl::InfinitePast();
  // Given when the feed was added (its OPML folders and categories); kept
  // as they are by SaveFeed.
  std::vector<std::string> labels;
};

// A feed to add with what is known of it beforehand.
struct NewFeed {
  std::string url;
  std::string title;                // empty: learnt from the feed
  std::vector<std::string> labels;  // no control characters
};

// The record of `feed` as AddFeeds stores it: due at `now`, never fetched.
FeedRecord NewFeedRecord(const NewFeed& feed, absl::Time now);

// How both engines store labels: one text column, newline-separated.
std::string JoinLabels(const std::vector<std::string>& labels);
std::vector<std::string> SplitLabels(std::string_view joined);

class FeedRegistry {
 public:
  virtual ~FeedRegistry() = default;

  // The feed id for a URL: stable across restarts, versions and instances.
  static std::string FeedIdFor(std::string_view url);
  // OK for an absolute http(s) URL of at most 2048 bytes; INVALID_ARGUMENT
  // quoting it otherwise.
  static absl::Status CheckFeedUrl(const std::string& url);

  // Adds a feed due at `now`. ALREADY_EXISTS when the URL (or its id) is
  // known; INVALID_ARGUMENT when it is not an absolute http(s) URL.
  virtual absl::StatusOr<FeedRecord> AddFeed(const std::string& url,
                                             absl::Time now) = 0;
  // Adds, in one transaction, each of `feeds` whose URL (or id) is not
  // known yet, due at `now`, and returns those added in order; known ones
  // are skipped. All or nothing: INVALID_ARGUMENT naming the URL (and
  // adding none) when one fails CheckFeedUrl.
  virtual absl::StatusOr<std::vector<FeedRecord>> AddFeeds(
      const std::vector<NewFeed>& feeds, absl::Time now) = 0;
  // Adds the feed if it is not known yet (configured feeds); OK either way.
  // Safe to call from several instances at once.
  virtual absl::Status EnsureFeed(const std::string& url, absl::Time now) = 0;
  // NOT_FOUND naming the feed.
  virtual absl::Status RemoveFeed(const std::string& id_or_url) = 0;
  // NOT_FOUND naming the feed.
  virtual absl::StatusOr<FeedRecord> GetFeed(const std::string& id_or_url) = 0;
  // Feeds ordered by URL: those after `after_url` (empty: from the first),
  // at most `limit` of them (0: all).
  virtual absl::StatusOr<std::vector<FeedRecord>> ListFeedsAfter(
      const std::string& after_url, int limit) = 0;
  // Every feed, ordered by URL.
  absl::StatusOr<std::vector<FeedRecord>> ListFeeds() {
    return ListFeedsAfter("", 0);
  }
  // How many feeds there are.
  virtual absl::StatusOr<int64_t> CountFeeds() = 0;

  // Claims up to `limit` enabled feeds with next_poll <= now that no other
  // instance holds a live lease on, most overdue first, and leases them to
  // this instance (until now + the lease duration). A feed is handed to at
  // most one instance until its lease is released by SaveFeed or expires.
  virtual absl::StatusOr<std::vector<FeedRecord>> DueFeeds(absl::Time now,
                                                           int limit) = 0;
  // Writes back a feed's fetch state (matched by id; items_seen is kept as
  // stored, and so is a posting rate newer than the record's, i.e. one with
  // a later last_new_item that SavePostingRate wrote while the feed was
  // being fetched) and releases this instance's lease on it. NOT_FOUND if it
  // was
  // removed meanwhile; FAILED_PRECONDITION ("lease lost") when another
  // instance has taken the feed over, in which case nothing is written and
  // the caller drops its result; ALREADY_EXISTS when the new URL belongs to
  // another feed.
  virtual absl::Status SaveFeed(const FeedRecord& feed) = 0;
  // SaveFeed for each of `feeds`, in one transaction where the engine has
  // them (much faster for thousands of feeds). Feeds removed meanwhile
  // (NOT_FOUND) or whose lease was lost (FAILED_PRECONDITION) are skipped;
  // returns the first other error, the others still saved.
  virtual absl::Status SaveFeeds(const std::vector<FeedRecord>& feeds);
  // Writes only the feed's posting rate (mean_gap and last_new_item, matched
  // by id) unless the stored one is newer (a later last_new_item); needs no
  // lease, for new items pushed (WebSub) rather than fetched. NOT_FOUND if
  // the feed was removed.
  virtual absl::Status SavePostingRate(const FeedRecord& feed) = 0;
  // Gives up this instance's lease on a feed without writing its fetch state
  // (a fetch cancelled at shutdown), so another instance may claim it at
  // once. OK also when this instance holds no lease on it or it is unknown.
  virtual absl::Status ReleaseFeed(const std::string& id) = 0;
  // Makes one feed (enabling it) or all enabled feeds (for an empty id) due
  // at `now`; returns how many. NOT_FOUND for an unknown feed.
  virtual absl::StatusOr<int> PollSoon(const std::string& id_or_url,
                                       absl::Time now) = 0;
  // When DueFeeds will next have a feed for this instance (the earliest
  // next_poll, or lease expiry of a feed leased out); InfiniteFuture when
  // there is no enabled feed.
  virtual absl::StatusOr<absl::Time> NextDue() = 0;

  // For each article, whether it is new or changed (its id and content_hash
  // are not both recorded as seen by any instance).
  virtual absl::StatusOr<std::vector<bool>> Unseen(
      const std::vector<newsfeed::v1::Article>& articles) = 0;
  // Records the articles as seen (by id and content_hash) for every instance
  // and adds the number that were new or changed to the feed's items_seen;
  // returns that number. Atomic: all or nothing.
  virtual absl::StatusOr<int> MarkSeen(
      const std::string& feed_id,
      const std::vector<newsfeed::v1::Article>& articles) = 0;
};

// How both engines store a time: microseconds since the epoch in a 64-bit
// integer column, the infinities as the extreme values. One definition, so
// the SQLite file and the PostgreSQL tables agree.
inline int64_t StoredMicros(absl::Time t) {
  if (t == absl::InfinitePast()) return INT64_MIN;
  if (t == absl::InfiniteFuture()) return INT64_MAX;
  return absl::ToUnixMicros(t);
}
inline absl::Time FromStoredMicros(int64_t us) {
  if (us == INT64_MIN) return absl::InfinitePast();
  if (us == INT64_MAX) return absl::InfiniteFuture();
  return absl::FromUnixMicros(us);
}

// How both engines store skip_hours and skip_days: one integer, the hours in
// bits 0-23 and the days in bits 24-30.
inline int64_t JoinSkipMask(const FeedRecord& feed) {
  return int64_t{feed.skip_hours & 0xFFFFFFu} |
         (int64_t{feed.skip_days & 0x7Fu} << 24);
}
inline void SplitSkipMask(int64_t mask, FeedRecord* feed) {
  feed->skip_hours = static_cast<uint32_t>(mask & 0xFFFFFF);
  feed->skip_days = static_cast<uint32_t>((mask >> 24) & 0x7F);
}

}  // namespace newsfeed::ingest

#endif  // INGEST_SERVICE_FEEDS_FEED_REGISTRY_H_
