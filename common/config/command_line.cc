#include "common/config/command_line.h"

#include <cstring>

namespace newsfeed::config {

CommandLine ParseCommandLine(int argc, const char* const* argv,
                             const char* program, const char* usage,
                             std::FILE* out, std::FILE* err) {
  CommandLine result;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 ||
        std::strcmp(argv[i], "-h") == 0) {
      std::fputs(usage, out);
      result.exit_code = 0;
      return result;
    }
    if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
      result.config_path = argv[++i];
    } else if (std::strncmp(argv[i], "--config=", 9) == 0) {
      result.config_path = argv[i] + 9;
    } else {
      std::fprintf(err, "%s: %s %s\n%s", program,
                   std::strcmp(argv[i], "--config") == 0
                       ? "missing the file after"
                       : "unknown argument",
                   argv[i], usage);
      result.exit_code = 2;
      return result;
    }
  }
  return result;
}

}  // namespace newsfeed::config
