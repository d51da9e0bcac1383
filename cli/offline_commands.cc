#include "cli/offline_commands.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ingest-service/fetcher/curl_fetcher.h"
#include "ingest-service/parser/feed_parser.h"
#include "ingest-service/tagger/tagger.h"

namespace newsfeed::cli {
namespace {

bool IsUrl(const std::string& text) {
  return absl::StartsWithIgnoreCase(text, "http://") ||
         absl::StartsWithIgnoreCase(text, "https://");
}

absl::Status WithContext(const absl::Status& status, absl::string_view what) {
  return absl::Status(status.code(),
                      absl::StrCat(what, ": ", status.message()));
}

// The body to parse and the parse options that go with it.
struct Document {
  std::string body;
  ingest::ParseOptions options;
};

absl::StatusOr<Document> ReadFromDisk(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    return absl::Status(
        error == ENOENT   ? absl::StatusCode::kNotFound
        : error == EACCES ? absl::StatusCode::kPermissionDenied
                          : absl::StatusCode::kInvalidArgument,
        absl::StrCat("cannot read ", path, ": ", std::strerror(error)));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    return absl::DataLossError(absl::StrCat("error while reading ", path));
  }
  Document document;
  document.body = std::move(buffer).str();
  return document;
}

absl::StatusOr<Document> Fetch(const ParseCommandOptions& options,
                               std::stop_token stop) {
  ingest::FetcherOptions fetcher_options;
  fetcher_options.allow_private_networks = options.allow_private_networks;
  absl::StatusOr<std::unique_ptr<ingest::CurlFetcher>> fetcher =
      ingest::CurlFetcher::Create(fetcher_options);
  if (!fetcher.ok()) return fetcher.status();
  std::vector<ingest::FetchRequest> requests(1);
  requests[0].url = options.path_or_url;
  std::optional<absl::StatusOr<ingest::FetchResult>> outcome;
  (*fetcher)->FetchAll(
      requests,
      [&outcome](size_t, absl::StatusOr<ingest::FetchResult> result) {
        outcome = std::move(result);
      },
      [&stop] { return stop.stop_requested(); });
  if (!outcome.has_value()) {
    return absl::InternalError(
        absl::StrCat("fetch ", options.path_or_url, ": no result"));
  }
  if (!outcome->ok()) return outcome->status();
  ingest::FetchResult& result = **outcome;
  if (result.http_status != 200) {
    return absl::UnavailableError(absl::StrCat(
        "fetch ", options.path_or_url, ": HTTP status ", result.http_status));
  }
  Document document;
  document.body = std::move(result.body);
  document.options.feed_url =
      result.effective_url.empty() ? options.path_or_url : result.effective_url;
  document.options.charset_hint = result.charset;
  return document;
}

}  // namespace

absl::Status RunParse(const ParseCommandOptions& options, std::stop_token stop,
                      std::ostream& out) {
  if (options.path_or_url.empty()) {
    return absl::InvalidArgumentError("parse: a path or URL is required");
  }
  absl::StatusOr<Document> document = IsUrl(options.path_or_url)
                                          ? Fetch(options, stop)
                                          : ReadFromDisk(options.path_or_url);
  if (!document.ok()) return WithContext(document.status(), "parse");
  absl::StatusOr<ingest::ParsedFeed> feed =
      ingest::ParseFeed(document->body, document->options);
  if (!feed.ok()) {
    return WithContext(feed.status(),
                       absl::StrCat("parse ", options.path_or_url));
  }
  out << ingest::FeedToJson(*feed) << '\n';
  out.flush();
  if (!out) return absl::UnavailableError("parse: cannot write the output");
  return absl::OkStatus();
}

absl::Status RunTag(std::istream& in, std::ostream& out) {
  absl::StatusOr<std::unique_ptr<ingest::Tagger>> tagger =
      ingest::Tagger::Create(ingest::TaggerOptions());
  if (!tagger.ok()) return WithContext(tagger.status(), "tag: loading data");
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out << ingest::TagJsonLine(**tagger, line) << '\n';
    // Flush only when the next read would wait: fast for a pipe full of
    // input, prompt for a caller that sends one line and waits.
    if (in.rdbuf()->in_avail() <= 0) out.flush();
    if (!out) return absl::UnavailableError("tag: cannot write the output");
  }
  out.flush();
  if (in.bad()) return absl::DataLossError("tag: error while reading input");
  if (!out) return absl::UnavailableError("tag: cannot write the output");
  return absl::OkStatus();
}

void AddOfflineCommands(CLI::App& app, std::istream& in, std::ostream& out,
                        std::stop_token stop,
                        std::function<absl::Status()>& action) {
  // Owned by the subcommand callbacks, which live as long as `app`.
  auto parse_options = std::make_shared<ParseCommandOptions>();
  CLI::App* parse = app.add_subcommand(
      "parse",
      "Parse an RSS/Atom feed (file or URL) offline and print it as one JSON "
      "object");
  parse
      ->add_option("PATH_OR_URL", parse_options->path_or_url,
                   "A feed file, or an http(s) URL to fetch")
      ->required();
  parse->add_flag("--allow-private-networks",
                  parse_options->allow_private_networks,
                  "Allow fetching from loopback and private addresses "
                  "(refused by default)");
  parse->footer(
      "Prints {\"feed\": {...}, \"items\": [...]} and exits 0 when the feed "
      "could be read; otherwise one error line on stderr and exit 1.");
  parse->callback([&action, &out, stop, parse_options] {
    action = [&out, stop, parse_options] {
      return RunParse(*parse_options, stop, out);
    };
  });

  CLI::App* tag = app.add_subcommand(
      "tag",
      "Tag articles offline: JSON lines {\"id\",\"title\",\"text\"} on stdin, "
      "one JSON line of tags per input line on stdout");
  tag->footer(
      "Every input line gets exactly one output line, in order; a line that "
      "is not valid input gets {\"id\":...,\"error\":\"...\"}. Streams, so "
      "any number of lines works.");
  tag->callback([&action, &in, &out] {
    action = [&in, &out] { return RunTag(in, out); };
  });
}

}  // namespace newsfeed::cli
