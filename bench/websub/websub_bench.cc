// WebSub delivery benchmark: prints, in one run on loopback, the latency of
// a content delivery (POST of a feed document) answered by
//  1. a bare cpp-httplib server whose handler does nothing (the baseline),
//  2. WebSubSubscriber's listener, signature checked (HMAC-SHA256) and handed
//     to a handler that does nothing,
//  3. WebSubSubscriber refusing the same body with a forged signature,
// requests interleaved over keep-alive connections, and the ratios to the
// baseline. Flags (environment): NEWSFEED_BENCH_DELIVERIES (default 2000),
// NEWSFEED_BENCH_BODY_BYTES (20000).
#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "ingest-service/fetcher/test_http_server.h"
#include "ingest-service/websub/websub_subscriber.h"

namespace {

using Steady = std::chrono::steady_clock;

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : fallback;
}

struct Stats {
  std::vector<double> micros;
  double Percentile(double p) {
    std::sort(micros.begin(), micros.end());
    return micros[static_cast<size_t>(p * (micros.size() - 1))];
  }
};

double TimedPost(httplib::Client& client, const std::string& path,
                 const httplib::Headers& headers, const std::string& body,
                 int expect) {
  const auto start = Steady::now();
  httplib::Result r = client.Post(path, headers, body, "application/atom+xml");
  const double us =
      std::chrono::duration<double, std::micro>(Steady::now() - start).count();
  if (!r || r->status != expect) {
    std::fprintf(stderr, "unexpected answer %d\n", r ? r->status : -1);
    std::exit(1);
  }
  return us;
}

}  // namespace

int main() {
  using newsfeed::ingest::WebSubOptions;
  using newsfeed::ingest::WebSubSubscriber;
  const int n = EnvInt("NEWSFEED_BENCH_DELIVERIES", 2000);
  const std::string body(EnvInt("NEWSFEED_BENCH_BODY_BYTES", 20000), 'x');

  // The hub: records the subscribe form.
  absl::Mutex mu;
  std::string callback, secret;
  newsfeed::ingest::testing::TestHttpServer hub;
  hub.http().Post("/hub",
                  [&](const httplib::Request& req, httplib::Response& res) {
                    absl::MutexLock lock(&mu);
                    callback = req.get_param_value("hub.callback");
                    secret = req.get_param_value("hub.secret");
                    res.status = 202;
                  });
  // The baseline: a bare server on the same machine.
  newsfeed::ingest::testing::TestHttpServer bare;
  bare.http().Post("/websub/x",
                   [](const httplib::Request&, httplib::Response& res) {
                     res.status = 200;
                   });
  if (!hub.Start() || !bare.Start()) return 1;

  WebSubOptions options;
  options.public_base_url = "http://push.invalid";
  options.allow_private_networks = true;
  options.tick_interval = absl::ZeroDuration();
  options.max_deliveries_per_second = 1 << 30;
  auto subscriber = WebSubSubscriber::Start(
      options, [](const std::string&, std::string, std::string) {
        return absl::OkStatus();
      });
  if (!subscriber.ok()) return 1;
  if (!(*subscriber)
           ->Subscribe("f", "https://ex.com/feed", hub.Url("/hub"))
           .ok()) {
    return 1;
  }
  std::string path;
  {
    absl::MutexLock lock(&mu);
    path = callback.substr(std::string("http://push.invalid").size());
  }
  httplib::Client push("http://" + (*subscriber)->address());
  push.set_keep_alive(true);
  push.set_tcp_nodelay(true);  // else Nagle adds ~40 ms to every POST
  httplib::Result verified =
      push.Get(path,
               httplib::Params{{"hub.mode", "subscribe"},
                               {"hub.topic", "https://ex.com/feed"},
                               {"hub.challenge", "c"}},
               httplib::Headers{});
  if (!verified || verified->body != "c") return 1;

  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac,
       &len);
  const httplib::Headers good = {
      {"X-Hub-Signature", "sha256=" + absl::BytesToHexString(std::string(
                                          reinterpret_cast<char*>(mac), len))}};
  const httplib::Headers forged = {
      {"X-Hub-Signature", "sha256=" + std::string(64, '0')}};
  httplib::Client baseline("http://127.0.0.1:" + std::to_string(bare.port()));
  baseline.set_keep_alive(true);
  baseline.set_tcp_nodelay(true);

  Stats base, signed_ok, refused;
  for (int i = 0; i < n; ++i) {
    base.micros.push_back(TimedPost(baseline, "/websub/x", {}, body, 200));
    signed_ok.micros.push_back(TimedPost(push, path, good, body, 200));
    refused.micros.push_back(TimedPost(push, path, forged, body, 202));
  }
  const double b50 = base.Percentile(0.5), b99 = base.Percentile(0.99);
  std::printf("deliveries: %d of %zu bytes each, interleaved\n", n,
              body.size());
  std::printf("%-34s p50 %8.1f us  p99 %8.1f us\n",
              "baseline (bare httplib POST)", b50, b99);
  for (auto [name, stats] :
       {std::pair<const char*, Stats*>{"websub signed delivery", &signed_ok},
        {"websub forged (refused)", &refused}}) {
    const double p50 = stats->Percentile(0.5), p99 = stats->Percentile(0.99);
    std::printf("%-34s p50 %8.1f us  p99 %8.1f us  (%.2fx / %.2fx baseline)\n",
                name, p50, p99, p50 / b50, p99 / b99);
  }
  return 0;
}
