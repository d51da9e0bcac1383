#include "bench/freshness/feed_farm.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace newsfeed::bench {
namespace {

constexpr int kMaxItems = 50;
// Item links (and guids): unique per item, never fetched.
constexpr char kItemBase[] = "http://publisher.example";

struct Item {
  std::string link;
  int64_t pub_unix = 0;  // simulated wall time, seconds
  std::string title;
  std::string description;
};

struct Feed {
  std::mutex mu;
  std::deque<Item> items;  // newest first
  uint64_t version = 0;
  int64_t modified_unix = 0;
  std::string document;  // rendered on change
  double mean_gap = 0;   // simulated seconds
  double next_due = 0;   // simulated seconds since start
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

const char* const kWords[] = {
    "market", "shares", "rate",   "bank",    "growth", "profit", "quarter",
    "report", "energy", "supply", "demand",  "price",  "trade",  "policy",
    "chip",   "cloud",  "merger", "revenue", "yield",  "bond",   "outlook"};

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
      : options_(options), rng_(options.seed), feeds_(options.feeds) {}

  ~Impl() {
    {
      std::lock_guard lock(stop_mu_);
      stopping_ = true;
    }
    stop_cv_.notify_all();
    if (generator_.joinable()) generator_.join();
    server_.stop();
    if (server_thread_.joinable()) server_thread_.join();
  }

  absl::Status Start() {
    start_ = Clock::now();
    start_unix_ = static_cast<int64_t>(std::time(nullptr));
    std::lognormal_distribution<double> gap(
        std::log(options_.median_gap_seconds), options_.gap_sigma);
    for (int i = 0; i < options_.feeds; ++i) {
      Feed& f = feeds_[i];
      f.mean_gap = std::max(options_.min_gap_seconds, gap(rng_));
      int initial = std::uniform_int_distribution<int>(20, 50)(rng_);
      for (int k = 0; k < initial; ++k) {
        AddItem(i, f,
                start_unix_ - static_cast<int64_t>(f.mean_gap) * (initial - k));
      }
      f.next_due = NextGap(f);
      Render(f);
    }
    server_.new_task_queue = [threads = options_.threads] {
      return new httplib::ThreadPool(threads);
    };
    server_.set_keep_alive_max_count(1000000);
    server_.set_keep_alive_timeout(2);
    server_.Get(R"(/feed/(\d+)\.xml)",
                [this](const httplib::Request& req, httplib::Response& res) {
                  Serve(req, res);
                });
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) return absl::UnavailableError("cannot bind 127.0.0.1:0");
    server_thread_ = std::thread([this] { server_.listen_after_bind(); });
    generator_ = std::thread([this] { Generate(); });
    return absl::OkStatus();
  }

  std::string base_url() const {
    return absl::StrCat("http://127.0.0.1:", port_);
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

  std::unordered_map<std::string, Clock::time_point> Appearances() {
    std::lock_guard lock(appear_mu_);
    return appearances_;
  }

 private:
  double NextGap(Feed& f) {
    return std::exponential_distribution<double>(1.0 / f.mean_gap)(rng_);
  }

  void AddItem(int i, Feed& f, int64_t pub_unix) {
    Item item;
    uint64_t serial = f.next_serial++;
    item.link = absl::StrCat(kItemBase, "/item/", i, "/", serial);
    item.pub_unix = pub_unix;
    item.title =
        absl::StrCat("Feed ", i, " item ", serial, ": ", Words(rng_, 40));
    size_t bytes = std::uniform_int_distribution<size_t>(500, 2000)(rng_);
    item.description = Words(rng_, bytes);
    f.items.push_front(std::move(item));
    if (f.items.size() > kMaxItems) f.items.pop_back();
    f.modified_unix = pub_unix;
    ++f.version;
  }

  void Render(Feed& f) {
    std::string doc;
    doc.reserve(f.items.size() * 1400);
    absl::StrAppend(&doc,
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<rss version=\"2.0\"><channel><title>Feed</title>"
                    "<link>http://example.com/</link>"
                    "<description>Simulated publisher</description>\n");
    for (const Item& item : f.items) {
      absl::StrAppend(&doc, "<item><title>", item.title, "</title><link>",
                      item.link, "</link><guid isPermaLink=\"true\">",
                      item.link, "</guid><pubDate>", HttpDate(item.pub_unix),
                      "</pubDate><description>", item.description,
                      "</description></item>\n");
    }
    doc += "</channel></rss>\n";
    f.document = std::move(doc);
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
    bool match = req.has_header("If-None-Match")
                     ? req.get_header_value("If-None-Match") == etag
                     : req.get_header_value("If-Modified-Since") == modified;
    if (match) {
      f.not_modified.fetch_add(1);
      res.status = 304;
      return;
    }
    f.ok.fetch_add(1);
    res.set_content(f.document, "application/rss+xml");
  }

  // Ticks every 50 ms real time; feeds whose next item is due get it.
  void Generate() {
    std::unique_lock stop_lock(stop_mu_);
    while (!stop_cv_.wait_for(stop_lock, std::chrono::milliseconds(50),
                              [this] { return stopping_; })) {
      Clock::time_point now = Clock::now();
      double sim = std::chrono::duration<double>(now - start_).count() *
                   options_.time_scale;
      int64_t sim_unix = start_unix_ + static_cast<int64_t>(sim);
      for (int i = 0; i < options_.feeds; ++i) {
        Feed& f = feeds_[i];
        std::lock_guard lock(f.mu);
        if (f.next_due > sim) continue;
        while (f.next_due <= sim) {
          AddItem(i, f, sim_unix);
          std::lock_guard appear_lock(appear_mu_);
          appearances_[f.items.front().link] = now;
          f.next_due += NextGap(f);
        }
        Render(f);
      }
    }
  }

  FeedFarmOptions options_;
  std::mt19937_64 rng_;  // Start, then the generator thread only
  std::vector<Feed> feeds_;
  Clock::time_point start_;
  int64_t start_unix_ = 0;
  httplib::Server server_;
  int port_ = 0;
  std::thread server_thread_, generator_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::mutex appear_mu_;
  std::unordered_map<std::string, Clock::time_point> appearances_;
};

absl::StatusOr<std::unique_ptr<FeedFarm>> FeedFarm::Create(
    const FeedFarmOptions& options) {
  if (options.feeds < 1 || options.time_scale <= 0 || options.threads < 1)
    return absl::InvalidArgumentError(
        "feeds, time_scale and threads must be positive");
  auto impl = std::make_unique<Impl>(options);
  if (absl::Status s = impl->Start(); !s.ok()) return s;
  return std::unique_ptr<FeedFarm>(new FeedFarm(std::move(impl)));
}

FeedFarm::FeedFarm(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FeedFarm::~FeedFarm() = default;
std::string FeedFarm::base_url() const { return impl_->base_url(); }
std::string FeedFarm::FeedUrl(int i) const {
  return absl::StrCat(impl_->base_url(), "/feed/", i, ".xml");
}
FeedFarmCounts FeedFarm::Counts() const { return impl_->Counts(); }
std::unordered_map<std::string, FeedFarm::Clock::time_point>
FeedFarm::Appearances() const {
  return impl_->Appearances();
}

}  // namespace newsfeed::bench
