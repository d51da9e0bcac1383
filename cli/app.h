// The `newsfeed` command line: CLI11 wiring of every subcommand and option
// to the command functions. Lives in the library (main.cc only adds signal
// handling) so that cli_tests can check flag parsing and exit codes.
//
// Exit codes: 0 success (and --help), 1 a command failed, 2 a usage error.
// Errors are one line on `err`: "newsfeed: <what failed>: <message>".
#ifndef CLI_APP_H_
#define CLI_APP_H_

#include <istream>
#include <ostream>
#include <stop_token>

#include "common/clock/clock.h"

namespace newsfeed::cli {

// Parses argv (argv[0] is the program name) and runs the chosen subcommand.
// Defaults for --query and --ingest come from $NEWSFEED_QUERY_ADDR and
// $NEWSFEED_INGEST_ADDR. `stop` ends a running `subscribe` cleanly. `clock`
// is borrowed for the call.
// `in` is read by `tag`.
int RunCommandLine(int argc, const char* const* argv, std::istream& in,
                   std::ostream& out, std::ostream& err,
                   std::stop_token stop = {},
                   const Clock& clock = RealClock::Instance());

}  // namespace newsfeed::cli

#endif  // CLI_APP_H_
