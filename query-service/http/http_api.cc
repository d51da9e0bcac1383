#include "query-service/http/http_api.h"

#include <fcntl.h>
#include <google/protobuf/util/json_util.h>
#include <microhttpd.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "common/article/article_limits.h"
#include "common/auth/bearer_token.h"
#include "common/log/log.h"
#include "common/net/listen_address.h"
#include "newsfeed/v1/http.pb.h"
#include "query-service/http/query_params.h"
#include "query-service/http/web_assets.h"

namespace newsfeed::query {
namespace {

using newsfeed::v1::SubscribeResponse;

constexpr char kJson[] = "application/json";
constexpr char kEventStream[] = "text/event-stream; charset=utf-8";
constexpr char kArticlesPath[] = "/v1/articles";
constexpr char kArticlePrefix[] = "/v1/articles/";
constexpr char kFacetsPath[] = "/v1/facets";
constexpr char kStreamPath[] = "/v1/stream";
constexpr char kAllowedMethods[] = "GET, HEAD, OPTIONS";
// Bytes MHD asks a stream for at once; large articles span several reads.
constexpr size_t kStreamBlockBytes = 16 << 10;
// Per-connection memory for the request line, headers and send buffer: it
// also bounds the URL (414 or 431 beyond it).
constexpr size_t kConnectionMemoryBytes = 48 << 10;
// Query parameters read from one request; a URL holds fewer anyway.
constexpr size_t kMaxParams = 2000;
// Article events converted to SSE text, shared by the streams they match.
constexpr size_t kEventCacheEntries = 1024;
// Sent first on every stream: how long a browser waits before reconnecting.
constexpr char kStreamPreamble[] = ": newsfeed live stream\nretry: 2000\n\n";

enum Route {
  kSearch,
  kGetArticle,
  kFacets,
  kStream,
  kPage,
  kOther,
  kRouteCount
};
constexpr const char* kRouteNames[kRouteCount] = {
    "articles", "article", "facets", "stream", "page", "other"};
// The live page's scripts, styles and API calls are its own; nothing else
// may run in it, whatever an article's text holds.
constexpr char kPagePolicy[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

const char* AllowedMethods(int route) {
  return route == kStream ? "GET, OPTIONS" : kAllowedMethods;
}

// The HTTP status of a gRPC status code, as Google's HTTP/JSON APIs map
// them (google.rpc.Code).
int HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return MHD_HTTP_OK;
    case absl::StatusCode::kCancelled:
      return 499;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return MHD_HTTP_BAD_REQUEST;
    case absl::StatusCode::kDeadlineExceeded:
      return MHD_HTTP_GATEWAY_TIMEOUT;
    case absl::StatusCode::kNotFound:
      return MHD_HTTP_NOT_FOUND;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return MHD_HTTP_CONFLICT;
    case absl::StatusCode::kPermissionDenied:
      return MHD_HTTP_FORBIDDEN;
    case absl::StatusCode::kUnauthenticated:
      return MHD_HTTP_UNAUTHORIZED;
    case absl::StatusCode::kResourceExhausted:
      return MHD_HTTP_TOO_MANY_REQUESTS;
    case absl::StatusCode::kUnimplemented:
      return MHD_HTTP_NOT_IMPLEMENTED;
    case absl::StatusCode::kUnavailable:
      return MHD_HTTP_SERVICE_UNAVAILABLE;
    default:
      return MHD_HTTP_INTERNAL_SERVER_ERROR;
  }
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string json;
  // Printing fails only for invalid UTF-8, which neither the store nor the
  // parameters let through; an empty object beats a broken response.
  if (!google::protobuf::util::MessageToJsonString(message, &json).ok()) {
    return "{}";
  }
  return json;
}

std::string ErrorJson(int http_status, const absl::Status& status) {
  newsfeed::v1::HttpError error;
  error.mutable_error()->set_code(http_status);
  error.mutable_error()->set_status(absl::StatusCodeToString(status.code()));
  error.mutable_error()->set_message(std::string(status.message()));
  return ToJson(error);
}

// One SSE event; `data` is single-line JSON.
void AppendEvent(absl::string_view type, uint64_t id, absl::string_view data,
                 std::string* out) {
  absl::StrAppend(out, "id: ", id, "\nevent: ", type, "\ndata: ", data, "\n\n");
}

// The SSE text of a serialized SubscribeResponse.
std::string ToEvents(const std::string& encoded) {
  SubscribeResponse response;
  std::string events;
  if (!response.ParseFromString(encoded)) return ": unreadable message\n\n";
  switch (response.event_case()) {
    case SubscribeResponse::kArticle:
      AppendEvent("article", response.article().sequence(),
                  ToJson(response.article()), &events);
      break;
    case SubscribeResponse::kArticles:
      for (const auto& article : response.articles().articles()) {
        AppendEvent("article", article.sequence(), ToJson(article), &events);
      }
      break;
    case SubscribeResponse::kHeartbeat:
      AppendEvent("heartbeat", response.heartbeat().latest_sequence(),
                  ToJson(response.heartbeat()), &events);
      break;
    default:
      events = ": unknown message\n\n";
  }
  return events;
}

// The hub encodes a new article once for every stream it matches; this
// converts it to SSE text once for every HTTP stream it matches.
class EventCache {
 public:
  std::shared_ptr<const std::string> Events(
      const std::shared_ptr<const std::string>& encoded) {
    {
      absl::MutexLock lock(&mu_);
      auto it = entries_.find(encoded.get());
      if (it != entries_.end() && it->second.source.lock() == encoded) {
        return it->second.events;
      }
    }
    auto events = std::make_shared<const std::string>(ToEvents(*encoded));
    absl::MutexLock lock(&mu_);
    if (entries_.size() >= kEventCacheEntries) {
      absl::erase_if(entries_, [](const auto& entry) {
        return entry.second.source.expired();
      });
      if (entries_.size() >= kEventCacheEntries) entries_.clear();
    }
    entries_[encoded.get()] = Entry{encoded, events};
    return events;
  }

 private:
  struct Entry {
    // Heartbeats are never shared and expire at once; an address reused
    // by a later message fails the lock() == encoded check.
    std::weak_ptr<const std::string> source;
    std::shared_ptr<const std::string> events;
  };
  absl::Mutex mu_;
  absl::flat_hash_map<const std::string*, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

// The client's address as gRPC names peers, without the port
// ("ipv4:10.0.0.7", "ipv6:[::1]"), so that per-peer subscription limits
// count a host's gRPC and HTTP streams together.
std::string PeerAddress(MHD_Connection* connection) {
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (info == nullptr || info->client_addr == nullptr) return "";
  const sockaddr* address = info->client_addr;
  const bool v6 = address->sa_family == AF_INET6;
  char host[NI_MAXHOST];
  if (getnameinfo(address, v6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in),
                  host, sizeof(host), nullptr, 0, NI_NUMERICHOST) != 0) {
    return "";
  }
  return v6 ? absl::StrCat("ipv6:[", host, "]") : absl::StrCat("ipv4:", host);
}

absl::StatusOr<std::string> ReadPemFile(const std::string& option,
                                        const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream contents;
  contents << file.rdbuf();
  if (!file || contents.str().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(option, ": cannot read ", path));
  }
  return contents.str();
}

// A bound, listening, non-blocking socket for `address`; its port in *port.
absl::StatusOr<int> OpenListener(const net::HostPort& address, int* port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* results = nullptr;
  const std::string service = std::to_string(address.port);
  if (int rc =
          getaddrinfo(address.host.c_str(), service.c_str(), &hints, &results);
      rc != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "http listen address ", address.host, ": ", gai_strerror(rc)));
  }
  int fd = -1;
  std::string error = "no address";
  for (addrinfo* ai = results; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                ai->ai_protocol);
    if (fd < 0) {
      error = std::strerror(errno);
      continue;
    }
    const int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
      error = std::strerror(errno);
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(results);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat(
        "http: cannot listen on ",
        net::JoinHostPort(address.host, address.port), ": ", error));
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  *port = ntohs(bound.ss_family == AF_INET6
                    ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                    : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return fd;
}

void LogLibraryMessage(void*, const char* format, va_list args) {
  char message[512];
  std::vsnprintf(message, sizeof(message), format, args);
  std::string_view text(message);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  // A client that goes away mid-stream is routine, not the server's
  // problem; thousands of streams would flood the log at every restart.
  if (text.find("socket is no longer available") != std::string_view::npos ||
      text.find("Connection reset") != std::string_view::npos ||
      text.find("Failed to send the chunked response") !=
          std::string_view::npos ||
      text.find("footers") != std::string_view::npos) {
    return;
  }
  log::Warning("http: %s", log::EscapeControls(text));
}

enum MHD_Result CollectParam(void* cls, enum MHD_ValueKind, const char* key,
                             size_t key_size, const char* value,
                             size_t value_size) {
  auto* params = static_cast<QueryParams*>(cls);
  if (params->size() >= kMaxParams) return MHD_NO;
  params->emplace_back(
      std::string(key, key_size),
      value == nullptr ? std::string() : std::string(value, value_size));
  return MHD_YES;
}

}  // namespace

class SseStream;

struct HttpApi::Impl {
  Impl(const HttpApiOptions& options, ArticleStore& store, SubscriptionHub& hub)
      : options(options), store(store), hub(hub), gate(options.read_token) {}

  // MHD's access handler: one call per request (the first; GET has no
  // body to wait for).
  MHD_Result Handle(MHD_Connection* connection, const std::string& path,
                    absl::string_view method);
  MHD_Result StartStream(MHD_Connection* connection, const QueryParams& params,
                         const std::string& allow_origin);
  // The live page's files need no token: they hold no data, and the page
  // asks for one when the API does.
  MHD_Result ServePage(MHD_Connection* connection, const WebAsset& asset);
  MHD_Result Respond(MHD_Connection* connection, Route route, int http_status,
                     const std::string& body, const std::string& allow_origin,
                     const metrics::Stopwatch* stopwatch = nullptr);
  MHD_Result RespondError(MHD_Connection* connection, Route route,
                          const absl::Status& status,
                          const std::string& allow_origin,
                          const metrics::Stopwatch* stopwatch = nullptr);
  // The Access-Control-Allow-Origin value for `origin`, empty when the
  // request is same-origin or the origin is not allowed.
  std::string AllowedOrigin(const char* origin) const;
  void Count(Route route, int http_status);

  void Forget(SseStream* stream) {
    absl::MutexLock lock(&streams_mu);
    streams.erase(stream);
  }

  const HttpApiOptions options;
  ArticleStore& store;
  SubscriptionHub& hub;
  const auth::TokenGate gate;
  EventCache events;
  // The daemon reads them for as long as it runs.
  std::string tls_cert;
  std::string tls_key;
  MHD_Daemon* daemon = nullptr;
  int port = 0;
  std::string address;

  absl::Mutex streams_mu;
  absl::flat_hash_set<SseStream*> streams ABSL_GUARDED_BY(streams_mu);
  // Set before Stop wakes the streams; none suspends once it is.
  std::atomic<bool> stopping{false};
  absl::Mutex stop_mu;
  bool stopped ABSL_GUARDED_BY(stop_mu) = false;

  metrics::CounterFamily* requests = nullptr;
  metrics::Histogram* latency[kRouteCount] = {};
};

// One /v1/stream response: the hub's StreamWriter on one side, MHD's
// content reader on the other. The hub hands it one message at a time; MHD
// pulls the SSE text when the socket can take it and suspends the
// connection while there is none, so a quiet stream holds no thread.
class SseStream final : public StreamWriter {
 public:
  SseStream(HttpApi::Impl& api, MHD_Connection* connection)
      : api_(api), connection_(connection), preamble_(kStreamPreamble) {}

  void Attach(std::shared_ptr<Subscription> subscription) {
    absl::MutexLock lock(&mu_);
    subscription_ = std::move(subscription);
  }

  // StreamWriter; called with the subscription's lock held.
  void WriteMessage(std::shared_ptr<const std::string> encoded,
                    bool /*more_follow*/) override {
    std::shared_ptr<const std::string> events = api_.events.Events(encoded);
    absl::MutexLock lock(&mu_);
    pending_ = std::move(events);
    offset_ = 0;
    ResumeLocked();
  }
  void FinishStream(const absl::Status& status) override {
    absl::MutexLock lock(&mu_);
    finished_ = true;
    if (!status.ok()) {
      closing_ = absl::StrCat(
          "event: end\ndata: ", ErrorJson(HttpStatusOf(status.code()), status),
          "\n\n");
    }
    ResumeLocked();
  }

  // MHD_ContentReaderCallback: fills `buffer` with what is ready; with
  // nothing ready, suspends the connection until WriteMessage or
  // FinishStream resumes it.
  ssize_t Read(char* buffer, size_t capacity) {
    size_t filled = 0;
    while (filled < capacity) {
      std::shared_ptr<Subscription> written;
      {
        absl::MutexLock lock(&mu_);
        if (offset_preamble_ < preamble_.size()) {
          filled += Take(preamble_, offset_preamble_, buffer + filled,
                         capacity - filled);
          continue;
        }
        if (pending_ == nullptr) break;
        filled += Take(*pending_, offset_, buffer + filled, capacity - filled);
        if (offset_ < pending_->size()) break;
        pending_.reset();
        written = subscription_;
      }
      // The whole message is in MHD's buffer: the hub may hand over the
      // next one, possibly from inside this call.
      if (written != nullptr) written->OnWriteDone(true);
    }
    if (filled > 0) return static_cast<ssize_t>(filled);
    absl::MutexLock lock(&mu_);
    if (finished_) {
      if (offset_closing_ < closing_.size()) {
        return static_cast<ssize_t>(
            Take(closing_, offset_closing_, buffer, capacity));
      }
      return MHD_CONTENT_READER_END_OF_STREAM;
    }
    if (api_.stopping.load()) return MHD_CONTENT_READER_END_OF_STREAM;
    MHD_suspend_connection(connection_);
    suspended_ = true;
    return 0;
  }

  // The connection is gone (client closed, idle timeout or Stop): MHD freed
  // the response. Releases the subscription and deletes this.
  void Close() {
    std::shared_ptr<Subscription> subscription;
    bool write_in_flight;
    {
      absl::MutexLock lock(&mu_);
      subscription = std::move(subscription_);
      write_in_flight = pending_ != nullptr;
      finished_ = true;
    }
    if (subscription != nullptr) {
      if (write_in_flight) subscription->OnWriteDone(false);
      subscription->OnCancel();
      subscription->Detach();
    }
    api_.Forget(this);
    delete this;
  }

  // Wakes a suspended connection so that Stop can close it.
  void WakeForStop() {
    absl::MutexLock lock(&mu_);
    ResumeLocked();
  }

  static ssize_t ReadCallback(void* stream, uint64_t /*position*/, char* buffer,
                              size_t capacity) {
    return static_cast<SseStream*>(stream)->Read(buffer, capacity);
  }
  static void FreeCallback(void* stream) {
    static_cast<SseStream*>(stream)->Close();
  }

 private:
  static size_t Take(const std::string& source, size_t& offset, char* out,
                     size_t capacity) {
    const size_t n = std::min(capacity, source.size() - offset);
    std::memcpy(out, source.data() + offset, n);
    offset += n;
    return n;
  }

  void ResumeLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!suspended_) return;
    suspended_ = false;
    MHD_resume_connection(connection_);
  }

  HttpApi::Impl& api_;
  MHD_Connection* const connection_;

  absl::Mutex mu_;
  std::shared_ptr<Subscription> subscription_ ABSL_GUARDED_BY(mu_);
  const std::string preamble_;
  size_t offset_preamble_ ABSL_GUARDED_BY(mu_) = 0;
  // The hub's message being sent, as SSE text.
  std::shared_ptr<const std::string> pending_ ABSL_GUARDED_BY(mu_);
  size_t offset_ ABSL_GUARDED_BY(mu_) = 0;
  // The `end` event, sent after the last message.
  std::string closing_ ABSL_GUARDED_BY(mu_);
  size_t offset_closing_ ABSL_GUARDED_BY(mu_) = 0;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool suspended_ ABSL_GUARDED_BY(mu_) = false;
};

std::string HttpApi::Impl::AllowedOrigin(const char* origin) const {
  if (origin == nullptr) return "";
  for (const std::string& allowed : options.cors_allowed_origins) {
    if (allowed == "*") return "*";
    if (allowed == origin) return allowed;
  }
  return "";
}

void HttpApi::Impl::Count(Route route, int http_status) {
  if (requests == nullptr) return;
  requests->WithLabels({kRouteNames[route], absl::StrCat(http_status)})
      .Increment();
}

MHD_Result HttpApi::Impl::Respond(MHD_Connection* connection, Route route,
                                  int http_status, const std::string& body,
                                  const std::string& allow_origin,
                                  const metrics::Stopwatch* stopwatch) {
  MHD_Response* response = MHD_create_response_from_buffer(
      body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
  if (response == nullptr) return MHD_NO;
  if (!body.empty()) {
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, kJson);
  }
  if (!allow_origin.empty()) {
    MHD_add_response_header(response,
                            MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN,
                            allow_origin.c_str());
    MHD_add_response_header(response, MHD_HTTP_HEADER_VARY, "Origin");
  }
  if (http_status == MHD_HTTP_UNAUTHORIZED) {
    MHD_add_response_header(response, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                            "Bearer realm=\"newsfeed\"");
  }
  if (http_status == MHD_HTTP_METHOD_NOT_ALLOWED) {
    MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW,
                            AllowedMethods(route));
  }
  const MHD_Result queued =
      MHD_queue_response(connection, http_status, response);
  MHD_destroy_response(response);
  Count(route, http_status);
  if (stopwatch != nullptr && latency[route] != nullptr) {
    latency[route]->Observe(stopwatch->ElapsedSeconds());
  }
  return queued;
}

MHD_Result HttpApi::Impl::RespondError(MHD_Connection* connection, Route route,
                                       const absl::Status& status,
                                       const std::string& allow_origin,
                                       const metrics::Stopwatch* stopwatch) {
  const int http_status = HttpStatusOf(status.code());
  if (http_status >= 500) {
    log::Warning("http: %s failed: %s", kRouteNames[route], status.ToString());
  }
  return Respond(connection, route, http_status, ErrorJson(http_status, status),
                 allow_origin, stopwatch);
}

MHD_Result HttpApi::Impl::Handle(MHD_Connection* connection,
                                 const std::string& path,
                                 absl::string_view method) {
  const metrics::Stopwatch stopwatch;
  const std::string allow_origin = AllowedOrigin(
      MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Origin"));
  Route route = kOther;
  if (path == kArticlesPath) {
    route = kSearch;
  } else if (absl::StartsWith(path, kArticlePrefix)) {
    route = kGetArticle;
  } else if (path == kFacetsPath) {
    route = kFacets;
  } else if (path == kStreamPath) {
    route = kStream;
  } else if (FindWebAsset(path) != nullptr) {
    route = kPage;
  }
  if (method == MHD_HTTP_METHOD_OPTIONS) {  // a CORS preflight
    MHD_Response* response =
        MHD_create_response_from_buffer(0, nullptr, MHD_RESPMEM_PERSISTENT);
    if (response == nullptr) return MHD_NO;
    MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW,
                            AllowedMethods(route));
    if (!allow_origin.empty()) {
      MHD_add_response_header(response,
                              MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN,
                              allow_origin.c_str());
      MHD_add_response_header(response, "Access-Control-Allow-Methods",
                              AllowedMethods(route));
      MHD_add_response_header(response, "Access-Control-Allow-Headers",
                              "Authorization, Last-Event-ID");
      MHD_add_response_header(response, "Access-Control-Max-Age", "600");
      MHD_add_response_header(response, MHD_HTTP_HEADER_VARY, "Origin");
    }
    const MHD_Result queued =
        MHD_queue_response(connection, MHD_HTTP_NO_CONTENT, response);
    MHD_destroy_response(response);
    Count(route, MHD_HTTP_NO_CONTENT);
    return queued;
  }
  const bool head = method == MHD_HTTP_METHOD_HEAD;
  if ((method != MHD_HTTP_METHOD_GET && !head) || (head && route == kStream)) {
    const absl::Status status = absl::UnimplementedError(absl::StrCat(
        "method ", absl::CHexEscape(method.substr(0, 16)),
        ": this API answers ", route == kStream ? "GET" : kAllowedMethods));
    return Respond(connection, route, MHD_HTTP_METHOD_NOT_ALLOWED,
                   ErrorJson(MHD_HTTP_METHOD_NOT_ALLOWED, status),
                   allow_origin);
  }
  if (route == kOther) {
    return RespondError(
        connection, route,
        absl::NotFoundError(absl::StrCat(
            "no such resource: ", absl::CHexEscape(path.substr(0, 200)),
            " (the API serves /v1/articles, /v1/articles/{id}, /v1/facets "
            "and /v1/stream; the live page is at /)")),
        allow_origin);
  }

  if (route == kPage) return ServePage(connection, *FindWebAsset(path));

  QueryParams params;
  if (MHD_get_connection_values_n(connection, MHD_GET_ARGUMENT_KIND,
                                  &CollectParam, &params) < 0 ||
      params.size() >= kMaxParams) {
    return RespondError(
        connection, route,
        absl::InvalidArgumentError(
            absl::StrCat("query: more than ", kMaxParams - 1, " parameters")),
        allow_origin);
  }
  if (gate.required()) {
    std::string authorization;
    if (const char* header = MHD_lookup_connection_value(
            connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION)) {
      authorization = header;
    }
    for (const auto& [name, value] : params) {
      if (name == kAccessTokenParam && authorization.empty()) {
        authorization = auth::BearerHeader(value);
      }
    }
    if (absl::Status s = gate.CheckHeader(authorization, kRouteNames[route]);
        !s.ok()) {
      // The gate speaks of gRPC metadata; say what an HTTP client sends.
      const absl::string_view why = authorization.empty()
                                        ? "no token"
                                        : "the token is wrong or malformed";
      return RespondError(
          connection, route,
          absl::UnauthenticatedError(absl::StrCat(
              kRouteNames[route], ": ", why,
              "; send \"Authorization: Bearer <token>\" (or "
              "access_token=<token> "
              "where headers cannot be set, as with EventSource)")),
          allow_origin);
    }
  }

  switch (route) {
    case kSearch: {
      absl::StatusOr<newsfeed::v1::SearchRequest> request =
          ParseSearchParams(params);
      if (!request.ok()) {
        return RespondError(connection, route, request.status(), allow_origin);
      }
      absl::StatusOr<newsfeed::v1::SearchResponse> result =
          store.Search(*request);
      if (!result.ok()) {
        return RespondError(connection, route, result.status(), allow_origin,
                            &stopwatch);
      }
      return Respond(connection, route, MHD_HTTP_OK, ToJson(*result),
                     allow_origin, &stopwatch);
    }
    case kGetArticle: {
      absl::StatusOr<std::string> id = ParseArticleId(
          absl::string_view(path).substr(std::strlen(kArticlePrefix)), params,
          ArticleLimits{}.max_id_bytes);
      if (!id.ok()) {
        return RespondError(connection, route, id.status(), allow_origin);
      }
      absl::StatusOr<newsfeed::v1::Article> article = store.Get(*id);
      if (!article.ok()) {
        return RespondError(connection, route, article.status(), allow_origin,
                            &stopwatch);
      }
      return Respond(connection, route, MHD_HTTP_OK, ToJson(*article),
                     allow_origin, &stopwatch);
    }
    case kFacets: {
      absl::StatusOr<newsfeed::v1::FacetsRequest> request =
          ParseFacetsParams(params);
      if (!request.ok()) {
        return RespondError(connection, route, request.status(), allow_origin);
      }
      absl::StatusOr<newsfeed::v1::FacetsResponse> result =
          store.Facets(*request);
      if (!result.ok()) {
        return RespondError(connection, route, result.status(), allow_origin,
                            &stopwatch);
      }
      return Respond(connection, route, MHD_HTTP_OK, ToJson(*result),
                     allow_origin, &stopwatch);
    }
    case kStream:
      return StartStream(connection, params, allow_origin);
    default:
      return MHD_NO;
  }
}

MHD_Result HttpApi::Impl::ServePage(MHD_Connection* connection,
                                    const WebAsset& asset) {
  MHD_Response* response = MHD_create_response_from_buffer(
      asset.size, const_cast<unsigned char*>(asset.data),
      MHD_RESPMEM_PERSISTENT);
  if (response == nullptr) return MHD_NO;
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
                          asset.content_type);
  MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
  MHD_add_response_header(response, "Content-Security-Policy", kPagePolicy);
  MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(response, "Referrer-Policy", "no-referrer");
  const MHD_Result queued =
      MHD_queue_response(connection, MHD_HTTP_OK, response);
  MHD_destroy_response(response);
  Count(kPage, MHD_HTTP_OK);
  return queued;
}

MHD_Result HttpApi::Impl::StartStream(MHD_Connection* connection,
                                      const QueryParams& params,
                                      const std::string& allow_origin) {
  const char* last_event_id =
      MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Last-Event-ID");
  absl::StatusOr<newsfeed::v1::SubscribeRequest> request =
      ParseStreamParams(params, last_event_id == nullptr ? "" : last_event_id);
  if (!request.ok()) {
    return RespondError(connection, kStream, request.status(), allow_origin);
  }
  auto* stream = new SseStream(*this, connection);
  absl::StatusOr<std::shared_ptr<Subscription>> subscription =
      hub.Subscribe(*request, stream, PeerAddress(connection));
  if (!subscription.ok()) {
    delete stream;
    return RespondError(connection, kStream, subscription.status(),
                        allow_origin);
  }
  stream->Attach(*std::move(subscription));
  {
    absl::MutexLock lock(&streams_mu);
    streams.insert(stream);
  }
  MHD_Response* response = MHD_create_response_from_callback(
      MHD_SIZE_UNKNOWN, kStreamBlockBytes, &SseStream::ReadCallback, stream,
      &SseStream::FreeCallback);
  if (response == nullptr) {
    stream->Close();
    return MHD_NO;
  }
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, kEventStream);
  MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
  // Reverse proxies (nginx) would otherwise buffer the stream.
  MHD_add_response_header(response, "X-Accel-Buffering", "no");
  if (!allow_origin.empty()) {
    MHD_add_response_header(response,
                            MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN,
                            allow_origin.c_str());
    MHD_add_response_header(response, MHD_HTTP_HEADER_VARY, "Origin");
  }
  const MHD_Result queued =
      MHD_queue_response(connection, MHD_HTTP_OK, response);
  MHD_destroy_response(response);  // the connection holds it; frees stream
  Count(kStream, MHD_HTTP_OK);
  return queued;
}

namespace {

MHD_Result HandleRequest(void* cls, MHD_Connection* connection, const char* url,
                         const char* method, const char* /*version*/,
                         const char* /*upload_data*/, size_t* upload_data_size,
                         void** request_state) {
  // MHD calls once when the headers are in, then with each piece of a body
  // (none of ours takes one; it is discarded), then once more: answering
  // on that last call keeps the connection reusable.
  static int headers_read;
  if (*request_state == nullptr) {
    *request_state = &headers_read;
    return MHD_YES;
  }
  if (*upload_data_size != 0) {
    *upload_data_size = 0;
    return MHD_YES;
  }
  return static_cast<HttpApi::Impl*>(cls)->Handle(connection, url, method);
}

}  // namespace

HttpApi::HttpApi(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

absl::StatusOr<std::unique_ptr<HttpApi>> HttpApi::Start(
    const HttpApiOptions& options, ArticleStore& store, SubscriptionHub& hub) {
  absl::StatusOr<net::HostPort> host_port =
      net::ParseListenAddress(options.listen_address, "http.listen");
  if (!host_port.ok()) return host_port.status();
  auto impl = std::make_unique<Impl>(options, store, hub);
  unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                       MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
  const bool tls =
      !options.tls_cert_file.empty() && !options.tls_key_file.empty();
  if (tls) {
    absl::StatusOr<std::string> cert =
        ReadPemFile("tls.cert_file", options.tls_cert_file);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key =
        ReadPemFile("tls.key_file", options.tls_key_file);
    if (!key.ok()) return key.status();
    impl->tls_cert = *std::move(cert);
    impl->tls_key = *std::move(key);
    flags |= MHD_USE_TLS;
  }
  if (options.metrics != nullptr) {
    impl->requests = &options.metrics->AddCounterFamily(
        "newsfeed_http_requests_total",
        "HTTP API requests answered, by route and HTTP status (streams "
        "count when they start).",
        {"route", "code"});
    metrics::HistogramFamily& latency = options.metrics->AddHistogramFamily(
        "newsfeed_http_request_duration_seconds",
        "Time to answer an HTTP API search, article or facets request.",
        {"route"}, metrics::LatencyBuckets());
    for (Route route : {kSearch, kGetArticle, kFacets}) {
      impl->latency[route] = &latency.WithLabels({kRouteNames[route]});
    }
  }

  absl::StatusOr<int> listener = OpenListener(*host_port, &impl->port);
  if (!listener.ok()) return listener.status();
  // The logger first, or MHD logs the options' own errors to stderr.
  std::vector<MHD_OptionItem> items = {
      {MHD_OPTION_EXTERNAL_LOGGER,
       reinterpret_cast<intptr_t>(&LogLibraryMessage), nullptr},
      {MHD_OPTION_LISTEN_SOCKET, *listener, nullptr},
      {MHD_OPTION_THREAD_POOL_SIZE, std::max(1, options.threads), nullptr},
      {MHD_OPTION_CONNECTION_LIMIT, std::max(1, options.max_connections),
       nullptr},
      {MHD_OPTION_PER_IP_CONNECTION_LIMIT,
       std::max(0, options.max_connections_per_ip), nullptr},
      {MHD_OPTION_CONNECTION_TIMEOUT,
       static_cast<intptr_t>(
           std::max<int64_t>(1, absl::ToInt64Seconds(options.idle_timeout))),
       nullptr},
      {MHD_OPTION_CONNECTION_MEMORY_LIMIT,
       static_cast<intptr_t>(kConnectionMemoryBytes), nullptr},
  };
  if (tls) {
    items.push_back({MHD_OPTION_HTTPS_MEM_CERT, 0,
                     const_cast<char*>(impl->tls_cert.c_str())});
    items.push_back({MHD_OPTION_HTTPS_MEM_KEY, 0,
                     const_cast<char*>(impl->tls_key.c_str())});
  }
  items.push_back({MHD_OPTION_END, 0, nullptr});
  impl->daemon =
      MHD_start_daemon(flags, 0, nullptr, nullptr, &HandleRequest, impl.get(),
                       MHD_OPTION_ARRAY, items.data(), MHD_OPTION_END);
  if (impl->daemon == nullptr) {
    close(*listener);
    return absl::UnavailableError(
        absl::StrCat("http: cannot start serving on ", options.listen_address,
                     tls ? " (check tls.cert_file and tls.key_file)" : ""));
  }
  impl->address = net::JoinHostPort(host_port->host, impl->port);
  return std::unique_ptr<HttpApi>(new HttpApi(std::move(impl)));
}

HttpApi::~HttpApi() { Stop(); }

int HttpApi::port() const { return impl_->port; }
const std::string& HttpApi::address() const { return impl_->address; }

void HttpApi::Stop(absl::Duration grace) {
  {
    absl::MutexLock lock(&impl_->stop_mu);
    if (impl_->stopped) return;
    impl_->stopped = true;
  }
  {
    // MHD refuses to stop while a connection is suspended: wake every
    // stream; from now on none suspends again.
    impl_->stopping = true;
    absl::MutexLock lock(&impl_->streams_mu);
    for (SseStream* stream : impl_->streams) stream->WakeForStop();
    auto all_closed = [impl = impl_.get()]() ABSL_SHARED_LOCKS_REQUIRED(
                          impl->streams_mu) { return impl->streams.empty(); };
    impl_->streams_mu.AwaitWithTimeout(absl::Condition(&all_closed), grace);
  }
  MHD_stop_daemon(impl_->daemon);
}

}  // namespace newsfeed::query
