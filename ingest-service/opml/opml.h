// OPML 2.0 feed lists (http://opml.org/spec2.opml), the format feed readers
// import and export: reading one into the feeds it names, and writing the
// feed list as one.
//
// Reading is strict about what would be imported and lenient about the
// rest: every problem is reported with the line it is on, and the caller
// decides (FeedAdmin.ImportFeeds imports nothing when any problem is an
// error). A feed is an <outline> with an xmlUrl attribute; the titles of
// the outlines around it (its folders) and its `category` attribute become
// its labels, as feed readers use them.
//
// Thread-safe: pure functions.
#ifndef INGEST_SERVICE_OPML_OPML_H_
#define INGEST_SERVICE_OPML_OPML_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace newsfeed::ingest {

struct OpmlFeed {
  std::string url;       // xmlUrl, surrounding whitespace removed
  std::string title;     // title, else text; may be empty
  std::string html_url;  // htmlUrl; may be empty
  // Folder titles from the outermost in, then each `category` entry (a
  // comma-separated list of "/"-separated paths: each path's last part).
  // Duplicates removed, order kept, each at most kMaxOpmlLabelBytes.
  std::vector<std::string> labels;
  int line = 0;  // 1-based line of the <outline>
};

struct OpmlProblem {
  int line = 0;  // 1-based; 0 for the whole document
  // What is wrong, naming the attribute and quoting the value (escaped,
  // shortened), e.g. `xmlUrl "ftp://x": not an absolute http(s) URL`.
  std::string message;
  // Errors make an import refuse the whole document; the others (a
  // duplicate of a feed earlier in the file, which is imported once) are
  // reported and imported around.
  bool error = true;
};

struct OpmlDocument {
  std::string title;  // <head><title>
  std::vector<OpmlFeed> feeds;  // in document order, each URL once
  std::vector<OpmlProblem> problems;  // in line order
};

struct OpmlLimits {
  size_t max_bytes = size_t{4} << 20;   // of the whole document
  size_t max_feeds = 100000;            // outlines with xmlUrl
  int max_depth = 32;                   // nested outlines
};

inline constexpr size_t kMaxOpmlLabelBytes = 100;
inline constexpr size_t kMaxOpmlLabelsPerFeed = 16;

// Parses `text`. INVALID_ARGUMENT (naming the line when known) when it is
// not a well-formed XML document with an <opml> root and a <body>, is
// larger than limits.max_bytes, nests deeper than max_depth, names more
// than max_feeds feeds, or is not valid UTF-8 (after the declared encoding
// is applied: UTF-8, UTF-16 and ISO-8859-1 are accepted). Otherwise the
// document, with per-line problems: an xmlUrl that is empty or blank is an
// error; a URL seen earlier in the file is a warning (not an error).
absl::StatusOr<OpmlDocument> ParseOpml(std::string_view text,
                                       const OpmlLimits& limits = {});

// An OPML 2.0 document titled `title` listing `feeds`, grouped into one
// folder per first label (feeds without labels at the top level, after the
// folders), every label in the `category` attribute, so that ParseOpml of
// the result gives back the same URLs, titles and labels.
std::string WriteOpml(std::string_view title,
                      const std::vector<OpmlFeed>& feeds);

}  // namespace newsfeed::ingest

#endif  // INGEST_SERVICE_OPML_OPML_H_
