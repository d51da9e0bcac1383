// The `newsfeed` subcommands that talk to the services. Each takes the
// global options, its own parsed options and the stream to print to, and
// returns OK or a Status whose message says what failed (main prints
// "newsfeed: <message>" and exits 1, or 2 for IsUsageError).
//
// Thread-safety: each call is independent; RunSubscribe's stop token may be
// triggered from any thread (e.g. a signal watcher).
//
//   GlobalOptions global;
//   SearchOptions search;
//   search.filter.companies = {"Microsoft"};
//   absl::Status status = RunSearch(global, search, std::cout);
#ifndef CLI_COMMANDS_H_
#define CLI_COMMANDS_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <stop_token>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cli/filter_flags.h"
#include "common/clock/clock.h"

namespace newsfeed::cli {

inline constexpr char kDefaultQueryAddress[] = "127.0.0.1:50051";
inline constexpr char kDefaultIngestAddress[] = "127.0.0.1:50052";

struct GlobalOptions {
  // --query: query-service address. Default $NEWSFEED_QUERY_ADDR, else
  // 127.0.0.1:50051 (main applies the environment).
  std::string query_address = kDefaultQueryAddress;
  // --ingest: ingest-service (FeedAdmin) address. Default
  // $NEWSFEED_INGEST_ADDR, else 127.0.0.1:50052.
  std::string ingest_address = kDefaultIngestAddress;
  // --timeout: deadline of each unary call. Default 10 s.
  absl::Duration timeout = absl::Seconds(10);
  // --json: protobuf JSON mapping, one object per line.
  bool json = false;
  // --tls-ca: PEM root CA; set means TLS. Default plaintext.
  std::string tls_ca_file;
  // --tls-cert/--tls-key: client certificate for mutual TLS.
  std::string tls_cert_file;
  std::string tls_key_file;
  // --tls-server-name: name checked in the server's certificate.
  std::string tls_server_name;
  // --token: bearer token sent as "authorization" metadata.
  std::string token;
  // Source of "now" for relative times (--since 7d). Borrowed; must outlive
  // the call. Default: the system clock.
  const Clock* clock = &RealClock::Instance();
  // Requesting a stop (Ctrl-C) cancels the call in flight; `subscribe` then
  // ends successfully, other commands fail with "interrupted".
  std::stop_token stop;
};

struct SearchOptions {
  FilterFlags filter;
  // --relevance: best full-text match first (needs --text).
  bool relevance = false;
  // --limit: page size, 1..100; 0 lets the server choose (20).
  int limit = 0;
  // --page-token: continue from a previous page.
  std::string page_token;
  // --all-pages: follow next_page_token until the last page.
  bool all_pages = false;
};

// Search; prints the article table then "next page: TOKEN" when there is
// one. With --json: one Article per line, then {"nextPageToken":"…"} when
// there is a next page.
absl::Status RunSearch(const GlobalOptions& global,
                       const SearchOptions& options, std::ostream& out);

// GetArticle; the multi-line view, or the Article as one JSON line.
absl::Status RunGet(const GlobalOptions& global, const std::string& id,
                    std::ostream& out);

struct FacetsOptions {
  FilterFlags filter;
  // --limit: entries per dimension, 1..100; 0: server default (10).
  int limit = 0;
};

// Facets; three tables, or the FacetsResponse as one JSON line.
absl::Status RunFacets(const GlobalOptions& global,
                       const FacetsOptions& options, std::ostream& out);

struct SubscribeOptions {
  FilterFlags filter;
  // --after-seq: replay changes after this sequence. Exclusive with since.
  std::optional<uint64_t> after_sequence;
  // --since: replay articles published from this time (see ParseTimeSpec).
  // The start position only: filter.since/until are not used by subscribe.
  std::string since;
  // --position-file: when the file exists its sequence is the start position
  // (overriding after_sequence/since); it is rewritten after every article and
  // heartbeat with the last sequence received.
  std::string position_file;
  // --max: stop (successfully) after this many articles; 0: no limit.
  int64_t max_articles = 0;
  // --verbose: print heartbeats too.
  bool verbose = false;
};

// Subscribe; prints each article as it arrives (SubscribeLine, or the Article
// as a JSON line) and flushes. Returns OK when --max is reached, when
// global.stop is requested or when the server ends the stream cleanly.
absl::Status RunSubscribe(const GlobalOptions& global,
                          const SubscribeOptions& options, std::ostream& out);

// FeedAdmin.ListFeeds as a table (or one FeedStatus JSON line per feed).
absl::Status RunFeedsList(const GlobalOptions& global, std::ostream& out);
// FeedAdmin.AddFeed; prints the new feed's id and url (or its JSON).
absl::Status RunFeedsAdd(const GlobalOptions& global, const std::string& url,
                         std::ostream& out);
// FeedAdmin.RemoveFeed; prints "removed ID" (JSON: {"id":"ID"}).
absl::Status RunFeedsRemove(const GlobalOptions& global, const std::string& id,
                            std::ostream& out);
// FeedAdmin.ImportFeeds of the OPML file at `path` (at most 4 MiB); prints
// what was imported and, per line, what was skipped (or the response's
// JSON). `dry_run`: reports without adding.
absl::Status RunFeedsImport(const GlobalOptions& global,
                            const std::string& path, bool dry_run,
                            std::ostream& out);
// FeedAdmin.ExportFeeds; prints the OPML document.
absl::Status RunFeedsExport(const GlobalOptions& global, std::ostream& out);
// `newsfeed feeds dead-letters`: the articles query-service refused, and
// why; with `replay_ids`, sends those back for delivery instead.
absl::Status RunFeedsDeadLetters(const GlobalOptions& global,
                                 const std::vector<int64_t>& replay_ids,
                                 std::ostream& out);
// FeedAdmin.PollNow (empty id: every feed); prints how many were queued.
absl::Status RunFeedsPoll(const GlobalOptions& global, const std::string& id,
                          std::ostream& out);

struct HealthOptions {
  // --service: the service name to check; empty: the server as a whole.
  std::string service;
  // Positional ADDR; empty: --query.
  std::string address;
};

// grpc.health.v1.Health/Check; prints the serving status name (SERVING,
// NOT_SERVING, ...). OK only when SERVING; UNAVAILABLE otherwise.
absl::Status RunHealth(const GlobalOptions& global,
                       const HealthOptions& options, std::ostream& out);

}  // namespace newsfeed::cli

#endif  // CLI_COMMANDS_H_
