#include "bench/freshness/feed_farm.h"

#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace newsfeed::bench {
namespace {

// No item appears during the test: every feed's mean gap is ~a century.
FeedFarmOptions QuietFarm() {
  FeedFarmOptions options;
  options.feeds = 3;
  options.time_scale = 1;
  options.median_gap_seconds = 3e9;
  options.min_gap_seconds = 3e9;
  options.gap_sigma = 0.1;
  options.threads = 2;
  options.push_share = 0;
  return options;
}

TEST(FeedFarmTest, ServesRssWithValidatorsAndAnswers304) {
  absl::StatusOr<std::unique_ptr<FeedFarm>> farm =
      FeedFarm::Create(QuietFarm());
  ASSERT_TRUE(farm.ok()) << farm.status();
  httplib::Client client((*farm)->base_url());

  httplib::Result first = client.Get("/feed/1.xml");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  EXPECT_NE(first->body.find("<rss version=\"2.0\""), std::string::npos);
  EXPECT_NE(first->body.find("<guid"), std::string::npos);
  std::string etag = first->get_header_value("ETag");
  std::string modified = first->get_header_value("Last-Modified");
  ASSERT_FALSE(etag.empty());
  ASSERT_FALSE(modified.empty());

  httplib::Result by_etag =
      client.Get("/feed/1.xml", {{"If-None-Match", etag}});
  ASSERT_TRUE(by_etag);
  EXPECT_EQ(by_etag->status, 304);
  httplib::Result by_date =
      client.Get("/feed/1.xml", {{"If-Modified-Since", modified}});
  ASSERT_TRUE(by_date);
  EXPECT_EQ(by_date->status, 304);
  httplib::Result stale =
      client.Get("/feed/1.xml", {{"If-None-Match", "\"other\""}});
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 200);

  httplib::Result missing = client.Get("/feed/3.xml");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);

  FeedFarmCounts counts = (*farm)->Counts();
  EXPECT_EQ(counts.requests, 4u);
  EXPECT_EQ(counts.ok, 2u);
  EXPECT_EQ(counts.not_modified, 2u);
  EXPECT_EQ(counts.new_items, 0u);
  EXPECT_TRUE((*farm)->Appearances().empty());
}

std::string Hmac(const std::string& key, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac,
       &len);
  std::string hex;
  char buf[3];
  for (unsigned int i = 0; i < len; ++i) {
    snprintf(buf, sizeof buf, "%02x", mac[i]);
    hex += buf;
  }
  return hex;
}

// A loopback WebSub subscriber: /good echoes the challenge, /bad does not.
class Subscriber {
 public:
  Subscriber() {
    server_.Get("/(good|bad)",
                [this](const httplib::Request& req, httplib::Response& res) {
                  std::lock_guard lock(mu_);
                  ++verifications_;
                  std::string challenge = req.get_param_value("hub.challenge");
                  EXPECT_EQ(req.get_param_value("hub.mode"), "subscribe");
                  EXPECT_FALSE(challenge.empty());
                  res.set_content(req.matches[1] == "good" ? challenge : "nope",
                                  "text/plain");
                  cv_.notify_all();
                });
    server_.Post("/(good|bad)",
                 [this](const httplib::Request& req, httplib::Response&) {
                   std::lock_guard lock(mu_);
                   pushes_.push_back({req.matches[1], req.body,
                                      req.get_header_value("X-Hub-Signature"),
                                      req.get_header_value("Content-Type")});
                   cv_.notify_all();
                 });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Subscriber() {
    server_.stop();
    thread_.join();
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  void WaitVerifications(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return verifications_ >= n; });
  }
  struct Push {
    std::string path, body, signature, content_type;
  };
  std::vector<Push> WaitPushes(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return pushes_.size() >= n; });
    return pushes_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  int verifications_ = 0;
  std::vector<Push> pushes_;
};

TEST(FeedFarmTest, HubVerifiesIntentAndPushesSignedFeed) {
  FeedFarmOptions options = QuietFarm();
  options.push_share = 1;
  absl::StatusOr<std::unique_ptr<FeedFarm>> farm = FeedFarm::Create(options);
  ASSERT_TRUE(farm.ok()) << farm.status();
  ASSERT_TRUE((*farm)->IsPushed(0));
  httplib::Client client((*farm)->base_url());
  httplib::Result feed = client.Get("/feed/0.xml");
  ASSERT_TRUE(feed);
  EXPECT_NE(feed->body.find("rel=\"hub\" href=\"" + (*farm)->HubUrl()),
            std::string::npos);
  EXPECT_NE(feed->get_header_value("Link").find("rel=\"self\""),
            std::string::npos);

  Subscriber subscriber;
  // Not a known topic: refused.
  httplib::Result bad_topic = client.Post(
      "/hub", httplib::Params{{"hub.mode", "subscribe"},
                              {"hub.topic", "http://elsewhere/x.xml"},
                              {"hub.callback", subscriber.Url("/good")}});
  ASSERT_TRUE(bad_topic);
  EXPECT_EQ(bad_topic->status, 400);
  // The challenge is not echoed at /bad: no subscription.
  for (const char* path : {"/bad", "/good"}) {
    httplib::Result r = client.Post(
        "/hub", httplib::Params{{"hub.mode", "subscribe"},
                                {"hub.topic", (*farm)->FeedUrl(0)},
                                {"hub.callback", subscriber.Url(path)},
                                {"hub.lease_seconds", "3600"},
                                {"hub.secret", "s3cret"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 202);
  }
  subscriber.WaitVerifications(2);
  // Pushes run after the verifications on the hub's thread, in order; a push
  // to /bad would arrive before the one to /good.
  (*farm)->PublishNow(0);
  std::vector<Subscriber::Push> pushes = subscriber.WaitPushes(1);
  ASSERT_EQ(pushes.size(), 1u);
  EXPECT_EQ(pushes[0].path, "good");
  EXPECT_EQ(pushes[0].content_type, "application/rss+xml");
  EXPECT_EQ(pushes[0].signature, "sha256=" + Hmac("s3cret", pushes[0].body));
  EXPECT_EQ((*farm)->Counts().new_items, 1u);
  EXPECT_EQ((*farm)->Appearances().size(), 1u);
}

TEST(FeedFarmTest, RejectsInvalidOptions) {
  FeedFarmOptions options = QuietFarm();
  options.feeds = 0;
  EXPECT_FALSE(FeedFarm::Create(options).ok());
}

}  // namespace
}  // namespace newsfeed::bench
