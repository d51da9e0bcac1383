// Delivery benchmark (issues "never lose an article" and "outgrow one
// machine"): prints, in one run, per store engine and replica count,
//  1. the end-to-end delivery rate from ingest-service outboxes to stored
//     articles (Publisher -> gRPC Publish -> StoreWriter -> store), next to
//     a baseline of the same articles upserted straight into that store;
//  2. with S concurrent subscribers holding varied filters while articles are
//     published at a steady rate, the p50/p99 latency from publish to client
//     receipt (so it includes the commit), the CPU the whole process used,
//     and the memory per idle subscriber. The subscribers decode only what
//     they measure (latency_probe.proto).
// SQLite runs with one query-service; PostgreSQL (a private server started by
// scripts/pg-test-cluster.sh) with one and with two replicas on one database:
// each replica gets its own publisher and half the articles, subscribers are
// spread over the replicas, and articles are published to the first replica
// only, so the second one's subscribers measure cross-replica delivery.
// Everything runs in this process on unix sockets; figures are relative to
// the baseline measured in the same run.
//
// Flags (environment): NEWSFEED_BENCH_ARTICLES (default 20000),
// NEWSFEED_BENCH_SUBSCRIBERS (1000), NEWSFEED_BENCH_RATE (1000 articles/s),
// NEWSFEED_BENCH_SECONDS (5), NEWSFEED_BENCH_POSTGRES (1; 0 skips it),
// NEWSFEED_BENCH_BATCH (100: the subscribers run once with one article per
// message and once asking for up to this many, max_articles_per_response).
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "bench/cpu_time.h"
#include "common/testing/test_postgres.h"
#include "ingest-service/publisher/publisher.h"
#include "ingest-service/state/ingest_state.h"
#include "latency_probe.pb.h"
#include "newsfeed/v1/ingest.grpc.pb.h"
#include "newsfeed/v1/query.grpc.pb.h"
#include "query-service/server/query_server.h"
#include "query-service/store/pg_store.h"
#include "query-service/store/sqlite_store.h"
#include "tests/e2e/harness.h"

namespace {

using newsfeed::v1::Article;

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : fallback;
}

std::string TempDir(const std::string& name) {
  std::string dir = "/tmp/newsfeed_bench_" + name + "_XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) std::abort();
  return dir;
}

// Resident set size now, in KiB (from /proc/self/status).
// VmRSS of this process, or of `pid`.
long RssKib(pid_t pid = 0) {
  std::ifstream status(pid == 0 ? std::string("/proc/self/status")
                                : absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;
}

const char* kCountries[] = {"US", "FR", "DE", "GB", "CN", "JP", "IN",
                            "KR", "AE", "BR", "CA", "IT", "ES", "NL",
                            "SE", "CH", "TW", "AU", "SG", "IL"};
const char* kCompanies[] = {"Microsoft", "Amazon", "Apple",   "Alphabet",
                            "Meta",      "Nvidia", "OpenAI",  "Tesla",
                            "Samsung",   "TSMC",   "Siemens", "SAP",
                            "Toyota",    "Shell",  "BP",      "Mistral AI",
                            "Anthropic", "Oracle", "IBM",     "Intel"};
const char* kTopics[] = {"ai",      "cloud",      "semiconductors", "earnings",
                         "mna",     "regulation", "energy",         "jobs",
                         "funding", "automotive"};

// Skewed picks: low indexes much more frequent, like real news.
int Skewed(uint64_t i, int n) {
  const uint64_t h = (i * 2654435761u) ^ (i >> 7);
  const double u = static_cast<double>(h % 10000) / 10000.0;
  return std::min(n - 1, static_cast<int>(u * u * n));
}

Article MakeArticle(uint64_t i, absl::Time published) {
  Article a;
  a.set_id(absl::StrCat("bench-", i));
  a.set_title(absl::StrCat("Benchmark story ", i, " about markets"));
  a.set_summary("A generated summary for the delivery benchmark.");
  a.set_content_text(std::string(1500, 'x'));
  a.set_content_hash(absl::StrCat("h", i));
  a.set_feed_id("bench-feed");
  a.mutable_published_time()->set_seconds(absl::ToUnixSeconds(published));
  auto* company = a.add_companies();
  company->set_name(kCompanies[Skewed(i, 20)]);
  company->set_id(absl::StrCat("name:", company->name()));
  a.add_countries()->set_code(kCountries[Skewed(i + 17, 20)]);
  a.add_topics()->set_id(kTopics[Skewed(i + 31, 10)]);
  return a;
}

double Seconds(absl::Duration d) { return absl::ToDoubleSeconds(d); }

using newsfeed::bench::ProcessCpuSeconds;
using newsfeed::bench::ThreadCpuSeconds;

// Where the query-service replicas keep their articles.
struct Backend {
  std::string engine;        // "sqlite" or "postgres"
  std::string postgres_url;  // a fresh database, for "postgres"
  int replicas = 1;
  std::string Name() const {
    return absl::StrCat(engine, ", ", replicas, " replica",
                        replicas == 1 ? "" : "s");
  }
};

// A fresh backend of `engine`; for PostgreSQL, a new database on the
// process's private server.
Backend MakeBackend(const std::string& engine, int replicas) {
  Backend backend{engine, "", replicas};
  if (engine == "postgres") {
    absl::StatusOr<std::string> dsn =
        newsfeed::testing::TestPostgres::CreateDatabase();
    if (!dsn.ok()) {
      std::fprintf(stderr, "postgres: %s\n", dsn.status().ToString().c_str());
      std::abort();
    }
    backend.postgres_url = *dsn;
  }
  return backend;
}

newsfeed::query::QueryConfig ReplicaConfig(const Backend& backend,
                                           const std::string& name) {
  newsfeed::query::QueryConfig config;
  config.store.data_dir = TempDir(name);
  config.server.listen_address = "unix:" + TempDir("socket") + "/q.sock";
  config.store_engine = backend.engine;
  config.store.postgres_url = backend.postgres_url;
  return config;
}

std::unique_ptr<newsfeed::query::ArticleStore> OpenStore(
    const Backend& backend) {
  newsfeed::query::StoreOptions options;
  options.data_dir = TempDir("baseline");
  options.postgres_url = backend.postgres_url;
  if (backend.engine == "postgres") {
    auto store = newsfeed::query::PgStore::Open(options);
    if (!store.ok()) std::abort();
    return std::move(*store);
  }
  auto store = newsfeed::query::SqliteStore::Open(options);
  if (!store.ok()) std::abort();
  return std::move(*store);
}

std::vector<std::unique_ptr<newsfeed::query::QueryServer>> StartReplicas(
    const Backend& backend, int max_subscribers) {
  std::vector<std::unique_ptr<newsfeed::query::QueryServer>> servers;
  for (int r = 0; r < backend.replicas; ++r) {
    newsfeed::query::QueryConfig config =
        ReplicaConfig(backend, absl::StrCat("query", r));
    config.hub.max_subscribers = max_subscribers;
    auto server = newsfeed::query::QueryServer::Start(
        config, newsfeed::RealClock::Instance());
    if (!server.ok()) {
      std::fprintf(stderr, "query-service: %s\n",
                   server.status().ToString().c_str());
      std::abort();
    }
    servers.push_back(std::move(*server));
  }
  return servers;
}

void DeliveryRate(int articles, const Backend& backend) {
  // Baseline: the same articles upserted straight into a store of the same
  // engine (for PostgreSQL the same database: the delivery run below uses
  // other ids), in transactions of 500 (the largest batch query-service
  // accepts from a producer; its writer joins queued batches the same way).
  double baseline_rate;
  double baseline_cpu_rate;  // by this thread's CPU time: steadier than wall
  {
    std::unique_ptr<newsfeed::query::ArticleStore> store = OpenStore(backend);
    const absl::Time start = absl::Now();
    const double cpu_start = ThreadCpuSeconds();
    std::vector<Article> batch;
    for (int i = 0; i < articles; ++i) {
      batch.push_back(MakeArticle(articles + i, absl::Now()));
      if (batch.size() == 500 || i == articles - 1) {
        if (!store->Upsert(std::move(batch)).ok()) std::abort();
        batch.clear();
      }
    }
    baseline_rate = articles / Seconds(absl::Now() - start);
    baseline_cpu_rate = articles / (ThreadCpuSeconds() - cpu_start);
  }

  // One ingest outbox per replica, each holding its share of the articles.
  std::vector<std::unique_ptr<newsfeed::ingest::IngestState>> outboxes;
  for (int r = 0; r < backend.replicas; ++r) {
    newsfeed::ingest::IngestStateOptions state_options;
    state_options.data_dir = TempDir("outbox");
    auto state = newsfeed::ingest::IngestState::Open(state_options);
    if (!state.ok()) std::abort();
    std::vector<Article> share;
    for (int i = r; i < articles; i += backend.replicas) {
      share.push_back(MakeArticle(2 * articles + i, absl::Now()));
    }
    if (!(*state)->RecordNewArticles("bench-feed", share).ok()) std::abort();
    outboxes.push_back(std::move(*state));
  }
  auto servers = StartReplicas(backend, 10);

  absl::Mutex mu;
  int64_t delivered_total = 0;
  std::vector<int64_t> delivered(backend.replicas, 0);
  absl::Notification done;
  const absl::Time start = absl::Now();
  {
    std::vector<std::unique_ptr<newsfeed::ingest::Publisher>> publishers;
    for (int r = 0; r < backend.replicas; ++r) {
      newsfeed::ingest::PublisherOptions options;
      options.query_address = servers[r]->address();
      options.on_delivered = [&, r](int64_t count) {
        absl::MutexLock lock(&mu);
        delivered_total += count - delivered[r];
        delivered[r] = count;
        if (delivered_total == articles && !done.HasBeenNotified()) {
          done.Notify();
        }
      };
      publishers.push_back(
          std::make_unique<newsfeed::ingest::Publisher>(*outboxes[r], options));
    }
    for (auto& publisher : publishers) publisher->Wake();
    done.WaitForNotification();
  }
  const double rate = articles / Seconds(absl::Now() - start);
  // For PostgreSQL the client's CPU time leaves out the server's work.
  const std::string cpu_rate =
      backend.engine == "sqlite"
          ? absl::StrFormat(" (%.0f/s by the upserting thread's CPU time)",
                            baseline_cpu_rate)
          : "";
  std::printf(
      "delivery [%s]: %d articles, outbox->stored %.0f articles/s; "
      "baseline direct store upsert %.0f articles/s%s; ratio %.2f\n",
      backend.Name().c_str(), articles, rate, baseline_rate, cpu_rate.c_str(),
      rate / baseline_rate);
}

// Counts articles received and records publish-to-receipt latency; the
// publish time travels in the article's updated_time. Decodes only that and
// the sequence (latency_probe.proto), through a generic stub on the
// Subscribe method.
class LatencyReader final
    : public grpc::ClientBidiReactor<newsfeed::v1::SubscribeRequest,
                                     newsfeed::bench::ProbeResponse> {
 public:
  using ProbeStub = grpc::TemplatedGenericStub<newsfeed::v1::SubscribeRequest,
                                               newsfeed::bench::ProbeResponse>;

  LatencyReader(ProbeStub* stub, const newsfeed::v1::SubscribeRequest& request,
                std::vector<double>* latencies, absl::Mutex* mu,
                std::atomic<int>* live)
      : request_(request), latencies_(latencies), mu_(mu), live_(live) {
    stub->PrepareBidiStreamingCall(&context_,
                                   "/newsfeed.v1.QueryService/Subscribe",
                                   grpc::StubOptions(), this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&message_);
    StartCall();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    if (message_.has_heartbeat() && !counted_live_) {
      counted_live_ = true;
      live_->fetch_add(1);
    }
    if (message_.has_article()) Record({&message_.article()});
    if (message_.has_articles()) {
      std::vector<const newsfeed::bench::ProbeArticle*> batch;
      for (const auto& a : message_.articles().articles()) batch.push_back(&a);
      Record(batch);
    }
    StartRead(&message_);
  }
  void OnDone(const grpc::Status&) override { done_.Notify(); }
  void Record(const std::vector<const newsfeed::bench::ProbeArticle*>& got) {
    const absl::Time now = absl::Now();
    absl::MutexLock lock(mu_);
    for (const auto* article : got) {
      const auto& t = article->updated_time();
      const absl::Time sent =
          absl::FromUnixNanos(t.seconds() * 1000000000LL + t.nanos());
      latencies_->push_back(absl::ToDoubleMilliseconds(now - sent));
    }
  }
  void Cancel() {
    context_.TryCancel();
    done_.WaitForNotification();
  }

 private:
  grpc::ClientContext context_;
  const newsfeed::v1::SubscribeRequest request_;
  newsfeed::bench::ProbeResponse message_;
  std::vector<double>* latencies_;
  absl::Mutex* mu_;
  std::atomic<int>* live_;
  bool counted_live_ = false;
  absl::Notification done_;
};

void SubscriberLatency(int subscribers, int rate, int seconds,
                       uint32_t articles_per_response, const Backend& backend) {
  auto servers = StartReplicas(backend, subscribers + 10);
  std::vector<std::unique_ptr<LatencyReader::ProbeStub>> stubs;
  for (auto& server : servers) {
    stubs.push_back(
        std::make_unique<LatencyReader::ProbeStub>(grpc::CreateChannel(
            server->address(), grpc::InsecureChannelCredentials())));
  }
  auto channel = grpc::CreateChannel(servers[0]->address(),
                                     grpc::InsecureChannelCredentials());

  std::vector<double> latencies;
  absl::Mutex mu;
  std::atomic<int> live{0};
  const long rss_before = RssKib();
  std::vector<std::unique_ptr<LatencyReader>> readers;
  for (int i = 0; i < subscribers; ++i) {
    newsfeed::v1::SubscribeRequest request;
    switch (i % 3) {
      case 0:
        request.mutable_filter()->mutable_countries()->add_any_of(
            kCountries[i % 20]);
        break;
      case 1:
        request.mutable_filter()->mutable_companies()->add_any_of(
            kCompanies[i % 20]);
        break;
      default:
        request.mutable_filter()->mutable_topics()->add_any_of(kTopics[i % 10]);
        request.mutable_filter()->mutable_countries()->add_none_of("US");
    }
    request.set_max_articles_per_response(articles_per_response);
    readers.push_back(std::make_unique<LatencyReader>(
        stubs[i % stubs.size()].get(), request, &latencies, &mu, &live));
  }
  while (live.load() < subscribers) absl::SleepFor(absl::Milliseconds(10));
  const long rss_idle = RssKib();

  // Publish `rate` articles a second in batches of rate/10 every 100 ms.
  auto ingest = newsfeed::v1::ArticleIngest::NewStub(channel);
  grpc::ClientContext context;
  auto stream = ingest->Publish(&context);
  const int per_batch = std::max(1, rate / 10);
  const absl::Time start = absl::Now();
  const double cpu_start = ProcessCpuSeconds();
  uint64_t next_id = 0;
  for (int b = 0; b < seconds * 10; ++b) {
    absl::SleepFor(start + absl::Milliseconds(100 * b) - absl::Now());
    newsfeed::v1::PublishRequest request;
    request.set_batch_id(b + 1);
    const absl::Time now = absl::Now();
    for (int i = 0; i < per_batch; ++i) {
      Article a = MakeArticle(next_id++, now);
      const int64_t nanos = absl::ToUnixNanos(now);
      a.mutable_updated_time()->set_seconds(nanos / 1000000000);
      a.mutable_updated_time()->set_nanos(static_cast<int>(nanos % 1000000000));
      *request.add_articles() = std::move(a);
    }
    stream->Write(request);
  }
  stream->WritesDone();
  newsfeed::v1::PublishResponse ack;
  while (stream->Read(&ack)) {
  }
  (void)stream->Finish();
  absl::SleepFor(absl::Seconds(1));  // let the last deliveries arrive
  const double cores_busy =
      (ProcessCpuSeconds() - cpu_start) / Seconds(absl::Now() - start);
  for (auto& reader : readers) reader->Cancel();
  readers.clear();

  absl::MutexLock lock(&mu);
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    return latencies.empty()
               ? 0.0
               : latencies[std::min(latencies.size() - 1,
                                    static_cast<size_t>(p * latencies.size()))];
  };
  std::printf(
      "subscribers [%s]: %d with varied filters, up to %u articles per "
      "message, %d articles/s for %d s: "
      "%zu deliveries, latency publish->receipt p50 %.1f ms, p99 %.1f ms; "
      "%.2f cores busy\n",
      backend.Name().c_str(), subscribers, articles_per_response, rate, seconds,
      latencies.size(), pct(0.50), pct(0.99), cores_busy);
  std::printf(
      "memory: %.1f KiB per idle subscriber (server and client in one "
      "process; RSS %ld KiB before, %ld KiB with all idle)\n",
      static_cast<double>(rss_idle - rss_before) / subscribers, rss_before,
      rss_idle);
}

// Issue 23: clients that open streams asking for 1,000 articles per message
// and never read. The query-service at `address` first gets `articles`
// stored articles of 17 KiB; then `streams` streams open (the client's HTTP/2
// window kept at its 64 KiB default) and stall. Returns the growth of
// `rss()` per stream once the hub has filled every queue it may.
template <typename Rss>
long StalledStreamsGrowthKib(const std::string& address, int streams,
                             int articles, Rss rss) {
  auto channel =
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  {
    auto ingest = newsfeed::v1::ArticleIngest::NewStub(channel);
    grpc::ClientContext context;
    auto stream = ingest->Publish(&context);
    const absl::Time now = absl::Now();
    for (int b = 0; b * 100 < articles; ++b) {
      newsfeed::v1::PublishRequest request;
      request.set_batch_id(b + 1);
      for (int i = b * 100; i < std::min(articles, (b + 1) * 100); ++i) {
        Article a = MakeArticle(i, now);
        a.set_content_text(std::string(16 << 10, 'x'));
        *request.add_articles() = std::move(a);
      }
      stream->Write(request);
    }
    stream->WritesDone();
    newsfeed::v1::PublishResponse ack;
    while (stream->Read(&ack)) {
    }
    (void)stream->Finish();
  }
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  auto stub = newsfeed::v1::QueryService::NewStub(grpc::CreateCustomChannel(
      address, grpc::InsecureChannelCredentials(), arguments));
  const long rss_before = rss();
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<
      std::unique_ptr<grpc::ClientReader<newsfeed::v1::SubscribeResponse>>>
      readers;
  for (int k = 0; k < streams; ++k) {
    newsfeed::v1::SubscribeRequest request;
    request.set_after_sequence(0);
    request.set_max_articles_per_response(1000);
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    readers.push_back(stub->Subscribe(contexts.back().get(), request));
  }
  absl::SleepFor(absl::Seconds(3));  // the hub fills every queue it may
  const long rss_stalled = rss();
  for (auto& context : contexts) context->TryCancel();
  newsfeed::v1::SubscribeResponse message;
  for (auto& reader : readers) {
    while (reader->Read(&message)) {
    }
    (void)reader->Finish();
  }
  return (rss_stalled - rss_before) / std::max(1, streams);
}

// Server and client in this process, with the hub's queue bound
// `queue_bytes`.
long StalledStreamsKib(int streams, int articles, size_t queue_bytes) {
  const Backend backend = MakeBackend("sqlite", 1);
  newsfeed::query::QueryConfig config = ReplicaConfig(backend, "stalled");
  config.hub.queue_capacity_bytes = queue_bytes;
  config.hub.total_queue_bytes =
      std::max(config.hub.total_queue_bytes, queue_bytes);
  config.hub.max_subscribers_per_peer = static_cast<size_t>(streams) + 1;
  auto server = newsfeed::query::QueryServer::Start(
      config, newsfeed::RealClock::Instance());
  if (!server.ok()) std::abort();
  return StalledStreamsGrowthKib((*server)->address(), streams, articles,
                                 [] { return RssKib(); });
}

// The real query-service binary as a process of its own, on its default
// bounds: the server's memory alone, without the client's buffers.
long StalledStreamsServerProcessKib(int streams, int articles) {
  const std::string dir = newsfeed::testing::MakeTempDir("stalled-server");
  auto service = newsfeed::testing::StartQueryService(
      dir, absl::StrCat("listen: 127.0.0.1:0\ndata_dir: ", dir,
                        "/data\nsubscriptions:\n  max_subscribers_per_peer: ",
                        streams + 1, "\n"));
  if (!service.ok()) {
    std::fprintf(stderr, "query-service: %s\n",
                 std::string(service.status().message()).c_str());
    return -1;
  }
  const pid_t pid = service->process->pid();
  return StalledStreamsGrowthKib(service->address, streams, articles,
                                 [pid] { return RssKib(pid); });
}

void StalledStreams(int streams, int articles) {
  const size_t bounded = newsfeed::query::HubOptions().queue_capacity_bytes;
  const long with_bounds = StalledStreamsKib(streams, articles, bounded);
  const long without = StalledStreamsKib(
      streams, articles, std::numeric_limits<size_t>::max() / 4);
  std::printf(
      "stalled streams: %d that never read, 1,000 articles per message, "
      "%d stored articles of 17 KiB: %ld KiB per stream with the byte "
      "bounds (queue_capacity_bytes %zu KiB) vs %ld KiB with only the "
      "64-message bound (%.1fx less)\n",
      streams, articles, with_bounds, bounded >> 10, without,
      with_bounds > 0 ? static_cast<double>(without) / with_bounds : 0.0);
  const long server_only = StalledStreamsServerProcessKib(streams, articles);
  std::printf(
      "stalled streams, query-service as its own process (server memory "
      "only, default bounds): %ld KiB per stream that never reads\n",
      server_only);
}

}  // namespace

int main() {
  // As the services' main() does (Debian's Abseil keeps the detector on).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const int articles = EnvInt("NEWSFEED_BENCH_ARTICLES", 20000);
  const int subscribers = EnvInt("NEWSFEED_BENCH_SUBSCRIBERS", 1000);
  const int rate = EnvInt("NEWSFEED_BENCH_RATE", 1000);
  const int seconds = EnvInt("NEWSFEED_BENCH_SECONDS", 5);
  const uint32_t batch =
      static_cast<uint32_t>(EnvInt("NEWSFEED_BENCH_BATCH", 100));
  std::vector<std::pair<std::string, int>> setups = {{"sqlite", 1}};
  if (EnvInt("NEWSFEED_BENCH_POSTGRES", 1) != 0) {
    setups.push_back({"postgres", 1});
    setups.push_back({"postgres", 2});
  }
  if (const int stalled = EnvInt("NEWSFEED_BENCH_STALLED", 40); stalled > 0) {
    StalledStreams(stalled, EnvInt("NEWSFEED_BENCH_STALLED_ARTICLES", 2000));
  }
  for (const auto& [engine, replicas] : setups) {
    DeliveryRate(articles, MakeBackend(engine, replicas));
  }
  for (const auto& [engine, replicas] : setups) {
    for (uint32_t per_response : {1u, batch}) {
      SubscriberLatency(subscribers, rate, seconds, per_response,
                        MakeBackend(engine, replicas));
    }
  }
  return 0;
}
