// What the end-to-end tests share: a loopback HTTP feed server, and starting
// the two service binaries as real processes with a generated configuration.
#ifndef TESTS_E2E_HARNESS_H_
#define TESTS_E2E_HARNESS_H_

#include <httplib.h>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "tests/e2e/child_process.h"

namespace newsfeed::testing {

// Serves files under `root` and any documents added with Put, over HTTP on
// 127.0.0.1 at a free port. Thread-safe.
class FeedServer {
 public:
  explicit FeedServer(const std::string& root = "");
  ~FeedServer();
  // Serves `body` at `path` (e.g. "/big.xml") from now on.
  void Put(const std::string& path, std::string body);
  std::string Url(const std::string& path) const;
  // How many times `path` was requested (found or not).
  int Fetches(const std::string& path);

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  absl::Mutex mu_;
  std::map<std::string, std::string> documents_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> fetches_ ABSL_GUARDED_BY(mu_);
};

// A started service: the process and the address it logged.
struct Service {
  std::unique_ptr<ChildProcess> process;
  std::string address;
};

// Paths from ctest's environment; a fresh temporary directory per call.
std::string SourceDir();
std::string BinaryDir();
std::string MakeTempDir(const std::string& name);
void WriteFile(const std::string& path, const std::string& text);

// Starts query-service with `yaml` as its configuration file (written into
// `work_dir`) and waits for its "listening on" line.
absl::StatusOr<Service> StartQueryService(const std::string& work_dir,
                                          const std::string& yaml);
absl::StatusOr<Service> StartIngestService(const std::string& work_dir,
                                           const std::string& yaml);

// A generated RSS 2.0 document with `count` items numbered from `first`.
std::string GeneratedFeed(int first, int count);

}  // namespace newsfeed::testing

#endif  // TESTS_E2E_HARNESS_H_
