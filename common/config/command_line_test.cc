#include "common/config/command_line.h"

#include <cstdio>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace newsfeed::config {
namespace {

struct Parsed {
  CommandLine line;
  std::string out;
  std::string err;
};

Parsed Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "svc");
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  Parsed parsed;
  parsed.line = ParseCommandLine(static_cast<int>(args.size()), args.data(),
                                 "svc", "usage: svc\n", out, err);
  for (auto [file, text] : {std::pair{out, &parsed.out}, {err, &parsed.err}}) {
    std::rewind(file);
    char buffer[256];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) {
      text->append(buffer, n);
    }
    std::fclose(file);
  }
  return parsed;
}

TEST(CommandLineTest, ConfigPathInBothSpellings) {
  EXPECT_EQ(Parse({"--config", "a.yaml"}).line.config_path, "a.yaml");
  EXPECT_EQ(Parse({"--config=b.yaml"}).line.config_path, "b.yaml");
  Parsed none = Parse({});
  EXPECT_EQ(none.line.config_path, "");
  EXPECT_FALSE(none.line.exit_code.has_value());
}

TEST(CommandLineTest, HelpPrintsUsageAndExitsZero) {
  Parsed help = Parse({"--help"});
  EXPECT_EQ(help.line.exit_code, 0);
  EXPECT_EQ(help.out, "usage: svc\n");
}

TEST(CommandLineTest, BadArgumentsAreNamedAndExitTwo) {
  Parsed unknown = Parse({"--verbose"});
  EXPECT_EQ(unknown.line.exit_code, 2);
  EXPECT_EQ(unknown.err, "svc: unknown argument --verbose\nusage: svc\n");
  Parsed missing = Parse({"--config"});
  EXPECT_EQ(missing.line.exit_code, 2);
  EXPECT_EQ(missing.err, "svc: missing the file after --config\nusage: svc\n");
}

}  // namespace
}  // namespace newsfeed::config
