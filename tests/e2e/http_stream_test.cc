// The live stream as curl or a browser holds it: query-service is killed
// (kill -9) while an SSE client reads /v1/stream, restarted on the same
// addresses, and the client reconnects with Last-Event-ID as EventSource
// does. Across the restart it gets every article exactly once.
#include <google/protobuf/util/json_util.h>
#include <signal.h>

#include <map>
#include <string>

#include "common/testing/sse_client.h"
#include "gtest/gtest.h"
#include "newsfeed/v1/article.pb.h"
#include "tests/e2e/harness.h"

namespace newsfeed::testing {
namespace {

constexpr int kArticles = 2000;

TEST(HttpStreamTest, KillRestartAndLastEventIdLoseAndRepeatNothing) {
  const std::string work = MakeTempDir("http_stream");
  FeedServer feeds;
  feeds.Put("/generated/big.xml", GeneratedFeed(0, kArticles));
  auto query_config = [&](const std::string& listen,
                          const std::string& http_listen) {
    return "listen: " + listen + "\nhttp:\n  listen: \"" + http_listen +
           "\"\ndata_dir: " + work + "/query-data\nshutdown_grace: 1s\n";
  };
  auto query =
      StartQueryService(work, query_config("127.0.0.1:0", "127.0.0.1:0"));
  ASSERT_TRUE(query.ok()) << query.status();
  auto http_line =
      query->process->WaitForLine("HTTP API on http://", absl::Seconds(60));
  ASSERT_TRUE(http_line.ok()) << http_line.status();
  const std::string http_address = http_line->substr(0, http_line->find('/'));
  // The parse budget is generous: sanitizer builds run 10-20x slower.
  auto ingest = StartIngestService(
      work, "listen: 127.0.0.1:0\ndata_dir: " + work +
                "/ingest-data\nquery_address: " + query->address +
                "\nparser:\n  max_items: 20000\n  document_cpu_budget: 30s\n"
                "outbox:\n  batch_articles: 50\n"
                "fetcher:\n  allowed_networks: [127.0.0.0/8]\nfeeds:\n  - " +
                feeds.Url("generated/big.xml") + "\n");
  ASSERT_TRUE(ingest.ok()) << ingest.status();

  // sequence -> times received, over both connections.
  std::map<uint64_t, int> received;
  auto collect = [&](const std::vector<SseEvent>& events) {
    for (const SseEvent& event : events) {
      if (event.type != "article") continue;
      newsfeed::v1::Article article;
      ASSERT_TRUE(
          google::protobuf::util::JsonStringToMessage(event.data, &article)
              .ok())
          << event.data;
      EXPECT_EQ(event.id, std::to_string(article.sequence()));
      ++received[article.sequence()];
    }
  };

  std::string last_event_id;
  {
    SseClient stream(http_address, "/v1/stream?after_sequence=0", {},
                     absl::Minutes(5));
    ASSERT_GE(stream.WaitForArticles(100).size(), 100u);
    query->process->Signal(SIGKILL);
    EXPECT_EQ(query->process->Wait(), 128 + SIGKILL);
    // What a client holds is what arrived whole before the connection died.
    const std::vector<SseEvent> events = stream.WaitForClose();
    collect(events);
    for (const SseEvent& event : events) {
      if (!event.id.empty()) last_event_id = event.id;
    }
  }
  ASSERT_FALSE(last_event_id.empty());
  ASSERT_LT(received.size(), static_cast<size_t>(kArticles));

  auto restarted =
      StartQueryService(work, query_config(query->address, http_address));
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  ASSERT_TRUE(
      restarted->process->WaitForLine("HTTP API on http://", absl::Seconds(60))
          .ok());
  // As EventSource reconnects: the first URL, and the last id it saw.
  SseClient resumed(http_address, "/v1/stream?after_sequence=0",
                    {{"Last-Event-ID", last_event_id}}, absl::Minutes(5));
  const size_t missing = kArticles - received.size();
  collect(resumed.WaitForArticles(missing));
  resumed.Stop();

  ASSERT_EQ(received.size(), static_cast<size_t>(kArticles));
  for (const auto& [sequence, times] : received) {
    EXPECT_EQ(times, 1) << "sequence " << sequence << " received " << times
                        << " times";
  }
  // Each article stored once: sequences 1..kArticles, none resent as new.
  EXPECT_EQ(received.rbegin()->first, static_cast<uint64_t>(kArticles));
}

}  // namespace
}  // namespace newsfeed::testing
