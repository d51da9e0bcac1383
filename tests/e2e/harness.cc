#include "tests/e2e/harness.h"

#include <stdlib.h>

#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"

namespace newsfeed::testing {
namespace {

constexpr absl::Duration kStartTimeout = absl::Seconds(60);

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : value;
}

absl::StatusOr<Service> Start(const std::string& binary,
                              const std::string& config_path) {
  auto child = ChildProcess::Start({binary, "--config", config_path});
  if (!child.ok()) return child.status();
  auto listening = (*child)->WaitForLine("listening on ", kStartTimeout);
  if (!listening.ok()) return listening.status();
  Service service;
  service.address = listening->substr(0, listening->find(' '));
  service.process = std::move(*child);
  return service;
}

}  // namespace

FeedServer::FeedServer(const std::string& root) {
  if (!root.empty()) server_.set_mount_point("/", root);
  server_.Get("/generated/(.*)", [this](const httplib::Request& request,
                                        httplib::Response& response) {
    absl::MutexLock lock(&mu_);
    ++fetches_[request.path];
    auto it = documents_.find(request.path);
    if (it == documents_.end()) {
      response.status = 404;
      return;
    }
    response.set_content(it->second, "application/rss+xml; charset=utf-8");
  });
  port_ = server_.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  // bind_to_any_port already listens: connections queue until accepted.
}

FeedServer::~FeedServer() {
  server_.stop();
  thread_.join();
}

void FeedServer::Put(const std::string& path, std::string body) {
  absl::MutexLock lock(&mu_);
  documents_[path] = std::move(body);
}

int FeedServer::Fetches(const std::string& path) {
  absl::MutexLock lock(&mu_);
  auto it = fetches_.find(path);
  return it == fetches_.end() ? 0 : it->second;
}

std::string FeedServer::Url(const std::string& path) const {
  return absl::StrCat("http://127.0.0.1:", port_, "/", path);
}

// The environment overrides the paths compiled in (to test an installed
// build, for example).
std::string SourceDir() {
  std::string dir = Env("NEWSFEED_SOURCE_DIR");
  return dir.empty() ? NEWSFEED_SOURCE_DIR : dir;
}
std::string BinaryDir() {
  std::string dir = Env("NEWSFEED_BINARY_DIR");
  return dir.empty() ? NEWSFEED_BINARY_DIR : dir;
}

std::string MakeTempDir(const std::string& name) {
  std::string dir = ::testing::TempDir() + name + "_XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) std::abort();
  return dir;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

absl::StatusOr<Service> StartQueryService(const std::string& work_dir,
                                          const std::string& yaml) {
  WriteFile(work_dir + "/query.yaml", yaml);
  return Start(BinaryDir() + "/query-service/query-service",
               work_dir + "/query.yaml");
}

absl::StatusOr<Service> StartIngestService(const std::string& work_dir,
                                           const std::string& yaml) {
  WriteFile(work_dir + "/ingest.yaml", yaml);
  return Start(BinaryDir() + "/ingest-service/ingest-service",
               work_dir + "/ingest.yaml");
}

std::string GeneratedFeed(int first, int count) {
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss "
      "version=\"2.0\"><channel>"
      "<title>Generated</title><link>http://generated.invalid/</link>\n";
  for (int i = first; i < first + count; ++i) {
    absl::StrAppendFormat(
        &xml,
        "<item><title>Generated story %d: Siemens signs grid contract in "
        "Germany</title><link>http://generated.invalid/story/%d</link>"
        "<guid isPermaLink=\"false\">generated-%d</guid>"
        "<pubDate>Mon, 13 May 2024 09:%02d:%02d GMT</pubDate>"
        "<description>Siemens Energy will supply transformers for a power "
        "grid upgrade in Germany, item %d.</description></item>\n",
        i, i, i, (i / 60) % 60, i % 60, i);
  }
  xml += "</channel></rss>\n";
  return xml;
}

}  // namespace newsfeed::testing
