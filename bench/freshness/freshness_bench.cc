// freshness_bench: end-to-end freshness of the real ingest-service and
// query-service binaries polling a loopback feed farm (bench/freshness/
// feed_farm.h). For each scheduler (fixed, adaptive, or both in sequence, so
// the fixed baseline is measured in the same run) it starts a fresh farm,
// writes YAML configs into a temporary directory, launches both services,
// subscribes to query-service's Subscribe stream and matches each arriving
// article to the farm's appearance time by its link. See README.md.
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench/freshness/feed_farm.h"
#include "newsfeed/v1/query.grpc.pb.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using newsfeed::bench::FeedFarm;
using newsfeed::bench::FeedFarmOptions;

namespace {

struct Flags {
  int feeds = 10000;
  double duration_s = 300;
  double time_scale = 120;
  std::string scheduler = "both";
  double push_share = 0.1;
  double median_gap_s = 8 * 3600;  // simulated
  double fixed_interval_s = 900;   // simulated
  double gap_fraction = 0.2;
  // Items per feed at start: "MIN-MAX".
  std::string backlog = "20-50";
  // polling.first_poll_spread in real seconds (not scaled: it is about the
  // machine's load at start, not about the feeds' time).
  double first_poll_spread_s = 60;
  // Runs the adaptive scheduler also with first_poll_spread 0, before.
  bool spread_baseline = false;
  std::string ingest_bin = NEWSFEED_INGEST_BIN;
  std::string query_bin = NEWSFEED_QUERY_BIN;
  std::string keep_dir;
};

// Polled feeds of one posting-rate class (by the farm's mean gap).
struct RateClass {
  RateClass(const char* name, double max_gap_s)
      : name(name), max_gap_s(max_gap_s) {}
  const char* name;
  double max_gap_s;  // simulated; the class holds gaps up to this
  uint64_t feeds = 0, items = 0, fetches = 0;
  std::vector<double> delay_s, relative;  // simulated; over the mean gap
};

struct Result {
  std::string scheduler;
  double first_poll_spread_s = 0;
  // The first minute (real) after ingest-service started: CPU seconds, the
  // busiest 5 s (cores), peak RSS.
  double cpu_first_minute_s = 0, busiest_5s_cores = 0;
  long ingest_hwm_first_minute_kb = 0;
  std::vector<RateClass> classes;
  int feeds = 0;
  uint64_t new_items = 0, matched = 0, requests = 0, not_modified = 0;
  // Real seconds; polled feeds, then feeds the farm's hub pushes.
  double p50_s = 0, p99_s = 0, push_p50_s = 0, push_p99_s = 0;
  uint64_t push_matched = 0;
  double fetches_per_item = 0, share_304 = 0;
  // Polled items' delay over their feed's mean gap (target <= 0.1), and
  // fetches per new item of polled feeds posting at least daily.
  double relative_p50 = 0, daily_fetches_per_item = 0;
  double cpu_s_per_hour_per_1k = 0;
  long ingest_hwm_kb = 0, query_hwm_kb = 0;
  // The second half of the run, once first fetches are usually done (steady
  // state): CPU cores of each service, and RSS at the end.
  double steady_ingest_cores = 0, steady_query_cores = 0;
  long ingest_rss_end_kb = 0, query_rss_end_kb = 0;
};

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

std::string Ms(double simulated_seconds, double scale) {
  return absl::StrCat(
      std::max<long>(1, static_cast<long>(simulated_seconds / scale * 1000)),
      "ms");
}

// A child process with stdout and stderr in `log`.
class Child {
 public:
  static absl::StatusOr<Child> Start(const std::string& bin,
                                     const std::string& config,
                                     const std::string& log) {
    if (access(bin.c_str(), X_OK) != 0)
      return absl::NotFoundError(absl::StrCat(bin, " is not executable"));
    // The child's freopen would otherwise write our unflushed output again.
    std::fflush(stdout);
    std::fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) return absl::InternalError("fork failed");
    if (pid == 0) {
      FILE* out = std::freopen(log.c_str(), "w", stdout);
      if (out != nullptr) dup2(fileno(stdout), STDERR_FILENO);
      execl(bin.c_str(), bin.c_str(), "--config", config.c_str(), nullptr);
      _exit(127);
    }
    return Child(pid, log);
  }
  // False once the process has exited (reaped).
  bool Alive() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) pid_ = -1;
    return pid_ > 0;
  }
  double CpuSeconds() const {
    std::ifstream in(absl::StrCat("/proc/", pid_, "/stat"));
    std::string line((std::istreambuf_iterator<char>(in)), {});
    size_t paren = line.rfind(')');
    if (paren == std::string::npos) return 0;
    std::vector<std::string> f =
        absl::StrSplit(line.substr(paren + 2), ' ', absl::SkipEmpty());
    // Fields 14 and 15 of stat (utime, stime) are 11 and 12 after ")".
    if (f.size() < 13) return 0;
    return (std::stod(f[11]) + std::stod(f[12])) / sysconf(_SC_CLK_TCK);
  }
  long RssKb() const { return StatusKb("VmRSS:"); }
  long PeakRssKb() const { return StatusKb("VmHWM:"); }
  long StatusKb(std::string_view key) const {
    std::ifstream in(absl::StrCat("/proc/", pid_, "/status"));
    std::string line;
    while (std::getline(in, line))
      if (line.rfind(key, 0) == 0)
        return std::atol(line.c_str() + key.size());
    return 0;
  }
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  std::string LogTail() const {
    std::ifstream in(log_);
    std::string all((std::istreambuf_iterator<char>(in)), {});
    return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
  }

 private:
  Child(pid_t pid, std::string log) : pid_(pid), log_(std::move(log)) {}
  pid_t pid_;
  std::string log_;
};

// Follows query-service's Subscribe stream, recording each article's arrival.
class Subscriber {
 public:
  explicit Subscriber(const std::string& address)
      : stub_(newsfeed::v1::QueryService::NewStub(grpc::CreateChannel(
            address, grpc::InsecureChannelCredentials()))) {}
  ~Subscriber() { Stop(); }

  void Start() {
    thread_ = std::thread([this] {
      newsfeed::v1::SubscribeRequest request;
      request.set_max_articles_per_response(100);
      auto reader = stub_->Subscribe(&context_, request);
      newsfeed::v1::SubscribeResponse event;
      while (reader->Read(&event)) {
        Clock::time_point now = Clock::now();
        std::lock_guard lock(mu_);
        if (event.has_article()) arrivals_.emplace(event.article().url(), now);
        for (const auto& a : event.articles().articles())
          arrivals_.emplace(a.url(), now);
      }
      grpc::Status ignored = reader->Finish();
      (void)ignored;
    });
  }
  void Stop() {
    if (!thread_.joinable()) return;
    context_.TryCancel();
    thread_.join();
  }
  std::unordered_map<std::string, Clock::time_point> Arrivals() {
    std::lock_guard lock(mu_);
    return arrivals_;
  }

 private:
  std::unique_ptr<newsfeed::v1::QueryService::Stub> stub_;
  grpc::ClientContext context_;
  std::thread thread_;
  std::mutex mu_;
  std::unordered_map<std::string, Clock::time_point> arrivals_;
};

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))];
}

void WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

absl::StatusOr<Result> RunOnce(const Flags& flags, const std::string& scheduler,
                               double first_poll_spread_s) {
  FeedFarmOptions farm_options;
  farm_options.feeds = flags.feeds;
  farm_options.time_scale = flags.time_scale;
  farm_options.push_share = flags.push_share;
  farm_options.median_gap_seconds = flags.median_gap_s;
  std::pair<std::string, std::string> backlog =
      absl::StrSplit(flags.backlog, '-');
  if (!absl::SimpleAtoi(backlog.first, &farm_options.min_initial_items) ||
      !absl::SimpleAtoi(backlog.second, &farm_options.max_initial_items) ||
      farm_options.min_initial_items < 2 ||
      farm_options.max_initial_items > 50 ||
      farm_options.min_initial_items > farm_options.max_initial_items) {
    return absl::InvalidArgumentError(
        "--backlog must be MIN-MAX with 2 <= MIN <= MAX <= 50");
  }
  absl::StatusOr<std::unique_ptr<FeedFarm>> farm =
      FeedFarm::Create(farm_options);
  if (!farm.ok()) return farm.status();

  const std::string run_name = absl::StrCat(
      scheduler, "-spread", static_cast<long>(first_poll_spread_s));
  fs::path dir = flags.keep_dir.empty()
                     ? fs::temp_directory_path() /
                           absl::StrCat("freshness-", getpid(), "-", run_name)
                     : fs::path(flags.keep_dir) / run_name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string query_addr = absl::StrCat("127.0.0.1:", FreePort());
  WriteFile(dir / "query.yaml",
            absl::StrCat("listen: ", query_addr,
                         "\ndata_dir: ", (dir / "query").string(),
                         "\nhttp:\n  listen: 127.0.0.1:", FreePort(), "\n"));
  std::ostringstream feeds;
  for (int i = 0; i < flags.feeds; ++i)
    feeds << "  - " << (*farm)->FeedUrl(i) << "\n";
  const double s = flags.time_scale;
  std::string polling = absl::StrCat(
      "polling:\n  default_interval: ", Ms(flags.fixed_interval_s, s),
      "\n  min_interval: ", Ms(60, s), "\n  max_interval: ", Ms(86400, s),
      "\n  min_backoff: ", Ms(60, s), "\n  max_backoff: ", Ms(6 * 3600, s),
      "\n  max_feeds_per_round: ", std::max(1000, flags.feeds),
      "\n  round_window: 50ms\n  first_poll_spread: ",
      static_cast<long>(first_poll_spread_s * 1000), "ms\n");
  absl::StrAppend(&polling, "  schedule: ", scheduler, "\n");
  if (scheduler == "adaptive") {
    absl::StrAppend(&polling, "  gap_fraction: ", flags.gap_fraction, "\n");
  }
  std::string websub;
  if (scheduler == "adaptive" && flags.push_share > 0) {
    std::string callback = absl::StrCat("127.0.0.1:", FreePort());
    absl::StrAppend(&polling, "  push_safety_interval: ", Ms(6 * 3600, s),
                    "\n");
    websub = absl::StrCat("websub:\n  public_base_url: http://", callback,
                          "\n  listen: ", callback, "\n");
  }
  WriteFile(dir / "ingest.yaml",
            absl::StrCat("listen: 127.0.0.1:0\nquery_address: ", query_addr,
                         "\ndata_dir: ", (dir / "ingest").string(),
                         "\nfeeds:\n", feeds.str(), polling,
                         "fetcher:\n  allow_private_networks: true\n"
                         "  min_host_gap: 0s\n  max_per_host: 32\n"
                         "  max_concurrent: 32\n",
                         websub));

  absl::StatusOr<Child> query =
      Child::Start(flags.query_bin, (dir / "query.yaml").string(),
                   (dir / "query.log").string());
  if (!query.ok()) return query.status();
  auto channel =
      grpc::CreateChannel(query_addr, grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(std::chrono::system_clock::now() +
                                 std::chrono::seconds(30))) {
    std::string tail = query->LogTail();
    query->Stop();
    return absl::UnavailableError(
        absl::StrCat("query-service did not come up; its log:\n", tail));
  }
  Subscriber subscriber(query_addr);
  subscriber.Start();
  // Let the stream establish before the first article can arrive.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  absl::StatusOr<Child> ingest =
      Child::Start(flags.ingest_bin, (dir / "ingest.yaml").string(),
                   (dir / "ingest.log").string());
  if (!ingest.ok()) {
    query->Stop();
    return ingest.status();
  }
  Clock::time_point start = Clock::now();
  Clock::time_point end =
      start +
      std::chrono::milliseconds(static_cast<long>(flags.duration_s * 1000));
  Result r;
  r.first_poll_spread_s = first_poll_spread_s;
  // CPU seconds at each whole second of the run, for the first minute.
  std::vector<double> cpu_at = {0};
  const double half_s = flags.duration_s / 2;
  double ingest_cpu_half = -1, query_cpu_half = 0, t_half = 0;
  while (Clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const double t =
        std::chrono::duration<double>(Clock::now() - start).count();
    if (ingest_cpu_half < 0 && t >= half_s) {
      ingest_cpu_half = ingest->CpuSeconds();
      query_cpu_half = query->CpuSeconds();
      t_half = t;
    }
    if (cpu_at.size() <= 60 && t >= cpu_at.size()) {
      cpu_at.push_back(ingest->CpuSeconds());
      if (cpu_at.size() == 61) {
        r.cpu_first_minute_s = cpu_at.back();
        r.ingest_hwm_first_minute_kb = ingest->PeakRssKb();
      }
    }
    if (!ingest->Alive() || !query->Alive()) {
      std::string tail = ingest->Alive() ? query->LogTail() : ingest->LogTail();
      ingest->Stop();
      query->Stop();
      return absl::FailedPreconditionError(absl::StrCat(
          "a service exited during the '", scheduler,
          "' run (does this binary accept the config keys of that mode, "
          "e.g. polling.schedule?). Configs in ",
          dir.string(), "; log tail:\n", tail));
    }
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  double cpu = ingest->CpuSeconds();
  for (size_t i = 5; i < cpu_at.size(); ++i) {
    r.busiest_5s_cores =
        std::max(r.busiest_5s_cores, (cpu_at[i] - cpu_at[i - 5]) / 5);
  }
  if (cpu_at.size() <= 60) {  // a run shorter than a minute
    r.cpu_first_minute_s = cpu;
    r.ingest_hwm_first_minute_kb = ingest->PeakRssKb();
  }
  r.ingest_hwm_kb = ingest->PeakRssKb();
  r.query_hwm_kb = query->PeakRssKb();
  r.ingest_rss_end_kb = ingest->RssKb();
  r.query_rss_end_kb = query->RssKb();
  if (ingest_cpu_half >= 0 && elapsed > t_half) {
    r.steady_ingest_cores = (cpu - ingest_cpu_half) / (elapsed - t_half);
    r.steady_query_cores =
        (query->CpuSeconds() - query_cpu_half) / (elapsed - t_half);
  }
  // Measure only items that had time to be polled: appeared before the
  // last default_interval (real) of the run.
  auto appearances = (*farm)->Appearances();
  newsfeed::bench::FeedFarmCounts counts = (*farm)->Counts();
  ingest->Stop();
  // Give deliveries in flight a moment, then stop following.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  subscriber.Stop();
  query->Stop();
  auto arrivals = subscriber.Arrivals();

  Clock::time_point cutoff = end - std::chrono::milliseconds(static_cast<long>(
                                       flags.fixed_interval_s / s * 1000 * 2));
  std::vector<double> fresh, pushed, relative;
  // Per feed: new items, for fetches per new item of the feeds posting at
  // least daily (their first fetch, which reads the backlog, excluded).
  std::vector<uint64_t> items_per_feed(flags.feeds, 0);
  for (const auto& [link, appeared] : appearances) {
    int feed = std::atoi(link.c_str() + link.find("/item/") + 6);
    if (feed >= 0 && feed < flags.feeds) ++items_per_feed[feed];
  }
  uint64_t daily_items = 0, daily_fetches = 0;
  r.classes = {{"gap <= 1h", 3600},
               {"1h-1d", 86400},
               {"1d-7d", 7 * 86400},
               {"gap > 7d", 1e300}};
  auto class_of = [&r](double gap_s) -> RateClass& {
    for (RateClass& c : r.classes)
      if (gap_s <= c.max_gap_s) return c;
    return r.classes.back();
  };
  for (int i = 0; i < flags.feeds; ++i) {
    newsfeed::bench::FeedFarmFeedCounts c = (*farm)->FeedCounts(i);
    if ((*farm)->IsPushed(i)) continue;
    RateClass& rate_class = class_of(c.mean_gap_seconds);
    ++rate_class.feeds;
    rate_class.items += items_per_feed[i];
    rate_class.fetches += c.requests > 0 ? c.requests - 1 : 0;
    if (c.mean_gap_seconds > 86400) continue;
    daily_items += items_per_feed[i];
    daily_fetches += c.requests > 0 ? c.requests - 1 : 0;
  }
  r.daily_fetches_per_item =
      daily_items ? double(daily_fetches) / daily_items : 0;
  uint64_t eligible = 0;
  for (const auto& [link, appeared] : appearances) {
    if (appeared > cutoff) continue;
    ++eligible;
    auto it = arrivals.find(link);
    if (it == arrivals.end()) continue;
    double d = std::chrono::duration<double>(it->second - appeared).count();
    // Links are <base>/item/<feed>/<serial>.
    int feed = std::atoi(link.c_str() + link.find("/item/") + 6);
    ((*farm)->IsPushed(feed) ? pushed : fresh).push_back(d);
    if (!(*farm)->IsPushed(feed)) {
      // Delay as a share of the feed's mean gap (both simulated).
      const double gap = (*farm)->FeedCounts(feed).mean_gap_seconds;
      relative.push_back(d * s / gap);
      class_of(gap).delay_s.push_back(d * s);
      class_of(gap).relative.push_back(d * s / gap);
    }
  }
  r.push_matched = pushed.size();
  r.push_p50_s = Percentile(pushed, 0.5);
  r.push_p99_s = Percentile(pushed, 0.99);
  r.scheduler = scheduler;
  r.feeds = flags.feeds;
  r.new_items = counts.new_items;
  r.matched = fresh.size() + pushed.size();
  r.requests = counts.requests;
  r.not_modified = counts.not_modified;
  r.p50_s = Percentile(fresh, 0.5);
  r.p99_s = Percentile(fresh, 0.99);
  r.relative_p50 = Percentile(relative, 0.5);
  r.fetches_per_item =
      counts.new_items ? double(counts.requests) / counts.new_items : 0;
  r.share_304 =
      counts.requests ? double(counts.not_modified) / counts.requests : 0;
  double sim_hours = elapsed * s / 3600;
  r.cpu_s_per_hour_per_1k = cpu / sim_hours / (flags.feeds / 1000.0);
  std::cerr << scheduler << ": " << eligible << " eligible items, " << r.matched
            << " matched\n";
  if (flags.keep_dir.empty()) fs::remove_all(dir);
  return r;
}

void Print(const Result& r, double scale) {
  std::printf(
      "%-9s feeds=%d new_items=%lu matched=%lu\n"
      "  freshness (polled) p50 %.2fs real = %.0fs simulated, p99 %.2fs real "
      "= %.0fs simulated\n"
      "  freshness (hub feeds) p50 %.2fs real = %.0fs simulated, p99 %.2fs "
      "real = %.0fs simulated\n"
      "  polled delay / the feed's mean gap: p50 %.3f\n"
      "  fetches per new item %.2f (feeds posting at least daily, first "
      "fetch excluded: %.2f)   share of 304s %.3f   requests %lu\n"
      "  ingest CPU %.2f s per simulated hour per 1,000 feeds\n"
      "  peak RSS ingest %.1f MiB, query %.1f MiB\n",
      r.scheduler.c_str(), r.feeds, static_cast<unsigned long>(r.new_items),
      static_cast<unsigned long>(r.matched), r.p50_s, r.p50_s * scale, r.p99_s,
      r.p99_s * scale, r.push_p50_s, r.push_p50_s * scale, r.push_p99_s,
      r.push_p99_s * scale, r.relative_p50, r.fetches_per_item,
      r.daily_fetches_per_item, r.share_304,
      static_cast<unsigned long>(r.requests), r.cpu_s_per_hour_per_1k,
      r.ingest_hwm_kb / 1024.0, r.query_hwm_kb / 1024.0);
  std::printf(
      "  second half of the run: ingest %.3f cores (%.4f at real time, "
      "time scale / %.0f), query %.3f cores; RSS at the end ingest %.1f "
      "MiB, query %.1f MiB\n",
      r.steady_ingest_cores, r.steady_ingest_cores / scale, scale,
      r.steady_query_cores, r.ingest_rss_end_kb / 1024.0,
      r.query_rss_end_kb / 1024.0);
  std::printf(
      "  first minute (first_poll_spread %.0fs): ingest CPU %.1f s, busiest "
      "5 s %.2f cores, peak RSS ingest %.1f MiB\n",
      r.first_poll_spread_s, r.cpu_first_minute_s, r.busiest_5s_cores,
      r.ingest_hwm_first_minute_kb / 1024.0);
  std::printf(
      "  polled feeds by mean gap (simulated; first fetch excluded):\n"
      "    %-10s %7s %9s %9s %13s %14s %14s\n",
      "class", "feeds", "items", "fetches", "fetches/item", "delay p50 (s)",
      "delay/gap p50");
  for (const RateClass& c : r.classes) {
    std::printf("    %-10s %7lu %9lu %9lu %13.2f %14.0f %14.3f\n", c.name,
                static_cast<unsigned long>(c.feeds),
                static_cast<unsigned long>(c.items),
                static_cast<unsigned long>(c.fetches),
                c.items ? double(c.fetches) / c.items : 0,
                Percentile(c.delay_s, 0.5), Percentile(c.relative, 0.5));
  }
}

double Ratio(double a, double b) { return b == 0 ? 0 : a / b; }

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  CLI::App app{
      "End-to-end freshness of ingest-service + query-service "
      "against a loopback feed farm"};
  app.add_option("--feeds", flags.feeds, "Number of simulated feeds")
      ->check(CLI::PositiveNumber);
  app.add_option("--duration", flags.duration_s, "Real seconds per run")
      ->check(CLI::PositiveNumber);
  app.add_option("--time-scale", flags.time_scale,
                 "Simulated seconds per real second")
      ->check(CLI::PositiveNumber);
  app.add_option("--scheduler", flags.scheduler, "fixed, adaptive or both")
      ->check(CLI::IsMember({"fixed", "adaptive", "both"}));
  app.add_option("--push-share", flags.push_share,
                 "Share of feeds served through the farm's WebSub hub")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--median-gap", flags.median_gap_s,
                 "Median over feeds of the mean simulated seconds between "
                 "new items")
      ->check(CLI::PositiveNumber);
  app.add_option("--gap-fraction", flags.gap_fraction,
                 "polling.gap_fraction of the adaptive run")
      ->check(CLI::Range(0.001, 1.0));
  app.add_option("--fixed-interval", flags.fixed_interval_s,
                 "polling.default_interval in simulated seconds")
      ->check(CLI::PositiveNumber);
  app.add_option("--backlog", flags.backlog,
                 "Items per feed at start, MIN-MAX (the first fetch's "
                 "backlog)");
  app.add_option("--first-poll-spread", flags.first_poll_spread_s,
                 "polling.first_poll_spread in real seconds (0: off)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--spread-baseline", flags.spread_baseline,
               "Also run the adaptive scheduler with first_poll_spread 0 "
               "(before), and print the ratios");
  app.add_option("--ingest-bin", flags.ingest_bin, "ingest-service binary");
  app.add_option("--query-bin", flags.query_bin, "query-service binary");
  app.add_option("--keep-dir", flags.keep_dir,
                 "Keep configs, logs and data of each run under this dir");
  CLI11_PARSE(app, argc, argv);

  std::vector<std::pair<std::string, double>> runs;
  if (flags.scheduler != "adaptive") {
    runs.emplace_back("fixed", flags.first_poll_spread_s);
  }
  if (flags.scheduler != "fixed" && flags.spread_baseline) {
    runs.emplace_back("adaptive", 0);
  }
  if (flags.scheduler != "fixed") {
    runs.emplace_back("adaptive", flags.first_poll_spread_s);
  }
  std::vector<Result> results;
  for (const auto& [s, spread] : runs) {
    absl::StatusOr<Result> r = RunOnce(flags, s, spread);
    if (!r.ok()) {
      std::cerr << "freshness_bench: " << r.status() << "\n";
      return 1;
    }
    Print(*r, flags.time_scale);
    if (r->matched == 0) {
      std::cerr << "freshness_bench: no new item reached the Subscribe "
                   "stream in the '"
                << s << "' run\n";
      return 1;
    }
    results.push_back(*r);
  }
  if (flags.spread_baseline && results.size() >= 2) {
    const Result& off = results[results.size() - 2];
    const Result& on = results.back();
    std::printf(
        "first_poll_spread %.0fs / 0s, first minute: CPU %.2f  busiest 5 s "
        "%.2f  peak RSS ingest %.2f\n",
        on.first_poll_spread_s,
        Ratio(on.cpu_first_minute_s, off.cpu_first_minute_s),
        Ratio(on.busiest_5s_cores, off.busiest_5s_cores),
        Ratio(double(on.ingest_hwm_first_minute_kb),
              double(off.ingest_hwm_first_minute_kb)));
  }
  if (flags.scheduler == "both") {
    const Result& f = results.front();
    const Result& a = results.back();
    std::printf(
        "adaptive/fixed: polled p50 %.2f  p99 %.2f  hub-feed p50 %.2f  p99 "
        "%.2f  fetches/item %.2f (daily feeds %.2f)  CPU %.2f  ingest RSS "
        "%.2f\n",
        Ratio(a.p50_s, f.p50_s), Ratio(a.p99_s, f.p99_s),
        Ratio(a.push_p50_s, f.push_p50_s), Ratio(a.push_p99_s, f.push_p99_s),
        Ratio(a.fetches_per_item, f.fetches_per_item),
        Ratio(a.daily_fetches_per_item, f.daily_fetches_per_item),
        Ratio(a.cpu_s_per_hour_per_1k, f.cpu_s_per_hour_per_1k),
        Ratio(double(a.ingest_hwm_kb), double(f.ingest_hwm_kb)));
  }
  return 0;
}
