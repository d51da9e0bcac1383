#include "ingest-service/fetcher/curl_fetcher.h"

#include <curl/curl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <queue>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "ingest-service/fetcher/address_guard.h"
#include "ingest-service/fetcher/curl_handles.h"
#include "ingest-service/fetcher/http_headers.h"

namespace newsfeed::ingest {

using internal::AddressGuard;
using internal::CurlEasyPtr;
using internal::CurlMultiPtr;
using internal::CurlSlistPtr;
using internal::CurlStringPtr;
using internal::CurlUrlPtr;

// Whether libcurl may send requests through a proxy: configured, or named
// by the environment variables libcurl reads.
bool ProxyMayApply(const FetcherOptions& options) {
  if (!options.proxy.empty()) return true;
  for (const char* name :
       {"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"}) {
    const char* value = std::getenv(name);
    if (value != nullptr && value[0] != '\0') return true;
  }
  return false;
}

struct CurlFetcher::State {
  State(const FetcherOptions& o, AddressGuard g, CurlMultiPtr m)
      : options(o),
        clock(o.clock != nullptr ? o.clock : &RealClock::Instance()),
        guard(std::move(g)),
        proxy_may_apply(ProxyMayApply(o)),
        multi(std::move(m)) {}

  const FetcherOptions options;
  Clock* const clock;
  const AddressGuard guard;
  // Through a proxy the guard only ever sees the proxy's address, so every
  // URL's host is checked by name and address first.
  const bool proxy_may_apply;
  // Serialises FetchAll; guards everything below.
  absl::Mutex mu;
  CurlMultiPtr multi ABSL_GUARDED_BY(mu);
  // When a request to each host last started, for min_host_gap across calls.
  std::unordered_map<std::string, absl::Time> last_start ABSL_GUARDED_BY(mu);
};

namespace {

// The parts of a URL the fetcher cares about.
struct ParsedUrl {
  std::string scheme;  // lower case
  std::string host;    // lower case
};

absl::StatusOr<ParsedUrl> ParseUrl(const std::string& url) {
  CurlUrlPtr handle(curl_url());
  if (handle == nullptr) return absl::ResourceExhaustedError("curl_url failed");
  if (curl_url_set(handle.get(), CURLUPART_URL, url.c_str(),
                   CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
    return absl::InvalidArgumentError(absl::StrCat(url, ": malformed URL"));
  }
  ParsedUrl parsed;
  char* part = nullptr;
  if (curl_url_get(handle.get(), CURLUPART_SCHEME, &part, 0) == CURLUE_OK) {
    parsed.scheme = absl::AsciiStrToLower(CurlStringPtr(part).get());
  }
  part = nullptr;
  if (curl_url_get(handle.get(), CURLUPART_HOST, &part, 0) == CURLUE_OK) {
    parsed.host = absl::AsciiStrToLower(CurlStringPtr(part).get());
  }
  return parsed;
}

// Checks a URL the fetcher is about to request; returns its host name.
absl::StatusOr<std::string> CheckUrl(const std::string& url) {
  absl::StatusOr<ParsedUrl> parsed = ParseUrl(url);
  if (!parsed.ok()) return parsed.status();
  if (parsed->scheme != "http" && parsed->scheme != "https") {
    return absl::PermissionDeniedError(
        absl::StrCat(url, ": scheme \"", parsed->scheme,
                     "\" is not allowed (only http and https)"));
  }
  if (parsed->host.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(url, ": URL has no host"));
  }
  return std::move(parsed->host);
}

bool IsRedirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 ||
         status == 308;
}

std::optional<std::string> Header(CURL* easy, const char* name) {
  curl_header* header = nullptr;
  if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &header) != CURLHE_OK ||
      header == nullptr) {
    return std::nullopt;
  }
  // With repeated headers, the last one wins.
  if (header->amount > 1 &&
      curl_easy_header(easy, name, header->amount - 1, CURLH_HEADER, -1,
                       &header) != CURLHE_OK) {
    return std::nullopt;
  }
  return std::string(header->value);
}

std::vector<std::string> AllHeaders(CURL* easy, const char* name) {
  std::vector<std::string> values;
  curl_header* header = nullptr;
  if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &header) != CURLHE_OK) {
    return values;
  }
  const size_t amount = header->amount;
  values.emplace_back(header->value);
  for (size_t i = 1; i < amount; ++i) {
    if (curl_easy_header(easy, name, i, CURLH_HEADER, -1, &header) ==
        CURLHE_OK) {
      values.emplace_back(header->value);
    }
  }
  return values;
}

long ToMillis(absl::Duration d) {
  return static_cast<long>(std::max<int64_t>(1, absl::ToInt64Milliseconds(d)));
}

// One request, across its redirect hops.
struct Transfer {
  size_t index = 0;
  const FetchRequest* request = nullptr;
  std::string url;   // of the current hop
  std::string host;  // scheduling key of the current hop
  int redirects = 0;
  bool all_permanent = true;
  std::unordered_set<std::string> visited;
  absl::Time start = absl::InfinitePast();
  CurlEasyPtr easy;
  CurlSlistPtr headers;
  // Filled by the callbacks during a hop.
  std::string body;
  int64_t body_bytes = 0;
  int64_t max_body_bytes = 0;
  bool body_too_large = false;
  const AddressGuard* guard = nullptr;
  std::string refused_address;
  int allowed_connects = 0;
  char error[CURL_ERROR_SIZE] = {};
  bool in_multi = false;
  bool finished = false;
};

size_t OnWrite(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  t->body_bytes += static_cast<int64_t>(n);
  if (t->body_bytes > t->max_body_bytes) {
    t->body_too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  t->body.append(data, n);
  return n;
}

curl_socket_t OnOpenSocket(void* user, curlsocktype purpose,
                           curl_sockaddr* address) {
  auto* t = static_cast<Transfer*>(user);
  if (purpose == CURLSOCKTYPE_IPCXN) {
    std::string refused = t->guard->Refusal(&address->addr);
    if (!refused.empty()) {
      t->refused_address = std::move(refused);
      return CURL_SOCKET_BAD;
    }
    ++t->allowed_connects;
  }
  return socket(address->family, address->socktype | SOCK_CLOEXEC,
                address->protocol);
}

// The per-host scheduling state of one FetchAll call.
struct HostState {
  std::deque<Transfer*> waiting;
  int in_flight = 0;
  absl::Time next_start = absl::InfinitePast();
  bool queued = false;  // has an entry in Run::ready_
};

// One FetchAll call.
class Run {
 public:
  using DoneFn =
      std::function<void(size_t index, absl::StatusOr<FetchResult> result)>;

  Run(const FetcherOptions& options, Clock& clock, const AddressGuard& guard,
      bool check_hosts, CURLM* multi,
      std::unordered_map<std::string, absl::Time>& last_start,
      const DoneFn& on_done)
      : options_(options),
        clock_(clock),
        guard_(guard),
        check_hosts_(check_hosts),
        multi_(multi),
        last_start_(last_start),
        on_done_(on_done) {}

  void Execute(const std::vector<FetchRequest>& requests,
               const std::function<bool()>& stop_requested) {
    transfers_.resize(requests.size());
    remaining_ = requests.size();
    for (size_t i = 0; i < requests.size(); ++i) {
      Transfer& t = transfers_[i];
      t.index = i;
      t.request = &requests[i];
      t.url = requests[i].url;
      t.max_body_bytes = options_.max_body_bytes;
      t.guard = &guard_;
      if (absl::Status s = Prepare(t); !s.ok()) {
        Finish(t, std::move(s));
        continue;
      }
      Enqueue(t);
    }
    while (remaining_ > 0) {
      if (stop_requested && stop_requested()) {
        CancelAll();
        break;
      }
      Admit();
      int running = 0;
      curl_multi_perform(multi_, &running);
      int queued = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
        if (msg->msg != CURLMSG_DONE) continue;
        Transfer* t = nullptr;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
        HopDone(*t, msg->data.result);
      }
      if (remaining_ == 0) break;
      Admit();
      curl_multi_poll(multi_, nullptr, 0, PollTimeoutMs(stop_requested),
                      nullptr);
    }
  }

 private:
  // Validates the request and builds its header list.
  absl::Status Prepare(Transfer& t) {
    for (const std::string* v : {&t.request->etag, &t.request->last_modified}) {
      if (v->find_first_of("\r\n") != std::string::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat(t.url, ": validator contains CR or LF"));
      }
    }
    absl::StatusOr<std::string> host = CheckUrl(t.url);
    if (!host.ok()) return host.status();
    if (absl::Status s = CheckHost(t.url, *host); !s.ok()) return s;
    t.host = *std::move(host);
    t.visited.insert(t.url);
    CurlSlistPtr list;
    for (const auto& [name, value] :
         {std::pair{"If-None-Match: ", &t.request->etag},
          std::pair{"If-Modified-Since: ", &t.request->last_modified}}) {
      if (value->empty()) continue;
      curl_slist* head =
          curl_slist_append(list.get(), absl::StrCat(name, *value).c_str());
      if (head == nullptr) {
        return absl::ResourceExhaustedError("curl_slist_append failed");
      }
      list.release();  // `head` is the same list, now one longer
      list.reset(head);
    }
    t.headers = std::move(list);
    return absl::OkStatus();
  }

  // With a proxy, the private-network guard applied to a URL's host before
  // the proxy is asked for it.
  absl::Status CheckHost(const std::string& url,
                         const std::string& host) const {
    if (!check_hosts_ || guard_.AllowsHost(host)) return absl::OkStatus();
    return absl::PermissionDeniedError(absl::StrCat(
        url, ": host ", host,
        " refused by the private-network guard (a private address or local "
        "name, checked before asking the proxy)"));
  }

  HostState& Host(const std::string& name) {
    auto [it, inserted] = hosts_.try_emplace(name);
    if (inserted) {
      if (auto last = last_start_.find(name); last != last_start_.end()) {
        it->second.next_start = last->second + options_.min_host_gap;
      }
    }
    return it->second;
  }

  void Enqueue(Transfer& t) {
    HostState& host = Host(t.host);
    host.waiting.push_back(&t);
    MaybeQueue(host);
  }

  void MaybeQueue(HostState& host) {
    if (host.queued || host.waiting.empty() ||
        host.in_flight >= options_.max_per_host) {
      return;
    }
    host.queued = true;
    ready_.push({host.next_start, sequence_++, &host});
  }

  // Starts waiting transfers while the limits allow.
  void Admit() {
    const absl::Time now = clock_.Now();
    while (in_flight_ < options_.max_concurrent && !ready_.empty() &&
           ready_.top().when <= now) {
      HostState& host = *ready_.top().host;
      ready_.pop();
      host.queued = false;
      if (host.waiting.empty() || host.in_flight >= options_.max_per_host) {
        continue;
      }
      Transfer& t = *host.waiting.front();
      host.waiting.pop_front();
      host.next_start = now + options_.min_host_gap;
      last_start_[t.host] = now;
      if (absl::Status s = StartHop(t, now); !s.ok()) {
        Finish(t, std::move(s));
      } else {
        ++host.in_flight;
        ++in_flight_;
      }
      MaybeQueue(host);
    }
  }

  absl::Status StartHop(Transfer& t, absl::Time now) {
    if (t.start == absl::InfinitePast()) t.start = now;
    const absl::Duration budget = options_.total_timeout - (now - t.start);
    if (budget <= absl::ZeroDuration()) {
      return absl::UnavailableError(
          absl::StrCat(t.request->url, ": total timeout of ",
                       absl::FormatDuration(options_.total_timeout),
                       " exceeded while following redirects"));
    }
    if (t.easy == nullptr) {
      t.easy.reset(curl_easy_init());
      if (t.easy == nullptr) {
        return absl::ResourceExhaustedError(
            absl::StrCat(t.url, ": curl_easy_init failed"));
      }
      if (CURLcode rc = SetStaticOptions(t); rc != CURLE_OK) {
        return absl::InternalError(absl::StrCat(
            t.url, ": setting curl options: ", curl_easy_strerror(rc)));
      }
    }
    CURL* e = t.easy.get();
    t.body.clear();
    t.body_bytes = 0;
    t.body_too_large = false;
    t.refused_address.clear();
    t.allowed_connects = 0;
    t.error[0] = '\0';
    curl_easy_setopt(e, CURLOPT_URL, t.url.c_str());
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ToMillis(budget));
    if (curl_multi_add_handle(multi_, e) != CURLM_OK) {
      return absl::InternalError(
          absl::StrCat(t.url, ": curl_multi_add_handle failed"));
    }
    t.in_multi = true;
    return absl::OkStatus();
  }

  CURLcode SetStaticOptions(Transfer& t) {
    CURL* e = t.easy.get();
    CURLcode rc = CURLE_OK;
    auto set = [&](CURLoption option, auto value) {
      if (rc == CURLE_OK) rc = curl_easy_setopt(e, option, value);
    };
    set(CURLOPT_PRIVATE, static_cast<void*>(&t));
    set(CURLOPT_NOSIGNAL, 1L);
    set(CURLOPT_PROTOCOLS_STR, "http,https");
    set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    set(CURLOPT_FOLLOWLOCATION, 0L);   // redirects are followed hop by hop
    set(CURLOPT_ACCEPT_ENCODING, "");  // every encoding libcurl supports
    set(CURLOPT_USERAGENT, options_.user_agent.c_str());
    set(CURLOPT_HTTPHEADER, t.headers.get());
    set(CURLOPT_CONNECTTIMEOUT_MS, ToMillis(options_.connect_timeout));
    set(CURLOPT_LOW_SPEED_LIMIT,
        static_cast<long>(options_.low_speed_bytes_per_second));
    set(CURLOPT_LOW_SPEED_TIME,
        static_cast<long>(absl::ToInt64Seconds(
            absl::Ceil(options_.low_speed_time, absl::Seconds(1)))));
    set(CURLOPT_WRITEFUNCTION, &OnWrite);
    set(CURLOPT_WRITEDATA, static_cast<void*>(&t));
    set(CURLOPT_OPENSOCKETFUNCTION, &OnOpenSocket);
    set(CURLOPT_OPENSOCKETDATA, static_cast<void*>(&t));
    set(CURLOPT_ERRORBUFFER, t.error);
    set(CURLOPT_SSL_VERIFYPEER, 1L);
    set(CURLOPT_SSL_VERIFYHOST, 2L);
    set(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    if (!options_.proxy.empty()) set(CURLOPT_PROXY, options_.proxy.c_str());
    if (!options_.ca_file.empty())
      set(CURLOPT_CAINFO, options_.ca_file.c_str());
    return rc;
  }

  void HopDone(Transfer& t, CURLcode rc) {
    curl_multi_remove_handle(multi_, t.easy.get());
    t.in_multi = false;
    HostState& host = Host(t.host);
    --host.in_flight;
    --in_flight_;
    MaybeQueue(host);
    if (rc != CURLE_OK) {
      Finish(t, TransportError(t, rc));
      return;
    }
    long status = 0;
    curl_easy_getinfo(t.easy.get(), CURLINFO_RESPONSE_CODE, &status);
    char* location = nullptr;
    curl_easy_getinfo(t.easy.get(), CURLINFO_REDIRECT_URL, &location);
    if (IsRedirect(status) && location != nullptr) {
      FollowRedirect(t, status, location);
      return;
    }
    Finish(t, BuildResult(t, status));
  }

  void FollowRedirect(Transfer& t, long status, std::string next) {
    if (++t.redirects > options_.max_redirects) {
      Finish(t, absl::FailedPreconditionError(absl::StrCat(
                    t.request->url, ": more than ", options_.max_redirects,
                    " redirects (last to ", next, ")")));
      return;
    }
    absl::StatusOr<std::string> host = CheckUrl(next);
    if (host.ok()) {
      if (absl::Status s = CheckHost(next, *host); !s.ok()) host = s;
    }
    if (!host.ok()) {
      Finish(t, absl::Status(
                    host.status().code(),
                    absl::StrCat(t.request->url, ": redirect from ", t.url,
                                 " refused: ", host.status().message())));
      return;
    }
    if (!t.visited.insert(next).second) {
      Finish(t, absl::FailedPreconditionError(
                    absl::StrCat(t.request->url, ": redirect loop at ", next)));
      return;
    }
    t.all_permanent = t.all_permanent && (status == 301 || status == 308);
    t.url = std::move(next);
    t.host = *std::move(host);
    Enqueue(t);
  }

  absl::Status TransportError(const Transfer& t, CURLcode rc) const {
    std::string detail = curl_easy_strerror(rc);
    if (t.error[0] != '\0') absl::StrAppend(&detail, " (", t.error, ")");
    if (rc == CURLE_COULDNT_CONNECT && !t.refused_address.empty() &&
        t.allowed_connects == 0) {
      return absl::PermissionDeniedError(
          absl::StrCat(t.url, ": connection to ", t.refused_address,
                       " refused by the private-network guard"));
    }
    if (rc == CURLE_WRITE_ERROR && t.body_too_large) {
      return absl::ResourceExhaustedError(
          absl::StrCat(t.url, ": body exceeds ", options_.max_body_bytes,
                       " bytes (after decoding)"));
    }
    switch (rc) {
      case CURLE_UNSUPPORTED_PROTOCOL:
        return absl::PermissionDeniedError(
            absl::StrCat(t.url, ": forbidden scheme: ", detail));
      case CURLE_URL_MALFORMAT:
        return absl::InvalidArgumentError(absl::StrCat(t.url, ": ", detail));
      case CURLE_BAD_CONTENT_ENCODING:
        return absl::DataLossError(absl::StrCat(t.url, ": ", detail));
      case CURLE_OUT_OF_MEMORY:
        return absl::ResourceExhaustedError(absl::StrCat(t.url, ": ", detail));
      default:
        return absl::UnavailableError(absl::StrCat(t.url, ": ", detail));
    }
  }

  FetchResult BuildResult(Transfer& t, long status) const {
    CURL* e = t.easy.get();
    FetchResult r;
    r.http_status = static_cast<int>(status);
    r.not_modified = status == 304;
    if (!r.not_modified) r.body = std::move(t.body);
    const char* content_type = nullptr;
    curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &content_type);
    if (content_type != nullptr) {
      r.content_type = content_type;
      r.charset = internal::CharsetFromContentType(r.content_type);
    }
    r.etag = Header(e, "ETag").value_or("");
    r.last_modified = Header(e, "Last-Modified").value_or("");
    r.link_headers = AllHeaders(e, "Link");
    // A feed names a hub or two; the server controls how many come.
    if (r.link_headers.size() > 8) r.link_headers.resize(8);
    const char* effective = nullptr;
    curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &effective);
    r.effective_url = effective != nullptr ? effective : t.url;
    if (t.redirects > 0 && t.all_permanent) {
      r.permanent_redirect_url = r.effective_url;
    }
    const absl::Time now = clock_.Now();
    const std::optional<std::string> date = Header(e, "Date");
    r.max_age = internal::FreshnessLifetime(AllHeaders(e, "Cache-Control"),
                                            Header(e, "Expires"), date, now);
    if (std::optional<std::string> retry = Header(e, "Retry-After")) {
      r.retry_after = internal::ParseRetryAfter(*retry, date, now);
    }
    r.elapsed = now - t.start;
    return r;
  }

  void Finish(Transfer& t, absl::StatusOr<FetchResult> result) {
    // Free the transfer's memory before reporting.
    t.finished = true;
    t.easy.reset();
    t.headers.reset();
    std::string().swap(t.body);
    std::unordered_set<std::string>().swap(t.visited);
    --remaining_;
    on_done_(t.index, std::move(result));
  }

  void CancelAll() {
    for (Transfer& t : transfers_) {
      if (t.finished) continue;
      if (t.in_multi) curl_multi_remove_handle(multi_, t.easy.get());
      t.in_multi = false;
      Finish(t, absl::CancelledError(
                    absl::StrCat(t.request->url, ": fetch cancelled")));
    }
  }

  int PollTimeoutMs(const std::function<bool()>& stop_requested) const {
    absl::Duration wait =
        stop_requested ? absl::Milliseconds(100) : absl::Seconds(1);
    if (in_flight_ < options_.max_concurrent && !ready_.empty()) {
      wait = std::min(wait, ready_.top().when - clock_.Now());
    }
    return static_cast<int>(std::clamp<int64_t>(
        absl::ToInt64Milliseconds(absl::Ceil(wait, absl::Milliseconds(1))), 0,
        1000));
  }

  struct Ready {
    absl::Time when;
    uint64_t sequence;
    HostState* host;
    bool operator>(const Ready& o) const {
      return when != o.when ? when > o.when : sequence > o.sequence;
    }
  };

  const FetcherOptions& options_;
  Clock& clock_;
  const AddressGuard& guard_;
  const bool check_hosts_;
  CURLM* const multi_;
  std::unordered_map<std::string, absl::Time>& last_start_;
  const DoneFn& on_done_;
  std::vector<Transfer> transfers_;
  size_t remaining_ = 0;
  int in_flight_ = 0;
  std::unordered_map<std::string, HostState> hosts_;
  std::priority_queue<Ready, std::vector<Ready>, std::greater<Ready>> ready_;
  uint64_t sequence_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<CurlFetcher>> CurlFetcher::Create(
    const FetcherOptions& options) {
  // Thread-safe one-time global initialisation, never undone.
  static const CURLcode kGlobalInit = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (kGlobalInit != CURLE_OK) {
    return absl::InternalError(
        absl::StrCat("curl_global_init: ", curl_easy_strerror(kGlobalInit)));
  }
  if (options.max_concurrent <= 0 || options.max_per_host <= 0 ||
      options.max_body_bytes <= 0 || options.max_redirects < 0 ||
      options.low_speed_bytes_per_second < 0 ||
      options.connect_timeout <= absl::ZeroDuration() ||
      options.total_timeout <= absl::ZeroDuration() ||
      options.min_host_gap < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "FetcherOptions: limits must be positive");
  }
  absl::StatusOr<AddressGuard> guard = AddressGuard::Create(
      options.allow_private_networks, options.allowed_networks);
  if (!guard.ok()) return guard.status();
  CurlMultiPtr multi(curl_multi_init());
  if (multi == nullptr) return absl::InternalError("curl_multi_init failed");
  // Idle connections kept for reuse across transfers and FetchAll calls.
  curl_multi_setopt(multi.get(), CURLMOPT_MAXCONNECTS,
                    static_cast<long>(options.max_concurrent));
  return std::unique_ptr<CurlFetcher>(new CurlFetcher(
      std::make_unique<State>(options, *std::move(guard), std::move(multi))));
}

CurlFetcher::CurlFetcher(std::unique_ptr<State> state)
    : state_(std::move(state)) {}

CurlFetcher::~CurlFetcher() = default;

void CurlFetcher::FetchAll(
    const std::vector<FetchRequest>& requests,
    const std::function<void(size_t index, absl::StatusOr<FetchResult> result)>&
        on_done,
    const std::function<bool()>& stop_requested) {
  absl::MutexLock lock(&state_->mu);
  // Forget hosts whose gap has long passed, so the map stays small.
  const absl::Time now = state_->clock->Now();
  std::erase_if(state_->last_start, [&](const auto& entry) {
    return entry.second + state_->options.min_host_gap < now;
  });
  Run run(state_->options, *state_->clock, state_->guard,
          state_->proxy_may_apply, state_->multi.get(), state_->last_start,
          on_done);
  run.Execute(requests, stop_requested);
}

}  // namespace newsfeed::ingest
