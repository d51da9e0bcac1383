// Scale-out on PostgreSQL: two query-service replicas share one store and two
// ingest-service instances share one feed list. Every feed is fetched by one
// instance, every article is stored once, subscribers on both replicas get
// every article in sequence order, and when one replica is killed (kill -9)
// its subscriber resumes on the survivor without a gap or a duplicate.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/testing/test_postgres.h"
#include "gtest/gtest.h"
#include "newsfeed/v1/query.grpc.pb.h"
#include "tests/e2e/harness.h"

namespace newsfeed::testing {
namespace {

constexpr int kPerFeed = 1500;
constexpr int kArticles = 2 * kPerFeed;

// Subscribes from the beginning and keeps going until it has `count`
// articles: when its replica goes away it resumes from its last sequence on
// the next address, as a client of a replicated service does.
class ResumingSubscriber {
 public:
  ResumingSubscriber(std::vector<std::string> addresses, int count)
      : addresses_(std::move(addresses)), count_(count) {
    thread_ = std::thread([this] { Run(); });
  }
  ~ResumingSubscriber() { Join(); }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  // Waits (bounded) until at least `n` articles arrived.
  bool WaitForArticles(int n) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return static_cast<int>(received_.size()) >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Minutes(3));
  }
  std::vector<std::pair<uint64_t, std::string>> received() {
    absl::MutexLock lock(&mu_);
    return received_;
  }
  int resumes() {
    absl::MutexLock lock(&mu_);
    return resumes_;
  }

 private:
  void Run() {
    const absl::Time give_up = absl::Now() + absl::Minutes(5);
    uint64_t position = 0;
    size_t next = 0;
    while (absl::Now() < give_up) {
      {
        absl::MutexLock lock(&mu_);
        if (static_cast<int>(received_.size()) >= count_) return;
      }
      const std::string& address = addresses_[next % addresses_.size()];
      auto stub = newsfeed::v1::QueryService::NewStub(
          grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(give_up));
      newsfeed::v1::SubscribeRequest request;
      request.set_after_sequence(position);
      auto reader = stub->Subscribe(&context, request);
      newsfeed::v1::SubscribeResponse message;
      bool done = false;
      while (!done && reader->Read(&message)) {
        if (!message.has_article()) continue;
        position = message.article().sequence();
        absl::MutexLock lock(&mu_);
        received_.emplace_back(position, message.article().id());
        done = static_cast<int>(received_.size()) >= count_;
      }
      if (done) {
        context.TryCancel();
        while (reader->Read(&message)) {
        }
      }
      (void)reader->Finish();
      if (done) return;
      // The replica went away: resume on the next one.
      ++next;
      absl::MutexLock lock(&mu_);
      ++resumes_;
    }
  }

  const std::vector<std::string> addresses_;
  const int count_;
  absl::Mutex mu_;
  std::vector<std::pair<uint64_t, std::string>> received_ ABSL_GUARDED_BY(mu_);
  int resumes_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

// Every article once, in strictly ascending sequence order.
void ExpectEveryArticleOnceInOrder(
    const std::vector<std::pair<uint64_t, std::string>>& received,
    std::set<std::string>* ids) {
  uint64_t previous = 0;
  for (const auto& [sequence, id] : received) {
    EXPECT_GT(sequence, previous) << "out of order or repeated at " << id;
    previous = sequence;
    EXPECT_TRUE(ids->insert(id).second) << "received twice: " << id;
  }
  EXPECT_EQ(static_cast<int>(ids->size()), kArticles);
}

TEST(ReplicasTest, TwoReplicasOnePostgresEveryArticleOnceAndAKillLosesNothing) {
  absl::StatusOr<std::string> store_dsn = TestPostgres::CreateDatabase();
  ASSERT_TRUE(store_dsn.ok()) << store_dsn.status();
  absl::StatusOr<std::string> feeds_dsn = TestPostgres::CreateDatabase();
  ASSERT_TRUE(feeds_dsn.ok()) << feeds_dsn.status();

  const std::string work = MakeTempDir("replicas");
  FeedServer feeds;
  feeds.Put("/generated/one.xml", GeneratedFeed(0, kPerFeed));
  feeds.Put("/generated/two.xml", GeneratedFeed(kPerFeed, kPerFeed));

  auto query_config = [&](const std::string& name) {
    return absl::StrCat("listen: 127.0.0.1:0\ndata_dir: ", work, "/", name,
                        "\nshutdown_grace: 1s\nstore:\n  engine: postgres\n"
                        "  postgres_url: \"",
                        *store_dsn, "\"\n");
  };
  auto replica_a = StartQueryService(work, query_config("query-a"));
  ASSERT_TRUE(replica_a.ok()) << replica_a.status();
  auto replica_b = StartQueryService(work, query_config("query-b"));
  ASSERT_TRUE(replica_b.ok()) << replica_b.status();

  ResumingSubscriber on_a({replica_a->address, replica_b->address}, kArticles);
  ResumingSubscriber on_b({replica_b->address}, kArticles);

  // Both instances list both feeds; leases decide who fetches which. The
  // query address names both replicas: round_robin spreads the streams and
  // moves them off a dead one.
  const std::string query_target =
      absl::StrCat("ipv4:", replica_a->address, ",", replica_b->address);
  auto ingest_config = [&](const std::string& name) {
    return absl::StrCat(
        "listen: 127.0.0.1:0\ndata_dir: ", work, "/", name,
        "\nquery_address: \"", query_target,
        "\"\nstate:\n  engine: postgres\n  postgres_url: \"", *feeds_dsn,
        "\"\n  instance_id: ", name,
        "\npolling:\n  default_interval: 1h\nparser:\n  max_items: 20000\n  "
        "document_cpu_budget: 30s\n"
        "outbox:\n  batch_articles: 100\nfetcher:\n  allowed_networks: "
        "[127.0.0.0/8]\nfeeds:\n  - ",
        feeds.Url("generated/one.xml"), "\n  - ",
        feeds.Url("generated/two.xml"), "\n");
  };
  auto ingest_one = StartIngestService(work, ingest_config("ingest-1"));
  ASSERT_TRUE(ingest_one.ok()) << ingest_one.status();
  auto ingest_two = StartIngestService(work, ingest_config("ingest-2"));
  ASSERT_TRUE(ingest_two.ok()) << ingest_two.status();

  // Mid-delivery, replica A dies.
  ASSERT_TRUE(on_a.WaitForArticles(1));
  replica_a->process->Signal(SIGKILL);
  EXPECT_EQ(replica_a->process->Wait(), 128 + SIGKILL);

  on_a.Join();
  on_b.Join();
  std::set<std::string> ids_a;
  std::set<std::string> ids_b;
  ExpectEveryArticleOnceInOrder(on_a.received(), &ids_a);
  ExpectEveryArticleOnceInOrder(on_b.received(), &ids_b);
  EXPECT_EQ(ids_a, ids_b);
  EXPECT_GE(on_a.resumes(), 1) << "the subscriber on A never lost A";

  // One instance fetched each feed, once: the other saw it leased.
  EXPECT_EQ(feeds.Fetches("/generated/one.xml"), 1);
  EXPECT_EQ(feeds.Fetches("/generated/two.xml"), 1);

  // Stored once each: the survivor's highest sequence is the article count
  // (a duplicate stored again would have taken another sequence).
  auto stub = newsfeed::v1::QueryService::NewStub(grpc::CreateChannel(
      replica_b->address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  newsfeed::v1::FacetsRequest request;
  newsfeed::v1::FacetsResponse response;
  ASSERT_TRUE(stub->Facets(&context, request, &response).ok());
  EXPECT_EQ(response.total(), kArticles);
}

}  // namespace
}  // namespace newsfeed::testing
