#include "ingest-service/fetcher/curl_fetcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/clock/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ingest-service/fetcher/test_http_server.h"

namespace newsfeed::ingest {
namespace {

using ::newsfeed::ingest::testing::Gate;
using ::newsfeed::ingest::testing::TestHttpServer;
using ::testing::HasSubstr;

constexpr char kFeed[] =
    "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>"
    "<item><title>hello</title></item></channel></rss>";
constexpr char kDate[] = "Wed, 21 Oct 2026 07:28:00 GMT";

// zlib-compresses `data`: window_bits 31 gives gzip, 15 the zlib format
// that HTTP calls "deflate".
std::string Compress(const std::string& data, int window_bits) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, window_bits, 9,
                         Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&zs, data.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// A loopback port with nothing listening on it.
int ClosedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)),
            0);
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

// Options for tests: loopback allowed, no per-host gap, short limits.
FetcherOptions TestOptions() {
  FetcherOptions options;
  options.allowed_networks = {"127.0.0.0/8", "::1/128"};
  options.min_host_gap = absl::ZeroDuration();
  options.connect_timeout = absl::Seconds(10);
  options.total_timeout = absl::Seconds(60);
  return options;
}

class CurlFetcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Hermetic: ignore any proxy configured in the environment.
    setenv("no_proxy", "*", 1);
    setenv("NO_PROXY", "*", 1);
    httplib::Server& s = server_.http();
    s.Get("/feed", [](const httplib::Request& req, httplib::Response& res) {
      res.set_header("ETag", "\"v1\"");
      res.set_header("Last-Modified", kDate);
      res.set_header("Cache-Control", "public, max-age=300");
      res.set_content(kFeed, "application/rss+xml; charset=UTF-8");
      (void)req;
    });
    s.Get("/echo-headers", [](const httplib::Request& req,
                              httplib::Response& res) {
      res.set_content(
          absl::StrCat("UA=", req.get_header_value("User-Agent"),
                       "\nINM=", req.get_header_value("If-None-Match"),
                       "\nIMS=", req.get_header_value("If-Modified-Since"),
                       "\nAE=", req.get_header_value("Accept-Encoding")),
          "text/plain");
    });
    s.Get("/conditional",
          [](const httplib::Request& req, httplib::Response& res) {
            if (req.get_header_value("If-None-Match") == "\"v1\"" ||
                req.get_header_value("If-Modified-Since") == kDate) {
              res.status = 304;
              res.set_header("ETag", "\"v1\"");
              return;
            }
            res.set_header("ETag", "\"v1\"");
            res.set_header("Last-Modified", kDate);
            res.set_content(kFeed, "application/atom+xml");
          });
    s.Get("/gzip", [](const httplib::Request& req, httplib::Response& res) {
      if (!absl::StrContains(req.get_header_value("Accept-Encoding"), "gzip")) {
        res.status = 406;
        return;
      }
      res.set_header("Content-Encoding", "gzip");
      res.set_content(Compress(kFeed, 31), "application/rss+xml");
    });
    s.Get("/deflate", [](const httplib::Request& req, httplib::Response& res) {
      if (!absl::StrContains(req.get_header_value("Accept-Encoding"),
                             "deflate")) {
        res.status = 406;
        return;
      }
      res.set_header("Content-Encoding", "deflate");
      res.set_content(Compress(kFeed, 15), "application/rss+xml");
    });
    s.Get("/r301", [](const httplib::Request&, httplib::Response& res) {
      res.set_redirect("/r308", 301);  // relative
    });
    s.Get("/r308", [this](const httplib::Request&, httplib::Response& res) {
      res.set_redirect(server_.Url("/feed"), 308);
    });
    s.Get("/r302", [this](const httplib::Request&, httplib::Response& res) {
      res.set_redirect(server_.Url("/feed"), 302);
    });
    s.Get("/mixed", [](const httplib::Request&, httplib::Response& res) {
      res.set_redirect("/r302", 301);
    });
    s.Get("/hop-with-headers",
          [](const httplib::Request&, httplib::Response& res) {
            res.set_header("ETag", "\"hop\"");
            res.set_header("Cache-Control", "max-age=5");
            res.set_header("Retry-After", "7");
            res.set_redirect("/expires", 302);
          });
    s.Get("/loop-a", [](const httplib::Request&, httplib::Response& res) {
      res.set_redirect("/loop-b", 302);
    });
    s.Get("/loop-b", [](const httplib::Request&, httplib::Response& res) {
      res.set_redirect("/loop-a", 302);
    });
    s.Get(R"(/endless/(\d+))",
          [](const httplib::Request& req, httplib::Response& res) {
            res.set_redirect(
                absl::StrCat("/endless/", std::stoi(req.matches[1]) + 1), 307);
          });
    s.Get("/to-file", [](const httplib::Request&, httplib::Response& res) {
      res.set_redirect("file:///etc/passwd", 302);
    });
    s.Get("/to-ftp", [this](const httplib::Request&, httplib::Response& res) {
      res.set_redirect(absl::StrCat("ftp://127.0.0.1:", server_.port(), "/x"),
                       301);
    });
    s.Get("/to-127.0.0.2",
          [this](const httplib::Request&, httplib::Response& res) {
            res.set_redirect(server_.Url("/feed", "127.0.0.2"), 302);
          });
    s.Get(R"(/status/(\d+))",
          [](const httplib::Request& req, httplib::Response& res) {
            res.status = std::stoi(req.matches[1]);
            res.set_content("error page", "text/html");
          });
    s.Get("/429", [](const httplib::Request&, httplib::Response& res) {
      res.status = 429;
      res.set_header("Retry-After", "120");
    });
    s.Get("/503", [](const httplib::Request&, httplib::Response& res) {
      res.status = 503;
      res.set_header("Date", kDate);
      res.set_header("Retry-After", "Wed, 21 Oct 2026 07:29:30 GMT");
    });
    s.Get("/expires", [](const httplib::Request&, httplib::Response& res) {
      res.set_header("Date", kDate);
      res.set_header("Expires", "Wed, 21 Oct 2026 08:28:00 GMT");
      res.set_content(kFeed, "text/xml");
    });
    s.Get("/big", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(5000, 'x'), "text/xml");
    });
    s.Get("/bomb", [](const httplib::Request&, httplib::Response& res) {
      static const std::string kBomb =
          Compress(std::string(20 << 20, '\0'), 31);  // ~20 KiB on the wire
      res.set_header("Content-Encoding", "gzip");
      res.set_content(kBomb, "application/rss+xml");
    });
    s.Get("/stall", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content_provider(
          1 << 20, "application/rss+xml",
          [this](size_t offset, size_t, httplib::DataSink& sink) {
            if (offset == 0) return sink.write("<rss>", 5);
            gate_.Wait();  // never sends the rest while the test runs
            return false;
          });
    });
    // As a forward proxy: requests in absolute form for a public name.
    s.Get(R"(http://news\.example\.com/feed)",
          [](const httplib::Request&, httplib::Response& res) {
            res.set_content(kFeed, "application/rss+xml");
          });
    s.Get(R"(http://news\.example\.com/moved)",
          [](const httplib::Request&, httplib::Response& res) {
            res.set_redirect("http://10.0.0.1/feed", 302);
          });
    s.set_pre_routing_handler(
        [this](const httplib::Request&, httplib::Response&) {
          ++requests_seen_;
          return httplib::Server::HandlerResponse::Unhandled;
        });
    ASSERT_TRUE(server_.Start());
  }

  void TearDown() override { gate_.Open(); }

  std::unique_ptr<CurlFetcher> MakeFetcher(const FetcherOptions& options) {
    absl::StatusOr<std::unique_ptr<CurlFetcher>> fetcher =
        CurlFetcher::Create(options);
    EXPECT_TRUE(fetcher.ok()) << fetcher.status();
    return fetcher.ok() ? *std::move(fetcher) : nullptr;
  }

  static absl::StatusOr<FetchResult> FetchOne(FeedFetcher& fetcher,
                                              FetchRequest request) {
    std::optional<absl::StatusOr<FetchResult>> out;
    int calls = 0;
    fetcher.FetchAll({std::move(request)},
                     [&](size_t index, absl::StatusOr<FetchResult> result) {
                       EXPECT_EQ(index, 0u);
                       ++calls;
                       out = std::move(result);
                     });
    EXPECT_EQ(calls, 1);
    if (!out.has_value()) return absl::InternalError("on_done not called");
    return *std::move(out);
  }

  absl::StatusOr<FetchResult> Fetch(
      const std::string& url, const FetcherOptions& options = TestOptions()) {
    std::unique_ptr<CurlFetcher> fetcher = MakeFetcher(options);
    if (fetcher == nullptr) return absl::InternalError("no fetcher");
    return FetchOne(*fetcher, {.url = url});
  }

  TestHttpServer server_;
  Gate gate_;
  std::atomic<int> requests_seen_{0};
};

TEST_F(CurlFetcherTest, Ok) {
  absl::StatusOr<FetchResult> r = Fetch(server_.Url("/feed"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->http_status, 200);
  EXPECT_FALSE(r->not_modified);
  EXPECT_EQ(r->body, kFeed);
  EXPECT_EQ(r->content_type, "application/rss+xml; charset=UTF-8");
  EXPECT_EQ(r->charset, "utf-8");
  EXPECT_EQ(r->etag, "\"v1\"");
  EXPECT_EQ(r->last_modified, kDate);
  EXPECT_EQ(r->effective_url, server_.Url("/feed"));
  EXPECT_EQ(r->permanent_redirect_url, "");
  EXPECT_EQ(r->max_age, absl::Seconds(300));
  EXPECT_EQ(r->retry_after, std::nullopt);
  EXPECT_GE(r->elapsed, absl::ZeroDuration());
}

TEST_F(CurlFetcherTest, SendsUserAgentAndNoValidatorsByDefault) {
  FetcherOptions options = TestOptions();
  options.user_agent = "test-agent/1.0";
  absl::StatusOr<FetchResult> r = Fetch(server_.Url("/echo-headers"), options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->body, HasSubstr("UA=test-agent/1.0\n"));
  EXPECT_THAT(r->body, HasSubstr("INM=\nIMS=\n"));
  EXPECT_THAT(r->body, HasSubstr("gzip"));
  EXPECT_EQ(r->charset, "");
}

TEST_F(CurlFetcherTest, SendsValidatorsVerbatim) {
  std::unique_ptr<CurlFetcher> fetcher = MakeFetcher(TestOptions());
  absl::StatusOr<FetchResult> r =
      FetchOne(*fetcher, {.url = server_.Url("/echo-headers"),
                          .etag = "W/\"a b\"",
                          .last_modified = kDate});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->body, HasSubstr(absl::StrCat("INM=W/\"a b\"\nIMS=", kDate)));
}

TEST_F(CurlFetcherTest, RejectsHeaderInjectionInValidators) {
  std::unique_ptr<CurlFetcher> fetcher = MakeFetcher(TestOptions());
  absl::StatusOr<FetchResult> r = FetchOne(
      *fetcher, {.url = server_.Url("/feed"), .etag = "\"x\"\r\nEvil: 1"});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(requests_seen_.load(), 0);
}

TEST_F(CurlFetcherTest, NotModifiedWithEtag) {
  std::unique_ptr<CurlFetcher> fetcher = MakeFetcher(TestOptions());
  absl::StatusOr<FetchResult> first =
      FetchOne(*fetcher, {.url = server_.Url("/conditional")});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->http_status, 200);
  absl::StatusOr<FetchResult> second = FetchOne(
      *fetcher, {.url = server_.Url("/conditional"), .etag = first->etag});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->http_status, 304);
  EXPECT_TRUE(second->not_modified);
  EXPECT_EQ(second->body, "");
  EXPECT_EQ(second->etag, "\"v1\"");
}

TEST_F(CurlFetcherTest, NotModifiedWithLastModified) {
  std::unique_ptr<CurlFetcher> fetcher = MakeFetcher(TestOptions());
  absl::StatusOr<FetchResult> r = FetchOne(
      *fetcher, {.url = server_.Url("/conditional"), .last_modified = kDate});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->http_status, 304);
  EXPECT_TRUE(r->not_modified);
  EXPECT_EQ(r->body, "");
}

TEST_F(CurlFetcherTest, DecodesGzip) {
  absl::StatusOr<FetchResult> r = Fetch(server_.Url("/gzip"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->http_status, 200);
  EXPECT_EQ(r->body, kFeed);
}

TEST_F(CurlFetcherTest, DecodesDeflate) {
  absl::StatusOr<FetchResult> r = Fetch(server_.Url("/deflate"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->http_status, 200);
  EXPECT_EQ(r->body, kFeed);
}

TEST_F(CurlFetcherTest, PermanentRedirectChain) {
  absl::StatusOr<FetchResult> r = Fetch(server_.Url("/r301"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->http_status, 200);
  EXPECT_EQ(r->body, kFeed);
  EXPECT_EQ(r->effective_url, server_.Url("/feed"));
  EXPECT_EQ(r->permanent_redirect_url, server_.Url("/feed"));
}

TEST_F(CurlFetcherTest, TemporaryRedirect) {
  absl::StatusOr<FetchResult> r = Fetch(server_.Url("/r302"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->http_status, 200);
  EXPECT_EQ(r->effective_url, server_.Url("/feed"));
  EXPECT_EQ(r->permanent_redirect_url, "");
}

TEST_F(CurlFetcherTest, MixedRedirectChainIsNotPermanent) {
  absl::StatusOr<FetchResult> r = Fetch(server_.Url("/mixed"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->effective_url, server_.Url("/feed"));
  EXPECT_EQ(r->permanent_redirect_url, "");
}

TEST_F(CurlFetcherTest, HeadersComeFromTheFinalResponseOnly) {
  absl::StatusOr<FetchResult> r = Fetch(server_.Url("/hop-with-headers"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->http_status, 200);
  EXPECT_EQ(r->etag, "");
  EXPECT_EQ(r->max_age, absl::Hours(1));  // from /expires, not the hop
  EXPECT_EQ(r->retry_after, std::nullopt);
  EXPECT_EQ(r->effective_url, server_.Url("/expires"));
}

TEST_F(CurlFetcherTest, RedirectLoop) {
  absl::StatusOr<FetchResult> r = Fetch(server_.Url("/loop-a"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr(server_.Url("/loop-a")));
  EXPECT_THAT(r.status().message(), HasSubstr("loop"));
  EXPECT_EQ(requests_seen_.load(), 2);
}

TEST_F(CurlFetcherTest, TooManyRedirects) {
  FetcherOptions options = TestOptions();
  options.max_redirects = 3;
  absl::StatusOr<FetchResult> r = Fetch(server_.Url("/endless/0"), options);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr(server_.Url("/endless/0")));
  EXPECT_EQ(requests_seen_.load(), 4);
}

TEST_F(CurlFetcherTest, RedirectToForbiddenScheme) {
  for (const char* path : {"/to-file", "/to-ftp"}) {
    absl::StatusOr<FetchResult> r = Fetch(server_.Url(path));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied) << path;
    EXPECT_THAT(r.status().message(), HasSubstr(server_.Url(path)));
  }
}

TEST_F(CurlFetcherTest, ForbiddenAndMalformedUrls) {
  absl::StatusOr<FetchResult> r =
      Fetch(absl::StrCat("ftp://127.0.0.1:", server_.port(), "/feed"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(r.status().message(), HasSubstr("ftp://127.0.0.1"));
  EXPECT_EQ(Fetch("file:///etc/passwd").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Fetch("not a url").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CurlFetcherTest, HttpErrorsAreResults) {
  for (int status : {404, 410, 500}) {
    absl::StatusOr<FetchResult> r =
        Fetch(server_.Url(absl::StrCat("/status/", status)));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->http_status, status);
    EXPECT_EQ(r->body, "error page");
    EXPECT_EQ(r->retry_after, std::nullopt);
  }
}

TEST_F(CurlFetcherTest, RetryAfterSeconds) {
  absl::StatusOr<FetchResult> r = Fetch(server_.Url("/429"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->http_status, 429);
  EXPECT_EQ(r->retry_after, absl::Seconds(120));
}

TEST_F(CurlFetcherTest, RetryAfterHttpDate) {
  absl::StatusOr<FetchResult> r = Fetch(server_.Url("/503"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->http_status, 503);
  EXPECT_EQ(r->retry_after, absl::Seconds(90));  // relative to Date
}

TEST_F(CurlFetcherTest, ExpiresMinusDate) {
  absl::StatusOr<FetchResult> r = Fetch(server_.Url("/expires"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->max_age, absl::Hours(1));
  EXPECT_EQ(r->charset, "");
}

TEST_F(CurlFetcherTest, ConnectionRefused) {
  const std::string url =
      absl::StrCat("http://127.0.0.1:", ClosedPort(), "/feed");
  absl::StatusOr<FetchResult> r = Fetch(url);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr(url));
}

TEST_F(CurlFetcherTest, UnresolvableHost) {
  const std::string url = "http://no-such-feed.invalid/rss";
  absl::StatusOr<FetchResult> r = Fetch(url);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr(url));
}

TEST_F(CurlFetcherTest, StalledBodyHitsLowSpeedLimit) {
  FetcherOptions options = TestOptions();
  options.low_speed_bytes_per_second = 100;
  options.low_speed_time = absl::Seconds(1);
  absl::StatusOr<FetchResult> r = Fetch(server_.Url("/stall"), options);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr(server_.Url("/stall")));
}

TEST_F(CurlFetcherTest, StalledBodyHitsTotalTimeout) {
  FetcherOptions options = TestOptions();
  options.total_timeout = absl::Seconds(1);
  absl::StatusOr<FetchResult> r = Fetch(server_.Url("/stall"), options);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr(server_.Url("/stall")));
}

TEST_F(CurlFetcherTest, BodyOverCap) {
  FetcherOptions options = TestOptions();
  options.max_body_bytes = 1000;
  absl::StatusOr<FetchResult> r = Fetch(server_.Url("/big"), options);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(r.status().message(), HasSubstr(server_.Url("/big")));
  options.max_body_bytes = 5000;  // exactly at the cap is fine
  r = Fetch(server_.Url("/big"), options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body.size(), 5000u);
}

TEST_F(CurlFetcherTest, GzipBombStoppedAtCap) {
  FetcherOptions options = TestOptions();
  options.max_body_bytes = 1 << 20;  // the bomb inflates to 20 MiB
  absl::StatusOr<FetchResult> r = Fetch(server_.Url("/bomb"), options);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(r.status().message(), HasSubstr(server_.Url("/bomb")));
}

TEST_F(CurlFetcherTest, GuardRefusesLoopbackByDefault) {
  FetcherOptions options = TestOptions();
  options.allowed_networks.clear();
  absl::StatusOr<FetchResult> r = Fetch(server_.Url("/feed"), options);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(r.status().message(), HasSubstr(server_.Url("/feed")));
  EXPECT_THAT(r.status().message(), HasSubstr("127.0.0.1"));
  EXPECT_EQ(requests_seen_.load(), 0);
}

TEST_F(CurlFetcherTest, GuardLiftedByAllowPrivateNetworks) {
  FetcherOptions options = TestOptions();
  options.allowed_networks.clear();
  options.allow_private_networks = true;
  absl::StatusOr<FetchResult> r = Fetch(server_.Url("/feed"), options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->http_status, 200);
}

TEST_F(CurlFetcherTest, GuardLiftedByAllowedNetwork) {
  FetcherOptions options = TestOptions();
  options.allowed_networks = {"127.0.0.1/32"};
  absl::StatusOr<FetchResult> r = Fetch(server_.Url("/feed"), options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->http_status, 200);
}

TEST_F(CurlFetcherTest, GuardCheckedOnEveryRedirectHop) {
  FetcherOptions options = TestOptions();
  options.allowed_networks = {"127.0.0.1/32"};
  absl::StatusOr<FetchResult> r = Fetch(server_.Url("/to-127.0.0.2"), options);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(r.status().message(), HasSubstr("127.0.0.2"));
  EXPECT_EQ(requests_seen_.load(), 1);
}

// Through a proxy the connect-time guard only sees the proxy; the URL's host
// is checked, by address and by name, before the proxy is asked.
TEST_F(CurlFetcherTest, WithAProxyPrivateHostsAreRefusedBeforeAskingIt) {
  unsetenv("no_proxy");
  unsetenv("NO_PROXY");
  FetcherOptions options = TestOptions();
  options.allowed_networks = {"127.0.0.1/32"};  // where the proxy listens
  options.proxy = server_.Url("");
  for (const char* url :
       {"http://[::1]/feed", "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/feed", "http://0xa9fea9fe/latest/meta-data/",
        "http://[::ffff:10.0.0.1]/feed", "http://localhost/feed",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://printer.local/feed", "http://intranet/feed"}) {
    absl::StatusOr<FetchResult> r = Fetch(url, options);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied) << url;
    EXPECT_THAT(r.status().message(), HasSubstr("before asking the proxy"))
        << url;
  }
  EXPECT_EQ(requests_seen_.load(), 0);

  // A public name goes through the proxy.
  absl::StatusOr<FetchResult> r =
      Fetch("http://news.example.com/feed", options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->http_status, 200);
  EXPECT_EQ(r->body, kFeed);
  EXPECT_EQ(requests_seen_.load(), 1);
}

TEST_F(CurlFetcherTest, WithAProxyRedirectsToPrivateHostsAreRefused) {
  unsetenv("no_proxy");
  unsetenv("NO_PROXY");
  FetcherOptions options = TestOptions();
  options.allowed_networks = {"127.0.0.1/32"};
  options.proxy = server_.Url("");
  absl::StatusOr<FetchResult> r =
      Fetch("http://news.example.com/moved", options);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(r.status().message(), HasSubstr("10.0.0.1"));
  EXPECT_EQ(requests_seen_.load(), 1);
}

TEST_F(CurlFetcherTest, CreateRejectsBadOptions) {
  FetcherOptions options = TestOptions();
  options.allowed_networks = {"127.0.0.0/40"};
  EXPECT_EQ(CurlFetcher::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = TestOptions();
  options.max_per_host = 0;
  EXPECT_EQ(CurlFetcher::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CurlFetcherTest, StopCancelsEverythingNotStarted) {
  std::unique_ptr<CurlFetcher> fetcher = MakeFetcher(TestOptions());
  std::vector<FetchRequest> requests(3,
                                     FetchRequest{.url = server_.Url("/feed")});
  std::vector<absl::StatusCode> codes(3, absl::StatusCode::kUnknown);
  fetcher->FetchAll(
      requests,
      [&](size_t i, absl::StatusOr<FetchResult> r) {
        codes[i] = r.status().code();
      },
      [] { return true; });
  EXPECT_THAT(codes, ::testing::Each(absl::StatusCode::kCancelled));
  EXPECT_EQ(requests_seen_.load(), 0);
}

TEST_F(CurlFetcherTest, StopCancelsTransfersInFlight) {
  std::unique_ptr<CurlFetcher> fetcher = MakeFetcher(TestOptions());
  std::vector<FetchRequest> requests = {{.url = server_.Url("/feed")},
                                        {.url = server_.Url("/stall")}};
  std::vector<std::optional<absl::StatusOr<FetchResult>>> results(2);
  fetcher->FetchAll(
      requests,
      [&](size_t i, absl::StatusOr<FetchResult> r) {
        results[i] = std::move(r);
      },
      [&] { return results[0].has_value(); });
  ASSERT_TRUE(results[0].has_value() && results[1].has_value());
  EXPECT_TRUE(results[0]->ok());
  EXPECT_EQ(results[1]->status().code(), absl::StatusCode::kCancelled);
  EXPECT_THAT(results[1]->status().message(), HasSubstr(server_.Url("/stall")));
}

// The server holds each request until a second one is in flight (or all have
// arrived), so the fetcher's per-host parallelism is observed exactly.
TEST_F(CurlFetcherTest, PerHostLimitRespected) {
  constexpr int kRequests = 10;
  constexpr int kPerHost = 2;
  TestHttpServer server;
  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0, max_in_flight = 0, started = 0;
  server.http().Get("/slot",
                    [&](const httplib::Request&, httplib::Response& res) {
                      std::unique_lock<std::mutex> lock(mu);
                      ++started;
                      max_in_flight = std::max(max_in_flight, ++in_flight);
                      cv.notify_all();
                      // The timeout only guards against a hung test, it is not
                      // a sync point.
                      cv.wait_for(lock, std::chrono::seconds(30), [&] {
                        return in_flight >= kPerHost || started == kRequests;
                      });
                      --in_flight;
                      res.set_content("ok", "text/plain");
                    });
  ASSERT_TRUE(server.Start());
  FetcherOptions options = TestOptions();
  options.max_per_host = kPerHost;
  std::unique_ptr<CurlFetcher> fetcher = MakeFetcher(options);
  std::vector<FetchRequest> requests(kRequests,
                                     FetchRequest{.url = server.Url("/slot")});
  int ok = 0;
  fetcher->FetchAll(requests, [&](size_t, absl::StatusOr<FetchResult> r) {
    ok += r.ok() && r->http_status == 200;
  });
  EXPECT_EQ(ok, kRequests);
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(max_in_flight, kPerHost);
}

// With a fake clock, the second request to a host cannot start until the
// clock has moved past min_host_gap.
TEST_F(CurlFetcherTest, MinHostGapUsesTheClock) {
  FakeClock clock(absl::FromUnixSeconds(1'000'000'000));
  FetcherOptions options = TestOptions();
  options.min_host_gap = absl::Hours(1);
  options.clock = &clock;
  std::unique_ptr<CurlFetcher> fetcher = MakeFetcher(options);
  std::vector<FetchRequest> requests(2,
                                     FetchRequest{.url = server_.Url("/feed")});
  std::vector<int> seen_at_done;
  fetcher->FetchAll(requests, [&](size_t, absl::StatusOr<FetchResult> r) {
    EXPECT_TRUE(r.ok()) << r.status();
    seen_at_done.push_back(requests_seen_.load());
    clock.Advance(absl::Hours(1));
  });
  EXPECT_EQ(seen_at_done, (std::vector<int>{1, 2}));
}

// A self-signed certificate for localhost and 127.0.0.1, made with the
// openssl tool in a fresh temporary directory; empty when that fails.
std::string MakeCertificate() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string dir =
      absl::StrCat(base != nullptr ? base : "/tmp", "/fetcher_tls_XXXXXX");
  if (mkdtemp(dir.data()) == nullptr) return "";
  const std::string command = absl::StrCat(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
      "-nodes -days 2 -subj /CN=localhost "
      "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout ",
      dir, "/key.pem -out ", dir, "/cert.pem >/dev/null 2>&1");
  return std::system(command.c_str()) == 0 ? dir : "";
}

TEST_F(CurlFetcherTest, TlsVerificationIsAlwaysOn) {
  const std::string dir = MakeCertificate();
  if (dir.empty()) GTEST_SKIP() << "openssl tool unavailable";
  TestHttpServer tls("127.0.0.1", 8, dir + "/cert.pem", dir + "/key.pem");
  ASSERT_TRUE(tls.is_valid());
  tls.http().Get("/feed", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kFeed, "application/rss+xml");
  });
  ASSERT_TRUE(tls.Start());
  const std::string url = tls.Url("/feed", "localhost");

  // The self-signed certificate is not trusted by the system bundle.
  absl::StatusOr<FetchResult> r = Fetch(url);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr(url));

  // Trusted through ca_file: verification (peer and host name) passes.
  FetcherOptions options = TestOptions();
  options.ca_file = dir + "/cert.pem";
  r = Fetch(url, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->http_status, 200);
  EXPECT_EQ(r->body, kFeed);

  std::remove((dir + "/cert.pem").c_str());
  std::remove((dir + "/key.pem").c_str());
  rmdir(dir.c_str());
}

TEST_F(CurlFetcherTest, ManyFeedsOverManyHosts) {
  constexpr int kHosts = 20;
  constexpr int kPerHostFeeds = 10;
  constexpr int kMaxConcurrent = 16;
  TestHttpServer server("127.0.0.1", 64);
  std::mutex mu;
  int in_flight = 0, max_in_flight = 0;
  std::map<std::string, int> host_in_flight, host_max;
  server.http().Get(R"(/feed/(\d+))", [&](const httplib::Request& req,
                                          httplib::Response& res) {
    const std::string host = req.get_header_value("Host");
    {
      std::lock_guard<std::mutex> lock(mu);
      max_in_flight = std::max(max_in_flight, ++in_flight);
      host_max[host] = std::max(host_max[host], ++host_in_flight[host]);
    }
    res.set_content(absl::StrCat("<rss>", req.matches[1].str(), "</rss>"),
                    "application/rss+xml");
    std::lock_guard<std::mutex> lock(mu);
    --in_flight;
    --host_in_flight[host];
  });
  ASSERT_TRUE(server.Start());
  FetcherOptions options = TestOptions();
  options.max_concurrent = kMaxConcurrent;
  options.max_per_host = 2;
  std::unique_ptr<CurlFetcher> fetcher = MakeFetcher(options);
  std::vector<FetchRequest> requests;
  for (int i = 0; i < kHosts * kPerHostFeeds; ++i) {
    requests.push_back(
        {.url = server.Url(absl::StrCat("/feed/", i),
                           absl::StrCat("h", i % kHosts, ".localhost"))});
  }
  std::vector<int> calls(requests.size(), 0);
  int ok = 0;
  fetcher->FetchAll(requests, [&](size_t i, absl::StatusOr<FetchResult> r) {
    ++calls[i];
    ASSERT_TRUE(r.ok()) << r.status();
    ok += r->body == absl::StrCat("<rss>", i, "</rss>");
  });
  EXPECT_EQ(ok, kHosts * kPerHostFeeds);
  EXPECT_THAT(calls, ::testing::Each(1));
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_LE(max_in_flight, kMaxConcurrent);
  EXPECT_EQ(host_max.size(), static_cast<size_t>(kHosts));
  for (const auto& [host, max] : host_max) EXPECT_LE(max, 2) << host;
}

}  // namespace
}  // namespace newsfeed::ingest
