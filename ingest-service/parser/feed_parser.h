// Feed parser: turns the bytes of an RSS or Atom document into a ParsedFeed.
//
// Handles RSS 2.0, RSS 0.9x, RSS 1.0 (RDF), Atom 1.0, Atom 0.3 and CDF, with
// the dc, dcterms, content, media, itunes, sy and atom extension namespaces
// (matched by namespace URI, not by prefix), and JSON Feed 1 and 1.1. It is
// deliberately forgiving: feeds in the wild declare the wrong encoding, use
// HTML entities XML does not know, and leave bare ampersands. Those are
// repaired and recorded in ParsedFeed::warnings; only a document that is not
// XML even after repair is an error.
//
// Example:
//
//   newsfeed::ingest::ParseOptions options;
//   options.feed_url = "https://example.com/feed.xml";
//   absl::StatusOr<newsfeed::ingest::ParsedFeed> feed =
//       newsfeed::ingest::ParseFeed(body, options);
//   if (!feed.ok()) return feed.status();
//   for (const auto& item : feed->items) Use(item.title, item.link);
//
// All functions here are pure and thread-safe: they share no state.
// No external DTD or entity is ever read. Entities expanded: the built-in XML
// ones, a fixed table of HTML named entities, and entities the document's
// internal DTD subset declares with a literal value (never nested, bounded).

#ifndef INGEST_SERVICE_PARSER_FEED_PARSER_H_
#define INGEST_SERVICE_PARSER_FEED_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace newsfeed::ingest {

// Knobs for ParseFeed. The defaults suit a production poller.
struct ParseOptions {
  // URL the document was fetched from. Relative links are resolved against it
  // when neither xml:base nor the feed's own link applies, and every error
  // message names it. Default: empty (relative links then stay relative).
  std::string feed_url;

  // Charset from the HTTP Content-Type header, e.g. "windows-1252". Used when
  // the document has no byte-order mark and its XML declaration names no
  // encoding, and as the second guess when the declared encoding does not fit
  // the bytes. Default: empty.
  std::string charset_hint;

  // Documents larger than this are rejected with ResourceExhausted.
  // Default: 16 MiB.
  size_t max_document_bytes = 16 << 20;

  // Items beyond this many are dropped (with a warning). Default: 5000.
  size_t max_items = 5000;

  // A text field longer than this is cut at a UTF-8 boundary (with a
  // warning). Default: 1 MiB.
  size_t max_field_bytes = 1 << 20;

  // Documents nesting elements deeper than this are rejected with
  // ResourceExhausted. Default: 256.
  int max_depth = 256;

  // Authors, categories and enclosures of one item (and authors of the feed)
  // beyond this many are dropped (with a warning). Default: 100.
  size_t max_list_entries = 100;

  // A URL (link, enclosure, xml:base, ...) longer than this once resolved is
  // dropped (with a warning). Default: 32 KiB.
  size_t max_url_bytes = 32 << 10;

  // Bound on the bytes of text the parsed feed may hold in all, so that
  // resolving relative URLs and copying the feed's authors into every entry
  // cannot turn a small document into a huge result: items that would pass
  // min(max_output_bytes, 8 * document size + 1 MiB) are dropped (with a
  // warning). Default: 64 MiB.
  size_t max_output_bytes = 64 << 20;
};

struct ParsedAuthor {
  std::string name;
  std::string email;
  std::string uri;  // absolute when the feed gives one
};

struct ParsedEnclosure {
  std::string url;  // absolute
  std::string type;
  int64_t length = 0;  // bytes as declared; 0 when unknown or not a number
};

struct ParsedItem {
  // RSS guid, Atom id or RDF rdf:about, as given; may be empty.
  std::string id;
  // True when `id` is the article's URL (RSS guid without
  // isPermaLink="false", RDF rdf:about), false for opaque ids (Atom id).
  bool id_is_permalink = false;
  // Plain text: markup stripped, entities decoded.
  std::string title;
  // Absolute URL of the article; empty when the feed gives none.
  std::string link;
  // As given; may be HTML (RSS description, Atom summary, itunes:summary,
  // media:description).
  std::string summary;
  // HTML (content:encoded, Atom content; Atom text content is escaped to
  // HTML and xhtml content is the inner div serialized).
  std::string content;
  std::vector<ParsedAuthor> authors;
  // RSS category, dc:subject, Atom category term; duplicates removed.
  std::vector<std::string> categories;
  std::optional<absl::Time> published;
  std::optional<absl::Time> updated;
  // RSS enclosure, Atom link rel="enclosure", media:content; one per URL.
  std::vector<ParsedEnclosure> enclosures;
  // Absolute URL of media:thumbnail, itunes:image; empty when absent.
  std::string thumbnail_url;
  // dc:language of the item or the xml:lang in effect on it; may be empty.
  std::string language;
};

// Hubs beyond this many are ignored: a feed names one or two.
inline constexpr size_t kMaxHubs = 4;

struct ParsedFeed {
  // "rss2.0", "rss0.91", "rss0.92", "rss1.0", "rss0.90", "atom1.0",
  // "atom0.3", "cdf", "json1.0", "json1.1".
  std::string format;
  std::string title;  // plain text
  std::string link;   // absolute
  std::string description;
  std::string language;
  std::optional<absl::Time> updated;
  // RSS ttl, or sy:updatePeriod / sy:updateFrequency.
  std::optional<absl::Duration> ttl;
  // Hours (UTC) and days in which the publisher asks not to be polled: RSS
  // skipHours (bit h for hour h, 0-23) and skipDays (bit d for the d-th day
  // from Monday, 0-6). 0 when absent.
  uint32_t skip_hours = 0;
  uint32_t skip_days = 0;
  // WebSub: the absolute URLs of the hubs that push this feed (link
  // rel="hub", JSON Feed hubs), at most kMaxHubs, and the feed's own
  // canonical URL (link rel="self", JSON Feed feed_url); empty when absent.
  std::vector<std::string> hubs;
  std::string self_url;
  std::vector<ParsedItem> items;  // document order
  // Repairs made, one line each, e.g.
  // "line 12: undeclared entity &nbsp; decoded".
  std::vector<std::string> warnings;
};

// Adds `url` to feed->hubs unless it is not an absolute http(s) URL, is
// there already, or kMaxHubs are. Shared by the RSS, Atom and JSON readers.
void AddHub(ParsedFeed* feed, std::string url);

// Parses one feed document.
//
// OK: the document was an RSS or Atom feed, possibly after repairs (listed in
// warnings). A feed with no items is OK.
// InvalidArgument: the bytes are not XML even after repair (the message names
// options.feed_url and the line:column of the fault), or the root element is
// not a feed, or a JSON document is not a JSON Feed.
// ResourceExhausted: the document exceeds max_document_bytes or max_depth,
// or a JSON Feed holds more values than max_items items could need or nests
// arrays and objects deeper than 100.
absl::StatusOr<ParsedFeed> ParseFeed(std::string_view body,
                                     const ParseOptions& options);

// Serializes a feed as the one JSON object `newsfeed parse` prints:
//   {"feed": {"title", "link", "description", "language", "updated"},
//    "items": [{"id", "title", "link", "summary", "content",
//               "authors": [{"name", "email"}], "categories": [...],
//               "published", "updated",
//               "enclosures": [{"url", "type", "length"}]}]}
// Absent values are omitted; dates are RFC 3339 in UTC
// ("2024-05-13T09:30:00Z"). Always succeeds.
std::string FeedToJson(const ParsedFeed& feed);

// Parses a date as feeds write them: RFC 822/1123 and its wild variants
// (two-digit years, no weekday or seconds, named, military and "GMT+2"
// zones, some French/German/Spanish/Italian/Dutch month names) and RFC 3339 /
// ISO 8601. Returns nullopt when the text is not a date we understand.
std::optional<absl::Time> ParseFeedDate(std::string_view text);

// Formats a time as RFC 3339 UTC with whole seconds, the form FeedToJson uses.
std::string FormatRfc3339(absl::Time time);

}  // namespace newsfeed::ingest

#endif  // INGEST_SERVICE_PARSER_FEED_PARSER_H_
