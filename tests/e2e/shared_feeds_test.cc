// Two ingest-service processes share one feed list in PostgreSQL
// (state.engine: postgres) and deliver to one query-service: every feed is
// polled by one instance per interval, every article is stored once, and
// when one instance is killed (-9) in the middle of a fetch, the other takes
// its feed over once the lease expires.
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <signal.h>

#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/testing/test_postgres.h"
#include "gtest/gtest.h"
#include "newsfeed/v1/query.grpc.pb.h"
#include "tests/e2e/harness.h"

namespace newsfeed::testing {
namespace {

constexpr int kFeeds = 4;
constexpr int kItems = 5;
constexpr absl::Duration kInterval = absl::Seconds(2);
constexpr absl::Duration kLease = absl::Seconds(5);
// Bounds on a broken run, not synchronisation.
constexpr absl::Duration kTimeout = absl::Seconds(60);

// A loopback feed server that records every request (path, User-Agent,
// arrival time) and can hold the requests for one path until released.
class RecordingFeedServer {
 public:
  struct Fetch {
    std::string path;
    std::string user_agent;
    absl::Time at;
  };

  RecordingFeedServer() {
    server_.Get("/feeds/(.*)", [this](const httplib::Request& request,
                                      httplib::Response& response) {
      absl::MutexLock lock(&mu_);
      fetches_.push_back(
          {request.path, request.get_header_value("User-Agent"), absl::Now()});
      if (request.path == stall_path_) {
        mu_.AwaitWithTimeout(absl::Condition(&released_), kTimeout);
      }
      auto it = documents_.find(request.path);
      if (it == documents_.end()) {
        response.status = 404;
        return;
      }
      response.set_content(it->second, "application/rss+xml; charset=utf-8");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }

  ~RecordingFeedServer() {
    Release();
    server_.stop();
    thread_.join();
  }

  void Put(const std::string& path, std::string body) {
    absl::MutexLock lock(&mu_);
    documents_[path] = std::move(body);
  }
  std::string Url(const std::string& path) const {
    return absl::StrCat("http://127.0.0.1:", port_, path);
  }

  // Requests for `path` arriving from now on wait until Release.
  void Stall(const std::string& path) {
    absl::MutexLock lock(&mu_);
    stall_path_ = path;
    stall_from_ = fetches_.size();
    released_ = false;
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    stall_path_.clear();
    released_ = true;
  }
  // Waits for the first request held by Stall.
  absl::StatusOr<Fetch> WaitForStalledFetch() {
    Fetch found;
    const bool ok = WaitFor([&] {
      for (size_t i = stall_from_; i < fetches_.size(); ++i) {
        if (fetches_[i].path == stall_path_) {
          found = fetches_[i];
          return true;
        }
      }
      return false;
    });
    if (!ok) return absl::DeadlineExceededError("no stalled fetch");
    return found;
  }

  // Waits until `done(fetches)` holds; false after kTimeout.
  bool WaitUntil(std::function<bool(const std::vector<Fetch>&)> done) {
    return WaitFor([&] { return done(fetches_); });
  }
  std::vector<Fetch> fetches() {
    absl::MutexLock lock(&mu_);
    return fetches_;
  }

 private:
  bool WaitFor(std::function<bool()> predicate) {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(
        absl::Condition(
            +[](std::function<bool()>* p) { return (*p)(); }, &predicate),
        kTimeout);
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  absl::Mutex mu_;
  std::map<std::string, std::string> documents_ ABSL_GUARDED_BY(mu_);
  std::vector<Fetch> fetches_ ABSL_GUARDED_BY(mu_);
  std::string stall_path_ ABSL_GUARDED_BY(mu_);
  size_t stall_from_ ABSL_GUARDED_BY(mu_) = 0;
  bool released_ ABSL_GUARDED_BY(mu_) = true;
};

std::string FeedPath(int k) { return absl::StrCat("/feeds/feed", k, ".xml"); }

int CountFetches(const std::vector<RecordingFeedServer::Fetch>& fetches,
                 const std::string& path) {
  int n = 0;
  for (const auto& f : fetches) n += f.path == path;
  return n;
}

// Subscribes from the beginning and reads `count` articles (or until the
// deadline): every one must be stored exactly once, none twice as a new
// version.
void ExpectStoredOnce(const std::string& address, int count) {
  auto stub = newsfeed::v1::QueryService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoSeconds(kTimeout));
  newsfeed::v1::SubscribeRequest request;
  request.set_after_sequence(0);
  auto reader = stub->Subscribe(&context, request);
  std::set<std::string> ids;
  int deliveries = 0;
  uint64_t max_sequence = 0;
  newsfeed::v1::SubscribeResponse message;
  while (static_cast<int>(ids.size()) < count && reader->Read(&message)) {
    if (!message.has_article()) continue;
    ++deliveries;
    ids.insert(message.article().id());
    max_sequence = std::max(max_sequence, message.article().sequence());
  }
  context.TryCancel();
  while (reader->Read(&message)) {
  }
  (void)reader->Finish();
  EXPECT_EQ(static_cast<int>(ids.size()), count);
  EXPECT_EQ(deliveries, count);
  EXPECT_EQ(max_sequence, static_cast<uint64_t>(count));
}

TEST(SharedFeedsTest, TwoInstancesPollEachFeedOnceAndTakeOverAfterKill) {
  absl::StatusOr<std::string> dsn = TestPostgres::CreateDatabase();
  ASSERT_TRUE(dsn.ok()) << dsn.status();
  RecordingFeedServer feeds;
  for (int k = 0; k < kFeeds; ++k) {
    feeds.Put(FeedPath(k), GeneratedFeed(k * 1000, kItems));
  }
  const std::string work = MakeTempDir("shared_feeds");
  auto query =
      StartQueryService(work, "listen: 127.0.0.1:0\ndata_dir: " + work +
                                  "/query-data\nshutdown_grace: 1s\n");
  ASSERT_TRUE(query.ok()) << query.status();

  auto ingest_config = [&](const std::string& name, const std::string& dir) {
    std::string yaml = absl::StrCat(
        "listen: 127.0.0.1:0\ndata_dir: ", dir, "/ingest-data\n",
        "query_address: ", query->address, "\nshutdown_grace: 1s\n",
        "state:\n  engine: postgres\n  postgres_url: \"", *dsn, "\"\n",
        "  instance_id: ", name,
        "\n  lease_duration: ", absl::FormatDuration(kLease), "\n",
        // A fixed interval without jitter: what "once per interval" means.
        "polling:\n  schedule: fixed\n  jitter: 0\n  default_interval: ",
        absl::FormatDuration(kInterval),
        "\n  min_interval: 1s\n  min_backoff: 1s\n",
        "fetcher:\n  allowed_networks: [127.0.0.0/8]\n  min_host_gap: 0\n",
        "  connect_timeout: 1s\n  total_timeout: 4s\n",
        "  user_agent: newsfeed-e2e/", name, "\nfeeds:\n");
    for (int k = 0; k < kFeeds; ++k) {
      absl::StrAppend(&yaml, "  - ", feeds.Url(FeedPath(k)), "\n");
    }
    return yaml;
  };
  std::map<std::string, Service> instances;
  for (const std::string name : {"ingest-a", "ingest-b"}) {
    const std::string dir = MakeTempDir(name);
    auto started = StartIngestService(dir, ingest_config(name, dir));
    ASSERT_TRUE(started.ok()) << started.status();
    instances[name] = std::move(*started);
  }

  // Every article stored once, whichever instance fetched it.
  ExpectStoredOnce(query->address, kFeeds * kItems);
  // Several intervals later, each feed was fetched at most once per
  // interval: never by both instances at once.
  ASSERT_TRUE(feeds.WaitUntil([](const auto& fetches) {
    for (int k = 0; k < kFeeds; ++k) {
      if (CountFetches(fetches, FeedPath(k)) < 4) return false;
    }
    return true;
  }));
  std::map<std::string, absl::Time> last;
  for (const auto& f : feeds.fetches()) {
    if (auto it = last.find(f.path); it != last.end()) {
      EXPECT_GE(f.at - it->second, kInterval / 2)
          << f.path << " fetched twice in one interval (by " << f.user_agent
          << ")";
    }
    last[f.path] = f.at;
  }

  // Hold the next fetch of feed 0 and kill -9 the instance making it: it
  // dies holding the lease.
  feeds.Stall(FeedPath(0));
  absl::StatusOr<RecordingFeedServer::Fetch> stalled =
      feeds.WaitForStalledFetch();
  ASSERT_TRUE(stalled.ok()) << stalled.status();
  const bool a_stalled = absl::EndsWith(stalled->user_agent, "ingest-a");
  const std::string victim = a_stalled ? "ingest-a" : "ingest-b";
  const std::string survivor = a_stalled ? "ingest-b" : "ingest-a";
  instances[victim].process->Signal(SIGKILL);
  EXPECT_EQ(instances[victim].process->Wait(), 128 + SIGKILL);
  feeds.Release();

  // The survivor polls feed 0, but only after the dead instance's lease ran
  // out.
  absl::Time taken_over = absl::InfinitePast();
  ASSERT_TRUE(feeds.WaitUntil([&](const auto& fetches) {
    for (const auto& f : fetches) {
      if (f.path == FeedPath(0) && f.at > stalled->at) {
        EXPECT_TRUE(absl::EndsWith(f.user_agent, survivor)) << f.user_agent;
        taken_over = f.at;
        return true;
      }
    }
    return false;
  }));
  EXPECT_GE(taken_over - stalled->at, kLease - absl::Seconds(1));

  // New items in every feed: the survivor delivers them all, once.
  for (int k = 0; k < kFeeds; ++k) {
    feeds.Put(FeedPath(k), GeneratedFeed(k * 1000, kItems + 3));
  }
  ExpectStoredOnce(query->address, kFeeds * (kItems + 3));
}

}  // namespace
}  // namespace newsfeed::testing
