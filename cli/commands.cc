#include "cli/commands.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/clients.h"
#include "cli/format.h"
#include "cli/position_file.h"
#include "common/log/log.h"

namespace newsfeed::cli {
namespace {

// Articles per message a subscription asks for (SubscribeRequest.
// max_articles_per_response).
constexpr uint32_t kSubscribeBatch = 100;

ConnectionOptions ConnectionFor(const GlobalOptions& global,
                                const std::string& address) {
  ConnectionOptions options;
  options.address = address;
  options.timeout = global.timeout;
  options.tls_ca_file = global.tls_ca_file;
  options.tls_cert_file = global.tls_cert_file;
  options.tls_key_file = global.tls_key_file;
  options.tls_server_name = global.tls_server_name;
  options.token = global.token;
  options.stop = global.stop;
  return options;
}

absl::Status CheckLimit(int limit, absl::string_view flag) {
  if (limit < 0 || limit > 100) {
    return UsageError(absl::StrCat(flag, " must be between 1 and 100"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RunSearch(const GlobalOptions& global,
                       const SearchOptions& options, std::ostream& out) {
  if (absl::Status s = CheckLimit(options.limit, "--limit"); !s.ok()) return s;
  absl::StatusOr<v1::ArticleFilter> filter =
      BuildFilter(options.filter, global.clock->Now());
  if (!filter.ok()) return filter.status();
  if (options.relevance && filter->text().empty()) {
    return UsageError("--relevance needs --text");
  }
  absl::StatusOr<QueryClient> client =
      QueryClient::Create(ConnectionFor(global, global.query_address));
  if (!client.ok()) return client.status();

  v1::SearchRequest request;
  *request.mutable_filter() = *std::move(filter);
  request.set_page_size(options.limit);
  request.set_page_token(options.page_token);
  request.set_order(options.relevance ? v1::SEARCH_ORDER_RELEVANCE
                                      : v1::SEARCH_ORDER_NEWEST_FIRST);
  std::vector<v1::Article> articles;
  std::string next_page_token;
  while (true) {
    absl::StatusOr<v1::SearchResponse> page = client->Search(request);
    if (!page.ok()) return page.status();
    next_page_token = page->next_page_token();
    for (v1::Article& article : *page->mutable_articles()) {
      if (global.json) {
        out << ToJsonLine(article) << '\n';
      } else {
        articles.push_back(std::move(article));
      }
    }
    if (!options.all_pages || next_page_token.empty()) break;
    if (next_page_token == request.page_token()) {
      return absl::InternalError(
          "Search: server returned the same page token twice");
    }
    request.set_page_token(next_page_token);
  }
  if (global.json) {
    if (!next_page_token.empty() && !options.all_pages) {
      v1::SearchResponse token_only;
      token_only.set_next_page_token(next_page_token);
      out << ToJsonLine(token_only) << '\n';
    }
  } else {
    PrintArticleTable(out, articles);
    if (!next_page_token.empty() && !options.all_pages) {
      out << "next page: " << next_page_token << '\n';
    }
  }
  out.flush();
  return absl::OkStatus();
}

absl::Status RunGet(const GlobalOptions& global, const std::string& id,
                    std::ostream& out) {
  if (id.empty()) return UsageError("get: an article ID is required");
  absl::StatusOr<QueryClient> client =
      QueryClient::Create(ConnectionFor(global, global.query_address));
  if (!client.ok()) return client.status();
  absl::StatusOr<v1::Article> article = client->GetArticle(id);
  if (!article.ok()) return article.status();
  if (global.json) {
    out << ToJsonLine(*article) << '\n';
  } else {
    PrintArticleDetail(out, *article);
  }
  out.flush();
  return absl::OkStatus();
}

absl::Status RunFacets(const GlobalOptions& global,
                       const FacetsOptions& options, std::ostream& out) {
  if (absl::Status s = CheckLimit(options.limit, "--limit"); !s.ok()) return s;
  absl::StatusOr<v1::ArticleFilter> filter =
      BuildFilter(options.filter, global.clock->Now());
  if (!filter.ok()) return filter.status();
  absl::StatusOr<QueryClient> client =
      QueryClient::Create(ConnectionFor(global, global.query_address));
  if (!client.ok()) return client.status();
  v1::FacetsRequest request;
  *request.mutable_filter() = *std::move(filter);
  request.set_limit(options.limit);
  absl::StatusOr<v1::FacetsResponse> facets = client->Facets(request);
  if (!facets.ok()) return facets.status();
  if (global.json) {
    out << ToJsonLine(*facets) << '\n';
  } else {
    PrintFacets(out, *facets);
  }
  out.flush();
  return absl::OkStatus();
}

absl::Status RunSubscribe(const GlobalOptions& global,
                          const SubscribeOptions& options, std::ostream& out) {
  if (options.after_sequence.has_value() && !options.since.empty()) {
    return UsageError("--after-seq and --since are mutually exclusive");
  }
  if (options.max_articles < 0) return UsageError("--max must be positive");
  if (!options.filter.since.empty() || !options.filter.until.empty()) {
    return UsageError(
        "subscribe: use --since for the start position; --until is not "
        "supported on a live stream");
  }
  const absl::Time now = global.clock->Now();
  absl::StatusOr<v1::ArticleFilter> filter = BuildFilter(options.filter, now);
  if (!filter.ok()) return filter.status();

  v1::SubscribeRequest request;
  *request.mutable_filter() = *std::move(filter);
  // A replay of a busy filter arrives in batches rather than one message
  // per article.
  request.set_max_articles_per_response(kSubscribeBatch);
  std::optional<uint64_t> saved;
  if (!options.position_file.empty()) {
    absl::StatusOr<std::optional<uint64_t>> position =
        ReadPosition(options.position_file);
    if (!position.ok()) return position.status();
    saved = *position;
  }
  if (saved.has_value()) {
    request.set_after_sequence(*saved);
  } else if (options.after_sequence.has_value()) {
    request.set_after_sequence(*options.after_sequence);
  } else if (!options.since.empty()) {
    absl::StatusOr<absl::Time> since =
        ParseTimeSpec(options.since, now, "--since");
    if (!since.ok()) return since.status();
    *request.mutable_since_time() = ToProtoTimestamp(*since);
  }

  absl::StatusOr<QueryClient> client =
      QueryClient::Create(ConnectionFor(global, global.query_address));
  if (!client.ok()) return client.status();

  uint64_t position = saved.value_or(0);
  int64_t received = 0;
  auto save = [&](uint64_t sequence) -> absl::Status {
    // Never move backwards: a resumed run must not replay what was printed.
    if (options.position_file.empty() || sequence <= position) {
      return absl::OkStatus();
    }
    position = sequence;
    return WritePosition(options.position_file, sequence);
  };
  // Prints one article; false once --max articles were printed.
  auto print = [&](const v1::Article& article) -> absl::StatusOr<bool> {
    out << (global.json ? ToJsonLine(article) : SubscribeLine(article)) << '\n';
    out.flush();
    // Saved only after the article is printed: at-least-once on resume.
    if (absl::Status s = save(article.sequence()); !s.ok()) return s;
    ++received;
    return options.max_articles == 0 || received < options.max_articles;
  };
  auto on_event =
      [&](const v1::SubscribeResponse& event) -> absl::StatusOr<bool> {
    if (event.has_article()) return print(event.article());
    for (const v1::Article& article : event.articles().articles()) {
      absl::StatusOr<bool> more = print(article);
      if (!more.ok() || !*more) return more;
    }
    if (event.has_heartbeat()) {
      const v1::Heartbeat& heartbeat = event.heartbeat();
      if (options.verbose) {
        if (global.json) {
          out << ToJsonLine(event) << '\n';
        } else {
          out << "heartbeat  latest sequence " << heartbeat.latest_sequence()
              << "  server time " << FormatMinuteUtc(heartbeat.server_time())
              << '\n';
        }
        out.flush();
      }
      if (absl::Status s = save(heartbeat.latest_sequence()); !s.ok()) {
        return s;
      }
    }
    return true;
  };
  return client->Subscribe(request, on_event);
}

absl::Status RunFeedsList(const GlobalOptions& global, std::ostream& out) {
  absl::StatusOr<FeedAdminClient> client =
      FeedAdminClient::Create(ConnectionFor(global, global.ingest_address));
  if (!client.ok()) return client.status();
  absl::StatusOr<v1::ListFeedsResponse> feeds = client->ListFeeds();
  if (!feeds.ok()) return feeds.status();
  if (global.json) {
    for (const v1::FeedStatus& feed : feeds->feeds()) {
      out << ToJsonLine(feed) << '\n';
    }
  } else {
    PrintFeeds(out, *feeds);
  }
  out.flush();
  return absl::OkStatus();
}

absl::Status RunFeedsAdd(const GlobalOptions& global, const std::string& url,
                         std::ostream& out) {
  if (url.empty()) return UsageError("feeds add: a URL is required");
  absl::StatusOr<FeedAdminClient> client =
      FeedAdminClient::Create(ConnectionFor(global, global.ingest_address));
  if (!client.ok()) return client.status();
  absl::StatusOr<v1::FeedStatus> feed = client->AddFeed(url);
  if (!feed.ok()) return feed.status();
  if (global.json) {
    out << ToJsonLine(*feed) << '\n';
  } else {
    out << "added " << feed->id() << "  " << feed->url() << '\n';
  }
  out.flush();
  return absl::OkStatus();
}

absl::Status RunFeedsRemove(const GlobalOptions& global, const std::string& id,
                            std::ostream& out) {
  if (id.empty()) return UsageError("feeds remove: a feed ID is required");
  absl::StatusOr<FeedAdminClient> client =
      FeedAdminClient::Create(ConnectionFor(global, global.ingest_address));
  if (!client.ok()) return client.status();
  if (absl::Status s = client->RemoveFeed(id); !s.ok()) return s;
  if (global.json) {
    v1::RemoveFeedRequest removed;
    removed.set_id(id);
    out << ToJsonLine(removed) << '\n';
  } else {
    out << "removed " << id << '\n';
  }
  out.flush();
  return absl::OkStatus();
}

absl::Status RunFeedsImport(const GlobalOptions& global,
                            const std::string& path, bool dry_run,
                            std::ostream& out) {
  // The most FeedAdmin.ImportFeeds takes (ingest-service's OpmlLimits).
  constexpr uintmax_t kMaxOpmlBytes = uintmax_t{4} << 20;
  std::error_code error;
  const uintmax_t size = std::filesystem::file_size(path, error);
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": cannot read: ", error.message()));
  }
  if (size > kMaxOpmlBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", size, " bytes; an OPML import takes at most ",
                     kMaxOpmlBytes, " (4 MiB): split the file"));
  }
  std::ifstream file(path, std::ios::binary);
  std::string opml((std::istreambuf_iterator<char>(file)),
                   std::istreambuf_iterator<char>());
  if (!file && !file.eof()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot read"));
  }
  absl::StatusOr<FeedAdminClient> client =
      FeedAdminClient::Create(ConnectionFor(global, global.ingest_address));
  if (!client.ok()) return client.status();
  absl::StatusOr<v1::ImportFeedsResponse> response =
      client->ImportFeeds(std::move(opml), dry_run);
  if (!response.ok()) {
    return absl::Status(response.status().code(),
                        absl::StrCat(path, ": ", response.status().message()));
  }
  if (global.json) {
    out << ToJsonLine(*response) << '\n';
    out.flush();
    return absl::OkStatus();
  }
  for (const v1::FeedStatus& feed : response->added()) {
    out << (dry_run ? "would add " : "added ") << feed.id() << "  "
        << log::EscapeControls(feed.url());
    if (feed.labels_size() > 0) {
      out << "  [" << log::EscapeControls(absl::StrJoin(feed.labels(), ", "))
          << "]";
    }
    out << '\n';
  }
  for (const v1::ImportProblem& problem : response->problems()) {
    out << path << ":" << problem.line()
        << ": skipped: " << log::EscapeControls(problem.message()) << '\n';
  }
  out << (dry_run ? "would import " : "imported ") << response->added_size()
      << (response->added_size() == 1 ? " feed" : " feeds") << ", "
      << response->already_present() << " already polled\n";
  out.flush();
  return absl::OkStatus();
}

absl::Status RunFeedsExport(const GlobalOptions& global, std::ostream& out) {
  absl::StatusOr<FeedAdminClient> client =
      FeedAdminClient::Create(ConnectionFor(global, global.ingest_address));
  if (!client.ok()) return client.status();
  absl::StatusOr<std::string> opml = client->ExportFeeds();
  if (!opml.ok()) return opml.status();
  out << *opml;
  out.flush();
  return absl::OkStatus();
}

absl::Status RunFeedsDeadLetters(const GlobalOptions& global,
                                 const std::vector<int64_t>& replay_ids,
                                 std::ostream& out) {
  absl::StatusOr<FeedAdminClient> client =
      FeedAdminClient::Create(ConnectionFor(global, global.ingest_address));
  if (!client.ok()) return client.status();
  if (!replay_ids.empty()) {
    absl::StatusOr<int> replayed = client->ReplayDeadLetters(replay_ids);
    if (!replayed.ok()) return replayed.status();
    if (global.json) {
      v1::ReplayDeadLettersResponse response;
      response.set_replayed(*replayed);
      out << ToJsonLine(response) << '\n';
    } else {
      out << "replayed " << *replayed << " of " << replay_ids.size()
          << (replay_ids.size() == 1 ? " dead letter" : " dead letters")
          << "\n";
    }
    out.flush();
    return absl::OkStatus();
  }
  absl::StatusOr<v1::ListDeadLettersResponse> letters =
      client->ListDeadLetters();
  if (!letters.ok()) return letters.status();
  if (global.json) {
    for (const v1::DeadLetter& letter : letters->dead_letters()) {
      out << ToJsonLine(letter) << '\n';
    }
  } else {
    PrintDeadLetters(out, *letters);
  }
  out.flush();
  return absl::OkStatus();
}

absl::Status RunFeedsPoll(const GlobalOptions& global, const std::string& id,
                          std::ostream& out) {
  absl::StatusOr<FeedAdminClient> client =
      FeedAdminClient::Create(ConnectionFor(global, global.ingest_address));
  if (!client.ok()) return client.status();
  absl::StatusOr<int> queued = client->PollNow(id);
  if (!queued.ok()) return queued.status();
  if (global.json) {
    v1::PollNowResponse response;
    response.set_queued(*queued);
    out << ToJsonLine(response) << '\n';
  } else {
    out << "queued " << *queued << (*queued == 1 ? " feed" : " feeds")
        << " for polling\n";
  }
  out.flush();
  return absl::OkStatus();
}

absl::Status RunHealth(const GlobalOptions& global,
                       const HealthOptions& options, std::ostream& out) {
  const std::string& address =
      options.address.empty() ? global.query_address : options.address;
  absl::StatusOr<HealthClient> client = HealthClient::Create(
      ConnectionFor(global, address),
      options.address.empty() ? "query-service" : "server");
  if (!client.ok()) return client.status();
  absl::StatusOr<grpc::health::v1::HealthCheckResponse::ServingStatus> status =
      client->Check(options.service);
  if (!status.ok()) return status.status();
  const std::string& name =
      grpc::health::v1::HealthCheckResponse::ServingStatus_Name(*status);
  out << name << '\n';
  out.flush();
  if (*status != grpc::health::v1::HealthCheckResponse::SERVING) {
    return absl::UnavailableError(
        absl::StrCat(address,
                     options.service.empty()
                         ? ""
                         : absl::StrCat(" (service ", options.service, ")"),
                     " is ", name));
  }
  return absl::OkStatus();
}

}  // namespace newsfeed::cli
