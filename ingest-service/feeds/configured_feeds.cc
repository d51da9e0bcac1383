#include "ingest-service/feeds/configured_feeds.h"

#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "ingest-service/opml/opml.h"

namespace newsfeed::ingest {

absl::Status AddConfiguredFeeds(FeedRegistry& feeds,
                                const std::vector<std::string>& urls,
                                const std::string& opml_path, absl::Time now) {
  for (const std::string& url : urls) {
    if (absl::Status s = feeds.EnsureFeed(url, now); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("feeds: ", s.message()));
    }
  }
  if (opml_path.empty()) return absl::OkStatus();
  std::ifstream file(opml_path, std::ios::binary);
  if (!file) {
    return absl::NotFoundError(
        absl::StrCat("feeds_opml: cannot read ", opml_path));
  }
  const std::string text((std::istreambuf_iterator<char>(file)),
                         std::istreambuf_iterator<char>());
  absl::StatusOr<OpmlDocument> document = ParseOpml(text);
  if (!document.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "feeds_opml: ", opml_path, ": ", document.status().message()));
  }
  for (const OpmlProblem& problem : document->problems) {
    if (problem.error) {
      return absl::InvalidArgumentError(absl::StrCat(
          "feeds_opml: ", opml_path, ":", problem.line, ": ", problem.message));
    }
  }
  std::vector<NewFeed> listed;
  listed.reserve(document->feeds.size());
  for (OpmlFeed& feed : document->feeds) {
    if (absl::Status s = FeedRegistry::CheckFeedUrl(feed.url); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("feeds_opml: ", opml_path, ":", feed.line, ": xmlUrl ",
                       absl::StripPrefix(s.message(), "url: ")));
    }
    listed.push_back(
        {std::move(feed.url), std::move(feed.title), std::move(feed.labels)});
  }
  absl::StatusOr<std::vector<FeedRecord>> added = feeds.AddFeeds(listed, now);
  if (!added.ok()) return added.status();
  return absl::OkStatus();
}

}  // namespace newsfeed::ingest
