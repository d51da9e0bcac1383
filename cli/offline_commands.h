// The offline subcommands `parse` and `tag`, which run the ingest pipeline's
// parser (with the fetcher for URLs) and tagger locally, without any service.
// Implemented in offline_commands.cc when the newsfeed_parser,
// newsfeed_fetcher and newsfeed_tagger libraries are part of the build;
// otherwise offline_commands_unavailable.cc registers no subcommand and the
// Run functions below are not defined.
#ifndef CLI_OFFLINE_COMMANDS_H_
#define CLI_OFFLINE_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <istream>
#include <ostream>
#include <stop_token>
#include <string>

#include "absl/status/status.h"

namespace newsfeed::cli {

// Adds the offline subcommands to `app`. When one of them is chosen, its
// callback sets `action` to run it, reading `in` and printing to `out`.
// Everything passed must outlive the parse and the action.
void AddOfflineCommands(CLI::App& app, std::istream& in, std::ostream& out,
                        std::stop_token stop,
                        std::function<absl::Status()>& action);

struct ParseCommandOptions {
  // A file path, or an http:// or https:// URL fetched with CurlFetcher.
  std::string path_or_url;
  // --allow-private-networks: lift the fetcher's guard against loopback and
  // private addresses.
  bool allow_private_networks = false;
};

// `newsfeed parse`: prints FeedToJson's single JSON object and a newline.
// Errors name the path or URL: NOT_FOUND / PERMISSION_DENIED for a file that
// cannot be read, the fetcher's codes for a URL (UNAVAILABLE for an HTTP
// status other than 200), INVALID_ARGUMENT when the bytes are not a feed.
absl::Status RunParse(const ParseCommandOptions& options, std::stop_token stop,
                      std::ostream& out);

// `newsfeed tag`: reads JSON lines {"id","title","text"} from `in` and writes
// exactly one JSON line (TagJsonLine) per input line, in order, streaming.
// Output is flushed whenever no further input is buffered, so a caller
// talking to it line by line gets each answer at once.
absl::Status RunTag(std::istream& in, std::ostream& out);

}  // namespace newsfeed::cli

#endif  // CLI_OFFLINE_COMMANDS_H_
