// HttpApi is the HTTP/JSON face of query-service, for curl, browsers,
// spreadsheets and shell scripts: the same searches, articles, facets and
// live subscriptions as QueryService, as JSON produced by protobuf's JSON
// mapping of the same messages, and live streams as Server-Sent Events.
//
//   GET /v1/articles?company=Microsoft&country=FR&topic=ai&text=...
//                                      SearchResponse
//   GET /v1/articles/{id}              Article
//   GET /v1/facets?...                 FacetsResponse
//   GET /v1/stream?...&after_sequence=N
//       text/event-stream: one `article` event per article with `id:` its
//       sequence, `heartbeat` events (id: the latest sequence examined) when
//       idle, so that Last-Event-ID resumes exactly like after_sequence; an
//       `end` event (HttpError) when the server ends the stream.
//   GET /                              the live page (web/, compiled in)
//   GET /openapi.yaml                  the API's OpenAPI 3.1 document
//
// query_params.h lists the parameters. Errors are an HttpError body with the
// gRPC status name the same request gets over gRPC and the matching HTTP
// status (400, 401, 404, 405, 429, 503, ...). query-service/http/openapi.yaml
// documents all of it.
//
// Bearer-token auth (Authorization header, or access_token for EventSource)
// and TLS as configured for gRPC; CORS for the configured origins. Served by
// libmicrohttpd on a small pool of event-loop threads: a stream waiting for
// articles holds no thread (its connection is suspended until the hub hands
// it the next event), so thousands of live clients cost a few threads.
// Searches run on those threads, as gRPC runs them inline.
//
// Thread-safe: Stop may be called from any thread.
//
//   auto api = HttpApi::Start(options, store, hub);
//   ... curl -N http://(*api)->address()/v1/stream?topic=ai ...
//   (*api)->Stop();
#ifndef QUERY_SERVICE_HTTP_HTTP_API_H_
#define QUERY_SERVICE_HTTP_HTTP_API_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/metrics/metrics.h"
#include "query-service/hub/subscription_hub.h"
#include "query-service/store/article_store.h"

namespace newsfeed::query {

struct HttpApiOptions {
  // host:port, [ipv6]:port or :port; port 0 picks a free port.
  std::string listen_address = "127.0.0.1:0";
  // Event-loop threads; each serves its share of the connections.
  int threads = 4;
  // Open connections (live streams included) beyond which new ones are
  // refused, in all and per client address.
  int max_connections = 10000;
  int max_connections_per_ip = 1024;
  // A connection idle this long is closed. Streams stay busy: the hub sends
  // a heartbeat after subscriptions.heartbeat_interval of quiet.
  absl::Duration idle_timeout = absl::Seconds(60);
  // When set, every request must carry it as a bearer token.
  std::string read_token;
  // Both set: HTTPS with these PEM files (the gRPC port's, by default).
  std::string tls_cert_file;
  std::string tls_key_file;
  // Origins whose pages may call the API (CORS); "*" allows any.
  std::vector<std::string> cors_allowed_origins;
  // Where to record requests (newsfeed_http_*); nullptr: no metrics. Must
  // outlive the API.
  metrics::Registry* metrics = nullptr;
};

class HttpApi {
 public:
  // Binds and starts serving `store` and `hub` (borrowed; they must outlive
  // the API). INVALID_ARGUMENT for a malformed address or unreadable TLS
  // files, UNAVAILABLE when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<HttpApi>> Start(
      const HttpApiOptions& options, ArticleStore& store, SubscriptionHub& hub);

  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;
  ~HttpApi();  // Stops.

  int port() const;
  // host:port actually bound, e.g. "127.0.0.1:41234".
  const std::string& address() const;

  // Ends open streams, waiting up to `grace` for them to send what they
  // hold (the hub should have ended them first, so that each client gets
  // its resume position), then closes every connection and joins the
  // threads. Idempotent.
  void Stop(absl::Duration grace = absl::ZeroDuration());

  // The server's state; its event-loop callbacks live in http_api.cc.
  struct Impl;

 private:
  explicit HttpApi(std::unique_ptr<Impl> impl);

  const std::unique_ptr<Impl> impl_;
};

}  // namespace newsfeed::query

#endif  // QUERY_SERVICE_HTTP_HTTP_API_H_
