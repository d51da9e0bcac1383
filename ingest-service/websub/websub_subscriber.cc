#include "ingest-service/websub/websub_subscriber.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "common/log/log.h"
#include "common/net/listen_address.h"
#include "ingest-service/fetcher/address_guard.h"

namespace newsfeed::ingest {
namespace {

using Status = WebSubState::Status;

constexpr char kCallbackPrefix[] = "/websub/";
// Largest hub response body read (it is discarded).
constexpr size_t kMaxHubResponseBytes = 64 << 10;

// ---- Link header -----------------------------------------------------------

// Splits `s` at `sep` outside <...> and "...".
std::vector<absl::string_view> SplitOutside(absl::string_view s, char sep) {
  std::vector<absl::string_view> parts;
  bool in_quotes = false, in_angle = false;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (in_quotes) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_quotes = false;
      }
    } else if (c == '"') {
      in_quotes = true;
    } else if (c == '<') {
      in_angle = true;
    } else if (c == '>') {
      in_angle = false;
    } else if (c == sep && !in_angle) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(s.substr(start));
  return parts;
}

std::string Unquote(absl::string_view v) {
  v = absl::StripAsciiWhitespace(v);
  if (v.size() < 2 || v.front() != '"' || v.back() != '"') {
    return std::string(v);
  }
  std::string out;
  for (size_t i = 1; i + 1 < v.size(); ++i) {
    if (v[i] == '\\' && i + 2 < v.size()) ++i;
    out.push_back(v[i]);
  }
  return out;
}

// ---- helpers ---------------------------------------------------------------

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()),
                 static_cast<int>(bytes)) != 1) {
    // RAND_bytes fails only when the OS entropy source is broken.
    std::abort();
  }
  return absl::BytesToHexString(raw);
}

bool IsHttpUrl(absl::string_view url) {
  return absl::StartsWithIgnoreCase(url, "http://") ||
         absl::StartsWithIgnoreCase(url, "https://");
}

// The digest an X-Hub-Signature method names; nullptr if unsupported.
const EVP_MD* DigestFor(absl::string_view method) {
  if (method == "sha1") return EVP_sha1();
  if (method == "sha256") return EVP_sha256();
  if (method == "sha384") return EVP_sha384();
  if (method == "sha512") return EVP_sha512();
  return nullptr;
}

// True when `header` ("sha256=<hex>") is the HMAC of `body` with `secret`.
bool SignatureMatches(absl::string_view header, const std::string& secret,
                      const std::string& body) {
  const size_t eq = header.find('=');
  if (eq == absl::string_view::npos) return false;
  const EVP_MD* md = DigestFor(
      absl::AsciiStrToLower(absl::StripAsciiWhitespace(header.substr(0, eq))));
  if (md == nullptr) return false;
  const std::string given = absl::HexStringToBytes(
      absl::AsciiStrToLower(absl::StripAsciiWhitespace(header.substr(eq + 1))));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC(md, secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(body.data()), body.size(),
           mac, &mac_len) == nullptr) {
    return false;
  }
  return given.size() == mac_len &&
         CRYPTO_memcmp(given.data(), mac, mac_len) == 0;
}

int64_t ToUnix(absl::Time t) {
  if (t == absl::InfinitePast()) return INT64_MIN;
  if (t == absl::InfiniteFuture()) return INT64_MAX;
  return absl::ToUnixSeconds(t);
}
absl::Time FromUnix(int64_t s) {
  if (s == INT64_MIN) return absl::InfinitePast();
  if (s == INT64_MAX) return absl::InfiniteFuture();
  return absl::FromUnixSeconds(s);
}

// One subscription, as kept in memory and in the file.
struct Subscription {
  std::string feed_id;
  std::string topic;
  std::string hub;
  std::string callback_id;
  std::string secret;
  Status status = Status::kPending;
  bool ever_verified = false;
  absl::Time lease_expiry = absl::InfinitePast();
  int64_t lease_seconds = 0;  // as granted
  // When the outstanding subscribe/unsubscribe request was sent;
  // InfinitePast when none awaits verification.
  absl::Time request_sent = absl::InfinitePast();
  int attempts = 0;  // consecutive failures
  absl::Time next_attempt = absl::InfiniteFuture();
  std::string last_error;
  // Not persisted.
  absl::Time last_delivery = absl::InfinitePast();
  uint64_t deliveries = 0;
  uint64_t rejections = 0;
  double tokens = -1;  // rate limiter; < 0: full
  absl::Time tokens_at = absl::InfinitePast();
};

// Per-connection state of the listener.
struct Request {
  std::string body;
  bool too_large = false;
  // Bytes read and dropped after the body went over the limit.
  uint64_t discarded = 0;
};

// MHD answers only once the whole request is read (except on the first
// call, before any body): a body that went over the limit is read and
// dropped up to this many times the limit so that the hub gets its 413;
// beyond that the connection is closed.
constexpr uint64_t kDiscardFactor = 16;

}  // namespace

LinkHeaderLinks ParseLinkHeaderHubs(absl::string_view header_value) {
  LinkHeaderLinks out;
  for (absl::string_view link : SplitOutside(header_value, ',')) {
    link = absl::StripAsciiWhitespace(link);
    if (link.empty() || link.front() != '<') continue;
    const size_t close = link.find('>');
    if (close == absl::string_view::npos) continue;
    const std::string target(
        absl::StripAsciiWhitespace(link.substr(1, close - 1)));
    if (target.empty()) continue;
    bool hub = false, self = false;
    for (absl::string_view param : SplitOutside(link.substr(close + 1), ';')) {
      const size_t eq = param.find('=');
      if (eq == absl::string_view::npos) continue;
      if (!absl::EqualsIgnoreCase(
              absl::StripAsciiWhitespace(param.substr(0, eq)), "rel")) {
        continue;
      }
      for (absl::string_view rel : absl::StrSplit(
               Unquote(param.substr(eq + 1)), ' ', absl::SkipWhitespace())) {
        if (absl::EqualsIgnoreCase(rel, "hub")) hub = true;
        if (absl::EqualsIgnoreCase(rel, "self")) self = true;
      }
      break;  // RFC 8288: only the first rel parameter counts
    }
    if (hub &&
        std::find(out.hubs.begin(), out.hubs.end(), target) == out.hubs.end()) {
      out.hubs.push_back(target);
    }
    if (self && out.self.empty()) out.self = target;
  }
  return out;
}

absl::string_view WebSubStatusName(Status status) {
  switch (status) {
    case Status::kPending:
      return "pending";
    case Status::kVerified:
      return "verified";
    case Status::kDenied:
      return "denied";
    case Status::kFailed:
      return "failed";
    case Status::kExpired:
      return "expired";
    case Status::kUnsubscribing:
      return "unsubscribing";
  }
  return "unknown";
}

struct WebSubSubscriber::Impl {
  Impl(const WebSubOptions& o, WebSubDeliveryHandler h,
       internal::AddressGuard g)
      : options(o),
        clock(o.clock != nullptr ? *o.clock : RealClock::Instance()),
        handler(std::move(h)),
        guard(std::move(g)) {}
  ~Impl();

  // ---- persistence (mu held) ----
  absl::Status OpenDb();
  absl::Status Save(const Subscription& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  absl::Status Erase(const std::string& feed_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  absl::Status Load() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

  // ---- hub requests (mu not held) ----
  absl::Status PostToHub(const std::string& mode, const Subscription& s);
  // Sends `s`'s subscribe request and records the outcome.
  absl::Status SendSubscribe(Subscription s) ABSL_LOCKS_EXCLUDED(mu);
  void RecordFailure(Subscription* s, const std::string& error)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  std::string CallbackUrl(const std::string& id) const {
    return absl::StrCat(absl::StripSuffix(options.public_base_url, "/"),
                        kCallbackPrefix, id);
  }

  // ---- listener ----
  static MHD_Result OnRequest(void* cls, MHD_Connection* connection,
                              const char* url, const char* method,
                              const char* version, const char* upload_data,
                              size_t* upload_data_size, void** con_cls);
  static void OnCompleted(void* cls, MHD_Connection*, void** con_cls,
                          MHD_RequestTerminationCode);
  MHD_Result Verify(MHD_Connection* connection, const std::string& id);
  MHD_Result Deliver(MHD_Connection* connection, const std::string& id,
                     Request* request);
  MHD_Result Refuse(MHD_Connection* connection, const char* kind,
                    const char* outcome, unsigned int code,
                    const std::string& why);
  void Count(const char* kind, const char* outcome);
  // The subscription behind callback `id`; nullptr if none.
  Subscription* Find(const std::string& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  MHD_Result RefuseUnknown(MHD_Connection* connection, const char* kind,
                           const std::string& id) {
    return Refuse(
        connection, kind, "unknown_callback", MHD_HTTP_NOT_FOUND,
        absl::StrCat("unknown callback id ", log::EscapeControls(id)));
  }

  const WebSubOptions options;
  Clock& clock;
  const WebSubDeliveryHandler handler;
  const internal::AddressGuard guard;
  std::string address;
  MHD_Daemon* daemon = nullptr;
  metrics::CounterFamily* callbacks = nullptr;
  metrics::CounterFamily* hub_requests = nullptr;
  // Subscriptions by state, indexed by Status.
  std::vector<metrics::Gauge*> by_state;

  mutable absl::Mutex mu;
  sqlite3* db ABSL_GUARDED_BY(mu) = nullptr;
  std::map<std::string, Subscription> by_feed ABSL_GUARDED_BY(mu);
  std::map<std::string, std::string> feed_by_callback ABSL_GUARDED_BY(mu);

  absl::Mutex stop_mu;
  bool stopping ABSL_GUARDED_BY(stop_mu) = false;
  std::thread ticker;
};

// ---- persistence -----------------------------------------------------------

static absl::Status ExecSql(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    absl::Status status = absl::InternalError(
        absl::StrCat("websub db: ", error != nullptr ? error : "error"));
    sqlite3_free(error);
    return status;
  }
  return absl::OkStatus();
}

absl::Status WebSubSubscriber::Impl::OpenDb() {
  absl::MutexLock lock(&mu);
  std::string path = options.db_path.empty() ? ":memory:" : options.db_path;
  if (!options.db_path.empty()) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      return absl::InternalError(
          absl::StrCat("websub db ", path, ": ", std::strerror(errno)));
    }
    ::fchmod(fd, 0600);
    ::close(fd);
  }
  if (sqlite3_open_v2(
          path.c_str(), &db,
          SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
          nullptr) != SQLITE_OK) {
    return absl::InternalError(absl::StrCat(
        "websub db ", path, ": ", db != nullptr ? sqlite3_errmsg(db) : "?"));
  }
  absl::Status status =
      ExecSql(db,
              "PRAGMA journal_mode=WAL;"
              "CREATE TABLE IF NOT EXISTS websub_subscriptions("
              " feed_id TEXT PRIMARY KEY,"
              " topic TEXT NOT NULL, hub TEXT NOT NULL,"
              " callback_id TEXT NOT NULL UNIQUE,"
              " secret TEXT NOT NULL, status INTEGER NOT NULL,"
              " ever_verified INTEGER NOT NULL,"
              " lease_expiry INTEGER NOT NULL,"
              " lease_seconds INTEGER NOT NULL,"
              " request_sent INTEGER NOT NULL,"
              " attempts INTEGER NOT NULL,"
              " next_attempt INTEGER NOT NULL,"
              " last_error TEXT NOT NULL)");
  if (!status.ok()) return status;
  return Load();
}

absl::Status WebSubSubscriber::Impl::Load() {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db,
                         "SELECT feed_id, topic, hub, callback_id, secret, "
                         "status, ever_verified, lease_expiry, lease_seconds, "
                         "request_sent, attempts, next_attempt, last_error "
                         "FROM websub_subscriptions",
                         -1, &stmt, nullptr) != SQLITE_OK) {
    return absl::InternalError(absl::StrCat("websub db: ", sqlite3_errmsg(db)));
  }
  auto text = [stmt](int i) {
    const unsigned char* t = sqlite3_column_text(stmt, i);
    return t == nullptr ? std::string() : reinterpret_cast<const char*>(t);
  };
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    Subscription s;
    s.feed_id = text(0);
    s.topic = text(1);
    s.hub = text(2);
    s.callback_id = text(3);
    s.secret = text(4);
    const int status = sqlite3_column_int(stmt, 5);
    s.status = status >= 0 && status <= static_cast<int>(Status::kUnsubscribing)
                   ? static_cast<Status>(status)
                   : Status::kFailed;
    s.ever_verified = sqlite3_column_int(stmt, 6) != 0;
    s.lease_expiry = FromUnix(sqlite3_column_int64(stmt, 7));
    s.lease_seconds = sqlite3_column_int64(stmt, 8);
    s.request_sent = FromUnix(sqlite3_column_int64(stmt, 9));
    s.attempts = sqlite3_column_int(stmt, 10);
    s.next_attempt = FromUnix(sqlite3_column_int64(stmt, 11));
    s.last_error = text(12);
    feed_by_callback[s.callback_id] = s.feed_id;
    by_feed[s.feed_id] = std::move(s);
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) {
    return absl::InternalError(absl::StrCat("websub db: ", sqlite3_errmsg(db)));
  }
  return absl::OkStatus();
}

absl::Status WebSubSubscriber::Impl::Save(const Subscription& s) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db,
                         "INSERT OR REPLACE INTO websub_subscriptions VALUES"
                         "(?,?,?,?,?,?,?,?,?,?,?,?,?)",
                         -1, &stmt, nullptr) != SQLITE_OK) {
    return absl::InternalError(absl::StrCat("websub db: ", sqlite3_errmsg(db)));
  }
  int i = 0;
  for (const std::string* t :
       {&s.feed_id, &s.topic, &s.hub, &s.callback_id, &s.secret}) {
    sqlite3_bind_text(stmt, ++i, t->data(), static_cast<int>(t->size()),
                      SQLITE_TRANSIENT);
  }
  sqlite3_bind_int(stmt, ++i, static_cast<int>(s.status));
  sqlite3_bind_int(stmt, ++i, s.ever_verified ? 1 : 0);
  sqlite3_bind_int64(stmt, ++i, ToUnix(s.lease_expiry));
  sqlite3_bind_int64(stmt, ++i, s.lease_seconds);
  sqlite3_bind_int64(stmt, ++i, ToUnix(s.request_sent));
  sqlite3_bind_int(stmt, ++i, s.attempts);
  sqlite3_bind_int64(stmt, ++i, ToUnix(s.next_attempt));
  sqlite3_bind_text(stmt, ++i, s.last_error.data(),
                    static_cast<int>(s.last_error.size()), SQLITE_TRANSIENT);
  const int rc = sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) {
    return absl::InternalError(absl::StrCat(
        "websub db: saving feed ", s.feed_id, ": ", sqlite3_errmsg(db)));
  }
  return absl::OkStatus();
}

absl::Status WebSubSubscriber::Impl::Erase(const std::string& feed_id) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db,
                         "DELETE FROM websub_subscriptions WHERE feed_id = ?",
                         -1, &stmt, nullptr) != SQLITE_OK) {
    return absl::InternalError(absl::StrCat("websub db: ", sqlite3_errmsg(db)));
  }
  sqlite3_bind_text(stmt, 1, feed_id.data(), static_cast<int>(feed_id.size()),
                    SQLITE_TRANSIENT);
  const int rc = sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) {
    return absl::InternalError(absl::StrCat("websub db: deleting feed ",
                                            feed_id, ": ", sqlite3_errmsg(db)));
  }
  return absl::OkStatus();
}

// ---- hub requests ----------------------------------------------------------

namespace {

struct HubTransfer {
  const internal::AddressGuard* guard = nullptr;
  std::string refused;
  size_t bytes = 0;
  std::string body;
};

size_t OnHubWrite(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<HubTransfer*>(user);
  const size_t n = size * count;
  if (t->body.size() < 512) {
    t->body.append(data, std::min(n, 512 - t->body.size()));
  }
  t->bytes += n;
  return t->bytes > kMaxHubResponseBytes ? 0 : n;
}

curl_socket_t OnHubOpenSocket(void* user, curlsocktype purpose,
                              curl_sockaddr* address) {
  auto* t = static_cast<HubTransfer*>(user);
  if (purpose == CURLSOCKTYPE_IPCXN) {
    t->refused = t->guard->Refusal(&address->addr);
    if (!t->refused.empty()) return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype | SOCK_CLOEXEC,
                address->protocol);
}

}  // namespace

absl::Status WebSubSubscriber::Impl::PostToHub(const std::string& mode,
                                               const Subscription& s) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::InternalError("websub: curl_easy_init");
  auto escape = [curl](const std::string& v) {
    char* e = curl_easy_escape(curl, v.data(), static_cast<int>(v.size()));
    std::string out = e != nullptr ? e : "";
    curl_free(e);
    return out;
  };
  std::string form =
      absl::StrCat("hub.mode=", mode, "&hub.topic=", escape(s.topic),
                   "&hub.callback=", escape(CallbackUrl(s.callback_id)));
  if (mode == "subscribe") {
    absl::StrAppend(&form,
                    "&hub.lease_seconds=", absl::ToInt64Seconds(options.lease),
                    "&hub.secret=", escape(s.secret));
  }
  HubTransfer transfer;
  transfer.guard = &guard;
  char error[CURL_ERROR_SIZE] = {};
  const long timeout_ms = static_cast<long>(std::max<int64_t>(
      1, absl::ToInt64Milliseconds(options.hub_request_timeout)));
  curl_easy_setopt(curl, CURLOPT_URL, s.hub.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, form.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(form.size()));
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROXY, "");
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   std::min<long>(timeout_ms, 10000));
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "newsfeed-ingest (WebSub)");
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnHubWrite);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, &OnHubOpenSocket);
  curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, &transfer);
  const CURLcode rc = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(curl);
  const char* outcome = "ok";
  absl::Status status;
  if (!transfer.refused.empty()) {
    outcome = "refused";
    status = absl::UnavailableError(
        absl::StrCat("websub hub ", s.hub, ": address ", transfer.refused,
                     " refused by the private-network guard"));
  } else if (rc != CURLE_OK) {
    outcome = "error";
    status = absl::UnavailableError(
        absl::StrCat("websub hub ", s.hub, ": ",
                     error[0] != '\0' ? error : curl_easy_strerror(rc)));
  } else if (code < 200 || code > 299) {
    outcome = "rejected";
    status = absl::UnavailableError(
        absl::StrCat("websub hub ", s.hub, ": HTTP ", code, " to ", mode, " ",
                     s.topic, transfer.body.empty() ? "" : ": ",
                     log::EscapeControls(transfer.body.substr(0, 200))));
  }
  if (hub_requests != nullptr)
    hub_requests->WithLabels({mode, outcome}).Increment();
  return status;
}

void WebSubSubscriber::Impl::RecordFailure(Subscription* s,
                                           const std::string& error) {
  s->status = Status::kFailed;
  s->request_sent = absl::InfinitePast();
  s->last_error = error;
  absl::Duration backoff = options.retry_min_backoff;
  for (int i = 0; i < s->attempts && backoff < options.retry_max_backoff; ++i) {
    backoff *= 2;
  }
  backoff = std::min(backoff, options.retry_max_backoff);
  ++s->attempts;
  s->next_attempt = clock.Now() + backoff;
}

absl::Status WebSubSubscriber::Impl::SendSubscribe(Subscription s) {
  absl::Status sent = PostToHub("subscribe", s);
  absl::MutexLock lock(&mu);
  auto it = by_feed.find(s.feed_id);
  // Replaced or removed meanwhile: nothing to record.
  if (it == by_feed.end() || it->second.callback_id != s.callback_id) {
    return sent;
  }
  Subscription& current = it->second;
  if (!sent.ok()) {
    log::Warning("websub: feed %s: subscribe at %s failed: %s", s.feed_id,
                 s.hub, sent.message());
    RecordFailure(&current, std::string(sent.message()));
    absl::Status saved = Save(current);
    if (!saved.ok()) return saved;
  }
  return sent;
}

// ---- listener --------------------------------------------------------------

Subscription* WebSubSubscriber::Impl::Find(const std::string& id) {
  auto feed = feed_by_callback.find(id);
  return feed == feed_by_callback.end() ? nullptr : &by_feed.at(feed->second);
}

void WebSubSubscriber::Impl::Count(const char* kind, const char* outcome) {
  if (callbacks != nullptr) callbacks->WithLabels({kind, outcome}).Increment();
}

namespace {

MHD_Result Respond(MHD_Connection* connection, unsigned int code,
                   const std::string& body) {
  MHD_Response* response = MHD_create_response_from_buffer(
      body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
  if (response == nullptr) return MHD_NO;
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
                          "text/plain; charset=utf-8");
  const MHD_Result queued = MHD_queue_response(connection, code, response);
  MHD_destroy_response(response);
  return queued;
}

std::string Arg(MHD_Connection* connection, const char* name) {
  const char* v =
      MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, name);
  return v != nullptr ? v : "";
}

std::string Header(MHD_Connection* connection, const char* name) {
  const char* v =
      MHD_lookup_connection_value(connection, MHD_HEADER_KIND, name);
  return v != nullptr ? v : "";
}

}  // namespace

MHD_Result WebSubSubscriber::Impl::Refuse(MHD_Connection* connection,
                                          const char* kind, const char* outcome,
                                          unsigned int code,
                                          const std::string& why) {
  log::Warning("websub: refused %s (%s): %s", kind, outcome, why);
  Count(kind, outcome);
  return Respond(connection, code, absl::StrCat(why, "\n"));
}

MHD_Result WebSubSubscriber::Impl::Verify(MHD_Connection* connection,
                                          const std::string& id) {
  const std::string mode = Arg(connection, "hub.mode");
  const std::string topic = Arg(connection, "hub.topic");
  const std::string challenge = Arg(connection, "hub.challenge");
  absl::MutexLock lock(&mu);
  Subscription* found = Find(id);
  if (found == nullptr) return RefuseUnknown(connection, "verify", id);
  Subscription& s = *found;
  if (topic != s.topic) {
    return Refuse(
        connection, "verify", "topic_mismatch", MHD_HTTP_NOT_FOUND,
        absl::StrCat("feed ", s.feed_id, ": verification for topic ",
                     log::EscapeControls(topic),
                     " which was never requested (asked for ", s.topic, ")"));
  }
  const absl::Time now = clock.Now();
  if (mode == "denied") {
    s.status = Status::kDenied;
    s.request_sent = absl::InfinitePast();
    s.next_attempt = absl::InfiniteFuture();
    s.last_error =
        absl::StrCat("denied by hub ", s.hub, ": ",
                     log::EscapeControls(Arg(connection, "hub.reason")));
    log::Warning("websub: feed %s: %s", s.feed_id, s.last_error);
    Count("verify", "denied");
    absl::Status saved = Save(s);
    if (!saved.ok()) log::Error("%s", saved.ToString());
    return Respond(connection, MHD_HTTP_OK, "");
  }
  if (challenge.empty()) {
    return Refuse(connection, "verify", "bad_request", MHD_HTTP_BAD_REQUEST,
                  absl::StrCat("feed ", s.feed_id, ": no hub.challenge"));
  }
  if (mode == "unsubscribe") {
    if (s.status != Status::kUnsubscribing) {
      return Refuse(connection, "verify", "not_pending", MHD_HTTP_NOT_FOUND,
                    absl::StrCat("feed ", s.feed_id,
                                 ": unsubscribe verification, but no "
                                 "unsubscribe was requested"));
    }
    Count("verify", "unsubscribed");
    const std::string feed_id = s.feed_id;
    feed_by_callback.erase(s.callback_id);
    by_feed.erase(feed_id);
    absl::Status erased = Erase(feed_id);
    if (!erased.ok()) log::Error("%s", erased.ToString());
    return Respond(connection, MHD_HTTP_OK, challenge);
  }
  if (mode != "subscribe") {
    return Refuse(connection, "verify", "bad_request", MHD_HTTP_BAD_REQUEST,
                  absl::StrCat("feed ", s.feed_id, ": unknown hub.mode ",
                               log::EscapeControls(mode)));
  }
  if (s.request_sent == absl::InfinitePast() ||
      s.status == Status::kUnsubscribing) {
    return Refuse(connection, "verify", "not_pending", MHD_HTTP_NOT_FOUND,
                  absl::StrCat("feed ", s.feed_id,
                               ": subscribe verification, but no subscribe "
                               "request is pending"));
  }
  int64_t lease = 0;
  if (!absl::SimpleAtoi(Arg(connection, "hub.lease_seconds"), &lease) ||
      lease <= 0) {
    lease = absl::ToInt64Seconds(options.lease);
  }
  s.status = Status::kVerified;
  s.ever_verified = true;
  s.lease_seconds = lease;
  s.lease_expiry = now + absl::Seconds(lease);
  s.request_sent = absl::InfinitePast();
  s.attempts = 0;
  s.last_error.clear();
  const absl::Duration before =
      std::max(options.renew_before, absl::Seconds(lease) / 10);
  s.next_attempt = s.lease_expiry - before;
  Count("verify", "ok");
  absl::Status saved = Save(s);
  if (!saved.ok()) log::Error("%s", saved.ToString());
  return Respond(connection, MHD_HTTP_OK, challenge);
}

MHD_Result WebSubSubscriber::Impl::Deliver(MHD_Connection* connection,
                                           const std::string& id,
                                           Request* request) {
  std::string feed_id;
  {
    absl::MutexLock lock(&mu);
    Subscription* found = Find(id);
    if (found == nullptr) return RefuseUnknown(connection, "delivery", id);
    Subscription& s = *found;
    if (request->too_large) {
      ++s.rejections;
      return Refuse(connection, "delivery", "too_large",
                    MHD_HTTP_CONTENT_TOO_LARGE,
                    absl::StrCat("feed ", s.feed_id, ": body over ",
                                 options.max_body_bytes, " bytes"));
    }
    if (s.status == Status::kUnsubscribing || !s.ever_verified) {
      ++s.rejections;
      // 410 Gone tells the hub to stop delivering.
      return Refuse(connection, "delivery", "not_subscribed", MHD_HTTP_GONE,
                    absl::StrCat("feed ", s.feed_id,
                                 ": delivery to a subscription that is not "
                                 "active (",
                                 WebSubStatusName(s.status), ")"));
    }
    const std::string signature = Header(connection, "X-Hub-Signature");
    // Per the spec, content with a missing or wrong signature is ignored
    // but still answered 2xx, so the hub does not retry forged content.
    if (signature.empty()) {
      ++s.rejections;
      return Refuse(
          connection, "delivery", "unsigned", MHD_HTTP_ACCEPTED,
          absl::StrCat("feed ", s.feed_id, ": unsigned content ignored"));
    }
    if (!SignatureMatches(signature, s.secret, request->body)) {
      ++s.rejections;
      return Refuse(connection, "delivery", "bad_signature", MHD_HTTP_ACCEPTED,
                    absl::StrCat("feed ", s.feed_id,
                                 ": content with a bad signature ignored"));
    }
    const absl::Time now = clock.Now();
    const double rate = std::max(1, options.max_deliveries_per_second);
    if (s.tokens < 0) {
      s.tokens = rate;
    } else {
      s.tokens = std::min(
          rate, s.tokens + rate * absl::ToDoubleSeconds(now - s.tokens_at));
    }
    s.tokens_at = now;
    if (s.tokens < 1) {
      ++s.rejections;
      MHD_Result r = Refuse(
          connection, "delivery", "rate_limited", MHD_HTTP_TOO_MANY_REQUESTS,
          absl::StrCat("feed ", s.feed_id, ": over the delivery rate"));
      return r;
    }
    s.tokens -= 1;
    feed_id = s.feed_id;
  }
  const std::string content_type = Header(connection, "Content-Type");
  absl::Status handled =
      handler(feed_id, std::move(request->body), content_type);
  absl::MutexLock lock(&mu);
  auto it = by_feed.find(feed_id);
  if (!handled.ok()) {
    if (it != by_feed.end()) ++it->second.rejections;
    log::Warning("websub: feed %s: delivery not processed: %s", feed_id,
                 handled.ToString());
    if (absl::IsInvalidArgument(handled)) {
      // Content that is not a feed stays so: a retry would not help.
      Count("delivery", "bad_content");
      return Respond(connection, MHD_HTTP_BAD_REQUEST,
                     "content refused: not a feed document\n");
    }
    Count("delivery", "handler_error");
    return Respond(connection, MHD_HTTP_INTERNAL_SERVER_ERROR,
                   "not processed, retry later\n");
  }
  if (it != by_feed.end()) {
    ++it->second.deliveries;
    it->second.last_delivery = clock.Now();
  }
  Count("delivery", "ok");
  return Respond(connection, MHD_HTTP_OK, "");
}

MHD_Result WebSubSubscriber::Impl::OnRequest(
    void* cls, MHD_Connection* connection, const char* url, const char* method,
    const char* /*version*/, const char* upload_data, size_t* upload_data_size,
    void** con_cls) {
  Impl* impl = static_cast<Impl*>(cls);
  const bool post = std::strcmp(method, MHD_HTTP_METHOD_POST) == 0;
  if (*con_cls == nullptr) {
    auto* request = new Request;
    *con_cls = request;
    if (post) {
      uint64_t length = 0;
      if (absl::SimpleAtoi(Header(connection, "Content-Length"), &length) &&
          length > impl->options.max_body_bytes) {
        // Answer before reading the body; MHD then closes the connection.
        request->too_large = true;
      } else {
        return MHD_YES;
      }
    }
  }
  auto* request = static_cast<Request*>(*con_cls);
  if (post && *upload_data_size != 0) {
    if (!request->too_large && request->body.size() + *upload_data_size >
                                   impl->options.max_body_bytes) {
      request->too_large = true;
      request->discarded = request->body.size();
      request->body.clear();
      request->body.shrink_to_fit();
    }
    if (request->too_large) {
      request->discarded += *upload_data_size;
      if (request->discarded >
          kDiscardFactor * uint64_t{impl->options.max_body_bytes}) {
        log::Warning(
            "websub: refused delivery (too_large): over %d bytes "
            "without a Content-Length; connection closed",
            request->discarded);
        impl->Count("delivery", "too_large");
        return MHD_NO;
      }
    } else {
      request->body.append(upload_data, *upload_data_size);
    }
    *upload_data_size = 0;
    return MHD_YES;
  }
  *upload_data_size = 0;
  const absl::string_view path(url);
  const size_t at = path.rfind(kCallbackPrefix);
  const std::string id =
      at == absl::string_view::npos
          ? std::string()
          : std::string(path.substr(at + std::strlen(kCallbackPrefix)));
  const char* kind = post ? "delivery" : "verify";
  if (id.empty()) {
    return impl->Refuse(
        connection, kind, "unknown_callback", MHD_HTTP_NOT_FOUND,
        absl::StrCat("no callback at ", log::EscapeControls(url)));
  }
  if (post) return impl->Deliver(connection, id, request);
  if (std::strcmp(method, MHD_HTTP_METHOD_GET) == 0) {
    return impl->Verify(connection, id);
  }
  return impl->Refuse(connection, "other", "bad_method",
                      MHD_HTTP_METHOD_NOT_ALLOWED,
                      absl::StrCat("method ", log::EscapeControls(method)));
}

void WebSubSubscriber::Impl::OnCompleted(void* /*cls*/, MHD_Connection*,
                                         void** con_cls,
                                         MHD_RequestTerminationCode) {
  delete static_cast<Request*>(*con_cls);
  *con_cls = nullptr;
}

static void LogMhd(void* /*cls*/, const char* format, va_list ap) {
  char line[512];
  std::vsnprintf(line, sizeof(line), format, ap);
  log::Warning("websub listener: %s", absl::StripTrailingAsciiWhitespace(line));
}

// ---- lifecycle -------------------------------------------------------------

WebSubSubscriber::Impl::~Impl() {
  if (daemon != nullptr) MHD_stop_daemon(daemon);
  absl::MutexLock lock(&mu);
  if (db != nullptr) sqlite3_close(db);
}

WebSubSubscriber::WebSubSubscriber(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

absl::StatusOr<std::unique_ptr<WebSubSubscriber>> WebSubSubscriber::Start(
    const WebSubOptions& options, WebSubDeliveryHandler handler) {
  if (options.public_base_url.empty() || !IsHttpUrl(options.public_base_url)) {
    return absl::InvalidArgumentError(
        "websub: public_base_url must be an http(s) URL (empty: WebSub off)");
  }
  if (options.max_body_bytes == 0 || options.threads < 1 ||
      options.max_connections < 1 || options.lease <= absl::ZeroDuration() ||
      options.verify_timeout <= absl::ZeroDuration() ||
      options.retry_min_backoff <= absl::ZeroDuration() ||
      options.tick_interval < absl::ZeroDuration() || !handler) {
    return absl::InvalidArgumentError("websub: invalid options");
  }
  absl::StatusOr<net::HostPort> host_port =
      net::ParseListenAddress(options.listen, "websub listen address");
  if (!host_port.ok()) return host_port.status();
  absl::StatusOr<internal::AddressGuard> guard =
      internal::AddressGuard::Create(options.allow_private_networks, {});
  if (!guard.ok()) return guard.status();
  auto impl =
      std::make_unique<Impl>(options, std::move(handler), *std::move(guard));
  if (options.metrics != nullptr) {
    impl->callbacks = &options.metrics->AddCounterFamily(
        "newsfeed_websub_callbacks_total",
        "WebSub callback requests by kind (verify, delivery) and outcome.",
        {"kind", "outcome"});
    impl->hub_requests = &options.metrics->AddCounterFamily(
        "newsfeed_websub_hub_requests_total",
        "WebSub (un)subscribe requests sent to hubs, by mode and outcome.",
        {"mode", "outcome"});
    metrics::GaugeFamily& states = options.metrics->AddGaugeFamily(
        "newsfeed_websub_subscriptions",
        "WebSub subscriptions by state (as of the last Tick).", {"state"});
    for (int i = 0; i <= static_cast<int>(Status::kUnsubscribing); ++i) {
      impl->by_state.push_back(&states.WithLabels(
          {std::string(WebSubStatusName(static_cast<Status>(i)))}));
    }
  }
  if (absl::Status opened = impl->OpenDb(); !opened.ok()) return opened;

  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  unsigned int flags =
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
  const std::string& host = host_port->host;
  if (auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
      inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(host_port->port));
    addr_len = sizeof(sockaddr_in);
  } else if (auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
             inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(host_port->port));
    addr_len = sizeof(sockaddr_in6);
    flags |= MHD_USE_IPv6;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "websub listen address ", options.listen, ": host must be an IP"));
  }
  (void)addr_len;
  std::vector<MHD_OptionItem> items = {
      {MHD_OPTION_EXTERNAL_LOGGER, reinterpret_cast<intptr_t>(&LogMhd),
       nullptr},
      {MHD_OPTION_SOCK_ADDR, 0, &addr},
      {MHD_OPTION_THREAD_POOL_SIZE, options.threads, nullptr},
      {MHD_OPTION_CONNECTION_LIMIT, options.max_connections, nullptr},
      {MHD_OPTION_CONNECTION_TIMEOUT,
       static_cast<intptr_t>(
           std::max<int64_t>(1, absl::ToInt64Seconds(options.idle_timeout))),
       nullptr},
      {MHD_OPTION_NOTIFY_COMPLETED,
       reinterpret_cast<intptr_t>(&Impl::OnCompleted), impl.get()},
      {MHD_OPTION_END, 0, nullptr},
  };
  impl->daemon =
      MHD_start_daemon(flags, 0, nullptr, nullptr, &Impl::OnRequest, impl.get(),
                       MHD_OPTION_ARRAY, items.data(), MHD_OPTION_END);
  if (impl->daemon == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("websub: cannot listen on ", options.listen));
  }
  const MHD_DaemonInfo* info =
      MHD_get_daemon_info(impl->daemon, MHD_DAEMON_INFO_BIND_PORT);
  impl->address = net::JoinHostPort(host, info != nullptr ? info->port : 0);
  auto subscriber =
      std::unique_ptr<WebSubSubscriber>(new WebSubSubscriber(std::move(impl)));
  if (options.tick_interval > absl::ZeroDuration()) {
    WebSubSubscriber* self = subscriber.get();
    Impl* raw = self->impl_.get();
    raw->ticker = std::thread([self, raw] {
      absl::MutexLock lock(&raw->stop_mu);
      while (!raw->stop_mu.AwaitWithTimeout(absl::Condition(&raw->stopping),
                                            raw->options.tick_interval)) {
        raw->stop_mu.Unlock();
        self->Tick();
        raw->stop_mu.Lock();
      }
    });
  }
  return subscriber;
}

WebSubSubscriber::~WebSubSubscriber() {
  {
    absl::MutexLock lock(&impl_->stop_mu);
    impl_->stopping = true;
  }
  if (impl_->ticker.joinable()) impl_->ticker.join();
}

const std::string& WebSubSubscriber::address() const { return impl_->address; }

absl::Status WebSubSubscriber::Subscribe(const std::string& feed_id,
                                         const std::string& topic_url,
                                         const std::string& hub_url) {
  if (feed_id.empty() || !IsHttpUrl(topic_url) || !IsHttpUrl(hub_url)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "websub: feed ", feed_id, ": needs an http(s) topic and hub URL"));
  }
  Subscription copy;
  {
    absl::MutexLock lock(&impl_->mu);
    auto it = impl_->by_feed.find(feed_id);
    if (it != impl_->by_feed.end()) {
      const Subscription& old = it->second;
      if (old.topic == topic_url && old.hub == hub_url &&
          (old.status == Status::kPending || old.status == Status::kVerified)) {
        return absl::OkStatus();
      }
      impl_->feed_by_callback.erase(old.callback_id);
    }
    Subscription s;
    s.feed_id = feed_id;
    s.topic = topic_url;
    s.hub = hub_url;
    s.callback_id = RandomHex(16);
    s.secret = RandomHex(24);
    s.status = Status::kPending;
    s.request_sent = impl_->clock.Now();
    s.next_attempt = s.request_sent + impl_->options.verify_timeout;
    if (absl::Status saved = impl_->Save(s); !saved.ok()) return saved;
    impl_->feed_by_callback[s.callback_id] = feed_id;
    copy = s;
    impl_->by_feed[feed_id] = std::move(s);
  }
  return impl_->SendSubscribe(std::move(copy));
}

absl::Status WebSubSubscriber::Unsubscribe(const std::string& feed_id) {
  Subscription copy;
  {
    absl::MutexLock lock(&impl_->mu);
    auto it = impl_->by_feed.find(feed_id);
    if (it == impl_->by_feed.end()) {
      return absl::NotFoundError(
          absl::StrCat("websub: no subscription for feed ", feed_id));
    }
    Subscription& s = it->second;
    if (!s.ever_verified || s.status == Status::kDenied) {
      impl_->feed_by_callback.erase(s.callback_id);
      impl_->by_feed.erase(it);
      return impl_->Erase(feed_id);
    }
    s.status = Status::kUnsubscribing;
    s.request_sent = impl_->clock.Now();
    s.next_attempt = absl::InfiniteFuture();
    if (absl::Status saved = impl_->Save(s); !saved.ok()) return saved;
    copy = s;
  }
  absl::Status sent = impl_->PostToHub("unsubscribe", copy);
  if (!sent.ok()) {
    log::Warning("websub: feed %s: unsubscribe at %s failed: %s", feed_id,
                 copy.hub, sent.message());
  }
  return absl::OkStatus();
}

absl::StatusOr<WebSubState> WebSubSubscriber::State(
    const std::string& feed_id) const {
  absl::MutexLock lock(&impl_->mu);
  auto it = impl_->by_feed.find(feed_id);
  if (it == impl_->by_feed.end()) {
    return absl::NotFoundError(
        absl::StrCat("websub: no subscription for feed ", feed_id));
  }
  const Subscription& s = it->second;
  WebSubState state;
  state.status = s.status;
  state.topic = s.topic;
  state.hub = s.hub;
  state.callback_url = impl_->CallbackUrl(s.callback_id);
  state.lease_expiry = s.lease_expiry;
  state.next_attempt = s.next_attempt;
  state.last_delivery = s.last_delivery;
  state.deliveries = s.deliveries;
  state.rejections = s.rejections;
  state.last_error = s.last_error;
  return state;
}

std::vector<std::string> WebSubSubscriber::FeedIds() const {
  absl::MutexLock lock(&impl_->mu);
  std::vector<std::string> ids;
  for (const auto& [id, s] : impl_->by_feed) ids.push_back(id);
  return ids;
}

int WebSubSubscriber::Tick() {
  std::vector<Subscription> to_send;
  {
    absl::MutexLock lock(&impl_->mu);
    const absl::Time now = impl_->clock.Now();
    std::vector<std::string> dropped;
    for (auto& [feed_id, s] : impl_->by_feed) {
      bool changed = false;
      if (s.status == Status::kUnsubscribing) {
        if (s.request_sent + impl_->options.verify_timeout <= now) {
          dropped.push_back(feed_id);
        }
        continue;
      }
      const bool awaiting = s.request_sent != absl::InfinitePast();
      if (awaiting && s.request_sent + impl_->options.verify_timeout <= now) {
        log::Warning("websub: feed %s: hub %s did not verify within %s",
                     feed_id, s.hub,
                     absl::FormatDuration(impl_->options.verify_timeout));
        impl_->Count("verify", "timeout");
        const bool was_verified =
            s.status == Status::kVerified && s.lease_expiry > now;
        impl_->RecordFailure(&s, "hub did not verify in time");
        if (was_verified) s.status = Status::kVerified;
        changed = true;
      }
      if (s.status == Status::kVerified && s.lease_expiry <= now) {
        s.status = Status::kExpired;
        if (s.request_sent == absl::InfinitePast()) s.next_attempt = now;
        changed = true;
      }
      if (s.request_sent == absl::InfinitePast() && s.next_attempt <= now &&
          static_cast<int>(to_send.size()) <
              impl_->options.max_hub_requests_per_tick &&
          s.status != Status::kDenied) {
        if (s.status == Status::kFailed) s.status = Status::kPending;
        s.request_sent = now;
        s.next_attempt = now + impl_->options.verify_timeout;
        to_send.push_back(s);
        changed = true;
      }
      if (changed) {
        absl::Status saved = impl_->Save(s);
        if (!saved.ok()) log::Error("%s", saved.ToString());
      }
    }
    for (const std::string& feed_id : dropped) {
      impl_->feed_by_callback.erase(impl_->by_feed.at(feed_id).callback_id);
      impl_->by_feed.erase(feed_id);
      absl::Status erased = impl_->Erase(feed_id);
      if (!erased.ok()) log::Error("%s", erased.ToString());
    }
    if (!impl_->by_state.empty()) {
      std::vector<int> counts(impl_->by_state.size(), 0);
      for (const auto& [feed_id, s] : impl_->by_feed) {
        ++counts[static_cast<size_t>(s.status)];
      }
      for (size_t i = 0; i < counts.size(); ++i) {
        impl_->by_state[i]->Set(counts[i]);
      }
    }
  }
  for (Subscription& s : to_send) {
    // Failures are recorded (with backoff) by SendSubscribe.
    absl::Status sent = impl_->SendSubscribe(std::move(s));
    (void)sent;
  }
  return static_cast<int>(to_send.size());
}

}  // namespace newsfeed::ingest
