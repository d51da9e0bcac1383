// The command line every newsfeed service takes: `--config FILE` and
// `--help`. Everything else is configuration (file or environment).
//
// Thread-safe: no shared state.
#ifndef COMMON_CONFIG_COMMAND_LINE_H_
#define COMMON_CONFIG_COMMAND_LINE_H_

#include <cstdio>
#include <optional>
#include <string>

namespace newsfeed::config {

struct CommandLine {
  // --config FILE; empty: defaults and environment only.
  std::string config_path;
  // Set when main should return this at once: 0 after --help (usage printed
  // to `out`), 2 for an unknown or incomplete argument (named on `err`,
  // followed by the usage).
  std::optional<int> exit_code;
};

CommandLine ParseCommandLine(int argc, const char* const* argv,
                             const char* program, const char* usage,
                             std::FILE* out = stdout, std::FILE* err = stderr);

}  // namespace newsfeed::config

#endif  // COMMON_CONFIG_COMMAND_LINE_H_
