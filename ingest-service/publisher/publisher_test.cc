// The publisher against a real query-service (in-process, real gRPC over a
// unix socket, real SQLite): everything in the outbox arrives once, and
// nothing is lost while query-service is down.
#include "ingest-service/publisher/publisher.h"

#include <stdlib.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/auth/test_certs.h"
#include "common/metrics/metrics.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "query-service/server/query_server.h"

namespace newsfeed::ingest {
namespace {

IngestStateOptions StateOptions(const std::string& dir,
                                int64_t outbox_max_bytes = int64_t{1} << 30) {
  IngestStateOptions options;
  options.data_dir = dir;
  options.outbox_max_bytes = outbox_max_bytes;
  return options;
}

std::string TempDir(const std::string& name) {
  std::string dir = ::testing::TempDir() + name + "_XXXXXX";
  EXPECT_NE(mkdtemp(dir.data()), nullptr);
  return dir;
}

std::vector<newsfeed::v1::Article> Articles(int n) {
  std::vector<newsfeed::v1::Article> articles;
  for (int i = 0; i < n; ++i) {
    newsfeed::v1::Article a;
    a.set_id(absl::StrCat("article-", i));
    a.set_title(absl::StrCat("Story number ", i));
    a.set_content_hash(absl::StrCat("h", i));
    a.mutable_published_time()->set_seconds(1700000000 + i);
    articles.push_back(std::move(a));
  }
  return articles;
}

class PublisherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto state = IngestState::Open(StateOptions(TempDir("publisher_state")));
    ASSERT_TRUE(state.ok()) << state.status();
    state_ = std::move(*state);
    socket_ = "unix:" + TempDir("publisher_socket") + "/query.sock";
  }

  std::unique_ptr<query::QueryServer> StartQueryServer(
      size_t max_title_bytes = ArticleLimits{}.max_title_bytes) {
    query::QueryConfig config;
    config.ingest.limits.max_title_bytes = max_title_bytes;
    config.store.data_dir = TempDir("publisher_query");
    config.server.listen_address = socket_;
    config.shutdown_grace = absl::Seconds(1);
    auto server = query::QueryServer::Start(config, RealClock::Instance());
    EXPECT_TRUE(server.ok()) << server.status();
    return server.ok() ? std::move(*server) : nullptr;
  }

  PublisherOptions Options(absl::Notification* done, int64_t want) {
    PublisherOptions options;
    options.query_address = socket_;
    options.batch_articles = 100;
    options.min_backoff = absl::Milliseconds(20);
    options.max_backoff = absl::Milliseconds(200);
    options.on_delivered = [done, want](int64_t delivered) {
      if (delivered == want) done->Notify();
    };
    return options;
  }

  std::unique_ptr<IngestState> state_;
  std::string socket_;
};

TEST_F(PublisherTest, DeliversTheWholeOutboxOnceAndEmptiesIt) {
  auto query = StartQueryServer();
  ASSERT_NE(query, nullptr);
  ASSERT_EQ(*state_->RecordNewArticles("feed", Articles(1050)), 1050);
  absl::Notification done;
  metrics::Registry registry;
  {
    PublisherOptions options = Options(&done, 1050);
    options.metrics = &registry;
    Publisher publisher(*state_, options);
    publisher.Wake();
    done.WaitForNotification();
  }
  EXPECT_EQ(state_->GetOutboxStats()->articles, 0);
  EXPECT_EQ(*query->store().LatestSequence(), 1050u);
  const std::string text = registry.Render();
  EXPECT_THAT(
      text, ::testing::HasSubstr("\nnewsfeed_articles_delivered_total 1050\n"));
  // The stream closed with the publisher.
  EXPECT_THAT(text, ::testing::HasSubstr("\nnewsfeed_publisher_connected 0\n"));
}

TEST_F(PublisherTest, RefusedArticlesGoToTheDeadLettersAndDeliveryGoesOn) {
  // query-service takes shorter titles than this producer makes: a
  // misconfiguration that must not stop delivery.
  auto query = StartQueryServer(/*max_title_bytes=*/64);
  ASSERT_NE(query, nullptr);
  std::vector<newsfeed::v1::Article> articles = Articles(250);
  articles[7].set_title(std::string(100, 't'));
  // Alone in its batch (batches of 100): every article of it refused.
  for (int i = 200; i < 250; ++i) articles[i].set_title(std::string(80, 'u'));
  ASSERT_EQ(*state_->RecordNewArticles("feed", articles), 250);
  absl::Notification done;
  metrics::Registry registry;
  {
    PublisherOptions options = Options(&done, 0);
    // Three batches of up to 100, each acknowledged once; the last one is
    // all refused, so the delivered count stops at 199 before it.
    options.on_delivered = [&done, acks = 0](int64_t) mutable {
      if (++acks == 3) done.Notify();
    };
    options.metrics = &registry;
    Publisher publisher(*state_, options);
    publisher.Wake();
    done.WaitForNotification();
    EXPECT_EQ(publisher.stats().rejected, 51);
  }
  EXPECT_EQ(state_->GetOutboxStats()->articles, 0);
  EXPECT_EQ(*query->store().LatestSequence(), 199u);
  EXPECT_FALSE(query->store().Get("article-7").ok());
  auto letters = state_->DeadLetters(100);
  ASSERT_TRUE(letters.ok()) << letters.status();
  ASSERT_EQ(letters->size(), 51u);
  EXPECT_EQ(letters->back().article.id(), "article-7");
  EXPECT_THAT(letters->back().reason,
              ::testing::HasSubstr("articles[7].title: 100 bytes"));
  EXPECT_THAT(registry.Render(),
              ::testing::HasSubstr("\nnewsfeed_articles_rejected_total 51\n"));
}

TEST_F(PublisherTest, KeepsArticlesWhileQueryServiceIsDownThenDelivers) {
  ASSERT_EQ(*state_->RecordNewArticles("feed", Articles(300)), 300);
  absl::Notification done;
  Publisher publisher(*state_, Options(&done, 300));
  publisher.Wake();
  // Nothing listens yet: the articles stay queued.
  EXPECT_FALSE(done.HasBeenNotified());
  EXPECT_EQ(state_->GetOutboxStats()->articles, 300);

  auto query = StartQueryServer();
  ASSERT_NE(query, nullptr);
  done.WaitForNotification();
  EXPECT_EQ(*query->store().LatestSequence(), 300u);
  EXPECT_EQ(state_->GetOutboxStats()->articles, 0);
}

TEST_F(PublisherTest, DeliversOverMutualTlsWithTheToken) {
  auth::TestCerts certs = auth::MakeTestCerts();
  ASSERT_FALSE(certs.dir.empty());
  query::QueryConfig config;
  config.store.data_dir = TempDir("publisher_query_tls");
  config.server.listen_address = "127.0.0.1:0";
  config.server.tls_cert_file = certs.server_cert();
  config.server.tls_key_file = certs.server_key();
  config.server.tls_client_ca_file = certs.ca();
  config.ingest.publish_token = "publish-token";
  config.shutdown_grace = absl::Seconds(1);
  auto query = query::QueryServer::Start(config, RealClock::Instance());
  ASSERT_TRUE(query.ok()) << query.status();
  ASSERT_EQ(*state_->RecordNewArticles("feed", Articles(120)), 120);

  absl::Notification never;
  PublisherOptions options = Options(&never, -1);
  options.query_address = (*query)->address();
  options.tls = {.ca_file = certs.ca(),
                 .cert_file = certs.client_cert(),
                 .key_file = certs.client_key()};
  {
    // A wrong token is refused and nothing leaves the outbox.
    options.token = "wrong-token";
    Publisher publisher(*state_, options);
    publisher.Wake();
    for (int i = 0; i < 1000 && publisher.stats().reconnects == 0; ++i) {
      absl::SleepFor(absl::Milliseconds(10));  // polls a condition
    }
    EXPECT_NE(publisher.stats().last_error.find("wrong token"),
              std::string::npos)
        << publisher.stats().last_error;
  }
  EXPECT_EQ(state_->GetOutboxStats()->articles, 120);
  EXPECT_EQ(*(*query)->store().LatestSequence(), 0u);

  absl::Notification done;
  options = Options(&done, 120);
  options.query_address = (*query)->address();
  options.tls = {.ca_file = certs.ca(),
                 .cert_file = certs.client_cert(),
                 .key_file = certs.client_key()};
  options.token = "publish-token";
  {
    Publisher publisher(*state_, options);
    publisher.Wake();
    done.WaitForNotification();
  }
  EXPECT_EQ(state_->GetOutboxStats()->articles, 0);
  EXPECT_EQ(*(*query)->store().LatestSequence(), 120u);
}

}  // namespace
}  // namespace newsfeed::ingest
