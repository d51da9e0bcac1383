#include "ingest-service/feeds/feed_registry.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace newsfeed::ingest {

std::string FeedRegistry::FeedIdFor(std::string_view url) {
  // FNV-1a, 64 bits: stable across processes, builds and versions.
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : url) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return absl::StrFormat("f%016x", h);
}

absl::Status FeedRegistry::CheckFeedUrl(const std::string& url) {
  if (!(absl::StartsWithIgnoreCase(url, "http://") ||
        absl::StartsWithIgnoreCase(url, "https://")) ||
      url.size() > 2048) {
    return absl::InvalidArgumentError(absl::StrCat(
        "url: \"", url.substr(0, 200), "\" is not an absolute http(s) URL"));
  }
  return absl::OkStatus();
}

FeedRecord NewFeedRecord(const NewFeed& feed, absl::Time now) {
  FeedRecord record;
  record.id = FeedRegistry::FeedIdFor(feed.url);
  record.url = feed.url;
  record.title = feed.title;
  record.labels = feed.labels;
  record.next_poll = now;
  return record;
}

absl::Status FeedRegistry::SaveFeeds(const std::vector<FeedRecord>& feeds) {
  absl::Status first;
  for (const FeedRecord& feed : feeds) {
    absl::Status s = SaveFeed(feed);
    if (!absl::IsNotFound(s) && !absl::IsFailedPrecondition(s)) {
      first.Update(s);
    }
  }
  return first;
}

std::string JoinLabels(const std::vector<std::string>& labels) {
  return absl::StrJoin(labels, "\n");
}

std::vector<std::string> SplitLabels(std::string_view joined) {
  if (joined.empty()) return {};
  return absl::StrSplit(absl::string_view(joined.data(), joined.size()), '\n');
}

}  // namespace newsfeed::ingest
