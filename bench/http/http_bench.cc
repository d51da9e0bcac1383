// HTTP/JSON API benchmark (issue "meet users where they are"): prints, in
// one run against one in-process query-service on loopback TCP,
//  1. the latency of the same search over gRPC (the baseline) and over
//     GET /v1/articles, calls interleaved, and the ratio of the two;
//  2. publish -> receipt latency (so it includes the commit) of articles on
//     /v1/stream with 1 SSE client (the baseline) and with S clients, all
//     read by one epoll loop in this process, at a steady publish rate; the
//     CPU the process used and the memory per connected client.
// Figures are relative to the baseline measured in the same run.
//
// Flags (environment): NEWSFEED_BENCH_ARTICLES (stored before the searches,
// default 10000), NEWSFEED_BENCH_SEARCHES (2000), NEWSFEED_BENCH_CLIENTS
// (1000), NEWSFEED_BENCH_RATE (50 articles/s), NEWSFEED_BENCH_SECONDS (5).
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "bench/cpu_time.h"
#include "newsfeed/v1/ingest.grpc.pb.h"
#include "newsfeed/v1/query.grpc.pb.h"
#include "query-service/server/query_server.h"

namespace {

using newsfeed::v1::Article;
using Clock = std::chrono::steady_clock;

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : fallback;
}

long RssKib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;
}

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             Clock::now().time_since_epoch())
      .count();
}

const char* kCompanies[] = {"Microsoft", "Amazon", "Siemens", "Toyota",
                            "Airbus",    "Nvidia", "Sanofi",  "Tata Motors"};
const char* kCountries[] = {"US", "FR", "DE", "JP", "IN", "GB", "AE", "BR"};
const char* kTopics[] = {"ai", "cloud", "earnings", "mna", "energy", "jobs"};

// A realistic wire story: ~1.5 KB of text, three kinds of tags.
Article MakeArticle(int i, const std::string& title) {
  Article a;
  a.set_id(absl::StrCat("bench-", i, "-", title.size()));
  a.set_feed_id("feed-bench");
  a.set_title(title);
  a.set_url(absl::StrCat("https://news.example/story/", i));
  std::string body;
  for (int s = 0; s < 12; ++s) {
    absl::StrAppend(&body, kCompanies[i % 8],
                    " said on Tuesday it would expand its operations in ",
                    kCountries[i % 8], " as demand for its products grew. ");
  }
  a.set_summary(body.substr(0, 200));
  a.set_content_text(body);
  a.set_content_hash(absl::StrCat("h", i, title));
  a.mutable_published_time()->set_seconds(1700000000 + i);
  auto* company = a.add_companies();
  company->set_id(absl::StrCat("name:", kCompanies[i % 8]));
  company->set_name(kCompanies[i % 8]);
  company->set_score(0.9);
  a.add_countries()->set_code(kCountries[(i / 8) % 8]);
  a.add_topics()->set_id(kTopics[i % 6]);
  return a;
}

class Publisher {
 public:
  explicit Publisher(const std::string& address)
      : stub_(newsfeed::v1::ArticleIngest::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))),
        stream_(stub_->Publish(&context_)) {}
  // Publishes one batch and waits for its acknowledgement (its commit).
  void Publish(const std::vector<Article>& articles) {
    newsfeed::v1::PublishRequest request;
    request.set_batch_id(++batch_);
    for (const Article& a : articles) *request.add_articles() = a;
    stream_->Write(request);
    newsfeed::v1::PublishResponse ack;
    stream_->Read(&ack);
  }
  ~Publisher() {
    stream_->WritesDone();
    newsfeed::v1::PublishResponse ack;
    while (stream_->Read(&ack)) {
    }
    (void)stream_->Finish();
  }

 private:
  std::unique_ptr<newsfeed::v1::ArticleIngest::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<newsfeed::v1::PublishRequest,
                                           newsfeed::v1::PublishResponse>>
      stream_;
  uint64_t batch_ = 0;
};

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1,
                         static_cast<size_t>(p * values.size()))];
}

void SearchLatency(newsfeed::query::QueryServer& server, int searches) {
  auto stub = newsfeed::v1::QueryService::NewStub(grpc::CreateChannel(
      server.address(), grpc::InsecureChannelCredentials()));
  const std::string http_address = server.http_address();
  httplib::Client http(absl::StrCat("http://", http_address));
  http.set_keep_alive(true);
  newsfeed::v1::SearchRequest request;
  request.mutable_filter()->mutable_companies()->add_any_of("Microsoft");
  request.mutable_filter()->mutable_topics()->add_none_of("jobs");
  request.set_page_size(20);
  const std::string target =
      "/v1/articles?company=Microsoft&topic.none=jobs&page_size=20";
  std::vector<double> grpc_ms, http_ms;
  size_t grpc_bytes = 0, http_bytes = 0;
  for (int i = 0; i < searches + 50; ++i) {  // 50 warm-up rounds
    Clock::time_point start = Clock::now();
    grpc::ClientContext context;
    newsfeed::v1::SearchResponse response;
    if (!stub->Search(&context, request, &response).ok()) std::abort();
    const double grpc_elapsed =
        std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    start = Clock::now();
    httplib::Result result = http.Get(target);
    if (!result || result->status != 200) std::abort();
    const double http_elapsed =
        std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (i < 50) continue;
    grpc_ms.push_back(grpc_elapsed);
    http_ms.push_back(http_elapsed);
    grpc_bytes = response.ByteSizeLong();
    http_bytes = result->body.size();
  }
  auto mean = [](const std::vector<double>& v) {
    double sum = 0;
    for (double x : v) sum += x;
    return sum / static_cast<double>(v.size());
  };
  std::printf(
      "search (20 articles a page, %d calls each, interleaved):\n"
      "  gRPC Search (baseline)  mean %.3f ms  p50 %.3f  p99 %.3f  "
      "(%zu bytes)\n"
      "  GET /v1/articles        mean %.3f ms  p50 %.3f  p99 %.3f  "
      "(%zu bytes)\n"
      "  HTTP/JSON vs gRPC: %.2fx mean, %.2fx p50 (target <= 1.20x)\n",
      searches, mean(grpc_ms), Percentile(grpc_ms, 0.5),
      Percentile(grpc_ms, 0.99), grpc_bytes, mean(http_ms),
      Percentile(http_ms, 0.5), Percentile(http_ms, 0.99), http_bytes,
      mean(http_ms) / mean(grpc_ms),
      Percentile(http_ms, 0.5) / Percentile(grpc_ms, 0.5));
}

// S HTTP/1.0 SSE connections (no chunking: the body is the event stream),
// read by one epoll loop. Articles carry their publish time in the title.
struct StreamLoad {
  std::vector<double> latencies_ms;
  size_t connected = 0;
  long rss_per_client_kib = 0;
  double cpu_seconds = 0;
};

StreamLoad StreamLatency(newsfeed::query::QueryServer& server, int clients,
                         int rate, int seconds, int first_id) {
  const std::string address = server.http_address();
  const int port = std::stoi(address.substr(address.rfind(':') + 1));
  const long rss_before = RssKib();
  const int epoll = epoll_create1(EPOLL_CLOEXEC);
  struct Connection {
    int fd;
    std::string buffer;
    bool body = false;
  };
  std::vector<Connection> connections(clients);
  const std::string request =
      "GET /v1/stream?topic=ai&topic=cloud HTTP/1.0\r\nHost: bench\r\n"
      "Accept: text/event-stream\r\n\r\n";
  for (int c = 0; c < clients; ++c) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in peer{};
    peer.sin_family = AF_INET;
    peer.sin_port = htons(static_cast<uint16_t>(port));
    peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 ||
        connect(fd, reinterpret_cast<sockaddr*>(&peer), sizeof(peer)) != 0 ||
        write(fd, request.data(), request.size()) !=
            static_cast<ssize_t>(request.size())) {
      std::perror("bench: connect");
      std::abort();
    }
    fcntl(fd, F_SETFL, O_NONBLOCK);
    connections[c].fd = fd;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u32 = static_cast<uint32_t>(c);
    epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event);
  }

  StreamLoad load;
  std::atomic<bool> publishing{true};
  std::atomic<int> published{0};
  std::vector<epoll_event> ready(256);
  char chunk[64 << 10];
  // Reads what is ready; returns after `timeout_ms` without events.
  auto pump = [&](int timeout_ms) {
    const int n = epoll_wait(epoll, ready.data(),
                             static_cast<int>(ready.size()), timeout_ms);
    for (int i = 0; i < n; ++i) {
      Connection& conn = connections[ready[i].data.u32];
      ssize_t got;
      while ((got = read(conn.fd, chunk, sizeof(chunk))) > 0) {
        conn.buffer.append(chunk, static_cast<size_t>(got));
      }
      if (!conn.body) {
        const size_t end = conn.buffer.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        if (conn.buffer.compare(0, 12, "HTTP/1.1 200") != 0 &&
            conn.buffer.compare(0, 12, "HTTP/1.0 200") != 0) {
          std::fprintf(stderr, "bench: stream refused: %s\n",
                       conn.buffer.substr(0, 300).c_str());
          std::abort();
        }
        conn.body = true;
        ++load.connected;
        conn.buffer.erase(0, end + 4);
      }
      size_t event_end;
      while ((event_end = conn.buffer.find("\n\n")) != std::string::npos) {
        const size_t probe = conn.buffer.find("\"title\":\"probe ");
        if (probe != std::string::npos && probe < event_end) {
          int64_t sent_ns = 0;
          const size_t digits = probe + 15;
          const size_t quote = conn.buffer.find('"', digits);
          if (absl::SimpleAtoi(
                  absl::string_view(conn.buffer).substr(digits, quote - digits),
                  &sent_ns)) {
            load.latencies_ms.push_back(
                static_cast<double>(NowNanos() - sent_ns) / 1e6);
          }
        }
        conn.buffer.erase(0, event_end + 2);
      }
    }
  };
  while (load.connected < static_cast<size_t>(clients)) pump(1000);
  load.rss_per_client_kib = (RssKib() - rss_before) / std::max(1, clients);

  const double cpu_before = newsfeed::bench::ProcessCpuSeconds();
  std::thread publisher([&] {
    Publisher publish(server.address());
    const auto interval = std::chrono::microseconds(1'000'000 / rate);
    Clock::time_point next = Clock::now();
    for (int i = 0; i < rate * seconds; ++i) {
      std::this_thread::sleep_until(next);  // the publish rate, not a sync
      next += interval;
      Article article =
          MakeArticle(first_id + i, absl::StrCat("probe ", NowNanos()));
      article.mutable_topics(0)->set_id(i % 2 ? "ai" : "cloud");
      publish.Publish({article});
      published = i + 1;
    }
    publishing = false;
  });
  const size_t expected = static_cast<size_t>(rate) * seconds * clients;
  while (publishing || load.latencies_ms.size() < expected) {
    pump(100);
    if (!publishing && load.latencies_ms.size() < expected) {
      // Bounded drain: stop after 10 s without progress.
      const size_t before = load.latencies_ms.size();
      Clock::time_point deadline = Clock::now() + std::chrono::seconds(10);
      while (load.latencies_ms.size() == before && Clock::now() < deadline) {
        pump(100);
      }
      if (load.latencies_ms.size() == before) break;
    }
  }
  publisher.join();
  load.cpu_seconds = newsfeed::bench::ProcessCpuSeconds() - cpu_before;
  for (Connection& conn : connections) close(conn.fd);
  close(epoll);
  if (load.latencies_ms.size() < expected) {
    std::printf("  WARNING: %zu of %zu deliveries arrived\n",
                load.latencies_ms.size(), expected);
  }
  return load;
}

}  // namespace

int main() {
  const int articles = EnvInt("NEWSFEED_BENCH_ARTICLES", 10000);
  const int searches = EnvInt("NEWSFEED_BENCH_SEARCHES", 2000);
  const int clients = EnvInt("NEWSFEED_BENCH_CLIENTS", 1000);
  const int rate = EnvInt("NEWSFEED_BENCH_RATE", 50);
  const int seconds = EnvInt("NEWSFEED_BENCH_SECONDS", 5);
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;
  setrlimit(RLIMIT_NOFILE, &files);

  std::string dir = "/tmp/newsfeed_bench_http_XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) return 1;
  newsfeed::query::QueryConfig config;
  config.store.data_dir = dir;
  config.server.listen_address = "127.0.0.1:0";
  config.http.listen_address = "127.0.0.1:0";
  config.http.max_connections_per_ip = clients + 100;
  config.hub.max_subscribers_per_peer = static_cast<size_t>(clients) + 100;
  config.shutdown_grace = absl::Seconds(1);
  auto server = newsfeed::query::QueryServer::Start(
      config, newsfeed::RealClock::Instance());
  if (!server.ok()) {
    std::fprintf(stderr, "bench: %s\n", server.status().ToString().c_str());
    return 1;
  }
  {
    Publisher publish((*server)->address());
    std::vector<Article> batch;
    for (int i = 0; i < articles; ++i) {
      batch.push_back(MakeArticle(
          i, absl::StrCat("Story ", i, " about ", kCompanies[i % 8])));
      if (batch.size() == 500 || i + 1 == articles) {
        publish.Publish(batch);
        batch.clear();
      }
    }
  }
  std::printf("http_bench: %d articles stored, SQLite, loopback TCP\n\n",
              articles);
  SearchLatency(**server, searches);

  std::printf(
      "\nlive stream, publish -> SSE client (includes the commit), %d "
      "articles/s for %d s, every client's filter matches:\n",
      rate, seconds);
  StreamLoad one = StreamLatency(**server, 1, rate, seconds, 1'000'000);
  StreamLoad many = StreamLatency(**server, clients, rate, seconds, 2'000'000);
  std::printf(
      "  1 client (baseline)   p50 %.2f ms  p99 %.2f ms  %zu deliveries  "
      "CPU %.2f s\n",
      Percentile(one.latencies_ms, 0.5), Percentile(one.latencies_ms, 0.99),
      one.latencies_ms.size(), one.cpu_seconds);
  std::printf(
      "  %d clients          p50 %.2f ms  p99 %.2f ms  %zu deliveries  "
      "CPU %.2f s  (%.1fx the baseline's p99; target p99 <= 200 ms)\n"
      "  memory per connected client: %ld KiB (client side included)\n",
      clients, Percentile(many.latencies_ms, 0.5),
      Percentile(many.latencies_ms, 0.99), many.latencies_ms.size(),
      many.cpu_seconds,
      Percentile(many.latencies_ms, 0.99) /
          std::max(1e-3, Percentile(one.latencies_ms, 0.99)),
      many.rss_per_client_kib);
  (*server)->Shutdown();
  return 0;
}
