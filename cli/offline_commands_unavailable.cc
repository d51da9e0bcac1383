// Stand-in for offline_commands.cc while the parser, fetcher and tagger
// libraries are not part of the build: registers no subcommand.
#include "cli/offline_commands.h"

namespace newsfeed::cli {

void AddOfflineCommands(CLI::App& /*app*/, std::istream& /*in*/,
                        std::ostream& /*out*/, std::stop_token /*stop*/,
                        std::function<absl::Status()>& /*action*/) {}

}  // namespace newsfeed::cli
