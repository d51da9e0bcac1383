#include "ingest-service/scheduler/poller.h"

#include <time.h>

#include <algorithm>
#include <deque>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/article/article_limits.h"
#include "common/log/log.h"
#include "ingest-service/fetcher/http_headers.h"
#include "ingest-service/normalizer/normalizer.h"

namespace newsfeed::ingest {
namespace {

// The lower-cased host[:port] of an absolute URL; the URL itself otherwise.
std::string HostOf(std::string_view url) {
  size_t start = url.find("://");
  start = start == std::string_view::npos ? 0 : start + 3;
  size_t end = url.find_first_of("/?#", start);
  if (end == std::string_view::npos) end = url.size();
  std::string host(url.substr(start, end - start));
  if (size_t at = host.rfind('@'); at != std::string::npos)
    host.erase(0, at + 1);
  for (char& c : host) c = absl::ascii_tolower(static_cast<unsigned char>(c));
  return host;
}

// What became of one fetch, as newsfeed_fetches_total{outcome} counts it.
enum Outcome {
  kOk,            // 2xx, parsed, new items queued
  kNotModified,   // 304
  kHttpError,     // any other status (404, 500, ...)
  kRetryLater,    // 429 or 503: the host is paused
  kGone,          // 410: the feed is disabled
  kNetworkError,  // no HTTP response (connection, DNS, TLS, timeout, ...)
  kParseError,    // the document is not a feed
  kStoreError,    // the state file failed, or the outbox is full
  kOutcomeCount
};
constexpr const char* kOutcomeNames[kOutcomeCount] = {
    "ok",   "not_modified",  "http_error",  "retry_later",
    "gone", "network_error", "parse_error", "store_error"};

// CPU time the calling thread has used so far.
absl::Duration ThreadCpuTime() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return absl::DurationFromTimespec(ts);
}

// The CPU time left to the document processed on this thread.
class CpuBudget {
 public:
  explicit CpuBudget(absl::Duration budget)
      : budget_(budget), deadline_(ThreadCpuTime() + budget) {}
  // OK while within the budget; then ResourceExhausted naming the stage.
  absl::Status Check(absl::string_view stage, size_t items) const {
    if (ThreadCpuTime() <= deadline_) return absl::OkStatus();
    return absl::ResourceExhaustedError(absl::StrCat(
        "document refused: ", stage, " ", items, " items took more than ",
        absl::FormatDuration(budget_), " of CPU time (document_cpu_budget)"));
  }

 private:
  const absl::Duration budget_;
  const absl::Duration deadline_;
};

// What a parsed document with `new_items` new items tells the posting rate.
FetchEvidence ItemEvidence(const ParsedFeed& parsed, int new_items) {
  FetchEvidence evidence;
  evidence.new_items = new_items;
  evidence.item_times.reserve(parsed.items.size());
  for (const ParsedItem& item : parsed.items) {
    if (std::optional<absl::Time> t =
            item.published ? item.published : item.updated) {
      evidence.item_times.push_back(*t);
    }
  }
  return evidence;
}

// A feed that was never fetched and whose first poll was not spread yet.
bool AwaitsFirstPoll(const FeedRecord& feed) {
  return feed.last_attempt == absl::InfinitePast() &&
         feed.interval_reason.empty();
}

// The share in [0, 1) of the first-poll window at which `feed_id` is
// polled: FNV-1a, stable across restarts, versions and machines.
double FirstPollShare(std::string_view feed_id) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : feed_id) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

}  // namespace

// The parse workers: a queue of documents and the threads that take them.
// With no threads, Submit runs the task at once. The queue is bounded in
// bytes: when the fetches outrun the parsers (thousands of feeds fetched at
// start), Submit waits, which holds the fetch loop back instead of keeping
// every fetched document in memory.
class Poller::Workers {
 public:
  Workers(int threads, size_t max_queued_bytes)
      : max_queued_bytes_(max_queued_bytes) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this] { Run(); });
    }
  }
  ~Workers() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    for (std::thread& t : threads_) t.join();
  }

  // `bytes`: what the task holds (its document), counted until it has run.
  void Submit(std::function<void()> task, size_t bytes = 0) {
    if (threads_.empty()) {
      task();
      return;
    }
    absl::MutexLock lock(&mu_);
    const size_t limit = max_queued_bytes_;
    auto fits = [this, bytes, limit]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return queued_bytes_ == 0 || queued_bytes_ + bytes <= limit;
    };
    mu_.Await(absl::Condition(&fits));
    queued_bytes_ += bytes;
    queue_.push_back({std::move(task), bytes});
  }

  // Returns once every submitted task has run.
  void WaitIdle() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](Workers* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu_) {
          return w->queue_.empty() && w->busy_ == 0;
        },
        this));
  }

 private:
  void Run() {
    for (;;) {
      Task task;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](Workers* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu_) {
              return !w->queue_.empty() || w->stopping_;
            },
            this));
        if (queue_.empty()) return;
        task = std::move(queue_.front());
        queue_.pop_front();
        ++busy_;
      }
      task.run();
      task.run = nullptr;  // frees the document before it is uncounted
      absl::MutexLock lock(&mu_);
      --busy_;
      queued_bytes_ -= task.bytes;
    }
  }

  struct Task {
    std::function<void()> run;
    size_t bytes = 0;
  };
  const size_t max_queued_bytes_;
  absl::Mutex mu_;
  std::deque<Task> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int busy_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

struct Poller::Metrics {
  explicit Metrics(metrics::Registry& registry)
      : latency(&registry.AddHistogram(
            "newsfeed_fetch_duration_seconds",
            "Time from a fetch starting to its complete HTTP response "
            "(redirects included), for fetches that got one.",
            metrics::FetchLatencyBuckets())),
        items_parsed(&registry.AddCounter(
            "newsfeed_items_parsed_total",
            "Items found in successfully parsed feed documents.")),
        articles_tagged(&registry.AddCounter(
            "newsfeed_articles_tagged_total",
            "New or changed items normalized and tagged.")),
        articles_queued(&registry.AddCounter(
            "newsfeed_articles_queued_total",
            "Articles written to the outbox for delivery.")) {
    metrics::CounterFamily& fetches = registry.AddCounterFamily(
        "newsfeed_fetches_total",
        "Feed fetches by outcome: ok, not_modified, http_error, retry_later "
        "(429/503), gone (410), network_error (no response), parse_error, "
        "store_error (state file or outbox full).",
        {"outcome"});
    for (int o = 0; o < kOutcomeCount; ++o) {
      outcomes[o] = &fetches.WithLabels({kOutcomeNames[o]});
    }
  }

  metrics::Counter* outcomes[kOutcomeCount];
  metrics::Histogram* latency;
  metrics::Counter* items_parsed;
  metrics::Counter* articles_tagged;
  metrics::Counter* articles_queued;
};

Poller::Poller(FeedRegistry& feeds, IngestState& outbox, FeedFetcher& fetcher,
               const Tagger& tagger, Clock& clock, const PollerOptions& options,
               std::function<void()> on_queued)
    : feeds_(feeds),
      outbox_(outbox),
      fetcher_(fetcher),
      tagger_(tagger),
      clock_(clock),
      options_(options),
      policy_(options.schedule),
      on_queued_(std::move(on_queued)),
      random_(std::random_device{}()),
      metrics_(options.metrics == nullptr
                   ? nullptr
                   : std::make_unique<Metrics>(*options.metrics)),
      workers_(std::make_unique<Workers>(std::max(0, options.parse_threads),
                                         options.max_queued_document_bytes)) {}

Poller::~Poller() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void Poller::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Poller::Wake() {
  absl::MutexLock lock(&mu_);
  wake_ = true;
}

bool Poller::StopRequested() {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

void Poller::Run() {
  for (;;) {
    const absl::Time round_started = clock_.Now();
    if (absl::StatusOr<int> polled = PollOnce(); !polled.ok()) {
      log::Error("poller: %s", polled.status().ToString());
    }
    absl::Duration wait = absl::Seconds(5);
    if (absl::StatusOr<absl::Time> next = feeds_.NextDue(); next.ok()) {
      // Rounds start at most every round_window, each taking what fell due
      // meanwhile; Wake (a new feed, PollNow) still starts one at once.
      wait = std::clamp(
          std::max(*next, round_started + options_.round_window) - clock_.Now(),
          absl::ZeroDuration(), absl::Seconds(5));
    }
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(
                             +[](Poller* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(
                                  p->mu_) { return p->wake_ || p->stopping_; },
                             this),
                         wait);
    if (stopping_) return;
    wake_ = false;
  }
}

absl::StatusOr<int> Poller::PollOnce() {
  const absl::Time now = clock_.Now();
  absl::StatusOr<std::vector<FeedRecord>> due =
      feeds_.DueFeeds(now, options_.max_feeds_per_round);
  if (!due.ok()) return due.status();
  if (due->empty()) return 0;

  // Feeds of a host that asked us to wait keep waiting, without a fetch.
  std::vector<FeedRecord> fetchable;
  fetchable.reserve(due->size());
  for (FeedRecord& feed : *due) {
    auto paused = host_paused_until_.find(HostOf(feed.url));
    if (paused != host_paused_until_.end()) {
      if (paused->second > now) {
        feed.next_poll = paused->second;
        Save(feed);
        continue;
      }
      host_paused_until_.erase(paused);
    }
    fetchable.push_back(std::move(feed));
  }
  *due = std::move(fetchable);
  SpreadFirstPolls(*due, now);
  if (due->empty()) return 0;

  std::vector<FetchRequest> requests;
  requests.reserve(due->size());
  for (FeedRecord& feed : *due) {
    FetchRequest request;
    request.url = feed.url;
    if (now - feed.last_unconditional >= options_.unconditional_every) {
      feed.last_unconditional = now;  // this fetch sends no validators
    } else {
      request.etag = feed.etag;
      request.last_modified = feed.last_modified;
    }
    requests.push_back(std::move(request));
  }
  fetcher_.FetchAll(
      requests,
      [&](size_t index, absl::StatusOr<FetchResult> result) {
        HandleResult((*due)[index], std::move(result), now);
      },
      [this] { return StopRequested(); });
  // The feeds' records live in `due`: the round ends with its documents.
  workers_->WaitIdle();
  return static_cast<int>(due->size());
}

void Poller::SpreadFirstPolls(std::vector<FeedRecord>& due, absl::Time now) {
  const absl::Duration window = options_.first_poll_spread;
  if (window <= absl::ZeroDuration()) return;
  if (std::count_if(due.begin(), due.end(), AwaitsFirstPoll) <=
      options_.first_poll_burst) {
    return;
  }
  std::vector<FeedRecord> now_due, later;
  for (FeedRecord& feed : due) {
    const absl::Duration delay = window * FirstPollShare(feed.id);
    if (!AwaitsFirstPoll(feed) || delay <= absl::ZeroDuration()) {
      now_due.push_back(std::move(feed));
      continue;
    }
    feed.next_poll = now + delay;
    feed.interval = delay;
    feed.interval_reason =
        absl::StrCat("first poll spread over polling.first_poll_spread ",
                     absl::FormatDuration(window));
    later.push_back(std::move(feed));
  }
  // One transaction: 100,000 single saves took 33 s before the first fetch.
  if (absl::Status s = feeds_.SaveFeeds(later); !s.ok()) {
    log::Error("poller: spreading first polls: %s", s.ToString());
  }
  due = std::move(now_due);
}

double Poller::JitterDraw() {
  std::uniform_real_distribution<double> draw(-1.0, 1.0);
  absl::MutexLock lock(&random_mu_);
  return draw(random_);
}

absl::Duration Poller::Backoff(int failures) {
  absl::Duration delay = options_.min_backoff;
  for (int i = 1; i < failures && delay < options_.max_backoff; ++i) delay *= 2;
  delay = std::min(delay, options_.max_backoff);
  return delay * (1 + 0.2 * JitterDraw());  // +-20%
}

void Poller::RecordFailure(FeedRecord& feed, const std::string& error,
                           absl::Time now) {
  feed.last_error = error;
  ++feed.consecutive_failures;
  feed.next_poll = now + Backoff(feed.consecutive_failures);
  log::Warning(
      "feed %s: %s (failure %d, next try at %s)", feed.url, error,
      feed.consecutive_failures,
      absl::FormatTime("%H:%M:%S", feed.next_poll, absl::UTCTimeZone()));
}

void Poller::HandleResult(FeedRecord& feed, absl::StatusOr<FetchResult> result,
                          absl::Time started) {
  const absl::Time now = clock_.Now();
  feed.last_attempt = started;
  Outcome outcome = kOk;
  if (!result.ok()) {
    if (absl::IsCancelled(result.status())) {
      // Shutting down: another instance may poll the feed right away.
      if (absl::Status s = feeds_.ReleaseFeed(feed.id); !s.ok()) {
        log::Warning("feed %s: %s", feed.url, s.ToString());
      }
      return;
    }
    outcome = kNetworkError;
    feed.http_status = 0;
    RecordFailure(feed, std::string(result.status().message()), now);
  } else {
    if (metrics_ != nullptr) {
      metrics_->latency->ObserveDuration(result->elapsed);
    }
    feed.http_status = result->http_status;
    const int code = result->http_status;
    if (code == 429 || code == 503) {
      outcome = kRetryLater;
      // The server asked us to wait: not the feed's fault, so no failure,
      // and no other feed of that host is fetched before then either.
      feed.next_poll =
          now +
          std::clamp(result->retry_after.value_or(options_.default_retry_after),
                     absl::ZeroDuration(), options_.max_backoff);
      absl::Time& paused = host_paused_until_[HostOf(feed.url)];
      paused = std::max(paused, feed.next_poll);
      feed.last_error =
          absl::StrCat("HTTP ", code, ": server asked to retry later");
    } else if (code == 410) {
      outcome = kGone;
      feed.enabled = false;
      feed.last_error =
          "HTTP 410 Gone: the feed was removed at its source; "
          "polling stopped (PollNow re-enables it)";
      log::Warning("feed %s: %s", feed.url, feed.last_error);
    } else if (result->not_modified) {
      outcome = kNotModified;
      FetchEvidence evidence;
      evidence.max_age = result->max_age;
      RecordSuccess(feed, std::move(evidence), now);
    } else if (code >= 200 && code < 300) {
      // Parsed on a worker, which finishes the feed's round.
      const size_t bytes = result->body.size();
      workers_->Submit(
          [this, &feed, document = *std::move(result)] {
            HandleDocument(feed, document);
          },
          bytes);
      return;
    } else {
      outcome = kHttpError;
      RecordFailure(feed, absl::StrCat("HTTP ", code), now);
    }
  }
  if (metrics_ != nullptr) metrics_->outcomes[outcome]->Increment();
  Save(feed);
}

void Poller::HandleDocument(FeedRecord& feed, const FetchResult& result) {
  bool parse_failed = false;
  absl::StatusOr<FetchEvidence> evidence = Ingest(feed, result, &parse_failed);
  const absl::Time now = clock_.Now();
  if (!evidence.ok()) {
    if (metrics_ != nullptr) {
      metrics_->outcomes[parse_failed ? kParseError : kStoreError]->Increment();
    }
    RecordFailure(feed, std::string(evidence.status().message()), now);
    Save(feed);
    return;
  }
  if (evidence->new_items > 0) {
    log::Info("feed %s: %d new or changed articles", feed.url,
              evidence->new_items);
    if (on_queued_) on_queued_();
  }
  RecordSuccess(feed, *std::move(evidence), now);
  if (metrics_ != nullptr) metrics_->outcomes[kOk]->Increment();
  Save(feed);
}

void Poller::RecordSuccess(FeedRecord& feed, FetchEvidence evidence,
                           absl::Time now) {
  feed.last_success = now;
  feed.last_error.clear();
  feed.consecutive_failures = 0;
  if (options_.websub != nullptr) {
    absl::StatusOr<WebSubState> push = options_.websub->State(feed.id);
    evidence.pushed =
        push.ok() && push->status == WebSubState::Status::kVerified;
  }
  policy_.Schedule(&feed, evidence, now, JitterDraw());
}

void Poller::UpdatePush(const FeedRecord& feed, const ParsedFeed& parsed,
                        const FetchResult& result) {
  WebSubSubscriber* websub = options_.websub;
  if (websub == nullptr) return;
  // The document's own links first, then the HTTP Link header's.
  std::vector<std::string> hubs = parsed.hubs;
  std::string self = parsed.self_url;
  for (const std::string& value : result.link_headers) {
    LinkHeaderLinks links = ParseLinkHeaderHubs(value);
    for (std::string& hub : links.hubs) {
      if (std::find(hubs.begin(), hubs.end(), hub) == hubs.end()) {
        hubs.push_back(std::move(hub));
      }
    }
    if (self.empty()) self = std::move(links.self);
  }
  absl::StatusOr<WebSubState> current = websub->State(feed.id);
  if (hubs.empty()) {
    if (current.ok()) {
      log::Info("feed %s: no hub named any more; unsubscribing", feed.url);
      if (absl::Status s = websub->Unsubscribe(feed.id); !s.ok()) {
        log::Warning("feed %s: %s", feed.url, s.ToString());
      }
    }
    return;
  }
  // W3C WebSub: the topic is the feed's self URL when it names one.
  const std::string& topic = self.empty() ? feed.url : self;
  if (current.ok() && current->topic == topic &&
      std::find(hubs.begin(), hubs.end(), current->hub) != hubs.end()) {
    return;  // subscribed already; the subscriber renews it
  }
  if (absl::Status s = websub->Subscribe(feed.id, topic, hubs.front());
      !s.ok()) {
    log::Warning("feed %s: WebSub subscription at %s: %s", feed.url,
                 hubs.front(), s.ToString());
  }
}

void Poller::Save(const FeedRecord& feed) {
  absl::Status s = feeds_.SaveFeed(feed);
  if (s.ok() || absl::IsNotFound(s)) return;  // removed meanwhile
  if (absl::IsFailedPrecondition(s)) {
    // Another instance took the feed over after our lease expired.
    log::Warning("feed %s: %s", feed.url, s.message());
    return;
  }
  log::Error("feed %s: %s", feed.url, s.ToString());
}

absl::StatusOr<int> Poller::Record(
    const std::string& feed_id,
    const std::vector<newsfeed::v1::Article>& fresh) {
  if (static_cast<FeedRegistry*>(&outbox_) == &feeds_) {
    return outbox_.RecordNewArticles(feed_id, fresh);  // one transaction
  }
  if (fresh.empty()) return 0;
  // Queue first, then mark seen: a crash in between delivers twice (absorbed
  // by query-service), never loses an article.
  absl::StatusOr<int> queued = outbox_.QueueArticles(fresh);
  if (!queued.ok()) return queued.status();
  if (absl::StatusOr<int> marked = feeds_.MarkSeen(feed_id, fresh);
      !marked.ok()) {
    return marked.status();
  }
  return queued;
}

absl::StatusOr<Poller::Ingested> Poller::ParseAndQueue(
    const FeedRecord& feed, const std::string& body, const std::string& url,
    const std::string& charset, bool* parse_failed) {
  ParseOptions parse_options = options_.parse;
  parse_options.feed_url = url;
  parse_options.charset_hint = charset;
  const CpuBudget budget(
      options_.document_cpu_budget *
      std::max(1.0, static_cast<double>(body.size()) / (1 << 20)));
  absl::StatusOr<ParsedFeed> parsed = ParseFeed(body, parse_options);
  if (parsed.ok()) {
    if (absl::Status s = budget.Check("parsing", parsed->items.size());
        !s.ok()) {
      parsed = s;
    }
  }
  if (!parsed.ok()) {
    *parse_failed = true;
    return parsed.status();
  }
  if (metrics_ != nullptr) {
    metrics_->items_parsed->Increment(parsed->items.size());
  }

  const absl::Time now = clock_.Now();
  FeedContext context{feed.id, feed.url, now};
  std::vector<newsfeed::v1::Article> articles;
  articles.reserve(parsed->items.size());
  for (const ParsedItem& item : parsed->items) {
    articles.push_back(NormalizeItem(*parsed, item, context));
    if (absl::Status s = budget.Check("normalizing", articles.size());
        !s.ok()) {
      *parse_failed = true;
      return s;
    }
  }
  absl::StatusOr<std::vector<bool>> unseen = feeds_.Unseen(articles);
  if (!unseen.ok()) return unseen.status();
  std::vector<newsfeed::v1::Article> fresh;
  for (size_t i = 0; i < articles.size(); ++i) {
    if (!(*unseen)[i]) continue;
    tagger_.Tag(&articles[i]);
    // query-service refuses articles past these limits; a huge item is
    // stored cut rather than blocking the outbox.
    if (FitArticle(&articles[i], options_.article_limits)) {
      log::Warning("feed %s: article %s cut to the article size limits",
                   feed.url, articles[i].id());
    }
    fresh.push_back(std::move(articles[i]));
    if (absl::Status s = budget.Check("tagging", fresh.size()); !s.ok()) {
      *parse_failed = true;
      return s;
    }
  }
  if (metrics_ != nullptr) metrics_->articles_tagged->Increment(fresh.size());
  absl::StatusOr<int> queued = Record(feed.id, fresh);
  if (!queued.ok()) return queued.status();
  if (metrics_ != nullptr) metrics_->articles_queued->Increment(*queued);
  return Ingested{*std::move(parsed), *queued};
}

absl::StatusOr<FetchEvidence> Poller::Ingest(FeedRecord& feed,
                                             const FetchResult& result,
                                             bool* parse_failed) {
  absl::StatusOr<Ingested> ingested = ParseAndQueue(
      feed, result.body,
      result.effective_url.empty() ? feed.url : result.effective_url,
      result.charset, parse_failed);
  if (!ingested.ok()) return ingested.status();
  const ParsedFeed& parsed = ingested->parsed;

  // Only now that the items are safely queued may the validators advance:
  // otherwise a failure would hide these items behind a 304 forever.
  feed.etag = result.etag;
  feed.last_modified = result.last_modified;
  if (!parsed.title.empty()) feed.title = parsed.title;
  feed.publisher_interval = parsed.ttl.value_or(absl::ZeroDuration());
  feed.skip_hours = parsed.skip_hours;
  feed.skip_days = parsed.skip_days;
  if (!result.permanent_redirect_url.empty() &&
      result.permanent_redirect_url != feed.url) {
    log::Info("feed %s moved permanently to %s", feed.url,
              result.permanent_redirect_url);
    feed.url = result.permanent_redirect_url;
  }
  feed.items_seen += ingested->queued;
  UpdatePush(feed, parsed, result);

  FetchEvidence evidence = ItemEvidence(parsed, ingested->queued);
  evidence.max_age = result.max_age;
  return evidence;
}

std::optional<WebSubState> Poller::PushState(const std::string& feed_id) const {
  if (options_.websub == nullptr) return std::nullopt;
  absl::StatusOr<WebSubState> state = options_.websub->State(feed_id);
  if (!state.ok()) return std::nullopt;
  return *std::move(state);
}

void Poller::FeedRemoved(const std::string& feed_id) {
  WebSubSubscriber* websub = options_.websub;
  if (websub == nullptr || !websub->State(feed_id).ok()) return;
  workers_->Submit([websub, feed_id] {
    if (absl::Status s = websub->Unsubscribe(feed_id);
        !s.ok() && !absl::IsNotFound(s)) {
      log::Warning("feed %s: WebSub unsubscribe: %s", feed_id, s.ToString());
    }
  });
}

absl::StatusOr<int> Poller::IngestPushed(const std::string& feed_id,
                                         const std::string& body,
                                         const std::string& content_type) {
  absl::StatusOr<FeedRecord> feed = feeds_.GetFeed(feed_id);
  if (!feed.ok()) return feed.status();
  bool parse_failed = false;
  absl::StatusOr<Ingested> ingested = ParseAndQueue(
      *feed, body, feed->url, internal::CharsetFromContentType(content_type),
      &parse_failed);
  if (!ingested.ok()) {
    if (parse_failed) {
      return absl::InvalidArgumentError(absl::StrCat(
          "pushed content refused: ", ingested.status().message()));
    }
    return ingested.status();
  }
  if (ingested->queued > 0) {
    log::Info("feed %s: %d new or changed articles pushed", feed->url,
              ingested->queued);
    if (on_queued_) on_queued_();
    // The posting rate learns from pushed items as from polled ones; the
    // schedule (the safety poll) stays as it is.
    policy_.LearnRate(&*feed, ItemEvidence(ingested->parsed, ingested->queued),
                      clock_.Now());
    if (absl::Status s = feeds_.SavePostingRate(*feed);
        !s.ok() && !absl::IsNotFound(s)) {
      log::Warning("feed %s: %s", feed->url, s.ToString());
    }
  }
  return ingested->queued;
}

}  // namespace newsfeed::ingest
