#include "ingest-service/websub/websub_subscriber.h"

#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ingest-service/fetcher/test_http_server.h"

namespace newsfeed::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Form = std::map<std::string, std::string>;

constexpr char kBase[] = "https://push.example.test/in";
constexpr char kTopic[] = "https://example.com/feed.xml";
constexpr absl::Duration kWait = absl::Seconds(30);

std::string Sign(const EVP_MD* md, const std::string& secret,
                 const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac,
       &len);
  return absl::BytesToHexString(
      std::string(reinterpret_cast<const char*>(mac), len));
}

TEST(ParseLinkHeaderHubsTest, FindsHubsAndSelf) {
  LinkHeaderLinks links = ParseLinkHeaderHubs(
      "<https://hub.one/>; rel=\"hub\", <https://ex.com/feed>; rel=self, "
      "<https://hub.two/?a=1,b=2>; title=\"x; y, z\"; rel=\"HUB other\", "
      "<https://hub.one/>; rel=hub, <https://ex.com/alt>; rel=\"alternate\"");
  EXPECT_THAT(links.hubs,
              ElementsAre("https://hub.one/", "https://hub.two/?a=1,b=2"));
  EXPECT_EQ(links.self, "https://ex.com/feed");
}

TEST(ParseLinkHeaderHubsTest, HubAndSelfInOneLinkAndJunk) {
  LinkHeaderLinks links = ParseLinkHeaderHubs(
      "garbage, <https://h/>;rel=\"self hub\", <>; rel=hub");
  EXPECT_THAT(links.hubs, ElementsAre("https://h/"));
  EXPECT_EQ(links.self, "https://h/");
  EXPECT_THAT(ParseLinkHeaderHubs("").hubs, IsEmpty());
  EXPECT_THAT(ParseLinkHeaderHubs("<https://h/>; rel=\"next\"").hubs,
              IsEmpty());
}

// The test plays the hub: a loopback server records (un)subscribe requests,
// and the test sends verifications and deliveries to the callback.
class WebSubSubscriberTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_.http().Post("/hub", [this](const httplib::Request& request,
                                    httplib::Response& response) {
      Form form;
      for (const auto& [k, v] : request.params) form[k] = v;
      absl::MutexLock lock(&mu_);
      hub_requests_.push_back(form);
      response.status = hub_status_;
    });
    ASSERT_TRUE(hub_.Start());
    options_.public_base_url = kBase;
    options_.allow_private_networks = true;
    options_.tick_interval = absl::ZeroDuration();
    options_.lease = absl::Hours(2);
    options_.renew_before = absl::Minutes(10);
    options_.verify_timeout = absl::Minutes(5);
    options_.clock = &clock_;
    options_.metrics = &registry_;
  }

  void StartSubscriber() {
    auto subscriber = WebSubSubscriber::Start(
        options_, [this](const std::string& feed_id, std::string body,
                         std::string content_type) {
          absl::MutexLock lock(&mu_);
          delivered_.push_back(
              absl::StrCat(feed_id, "|", content_type, "|", body));
          return handler_status_;
        });
    ASSERT_TRUE(subscriber.ok()) << subscriber.status();
    subscriber_ = *std::move(subscriber);
  }

  // The n-th (from 0) request the hub received.
  Form HubRequest(size_t n) {
    absl::MutexLock lock(&mu_);
    auto arrived = [this, n]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return hub_requests_.size() > n;
    };
    EXPECT_TRUE(mu_.AwaitWithTimeout(absl::Condition(&arrived), kWait));
    return hub_requests_.size() > n ? hub_requests_[n] : Form{};
  }
  size_t HubRequestCount() {
    absl::MutexLock lock(&mu_);
    return hub_requests_.size();
  }
  std::vector<std::string> Delivered() {
    absl::MutexLock lock(&mu_);
    return delivered_;
  }

  // The listener path of the callback URL in `form`.
  static std::string CallbackPath(const Form& form) {
    const std::string callback =
        form.count("hub.callback") ? form.at("hub.callback") : std::string();
    EXPECT_TRUE(absl::StartsWith(callback, kBase)) << callback;
    return callback.substr(std::string("https://push.example.test").size());
  }

  httplib::Result Verify(const std::string& path, const std::string& mode,
                         const std::string& topic, const std::string& lease) {
    httplib::Client client("http://" + subscriber_->address());
    httplib::Params params = {{"hub.mode", mode},
                              {"hub.topic", topic},
                              {"hub.challenge", "chal-123"}};
    if (!lease.empty()) params.emplace("hub.lease_seconds", lease);
    return client.Get(path, params, httplib::Headers{});
  }

  httplib::Result Deliver(const std::string& path, const std::string& body,
                          const std::string& signature) {
    httplib::Client client("http://" + subscriber_->address());
    httplib::Headers headers;
    if (!signature.empty()) headers.emplace("X-Hub-Signature", signature);
    return client.Post(path, headers, body, "application/atom+xml");
  }

  // Subscribes feed "f1" and verifies it with a 3600 s lease; returns the
  // hub's form.
  Form SubscribeAndVerify() {
    EXPECT_TRUE(subscriber_->Subscribe("f1", kTopic, hub_.Url("/hub")).ok());
    Form form = HubRequest(HubRequestCount() - 1);
    httplib::Result verified =
        Verify(CallbackPath(form), "subscribe", kTopic, "3600");
    EXPECT_TRUE(verified);
    if (verified) {
      EXPECT_EQ(verified->status, 200);
      EXPECT_EQ(verified->body, "chal-123");
    }
    return form;
  }

  uint64_t Callbacks(const std::string& kind, const std::string& outcome) {
    const std::string text = registry_.Render();
    const std::string key =
        absl::StrCat("newsfeed_websub_callbacks_total{kind=\"", kind,
                     "\",outcome=\"", outcome, "\"} ");
    const size_t at = text.find(key);
    if (at == std::string::npos) return 0;
    return std::stoull(text.substr(at + key.size()));
  }

  testing::TestHttpServer hub_;
  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  metrics::Registry registry_;
  WebSubOptions options_;
  absl::Mutex mu_;
  std::vector<Form> hub_requests_ ABSL_GUARDED_BY(mu_);
  int hub_status_ ABSL_GUARDED_BY(mu_) = 202;
  std::vector<std::string> delivered_ ABSL_GUARDED_BY(mu_);
  absl::Status handler_status_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<WebSubSubscriber> subscriber_;
};

TEST_F(WebSubSubscriberTest, SubscribeVerifyAndSignedDeliveries) {
  StartSubscriber();
  ASSERT_TRUE(subscriber_->Subscribe("f1", kTopic, hub_.Url("/hub")).ok());
  Form form = HubRequest(0);
  EXPECT_EQ(form["hub.mode"], "subscribe");
  EXPECT_EQ(form["hub.topic"], kTopic);
  EXPECT_EQ(form["hub.lease_seconds"], "7200");
  EXPECT_GE(form["hub.secret"].size(), 32u);
  EXPECT_TRUE(
      absl::StartsWith(form["hub.callback"], absl::StrCat(kBase, "/websub/")));
  EXPECT_EQ(subscriber_->State("f1")->status, WebSubState::Status::kPending);
  // Idempotent: a second call sends nothing.
  ASSERT_TRUE(subscriber_->Subscribe("f1", kTopic, hub_.Url("/hub")).ok());

  const std::string path = CallbackPath(form);
  httplib::Result verified = Verify(path, "subscribe", kTopic, "3600");
  ASSERT_TRUE(verified);
  EXPECT_EQ(verified->status, 200);
  EXPECT_EQ(verified->body, "chal-123");
  absl::StatusOr<WebSubState> state = subscriber_->State("f1");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->status, WebSubState::Status::kVerified);
  EXPECT_EQ(state->lease_expiry, clock_.Now() + absl::Seconds(3600));
  EXPECT_EQ(state->callback_url, form["hub.callback"]);

  const std::string secret = form["hub.secret"];
  httplib::Result d1 =
      Deliver(path, "<feed>1</feed>",
              "sha256=" + Sign(EVP_sha256(), secret, "<feed>1</feed>"));
  ASSERT_TRUE(d1);
  EXPECT_EQ(d1->status, 200);
  httplib::Result d2 =
      Deliver(path, "<feed>2</feed>",
              "sha1=" + Sign(EVP_sha1(), secret, "<feed>2</feed>"));
  ASSERT_TRUE(d2);
  EXPECT_EQ(d2->status, 200);
  EXPECT_THAT(Delivered(),
              ElementsAre("f1|application/atom+xml|<feed>1</feed>",
                          "f1|application/atom+xml|<feed>2</feed>"));
  EXPECT_EQ(subscriber_->State("f1")->deliveries, 2u);
  EXPECT_EQ(Callbacks("delivery", "ok"), 2u);
  EXPECT_EQ(Callbacks("verify", "ok"), 1u);
  EXPECT_EQ(HubRequestCount(), 1u);
}

TEST_F(WebSubSubscriberTest, RefusesBadInputAndStoresNothing) {
  options_.max_body_bytes = 1000;
  StartSubscriber();
  Form form = SubscribeAndVerify();
  const std::string path = CallbackPath(form);
  const std::string secret = form["hub.secret"];

  httplib::Result forged = Deliver(
      path, "<feed/>", "sha256=" + Sign(EVP_sha256(), "wrong", "<feed/>"));
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 202);  // ignored, but the hub must not retry
  httplib::Result unsigned_body = Deliver(path, "<feed/>", "");
  ASSERT_TRUE(unsigned_body);
  EXPECT_EQ(unsigned_body->status, 202);
  httplib::Result bad_method = Deliver(path, "<feed/>", "md5=00");
  ASSERT_TRUE(bad_method);
  const std::string big(2000, 'x');
  httplib::Result oversized =
      Deliver(path, big, "sha256=" + Sign(EVP_sha256(), secret, big));
  ASSERT_TRUE(oversized);
  EXPECT_EQ(oversized->status, 413);
  // Without a Content-Length (chunked), the limit applies as it streams.
  httplib::Result chunked =
      httplib::Client("http://" + subscriber_->address())
          .Post(
              path, httplib::Headers{{"X-Hub-Signature", "sha256=00"}},
              [&big](size_t, httplib::DataSink& sink) {
                for (int i = 0; i < 3; ++i) sink.write(big.data(), big.size());
                sink.done();
                return true;
              },
              "application/atom+xml");
  ASSERT_TRUE(chunked);
  EXPECT_EQ(chunked->status, 413);
  httplib::Result unknown =
      Deliver("/in/websub/0123456789abcdef", "<feed/>",
              "sha256=" + Sign(EVP_sha256(), secret, "<feed/>"));
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);

  httplib::Result other_topic =
      Verify(path, "subscribe", "https://evil.example/feed", "60");
  ASSERT_TRUE(other_topic);
  EXPECT_EQ(other_topic->status, 404);
  EXPECT_NE(other_topic->body, "chal-123");
  // Verified already: no subscribe request is pending.
  httplib::Result replay = Verify(path, "subscribe", kTopic, "60");
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->status, 404);
  httplib::Result unsub = Verify(path, "unsubscribe", kTopic, "");
  ASSERT_TRUE(unsub);
  EXPECT_EQ(unsub->status, 404);
  httplib::Result unknown_verify =
      Verify("/in/websub/nope", "subscribe", kTopic, "60");
  ASSERT_TRUE(unknown_verify);
  EXPECT_EQ(unknown_verify->status, 404);

  EXPECT_THAT(Delivered(), IsEmpty());
  EXPECT_EQ(Callbacks("delivery", "bad_signature"), 2u);
  EXPECT_EQ(Callbacks("delivery", "unsigned"), 1u);
  EXPECT_EQ(Callbacks("delivery", "too_large"), 2u);
  EXPECT_EQ(Callbacks("delivery", "unknown_callback"), 1u);
  EXPECT_EQ(Callbacks("verify", "topic_mismatch"), 1u);
  EXPECT_EQ(Callbacks("verify", "not_pending"), 2u);
  EXPECT_EQ(Callbacks("verify", "unknown_callback"), 1u);
  absl::StatusOr<WebSubState> state = subscriber_->State("f1");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->status, WebSubState::Status::kVerified);
  EXPECT_EQ(state->rejections, 5u);
  EXPECT_EQ(state->deliveries, 0u);
}

TEST_F(WebSubSubscriberTest, FloodIsRateLimitedAndHandlerErrorsAre500) {
  options_.max_deliveries_per_second = 2;
  StartSubscriber();
  Form form = SubscribeAndVerify();
  const std::string path = CallbackPath(form);
  const std::string sig =
      "sha512=" + Sign(EVP_sha512(), form["hub.secret"], "x");
  std::vector<int> codes;
  for (int i = 0; i < 3; ++i) {
    httplib::Result r = Deliver(path, "x", sig);
    ASSERT_TRUE(r);
    codes.push_back(r->status);
  }
  EXPECT_THAT(codes, ElementsAre(200, 200, 429));
  clock_.Advance(absl::Seconds(1));
  {
    absl::MutexLock lock(&mu_);
    handler_status_ = absl::UnavailableError("outbox full");
  }
  httplib::Result failed = Deliver(path, "x", sig);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 500);
  EXPECT_EQ(Callbacks("delivery", "rate_limited"), 1u);
  EXPECT_EQ(Callbacks("delivery", "handler_error"), 1u);
}

TEST_F(WebSubSubscriberTest, LeaseRenewalExpiryAndRetryWithBackoff) {
  StartSubscriber();
  Form first = SubscribeAndVerify();
  EXPECT_EQ(subscriber_->Tick(), 0);
  // 3600 s lease, renewal 10 minutes (more than a tenth) before its end.
  clock_.Advance(absl::Seconds(3600 - 600));
  EXPECT_EQ(subscriber_->Tick(), 1);
  Form renewal = HubRequest(1);
  EXPECT_EQ(renewal["hub.mode"], "subscribe");
  EXPECT_EQ(renewal["hub.callback"], first["hub.callback"]);
  EXPECT_EQ(renewal["hub.secret"], first["hub.secret"]);
  EXPECT_EQ(subscriber_->Tick(), 0);  // already pending
  // Still verified until the lease ends; the hub never answers.
  EXPECT_EQ(subscriber_->State("f1")->status, WebSubState::Status::kVerified);
  clock_.Advance(absl::Minutes(5));  // verify_timeout: failed, retry in 1 min
  EXPECT_EQ(subscriber_->Tick(), 0);
  clock_.Advance(absl::Minutes(5) + absl::Seconds(1));  // lease over
  EXPECT_EQ(subscriber_->Tick(), 1);
  EXPECT_EQ(subscriber_->State("f1")->status, WebSubState::Status::kExpired);
  Form retry = HubRequest(2);
  httplib::Result verified =
      Verify(CallbackPath(retry), "subscribe", kTopic, "3600");
  ASSERT_TRUE(verified);
  EXPECT_EQ(verified->status, 200);
  absl::StatusOr<WebSubState> state = subscriber_->State("f1");
  EXPECT_EQ(state->status, WebSubState::Status::kVerified);
  EXPECT_EQ(state->lease_expiry, clock_.Now() + absl::Seconds(3600));
  EXPECT_EQ(Callbacks("verify", "timeout"), 1u);
}

TEST_F(WebSubSubscriberTest, HubThatNeverVerifiesIsRetriedWithBackoff) {
  StartSubscriber();
  ASSERT_TRUE(subscriber_->Subscribe("f1", kTopic, hub_.Url("/hub")).ok());
  clock_.Advance(absl::Minutes(5));
  EXPECT_EQ(subscriber_->Tick(), 0);  // timed out: failed, retry in 1 min
  absl::StatusOr<WebSubState> state = subscriber_->State("f1");
  EXPECT_EQ(state->status, WebSubState::Status::kFailed);
  EXPECT_FALSE(state->last_error.empty());
  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(subscriber_->Tick(), 1);
  clock_.Advance(absl::Minutes(5));
  EXPECT_EQ(subscriber_->Tick(), 0);  // failed again: retry in 2 min
  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(subscriber_->Tick(), 0);
  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(subscriber_->Tick(), 1);
  EXPECT_EQ(HubRequestCount(), 3u);
  EXPECT_THAT(registry_.Render(),
              ::testing::HasSubstr(
                  "newsfeed_websub_subscriptions{state=\"pending\"} 1"));
}

TEST_F(WebSubSubscriberTest, TickSendsAtMostTheCapAndTheRestNext) {
  options_.max_hub_requests_per_tick = 2;
  {
    absl::MutexLock lock(&mu_);
    hub_status_ = 503;  // every subscribe fails: all due for a retry
  }
  StartSubscriber();
  for (const char* feed : {"a", "b", "c"}) {
    EXPECT_FALSE(subscriber_->Subscribe(feed, kTopic, hub_.Url("/hub")).ok());
  }
  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(subscriber_->Tick(), 2);
  EXPECT_EQ(subscriber_->Tick(), 1);
}

TEST_F(WebSubSubscriberTest, DenialAndRefusedHub) {
  StartSubscriber();
  ASSERT_TRUE(subscriber_->Subscribe("f1", kTopic, hub_.Url("/hub")).ok());
  httplib::Client client("http://" + subscriber_->address());
  httplib::Result denied =
      client.Get(CallbackPath(HubRequest(0)),
                 httplib::Params{{"hub.mode", "denied"},
                                 {"hub.topic", kTopic},
                                 {"hub.reason", "not allowed"}},
                 httplib::Headers{});
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 200);
  absl::StatusOr<WebSubState> state = subscriber_->State("f1");
  EXPECT_EQ(state->status, WebSubState::Status::kDenied);
  EXPECT_THAT(state->last_error, ::testing::HasSubstr("not allowed"));
  clock_.Advance(absl::Hours(24));
  EXPECT_EQ(subscriber_->Tick(), 0);  // a denial is not retried

  {
    absl::MutexLock lock(&mu_);
    hub_status_ = 400;
  }
  absl::Status rejected =
      subscriber_->Subscribe("f2", kTopic, hub_.Url("/hub"));
  EXPECT_EQ(rejected.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(subscriber_->State("f2")->status, WebSubState::Status::kFailed);
}

TEST_F(WebSubSubscriberTest, PrivateHubRefusedByDefault) {
  options_.allow_private_networks = false;
  StartSubscriber();
  absl::Status status = subscriber_->Subscribe("f1", kTopic, hub_.Url("/hub"));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), ::testing::HasSubstr("private-network"));
  EXPECT_EQ(HubRequestCount(), 0u);
}

TEST_F(WebSubSubscriberTest, UnsubscribeRefusesLaterDeliveries) {
  StartSubscriber();
  Form form = SubscribeAndVerify();
  const std::string path = CallbackPath(form);
  ASSERT_TRUE(subscriber_->Unsubscribe("f1").ok());
  Form unsub = HubRequest(1);
  EXPECT_EQ(unsub["hub.mode"], "unsubscribe");
  EXPECT_EQ(unsub["hub.topic"], kTopic);
  EXPECT_EQ(unsub["hub.callback"], form["hub.callback"]);
  httplib::Result late =
      Deliver(path, "<feed/>",
              "sha256=" + Sign(EVP_sha256(), form["hub.secret"], "<feed/>"));
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, 410);
  httplib::Result verified = Verify(path, "unsubscribe", kTopic, "");
  ASSERT_TRUE(verified);
  EXPECT_EQ(verified->status, 200);
  EXPECT_EQ(verified->body, "chal-123");
  EXPECT_EQ(subscriber_->State("f1").status().code(),
            absl::StatusCode::kNotFound);
  httplib::Result after =
      Deliver(path, "<feed/>",
              "sha256=" + Sign(EVP_sha256(), form["hub.secret"], "<feed/>"));
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 404);
  EXPECT_THAT(Delivered(), IsEmpty());
  EXPECT_EQ(subscriber_->Unsubscribe("f1").code(), absl::StatusCode::kNotFound);
}

TEST_F(WebSubSubscriberTest, RestartKeepsSubscriptions) {
  options_.db_path = ::testing::TempDir() + "/websub_restart.db";
  std::remove(options_.db_path.c_str());
  StartSubscriber();
  Form form = SubscribeAndVerify();
  subscriber_.reset();
  struct stat st {};
  ASSERT_EQ(stat(options_.db_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);

  StartSubscriber();
  EXPECT_THAT(subscriber_->FeedIds(), ElementsAre("f1"));
  EXPECT_EQ(subscriber_->State("f1")->status, WebSubState::Status::kVerified);
  httplib::Result d =
      Deliver(CallbackPath(form), "<feed/>",
              "sha256=" + Sign(EVP_sha256(), form["hub.secret"], "<feed/>"));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->status, 200);
  EXPECT_THAT(Delivered(), ElementsAre("f1|application/atom+xml|<feed/>"));
  // Renewal still happens after the restart.
  clock_.Advance(absl::Seconds(3000));
  EXPECT_EQ(subscriber_->Tick(), 1);
  EXPECT_EQ(HubRequest(1)["hub.callback"], form["hub.callback"]);
}

}  // namespace
}  // namespace newsfeed::ingest
