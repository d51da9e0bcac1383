// The feeds a configuration file names: the `feeds` list and the OPML file
// of `feeds_opml` (a feed reader's export, or the curated list the compose
// deployment ships), added to the feed list at start-up.
//
// Thread-safe: a function of its arguments and the registry.
#ifndef INGEST_SERVICE_FEEDS_CONFIGURED_FEEDS_H_
#define INGEST_SERVICE_FEEDS_CONFIGURED_FEEDS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "ingest-service/feeds/feed_registry.h"

namespace newsfeed::ingest {

// Adds each of `urls` and each feed of the OPML file at `opml_path` (empty:
// none) that `feeds` does not know yet, with the file's folders and
// categories as labels; feeds already known are left as they are (an
// operator may have removed or changed them since). Errors name the option
// and, for the OPML file, the path and line: INVALID_ARGUMENT for a bad URL
// or document (nothing of the file is added then), NOT_FOUND for a missing
// file, or the registry's error.
absl::Status AddConfiguredFeeds(FeedRegistry& feeds,
                                const std::vector<std::string>& urls,
                                const std::string& opml_path, absl::Time now);

}  // namespace newsfeed::ingest

#endif  // INGEST_SERVICE_FEEDS_CONFIGURED_FEEDS_H_
