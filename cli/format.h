// Human-readable and JSON renderings of API messages for the CLI. Pure
// functions of their inputs; thread-safe.
#ifndef CLI_FORMAT_H_
#define CLI_FORMAT_H_

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "newsfeed/v1/article.pb.h"
#include "newsfeed/v1/feeds.pb.h"
#include "newsfeed/v1/query.pb.h"

namespace newsfeed::cli {

// Width of the title column in tables.
inline constexpr size_t kTitleWidth = 70;

// The message in protobuf's JSON mapping on one line (no trailing newline).
std::string ToJsonLine(const google::protobuf::Message& message);

// "2024-05-13 09:30" in UTC; "-" when unset.
std::string FormatMinuteUtc(const google::protobuf::Timestamp& timestamp);

// `text` cut to at most `width` code points, ending in "…" when cut. Never
// splits a UTF-8 sequence.
std::string Truncate(absl::string_view text, size_t width);

// Number of code points in UTF-8 `text` (our notion of display width).
size_t DisplayWidth(absl::string_view text);

// Writes rows under headers, columns separated by two spaces and padded to
// the widest cell; the last column is not padded.
void PrintTable(std::ostream& out, const std::vector<std::string>& headers,
                const std::vector<std::vector<std::string>>& rows);

// Tag summaries: "Microsoft,OpenAI", "FR,US", "ai,cloud".
std::string CompanyNames(const v1::Article& article);
std::string CountryCodes(const v1::Article& article);
std::string TopicIds(const v1::Article& article);

// The search table: PUBLISHED, TITLE, COMPANIES, COUNTRIES, TOPICS.
void PrintArticleTable(std::ostream& out,
                       const std::vector<v1::Article>& articles);

// "Microsoft (alias:Microsoft @ title 0-9)" style evidence list.
std::string FormatEvidence(
    const google::protobuf::RepeatedPtrField<v1::Evidence>& evidence);

// The multi-line view of `newsfeed get`.
void PrintArticleDetail(std::ostream& out, const v1::Article& article);

// Three small tables (companies, countries, topics) with counts.
void PrintFacets(std::ostream& out, const v1::FacetsResponse& facets);

// The feed table: ID, URL, TITLE, LAST STATUS, FAILURES, NEXT POLL, ITEMS.
void PrintFeeds(std::ostream& out, const v1::ListFeedsResponse& feeds);
// The dead letters as a table (id, rejected, feed, title, reason).
void PrintDeadLetters(std::ostream& out,
                      const v1::ListDeadLettersResponse& letters);

// One line per streamed article: "seq  published  title  [tags]".
std::string SubscribeLine(const v1::Article& article);

}  // namespace newsfeed::cli

#endif  // CLI_FORMAT_H_
