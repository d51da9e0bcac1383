// Several instances on one PostgreSQL database: leases, take-over, shared
// seen items, and two pollers sharing a feed list. Time is a FakeClock's (or
// fixed instants); nothing sleeps.
#include "ingest-service/feeds/pg_feed_registry.h"

#include <stdlib.h>

#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock/clock.h"
#include "common/testing/test_postgres.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ingest-service/scheduler/poller.h"
#include "ingest-service/state/ingest_state.h"
#include "ingest-service/tagger/tagger.h"

namespace newsfeed::ingest {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1700000000);
constexpr absl::Duration kLease = absl::Minutes(2);

std::string Url(int i) {
  return absl::StrCat("https://feeds", i % 7, ".example.test/feed", i, ".xml");
}

class PgFeedRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dsn = testing::TestPostgres::CreateDatabase();
    ASSERT_TRUE(dsn.ok()) << dsn.status();
    dsn_ = *dsn;
  }

  std::unique_ptr<PgFeedRegistry> OpenInstance(const std::string& id) {
    auto opened = PgFeedRegistry::Open(
        {.postgres_url = dsn_, .instance_id = id, .lease_duration = kLease});
    EXPECT_TRUE(opened.ok()) << opened.status();
    return opened.ok() ? std::move(*opened) : nullptr;
  }

  static std::set<std::string> Ids(const std::vector<FeedRecord>& feeds) {
    std::set<std::string> ids;
    for (const FeedRecord& f : feeds) ids.insert(f.id);
    return ids;
  }

  std::string dsn_;
};

TEST_F(PgFeedRegistryTest, OpenValidatesOptions) {
  EXPECT_EQ(PgFeedRegistry::Open({.postgres_url = "", .instance_id = "a"})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PgFeedRegistry::Open({.postgres_url = dsn_, .instance_id = ""})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PgFeedRegistry::Open({.postgres_url = dsn_,
                                  .instance_id = "a",
                                  .lease_duration = absl::ZeroDuration()})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  auto unreachable = PgFeedRegistry::Open(
      {.postgres_url = "host=/nonexistent/newsfeed-test dbname=x",
       .instance_id = "a"});
  EXPECT_EQ(unreachable.status().code(), absl::StatusCode::kUnavailable)
      << unreachable.status();
}

TEST_F(PgFeedRegistryTest, InstancesOpeningTogetherShareOneSchema) {
  std::vector<std::unique_ptr<PgFeedRegistry>> instances(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < instances.size(); ++i) {
    threads.emplace_back([&, i] {
      auto opened = PgFeedRegistry::Open(
          {.postgres_url = dsn_, .instance_id = absl::StrCat("i", i)});
      if (opened.ok()) instances[i] = std::move(*opened);
    });
  }
  for (std::thread& t : threads) t.join();
  for (const auto& instance : instances) ASSERT_NE(instance, nullptr);
  // Every instance ensures the configured feeds: one row each.
  for (const auto& instance : instances) {
    ASSERT_TRUE(instance->EnsureFeed(Url(1), kNow).ok());
    ASSERT_TRUE(instance->EnsureFeed(Url(2), kNow).ok());
  }
  EXPECT_EQ(instances[3]->ListFeeds()->size(), 2u);
}

TEST_F(PgFeedRegistryTest, NewerSchemaIsRefused) {
  ASSERT_NE(OpenInstance("a"), nullptr);
  {
    pqxx::connection c(dsn_);
    pqxx::work w(c);
    w.exec0("UPDATE ingest_schema_version SET version = 99");
    w.commit();
  }
  auto opened =
      PgFeedRegistry::Open({.postgres_url = dsn_, .instance_id = "b"});
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(opened.status().message(), HasSubstr("99"));
}

TEST_F(PgFeedRegistryTest, TwoInstancesClaimDisjointSets) {
  auto a = OpenInstance("instance-a");
  auto b = OpenInstance("instance-b");
  ASSERT_TRUE(a && b);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(a->EnsureFeed(Url(i), kNow).ok());

  auto claimed_a = a->DueFeeds(kNow, 4);
  ASSERT_TRUE(claimed_a.ok()) << claimed_a.status();
  EXPECT_EQ(claimed_a->size(), 4u);
  auto claimed_b = b->DueFeeds(kNow, 100);
  ASSERT_TRUE(claimed_b.ok()) << claimed_b.status();
  EXPECT_EQ(claimed_b->size(), 6u);
  std::set<std::string> all = Ids(*claimed_a);
  for (const std::string& id : Ids(*claimed_b)) {
    EXPECT_TRUE(all.insert(id).second) << id << " claimed by both";
  }
  EXPECT_EQ(all.size(), 10u);
  // Nothing is left for anyone while the leases are live.
  EXPECT_TRUE(a->DueFeeds(kNow + kLease - absl::Microseconds(1), 100)->empty());
  EXPECT_TRUE(b->DueFeeds(kNow, 100)->empty());
  // A lease shows who holds the feed; NextDue waits for it.
  auto lease = b->GetLease((*claimed_a)[0].id);
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_EQ(lease->owner, "instance-a");
  EXPECT_EQ(lease->until, kNow + kLease);
  EXPECT_EQ(*b->NextDue(), kNow + kLease);

  // Released by SaveFeed: due again at its new next_poll, for either.
  FeedRecord feed = (*claimed_a)[0];
  feed.next_poll = kNow + absl::Minutes(1);
  ASSERT_TRUE(a->SaveFeed(feed).ok());
  EXPECT_EQ(b->GetLease(feed.id)->owner, "");
  auto again = b->DueFeeds(kNow + absl::Minutes(1), 100);
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ((*again)[0].id, feed.id);
}

TEST_F(PgFeedRegistryTest, ConcurrentClaimsNeverHandAFeedToTwoInstances) {
  constexpr int kFeeds = 300;
  constexpr int kInstances = 4;
  std::vector<std::unique_ptr<PgFeedRegistry>> instances;
  for (int i = 0; i < kInstances; ++i) {
    instances.push_back(OpenInstance(absl::StrCat("instance-", i)));
    ASSERT_NE(instances.back(), nullptr);
  }
  for (int i = 0; i < kFeeds; ++i) {
    ASSERT_TRUE(instances[0]->EnsureFeed(Url(i), kNow).ok());
  }
  std::vector<std::vector<std::string>> claimed(kInstances);
  std::vector<absl::Status> errors(kInstances);
  std::vector<std::thread> threads;
  for (int i = 0; i < kInstances; ++i) {
    threads.emplace_back([&, i] {
      // Bounded: a registry that hands feeds out twice must not hang here.
      for (int round = 0; round < kFeeds; ++round) {
        auto due = instances[i]->DueFeeds(kNow, 7);
        if (!due.ok()) {
          errors[i] = due.status();
          return;
        }
        if (due->empty()) return;
        for (const FeedRecord& f : *due) claimed[i].push_back(f.id);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::map<std::string, int> times;
  for (int i = 0; i < kInstances; ++i) {
    EXPECT_TRUE(errors[i].ok()) << errors[i];
    for (const std::string& id : claimed[i]) ++times[id];
  }
  EXPECT_EQ(times.size(), static_cast<size_t>(kFeeds));
  for (const auto& [id, n] : times) EXPECT_EQ(n, 1) << id;
}

TEST_F(PgFeedRegistryTest, ExpiredLeaseIsTakenOverAndTheLateSaveRefused) {
  FakeClock clock(kNow);
  auto a = OpenInstance("instance-a");
  auto b = OpenInstance("instance-b");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->EnsureFeed(Url(1), clock.Now()).ok());
  auto held = a->DueFeeds(clock.Now(), 10);
  ASSERT_EQ(held->size(), 1u);

  // Instance a stops answering (kill -9): its lease runs out.
  clock.Advance(kLease - absl::Seconds(1));
  EXPECT_TRUE(b->DueFeeds(clock.Now(), 10)->empty());
  clock.Advance(absl::Seconds(1));
  auto taken = b->DueFeeds(clock.Now(), 10);
  ASSERT_TRUE(taken.ok()) << taken.status();
  ASSERT_EQ(taken->size(), 1u);
  EXPECT_EQ(b->GetLease(Url(1))->owner, "instance-b");

  // a comes back with a stale result: refused, nothing overwritten.
  FeedRecord stale = (*held)[0];
  stale.etag = "\"from-a\"";
  absl::Status late = a->SaveFeed(stale);
  EXPECT_EQ(late.code(), absl::StatusCode::kFailedPrecondition) << late;
  EXPECT_THAT(late.message(), HasSubstr("lease lost"));
  EXPECT_THAT(late.message(), HasSubstr("instance-b"));
  EXPECT_EQ(b->GetLease(Url(1))->owner, "instance-b");

  FeedRecord fresh = (*taken)[0];
  fresh.etag = "\"from-b\"";
  ASSERT_TRUE(b->SaveFeed(fresh).ok());
  // Also after b released it, a's stale state is refused.
  EXPECT_EQ(a->SaveFeed(stale).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(a->GetFeed(Url(1))->etag, "\"from-b\"");
}

TEST_F(PgFeedRegistryTest, ExpiredLeaseNobodyTookIsStillSaved) {
  auto a = OpenInstance("instance-a");
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(a->EnsureFeed(Url(1), kNow).ok());
  auto held = a->DueFeeds(kNow, 10);
  ASSERT_EQ(held->size(), 1u);
  FeedRecord feed = (*held)[0];
  feed.etag = "\"slow\"";
  EXPECT_TRUE(a->SaveFeed(feed).ok());
  EXPECT_EQ(a->GetFeed(Url(1))->etag, "\"slow\"");
}

TEST_F(PgFeedRegistryTest, ReleasedFeedIsClaimableAtOnce) {
  auto a = OpenInstance("instance-a");
  auto b = OpenInstance("instance-b");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->EnsureFeed(Url(1), kNow).ok());
  auto held = a->DueFeeds(kNow, 10);
  ASSERT_EQ(held->size(), 1u);
  // Only the owner's release counts.
  EXPECT_TRUE(b->ReleaseFeed((*held)[0].id).ok());
  EXPECT_TRUE(b->DueFeeds(kNow, 10)->empty());
  EXPECT_TRUE(a->ReleaseFeed((*held)[0].id).ok());
  EXPECT_TRUE(a->ReleaseFeed("f-unknown").ok());
  auto taken = b->DueFeeds(kNow, 10);
  ASSERT_EQ(taken->size(), 1u);
  EXPECT_EQ((*taken)[0].etag, (*held)[0].etag);
  EXPECT_EQ(b->GetLease(Url(1))->owner, "instance-b");
}

TEST_F(PgFeedRegistryTest, SeenItemsAreSharedBetweenInstances) {
  auto a = OpenInstance("instance-a");
  auto b = OpenInstance("instance-b");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->EnsureFeed(Url(1), kNow).ok());
  const std::string feed_id = FeedRegistry::FeedIdFor(Url(1));
  newsfeed::v1::Article article;
  article.set_id("article-1");
  article.set_content_hash("h1");
  EXPECT_THAT(*b->Unseen({article}), ::testing::ElementsAre(true));
  EXPECT_EQ(*a->MarkSeen(feed_id, {article}), 1);
  EXPECT_THAT(*b->Unseen({article}), ::testing::ElementsAre(false));
  EXPECT_EQ(*b->MarkSeen(feed_id, {article}), 0);
  EXPECT_EQ(b->GetFeed(feed_id)->items_seen, 1);
}

// Two pollers (two instances, each with its own outbox) on one registry: each
// feed is fetched by one of them per interval, each article queued once; when
// one instance stops, the other takes its feeds over after the lease.
class FakeFetcher final : public FeedFetcher {
 public:
  void FetchAll(
      const std::vector<FetchRequest>& requests,
      const std::function<void(size_t, absl::StatusOr<FetchResult>)>& on_done,
      const std::function<bool()>&) override {
    if (while_fetching) while_fetching();
    for (size_t i = 0; i < requests.size(); ++i) {
      ++(*fetches)[requests[i].url];
      FetchResult r;
      r.http_status = 200;
      r.effective_url = requests[i].url;
      r.body = absl::StrCat(
          R"(<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>)",
          "<item><title>Story one of ", requests[i].url, "</title><link>",
          requests[i].url, "/1</link><guid>", requests[i].url,
          "/1</guid></item><item><title>Story two</title><link>",
          requests[i].url, "/2</link><guid>", requests[i].url,
          "/2</guid></item></channel></rss>");
      on_done(i, r);
    }
  }
  std::map<std::string, int>* fetches;
  std::function<void()> while_fetching;  // runs before the results
};

TEST_F(PgFeedRegistryTest, TwoPollersPollEachFeedOncePerInterval) {
  constexpr int kFeeds = 12;
  FakeClock clock(kNow);
  auto tagger = Tagger::Create({});
  ASSERT_TRUE(tagger.ok()) << tagger.status();
  PollerOptions options;
  options.schedule.adaptive = false;
  options.schedule.jitter = 0;
  options.schedule.default_interval = absl::Minutes(15);
  options.max_feeds_per_round = 5;  // neither instance takes all at once

  struct Instance {
    std::unique_ptr<PgFeedRegistry> feeds;
    std::unique_ptr<IngestState> outbox;
    FakeFetcher fetcher;
    std::unique_ptr<Poller> poller;
  };
  std::map<std::string, int> fetches;
  Instance instances[2];
  for (int i = 0; i < 2; ++i) {
    Instance& in = instances[i];
    in.feeds = OpenInstance(absl::StrCat("instance-", i));
    ASSERT_NE(in.feeds, nullptr);
    std::string dir = ::testing::TempDir() + "pg_poller_XXXXXX";
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    IngestStateOptions state_options;
    state_options.data_dir = dir;
    auto outbox = IngestState::Open(state_options);
    ASSERT_TRUE(outbox.ok()) << outbox.status();
    in.outbox = std::move(*outbox);
    in.fetcher.fetches = &fetches;
    in.poller = std::make_unique<Poller>(*in.feeds, *in.outbox, in.fetcher,
                                         **tagger, clock, options, nullptr);
    for (int f = 0; f < kFeeds; ++f) {
      ASSERT_TRUE(in.feeds->EnsureFeed(Url(f), clock.Now()).ok());
    }
  }
  auto outbox_articles = [&] {
    std::map<std::string, int> ids;
    for (Instance& in : instances) {
      absl::StatusOr<std::vector<OutboxEntry>> entries =
          in.outbox->PeekOutbox(0, 1000);
      EXPECT_TRUE(entries.ok()) << entries.status();
      if (!entries.ok()) continue;
      for (const OutboxEntry& e : *entries) ++ids[e.article.id()];
    }
    return ids;
  };

  // Three intervals, the instances taking turns within each.
  for (int round = 1; round <= 3; ++round) {
    for (int turn = 0; turn < 3; ++turn) {
      for (Instance& in : instances) ASSERT_TRUE(in.poller->PollOnce().ok());
    }
    EXPECT_EQ(fetches.size(), static_cast<size_t>(kFeeds));
    for (const auto& [url, n] : fetches) EXPECT_EQ(n, round) << url;
    std::map<std::string, int> ids = outbox_articles();
    EXPECT_EQ(ids.size(), static_cast<size_t>(2 * kFeeds));
    for (const auto& [id, n] : ids) EXPECT_EQ(n, 1) << id;
    clock.Advance(absl::Minutes(15));
  }

  // Instance 0 claims a round and dies before saving it: its leases block
  // the feeds until they expire, then instance 1 polls them.
  auto orphaned = instances[0].feeds->DueFeeds(clock.Now(), 5);
  ASSERT_EQ(orphaned->size(), 5u);
  instances[0].poller.reset();
  for (int turn = 0; turn < 3; ++turn) {
    ASSERT_TRUE(instances[1].poller->PollOnce().ok());
  }
  for (const FeedRecord& f : *orphaned) EXPECT_EQ(fetches[f.url], 3) << f.url;
  clock.Advance(kLease);
  ASSERT_TRUE(instances[1].poller->PollOnce().ok());
  for (const auto& [url, n] : fetches) EXPECT_EQ(n, 4) << url;
  // Nothing new in the feeds: no article was queued twice.
  for (const auto& [id, n] : outbox_articles()) EXPECT_EQ(n, 1) << id;
}

TEST_F(PgFeedRegistryTest, PollerDropsAResultWhoseLeaseWasLost) {
  FakeClock clock(kNow);
  auto a = OpenInstance("instance-a");
  auto b = OpenInstance("instance-b");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->EnsureFeed(Url(1), clock.Now()).ok());
  std::string dir = ::testing::TempDir() + "pg_poller_XXXXXX";
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  IngestStateOptions state_options;
  state_options.data_dir = dir;
  auto outbox = IngestState::Open(state_options);
  ASSERT_TRUE(outbox.ok()) << outbox.status();
  auto tagger = Tagger::Create({});
  ASSERT_TRUE(tagger.ok()) << tagger.status();
  std::map<std::string, int> fetches;
  FakeFetcher fetcher;
  fetcher.fetches = &fetches;
  // The fetch outlives the lease, and instance b takes the feed over.
  fetcher.while_fetching = [&] {
    clock.Advance(kLease);
    auto taken = b->DueFeeds(clock.Now(), 10);
    ASSERT_TRUE(taken.ok()) << taken.status();
    EXPECT_EQ(taken->size(), 1u);
  };
  Poller poller(*a, **outbox, fetcher, **tagger, clock, PollerOptions(),
                nullptr);
  ASSERT_EQ(*poller.PollOnce(), 1);

  // a's fetch state was not written; b still owns the feed.
  EXPECT_EQ(b->GetLease(Url(1))->owner, "instance-b");
  auto feed = b->GetFeed(Url(1));
  ASSERT_TRUE(feed.ok()) << feed.status();
  EXPECT_EQ(feed->last_attempt, absl::InfinitePast());
  EXPECT_EQ(feed->next_poll, kNow);
  // Its articles were queued (and marked seen, for b too): at least once.
  EXPECT_EQ((*outbox)->PeekOutbox(0, 10)->size(), 2u);
}

}  // namespace
}  // namespace newsfeed::ingest
