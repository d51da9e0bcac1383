// fetcher_bench: polls N generated feeds from a loopback server whose
// handlers add a fixed latency, through CurlFetcher, and prints throughput,
// CPU per 1,000 feeds and memory, next to a baseline measured in the same
// run: the same kind of fetch done one at a time with curl_easy.
//
//   fetcher_bench [feeds=5000] [latency_ms=50] [feeds_per_host=5]
//                 [baseline_feeds=100] [server_threads=512] [polls=2]
//
// Feeds live on distinct host names (h<k>.localhost, which libcurl resolves
// to loopback without DNS), so the default per-host limits (4 in flight,
// 250 ms between starts) apply as in production.
#include <curl/curl.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/cpu_time.h"
#include "ingest-service/fetcher/curl_fetcher.h"
#include "ingest-service/fetcher/curl_handles.h"
#include "ingest-service/fetcher/test_http_server.h"

namespace newsfeed::ingest {
namespace {

using newsfeed::bench::ProcessCpuSeconds;
using newsfeed::bench::ThreadCpuSeconds;

double PeakRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

double CurrentRssMiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atof(line.c_str() + 6) / 1024;
  }
  return 0;
}

double Now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string MakeFeed(int id) {
  std::string feed = absl::StrCat(
      "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Feed ", id,
      "</title>");
  for (int i = 0; i < 10; ++i) {
    absl::StrAppend(&feed, "<item><title>Item ", i, " of feed ", id,
                    "</title><link>https://example.org/", id, "/", i,
                    "</link><description>", std::string(300, 'x'),
                    "</description></item>");
  }
  absl::StrAppend(&feed, "</channel></rss>");
  return feed;
}

struct PollFigures {
  double seconds = 0;
  double loop_cpu = 0;     // the fetch loop thread
  double process_cpu = 0;  // including the in-process server
  int ok = 0;
  int failed = 0;
  std::string first_error;
};

PollFigures Poll(FeedFetcher& fetcher,
                 const std::vector<FetchRequest>& requests,
                 size_t expected_size) {
  PollFigures f;
  const double start = Now();
  const double cpu = ThreadCpuSeconds();
  const double process_cpu = ProcessCpuSeconds();
  fetcher.FetchAll(requests, [&](size_t, absl::StatusOr<FetchResult> r) {
    if (r.ok() && r->http_status == 200 && r->body.size() >= expected_size) {
      ++f.ok;
    } else {
      ++f.failed;
      if (f.first_error.empty()) {
        f.first_error = r.ok() ? absl::StrCat("HTTP ", r->http_status)
                               : r.status().ToString();
      }
    }
  });
  f.seconds = Now() - start;
  f.loop_cpu = ThreadCpuSeconds() - cpu;
  f.process_cpu = ProcessCpuSeconds() - process_cpu;
  return f;
}

// The baseline: one blocking curl_easy_perform after another, a fresh handle
// per feed, same encoding and timeouts.
size_t Discard(char*, size_t size, size_t n, void* user) {
  *static_cast<size_t*>(user) += size * n;
  return size * n;
}

PollFigures Baseline(const std::vector<FetchRequest>& requests,
                     size_t expected_size) {
  PollFigures f;
  const double start = Now();
  const double cpu = ThreadCpuSeconds();
  const double process_cpu = ProcessCpuSeconds();
  for (const FetchRequest& request : requests) {
    internal::CurlEasyPtr easy(curl_easy_init());
    size_t bytes = 0;
    curl_easy_setopt(easy.get(), CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(easy.get(), CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(easy.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy.get(), CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, &Discard);
    curl_easy_setopt(easy.get(), CURLOPT_WRITEDATA, &bytes);
    long status = 0;
    if (curl_easy_perform(easy.get()) == CURLE_OK &&
        curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &status) ==
            CURLE_OK &&
        status == 200 && bytes >= expected_size) {
      ++f.ok;
    } else {
      ++f.failed;
    }
  }
  f.seconds = Now() - start;
  f.loop_cpu = ThreadCpuSeconds() - cpu;
  f.process_cpu = ProcessCpuSeconds() - process_cpu;
  return f;
}

void Print(const char* name, const PollFigures& f, size_t n) {
  std::printf(
      "%-22s %6zu feeds  ok %6d  failed %4d  %8.3f s  %9.1f feeds/s  "
      "loop CPU %6.3f s/1k feeds  process CPU %6.3f s/1k feeds  RSS %7.1f "
      "MiB\n",
      name, n, f.ok, f.failed, f.seconds, n / f.seconds, f.loop_cpu * 1000 / n,
      f.process_cpu * 1000 / n, CurrentRssMiB());
  if (!f.first_error.empty()) {
    std::printf("  first error: %s\n", f.first_error.c_str());
  }
}

int Main(int argc, char** argv) {
  auto arg = [&](int i, int fallback) {
    return argc > i ? std::atoi(argv[i]) : fallback;
  };
  const int feeds = arg(1, 5000);
  const int latency_ms = arg(2, 50);
  const int feeds_per_host = std::max(1, arg(3, 5));
  const int baseline_feeds = arg(4, 100);
  const int server_threads = arg(5, 512);
  const int polls = std::max(1, arg(6, 2));

  testing::TestHttpServer server("127.0.0.1", server_threads);
  // One request per connection: an idle kept-alive connection would pin a
  // server thread.
  server.http().set_keep_alive_max_count(1);
  std::vector<std::string> bodies;
  for (int i = 0; i < feeds; ++i) bodies.push_back(MakeFeed(i));
  server.http().Get(R"(/feed/(\d+))", [&](const httplib::Request& req,
                                          httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(latency_ms));
    res.set_content(bodies[std::stoi(req.matches[1]) % bodies.size()],
                    "application/rss+xml; charset=utf-8");
  });
  if (!server.Start()) {
    std::fprintf(stderr, "cannot bind a loopback port\n");
    return 1;
  }

  FetcherOptions options;  // production limits
  options.allowed_networks = {"127.0.0.0/8", "::1/128"};
  absl::StatusOr<std::unique_ptr<CurlFetcher>> fetcher =
      CurlFetcher::Create(options);
  if (!fetcher.ok()) {
    std::fprintf(stderr, "%s\n", fetcher.status().ToString().c_str());
    return 1;
  }
  std::vector<FetchRequest> requests;
  for (int i = 0; i < feeds; ++i) {
    requests.push_back({.url = server.Url(absl::StrCat("/feed/", i),
                                          absl::StrCat("h", i / feeds_per_host,
                                                       ".localhost"))});
  }
  const size_t expected = bodies.empty() ? 0 : bodies[0].size();

  std::printf(
      "fetcher_bench: %d feeds on %d hosts, %d ms server latency, "
      "max_concurrent %d, max_per_host %d, min_host_gap %s, "
      "%d server threads, feed size %zu bytes\n",
      feeds, (feeds + feeds_per_host - 1) / feeds_per_host, latency_ms,
      options.max_concurrent, options.max_per_host,
      absl::FormatDuration(options.min_host_gap).c_str(), server_threads,
      expected);
  std::printf("RSS before polling: %.1f MiB\n", CurrentRssMiB());

  // Every poll fetches every feed again (the server ignores validators), so
  // RSS after each poll shows whether memory grows with repeated polls.
  int failed = 0;
  PollFigures last;
  for (int i = 1; i <= polls; ++i) {
    last = Poll(**fetcher, requests, expected);
    Print(absl::StrCat("CurlFetcher poll ", i).c_str(), last, requests.size());
    failed += last.failed;
  }

  std::vector<FetchRequest> baseline_requests(
      requests.begin(),
      requests.begin() + std::min<size_t>(baseline_feeds, requests.size()));
  const PollFigures baseline = Baseline(baseline_requests, expected);
  Print("baseline curl_easy", baseline, baseline_requests.size());

  const double multi_rate = requests.size() / last.seconds;
  const double baseline_rate = baseline_requests.size() / baseline.seconds;
  std::printf("throughput ratio (last poll / baseline): %.1fx\n",
              multi_rate / baseline_rate);
  std::printf("peak RSS: %.1f MiB\n", PeakRssMiB());
  return failed + baseline.failed == 0 ? 0 : 2;
}

}  // namespace
}  // namespace newsfeed::ingest

int main(int argc, char** argv) { return newsfeed::ingest::Main(argc, argv); }
