#include "bench/freshness/feed_farm.h"

#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <functional>
#include <mutex>
#include <queue>
#include <random>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace newsfeed::bench {
namespace {

constexpr int kMaxItems = 50;
// Item links (and guids): unique per item, never fetched.
constexpr char kItemBase[] = "http://publisher.example";

// An item's text is a slice of the farm's word pool, so that 100,000 feeds
// of 20-50 items fit in a few hundred MB; its link is derived from the feed
// and the serial (ItemLink).
struct Item {
  uint64_t serial = 0;
  int64_t pub_unix = 0;  // real (compressed) time, seconds
  uint32_t title_offset = 0;
  uint32_t description_offset = 0;
  uint32_t description_size = 0;
};

constexpr size_t kTitleWords = 40;  // bytes of pool text in a title

struct Feed {
  std::mutex mu;
  std::deque<Item> items;  // newest first
  uint64_t version = 0;
  int64_t modified_unix = 0;
  bool pushed = false;
  double mean_gap = 0;  // simulated seconds
  double next_due = 0;  // simulated seconds since start
  uint64_t next_serial = 0;
  std::atomic<uint64_t> requests{0}, ok{0}, not_modified{0};
};

std::string HttpDate(int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm_utc;
  gmtime_r(&t, &tm_utc);
  char buf[64];
  strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm_utc);
  return buf;
}

std::string HmacSha256Hex(const std::string& key, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac,
       &len);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[mac[i] >> 4];
    hex += kHex[mac[i] & 15];
  }
  return hex;
}

// Splits "http://host:port/path?q" into client base and path; false when
// not http.
bool SplitUrl(const std::string& url, std::string* base, std::string* path) {
  if (url.rfind("http://", 0) != 0) return false;
  size_t slash = url.find('/', 7);
  *base = url.substr(0, slash);
  *path = slash == std::string::npos ? "/" : url.substr(slash);
  return true;
}

struct Subscription {
  std::string callback;
  std::string secret;
};

const char* const kWords[] = {
    "market", "shares", "rate",   "bank",    "growth", "profit", "quarter",
    "report", "energy", "supply", "demand",  "price",  "trade",  "policy",
    "chip",   "cloud",  "merger", "revenue", "yield",  "bond",   "outlook"};

std::string ItemLink(int feed, uint64_t serial) {
  return absl::StrCat(kItemBase, "/item/", feed, "/", serial);
}

std::string Words(std::mt19937_64& rng, size_t bytes) {
  std::string out;
  std::uniform_int_distribution<size_t> pick(0, std::size(kWords) - 1);
  while (out.size() < bytes) {
    if (!out.empty()) out += ' ';
    out += kWords[pick(rng)];
  }
  return out;
}

}  // namespace

class FeedFarm::Impl {
 public:
  explicit Impl(const FeedFarmOptions& options)
      : options_(options),
        rng_(options.seed),
        pool_(Words(rng_, 1 << 20)),
        feeds_(options.feeds) {}

  ~Impl() {
    {
      std::lock_guard lock(stop_mu_);
      stopping_ = true;
    }
    stop_cv_.notify_all();
    {
      std::lock_guard lock(hub_mu_);
      hub_stopping_ = true;
    }
    hub_cv_.notify_all();
    if (generator_.joinable()) generator_.join();
    if (hub_thread_.joinable()) hub_thread_.join();
    server_.stop();
    if (server_thread_.joinable()) server_thread_.join();
  }

  absl::Status Start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) return absl::UnavailableError("cannot bind 127.0.0.1:0");
    start_ = Clock::now();
    start_unix_ = static_cast<int64_t>(std::time(nullptr));
    std::lognormal_distribution<double> gap(
        std::log(options_.median_gap_seconds), options_.gap_sigma);
    for (int i = 0; i < options_.feeds; ++i) {
      Feed& f = feeds_[i];
      f.mean_gap = std::max(options_.min_gap_seconds, gap(rng_));
      int initial = std::uniform_int_distribution<int>(
          options_.min_initial_items, options_.max_initial_items)(rng_);
      for (int k = 0; k < initial; ++k) {
        // Dates are on the compressed (real) timeline, like the live
        // items': a scheduler learning the rate from them sees the rate it
        // will meet.
        AddItem(i, f,
                start_unix_ -
                    static_cast<int64_t>(f.mean_gap / options_.time_scale *
                                         (initial - k)));
      }
      f.pushed = std::bernoulli_distribution(options_.push_share)(rng_);
      f.next_due = NextGap(f);
    }
    server_.new_task_queue = [threads = options_.threads] {
      return new httplib::ThreadPool(threads);
    };
    // As production servers do: without it, a response's header and body
    // writes wait on the client's delayed ACK (40 ms on Linux).
    server_.set_tcp_nodelay(true);
    server_.set_keep_alive_max_count(1000000);
    server_.set_keep_alive_timeout(2);
    server_.Get(R"(/feed/(\d+)\.xml)",
                [this](const httplib::Request& req, httplib::Response& res) {
                  Serve(req, res);
                });
    server_.Post("/hub",
                 [this](const httplib::Request& req, httplib::Response& res) {
                   HubRequest(req, res);
                 });
    server_thread_ = std::thread([this] { server_.listen_after_bind(); });
    generator_ = std::thread([this] { Generate(); });
    hub_thread_ = std::thread([this] { RunHub(); });
    return absl::OkStatus();
  }

  std::string base_url() const {
    return absl::StrCat("http://127.0.0.1:", port_);
  }

  std::string FeedUrl(int i) const {
    return absl::StrCat(base_url(), "/feed/", i, ".xml");
  }
  std::string HubUrl() const { return absl::StrCat(base_url(), "/hub"); }
  bool IsPushed(int i) const {
    return i >= 0 && i < options_.feeds && feeds_[i].pushed;
  }

  void PublishNow(int i) {
    if (i < 0 || i >= options_.feeds) return;
    Clock::time_point now = Clock::now();
    Feed& f = feeds_[i];
    std::lock_guard lock(f.mu);
    std::lock_guard rng_lock(rng_mu_);
    AddItem(i, f, static_cast<int64_t>(std::time(nullptr)));
    Changed(i, f, now);
  }

  FeedFarmCounts Counts() {
    FeedFarmCounts c;
    for (Feed& f : feeds_) {
      c.requests += f.requests.load();
      c.ok += f.ok.load();
      c.not_modified += f.not_modified.load();
    }
    std::lock_guard lock(appear_mu_);
    c.new_items = appearances_.size();
    return c;
  }

  FeedFarmFeedCounts FeedCounts(int i) {
    FeedFarmFeedCounts c;
    if (i < 0 || i >= options_.feeds) return c;
    Feed& f = feeds_[i];
    c.requests = f.requests.load();
    std::lock_guard lock(f.mu);
    c.mean_gap_seconds = f.mean_gap;
    return c;
  }

  std::unordered_map<std::string, Clock::time_point> Appearances() {
    std::lock_guard lock(appear_mu_);
    return appearances_;
  }

 private:
  double NextGap(Feed& f) {
    return std::exponential_distribution<double>(1.0 / f.mean_gap)(rng_);
  }

  void AddItem(int i, Feed& f, int64_t pub_unix) {
    (void)i;
    Item item;
    item.serial = f.next_serial++;
    item.pub_unix = pub_unix;
    item.title_offset = PoolOffset(kTitleWords);
    item.description_size = static_cast<uint32_t>(
        std::uniform_int_distribution<size_t>(500, 2000)(rng_));
    item.description_offset = PoolOffset(item.description_size);
    f.items.push_front(item);
    if (f.items.size() > kMaxItems) f.items.pop_back();
    f.modified_unix = pub_unix;
    ++f.version;
  }

  // Records the newest item's appearance, re-renders, queues the push.
  // Holds f.mu.
  void Changed(int i, Feed& f, Clock::time_point now) {
    {
      std::lock_guard appear_lock(appear_mu_);
      appearances_[ItemLink(i, f.items.front().serial)] = now;
    }
    if (f.pushed) {
      EnqueueHub([this, i, doc = Render(i, f)] { Push(i, doc); });
    }
  }

  // A random offset of `size` bytes of text in the pool. Holds rng_mu_.
  uint32_t PoolOffset(size_t size) {
    return static_cast<uint32_t>(
        std::uniform_int_distribution<size_t>(0, pool_.size() - size)(rng_));
  }

  // The feed's document (rendered per 200 response rather than kept, for
  // memory at 100,000 feeds). Holds f.mu.
  std::string Render(int i, const Feed& f) const {
    std::string doc;
    doc.reserve(f.items.size() * 1400);
    absl::StrAppend(&doc,
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<rss version=\"2.0\" "
                    "xmlns:atom=\"http://www.w3.org/2005/Atom\">"
                    "<channel><title>Feed</title>"
                    "<link>http://example.com/</link>"
                    "<description>Simulated publisher</description>\n");
    if (f.pushed) {
      absl::StrAppend(&doc, "<atom:link rel=\"hub\" href=\"", HubUrl(),
                      "\"/><atom:link rel=\"self\" href=\"", FeedUrl(i),
                      "\"/>\n");
    }
    for (const Item& item : f.items) {
      const std::string link = ItemLink(i, item.serial);
      absl::StrAppend(
          &doc, "<item><title>Feed ", i, " item ", item.serial, ": ",
          absl::string_view(pool_).substr(item.title_offset, kTitleWords),
          "</title><link>", link, "</link><guid isPermaLink=\"true\">", link,
          "</guid><pubDate>", HttpDate(item.pub_unix),
          "</pubDate><description>",
          absl::string_view(pool_).substr(item.description_offset,
                                          item.description_size),
          "</description></item>\n");
    }
    doc += "</channel></rss>\n";
    return doc;
  }

  void Serve(const httplib::Request& req, httplib::Response& res) {
    int i = 0;
    if (!absl::SimpleAtoi(req.matches[1].str(), &i) || i < 0 ||
        i >= options_.feeds) {
      res.status = 404;
      return;
    }
    Feed& f = feeds_[i];
    f.requests.fetch_add(1);
    std::lock_guard lock(f.mu);
    std::string etag = absl::StrCat("\"", i, "-", f.version, "\"");
    std::string modified = HttpDate(f.modified_unix);
    res.set_header("ETag", etag);
    res.set_header("Last-Modified", modified);
    if (f.pushed) {
      res.set_header("Link", absl::StrCat("<", HubUrl(), ">; rel=\"hub\", <",
                                          FeedUrl(i), ">; rel=\"self\""));
    }
    bool match = req.has_header("If-None-Match")
                     ? req.get_header_value("If-None-Match") == etag
                     : req.get_header_value("If-Modified-Since") == modified;
    if (match) {
      f.not_modified.fetch_add(1);
      res.status = 304;
      return;
    }
    f.ok.fetch_add(1);
    res.set_content(Render(i, f), "application/rss+xml");
  }

  // Ticks every 50 ms real time; feeds whose next item is due get it.
  void Generate() {
    // (next_due, feed), soonest first; next_due changes only here.
    using Due = std::pair<double, int>;
    std::priority_queue<Due, std::vector<Due>, std::greater<Due>> due;
    for (int i = 0; i < options_.feeds; ++i) {
      std::lock_guard lock(feeds_[i].mu);
      due.emplace(feeds_[i].next_due, i);
    }
    std::unique_lock stop_lock(stop_mu_);
    while (!stop_cv_.wait_for(stop_lock, std::chrono::milliseconds(50),
                              [this] { return stopping_; })) {
      Clock::time_point now = Clock::now();
      double sim = std::chrono::duration<double>(now - start_).count() *
                   options_.time_scale;
      const int64_t now_unix =
          start_unix_ + static_cast<int64_t>(sim / options_.time_scale);
      // Only the feeds due, not every feed each tick (100,000 feeds).
      while (!due.empty() && due.top().first <= sim) {
        const int i = due.top().second;
        due.pop();
        Feed& f = feeds_[i];
        std::lock_guard lock(f.mu);
        std::lock_guard rng_lock(rng_mu_);
        while (f.next_due <= sim) {
          AddItem(i, f, now_unix);
          f.next_due += NextGap(f);
          Changed(i, f, now);
        }
        due.emplace(f.next_due, i);
      }
    }
  }

  void HubRequest(const httplib::Request& req, httplib::Response& res) {
    std::string mode = req.get_param_value("hub.mode");
    std::string topic = req.get_param_value("hub.topic");
    std::string callback = req.get_param_value("hub.callback");
    std::string lease = req.get_param_value("hub.lease_seconds");
    std::string secret = req.get_param_value("hub.secret");
    // Topics are FeedUrl(i) of a pushed feed.
    int feed = -1, parsed = -1;
    const std::string prefix = absl::StrCat(base_url(), "/feed/");
    if (absl::StartsWith(topic, prefix) && absl::EndsWith(topic, ".xml") &&
        topic.size() > prefix.size() + 4 &&
        absl::SimpleAtoi(
            topic.substr(prefix.size(), topic.size() - prefix.size() - 4),
            &parsed) &&
        IsPushed(parsed)) {
      feed = parsed;
    }
    std::string base, path;
    if ((mode != "subscribe" && mode != "unsubscribe") || feed < 0 ||
        !SplitUrl(callback, &base, &path)) {
      res.status = 400;
      res.set_content("bad hub.mode, hub.topic or hub.callback", "text/plain");
      return;
    }
    if (lease.empty()) lease = "864000";
    res.status = 202;
    EnqueueHub(
        [=, this] { Verify(feed, mode, topic, callback, lease, secret); });
  }

  // Intent verification: the subscription changes only when the callback
  // echoes the challenge with a 2xx.
  void Verify(int feed, const std::string& mode, const std::string& topic,
              const std::string& callback, const std::string& lease,
              const std::string& secret) {
    std::string base, path;
    SplitUrl(callback, &base, &path);
    std::string challenge;
    {
      std::lock_guard rng_lock(rng_mu_);
      challenge = absl::StrCat(rng_(), rng_());
    }
    httplib::Params params = {{"hub.mode", mode},
                              {"hub.topic", topic},
                              {"hub.challenge", challenge},
                              {"hub.lease_seconds", lease}};
    httplib::Client client(base);
    client.set_connection_timeout(5);
    client.set_read_timeout(5);
    httplib::Result r = client.Get(path, params, httplib::Headers{});
    if (!r || r->status / 100 != 2 || r->body != challenge) return;
    std::lock_guard lock(hub_mu_);
    std::vector<Subscription>& subs = subscriptions_[feed];
    std::erase_if(
        subs, [&](const Subscription& s) { return s.callback == callback; });
    if (mode == "subscribe") subs.push_back({callback, secret});
  }

  void Push(int feed, const std::string& doc) {
    std::vector<Subscription> subs;
    {
      std::lock_guard lock(hub_mu_);
      auto it = subscriptions_.find(feed);
      if (it == subscriptions_.end()) return;
      subs = it->second;
    }
    for (const Subscription& sub : subs) {
      std::string base, path;
      SplitUrl(sub.callback, &base, &path);
      httplib::Client client(base);
      client.set_connection_timeout(5);
      client.set_read_timeout(5);
      httplib::Headers headers = {
          {"Link", absl::StrCat("<", HubUrl(), ">; rel=\"hub\", <",
                                FeedUrl(feed), ">; rel=\"self\"")}};
      if (!sub.secret.empty()) {
        headers.emplace("X-Hub-Signature",
                        "sha256=" + HmacSha256Hex(sub.secret, doc));
      }
      httplib::Result ignored =
          client.Post(path, headers, doc, "application/rss+xml");
      (void)ignored;
    }
  }

  void EnqueueHub(std::function<void()> task) {
    {
      std::lock_guard lock(hub_mu_);
      hub_tasks_.push_back(std::move(task));
    }
    hub_cv_.notify_one();
  }

  void RunHub() {
    std::unique_lock lock(hub_mu_);
    while (true) {
      hub_cv_.wait(lock,
                   [this] { return hub_stopping_ || !hub_tasks_.empty(); });
      if (hub_stopping_) return;
      std::function<void()> task = std::move(hub_tasks_.front());
      hub_tasks_.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  }

  FeedFarmOptions options_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;     // guarded by rng_mu_ after Start
  const std::string pool_;  // random words that items' text is cut from
  std::vector<Feed> feeds_;
  Clock::time_point start_;
  int64_t start_unix_ = 0;
  httplib::Server server_;
  int port_ = 0;
  std::thread server_thread_, generator_, hub_thread_;
  std::mutex hub_mu_;
  std::condition_variable hub_cv_;
  bool hub_stopping_ = false;
  std::deque<std::function<void()>> hub_tasks_;
  std::unordered_map<int, std::vector<Subscription>> subscriptions_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::mutex appear_mu_;
  std::unordered_map<std::string, Clock::time_point> appearances_;
};

absl::StatusOr<std::unique_ptr<FeedFarm>> FeedFarm::Create(
    const FeedFarmOptions& options) {
  if (options.feeds < 1 || options.time_scale <= 0 || options.threads < 1 ||
      options.push_share < 0 || options.push_share > 1)
    return absl::InvalidArgumentError(
        "feeds, time_scale and threads must be positive");
  auto impl = std::make_unique<Impl>(options);
  if (absl::Status s = impl->Start(); !s.ok()) return s;
  return std::unique_ptr<FeedFarm>(new FeedFarm(std::move(impl)));
}

FeedFarm::FeedFarm(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FeedFarm::~FeedFarm() = default;
std::string FeedFarm::base_url() const { return impl_->base_url(); }
std::string FeedFarm::FeedUrl(int i) const { return impl_->FeedUrl(i); }
std::string FeedFarm::HubUrl() const { return impl_->HubUrl(); }
bool FeedFarm::IsPushed(int i) const { return impl_->IsPushed(i); }
void FeedFarm::PublishNow(int i) { impl_->PublishNow(i); }
FeedFarmCounts FeedFarm::Counts() const { return impl_->Counts(); }
FeedFarmFeedCounts FeedFarm::FeedCounts(int i) const {
  return impl_->FeedCounts(i);
}
std::unordered_map<std::string, FeedFarm::Clock::time_point>
FeedFarm::Appearances() const {
  return impl_->Appearances();
}

}  // namespace newsfeed::bench
