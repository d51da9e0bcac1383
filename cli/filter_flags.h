// Turning command-line text into request values: durations ("7d", "2h30m"),
// points in time ("7d" ago or RFC 3339) and the ArticleFilter shared by
// `search`, `facets` and `subscribe`.
//
// Every function is pure (time comes in as an argument) and thread-safe.
// Errors are INVALID_ARGUMENT with a message that names the flag or value, and
// carry the usage-error mark (see IsUsageError) so that main exits with 2.
//
//   FilterFlags flags;
//   flags.companies = {"Microsoft"};
//   flags.since = "7d";
//   absl::StatusOr<v1::ArticleFilter> filter = BuildFilter(flags, absl::Now());
#ifndef CLI_FILTER_FLAGS_H_
#define CLI_FILTER_FLAGS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "newsfeed/v1/query.pb.h"

namespace newsfeed::cli {

// An INVALID_ARGUMENT status marked as a mistake on the command line (exit
// code 2) rather than a failure reported by a service (exit code 1).
absl::Status UsageError(absl::string_view message);
bool IsUsageError(const absl::Status& status);

// Parses a positive duration written as one or more <integer><unit> parts,
// unit one of d, h, m, s: "7d", "2h", "30m", "90s", "1h30m". Returns
// INVALID_ARGUMENT (usage error) for anything else.
absl::StatusOr<absl::Duration> ParseDuration(absl::string_view text);

// Parses a point in time: a duration (see ParseDuration) meaning that long
// before `now`, an RFC 3339 time ("2024-05-13T09:30:00Z",
// "2024-05-13T11:30:00+02:00") or a date ("2024-05-13", midnight UTC).
// `flag` names the flag in the error message.
absl::StatusOr<absl::Time> ParseTimeSpec(absl::string_view text, absl::Time now,
                                         absl::string_view flag);

google::protobuf::Timestamp ToProtoTimestamp(absl::Time time);
absl::Time FromProtoTimestamp(const google::protobuf::Timestamp& timestamp);

// The filter flags common to search, facets and subscribe, as typed.
struct FilterFlags {
  // --company, --all-companies, --not-company (and the same for countries,
  // topics, feeds and languages): any_of, all_of, none_of.
  std::vector<std::string> companies, all_companies, not_companies;
  std::vector<std::string> countries, all_countries, not_countries;
  std::vector<std::string> topics, all_topics, not_topics;
  std::vector<std::string> feeds, all_feeds, not_feeds;
  std::vector<std::string> languages, all_languages, not_languages;
  // --text: full-text query (SQLite FTS5 syntax).
  std::string text;
  // --since / --until: see ParseTimeSpec. Empty: unbounded.
  std::string since;
  std::string until;
  // --min-amount (0: no constraint) and --currency (ISO 4217, needs
  // --min-amount).
  double min_amount = 0;
  std::string currency;
};

// Builds the request filter. Country and currency codes are upper-cased.
// INVALID_ARGUMENT (usage error) for a bad time, --since not before --until,
// a negative amount or --currency without --min-amount.
absl::StatusOr<v1::ArticleFilter> BuildFilter(const FilterFlags& flags,
                                              absl::Time now);

}  // namespace newsfeed::cli

#endif  // CLI_FILTER_FLAGS_H_
