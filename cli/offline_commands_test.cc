#include "cli/offline_commands.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "cli/app.h"
#include "ingest-service/fetcher/test_http_server.h"

namespace newsfeed::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kRss[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel>
  <title>Example Tech News</title>
  <link>https://news.example/</link>
  <item>
    <title>Microsoft to invest in French data centers</title>
    <link>https://news.example/ms-france</link>
    <guid>https://news.example/ms-france</guid>
    <pubDate>Mon, 13 May 2024 09:30:00 GMT</pubDate>
  </item>
</channel></rss>
)";

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class ParseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "newsfeed-parse-XXXXXX")
            .string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string WriteFile(const std::string& name, const std::string& content) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  std::filesystem::path dir_;
  std::ostringstream out_;
};

TEST_F(ParseTest, FilePrintsOneJsonObject) {
  ParseCommandOptions options;
  options.path_or_url = WriteFile("feed.xml", kRss);
  absl::Status status = RunParse(options, {}, out_);
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_EQ(Lines(out_.str()).size(), 1u);
  EXPECT_THAT(out_.str(), StartsWith("{"));
  EXPECT_THAT(out_.str(), HasSubstr("Example Tech News"));
  EXPECT_THAT(out_.str(), HasSubstr("Microsoft to invest in French data"));
  EXPECT_THAT(out_.str(), HasSubstr("2024-05-13T09:30:00Z"));
}

TEST_F(ParseTest, MissingFileAndNonFeedAreErrorsNamingThePath) {
  ParseCommandOptions options;
  options.path_or_url = (dir_ / "missing.xml").string();
  absl::Status status = RunParse(options, {}, out_);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(status.message()), HasSubstr("missing.xml"));

  options.path_or_url = WriteFile("junk.txt", "this is not xml at all <<<");
  status = RunParse(options, {}, out_);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("junk.txt"));
  EXPECT_EQ(out_.str(), "");
}

TEST_F(ParseTest, UrlGoesThroughFetcherAndPrivateNetworkGuard) {
  ingest::testing::TestHttpServer server;
  server.http().Get(
      "/rss", [](const httplib::Request&, httplib::Response& response) {
        response.set_content(kRss, "application/rss+xml; charset=utf-8");
      });
  server.http().Get("/gone",
                    [](const httplib::Request&, httplib::Response& response) {
                      response.status = 404;
                    });
  ASSERT_TRUE(server.Start());

  ParseCommandOptions options;
  options.path_or_url = server.Url("/rss");
  absl::Status status = RunParse(options, {}, out_);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;

  options.allow_private_networks = true;
  status = RunParse(options, {}, out_);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(out_.str(), HasSubstr("Example Tech News"));

  options.path_or_url = server.Url("/gone");
  status = RunParse(options, {}, out_);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("404"));
}

TEST(TagTest, OneOutputLinePerInputLineInOrder) {
  std::istringstream in(
      R"({"id":"1","title":"Microsoft opens a data center in France","text":"Paris"})"
      "\n"
      "not json\r\n"
      "\n"
      R"({"id":"3","title":"Nothing here","text":""})"
      "\n");
  std::ostringstream out;
  ASSERT_TRUE(RunTag(in, out).ok());
  const std::vector<std::string> lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 4u) << out.str();
  EXPECT_THAT(lines[0], StartsWith(R"({"id":"1")"));
  EXPECT_THAT(lines[0], HasSubstr("Microsoft"));
  EXPECT_THAT(lines[1], HasSubstr("\"error\""));
  EXPECT_THAT(lines[2], HasSubstr("\"error\""));
  EXPECT_THAT(lines[3], StartsWith(R"({"id":"3")"));
}

TEST(TagTest, StreamsAHundredThousandLines) {
  constexpr int kLines = 100000;
  std::string input;
  for (int i = 0; i < kLines; ++i) {
    input += R"({"id":")" + std::to_string(i) +
             R"(","title":"Acme news","text":"Nothing to see"})"
             "\n";
  }
  std::istringstream in(std::move(input));
  std::ostringstream out;
  ASSERT_TRUE(RunTag(in, out).ok());
  const std::vector<std::string> lines = Lines(out.str());
  ASSERT_EQ(lines.size(), static_cast<size_t>(kLines));
  EXPECT_THAT(lines.back(), StartsWith(R"({"id":"99999")"));
}

TEST_F(ParseTest, CommandLineExitCodes) {
  const std::string path = WriteFile("feed.xml", kRss);
  std::istringstream in;
  std::ostringstream out, err;
  const char* ok_argv[] = {"newsfeed", "parse", path.c_str()};
  EXPECT_EQ(RunCommandLine(3, ok_argv, in, out, err), 0) << err.str();
  EXPECT_THAT(out.str(), HasSubstr("Example Tech News"));

  const std::string missing = (dir_ / "missing.xml").string();
  const char* bad_argv[] = {"newsfeed", "parse", missing.c_str()};
  EXPECT_EQ(RunCommandLine(3, bad_argv, in, out, err), 1);
  EXPECT_THAT(err.str(), StartsWith("newsfeed: parse: cannot read "));

  std::istringstream lines(R"({"id":"7","title":"x","text":"y"})"
                           "\n");
  std::ostringstream tagged;
  const char* tag_argv[] = {"newsfeed", "tag"};
  EXPECT_EQ(RunCommandLine(2, tag_argv, lines, tagged, err), 0);
  EXPECT_THAT(tagged.str(), StartsWith(R"({"id":"7")"));
}

}  // namespace
}  // namespace newsfeed::cli
